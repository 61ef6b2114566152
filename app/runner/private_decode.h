// app/runner/private_decode.h — one decode step of a transformer under MPC (issue #7), written
// once on the protocol operations and run in execute mode (the small model's real weights and
// prompt KV, secret-shared) or cost mode (shapes only, GPT-2 / 7B scale), with a KV selection
// method expressed on the same operations.
//
// Contract:
// - Party 0 holds the model (weights, and the prompt's KV from a plaintext prefill, as MPCache's
//   artifact computes the prompt) and inputs them once, before the step; party 1 (the client)
//   inputs the token. The step: embedding by one-hot matmul, per layer norm, QKV, RoPE (Llama
//   style) or none (GPT-2 style), selection, attention (scores, MPCache's softmax recipe, values),
//   output projection, MLP with SiLU-gated (Llama) or GeLU (GPT-2) activation, residuals; final
//   norm, LM head; the logits are revealed.
// - Every op's declared cost is summed while the op runs; `declared` must equal what the
//   channels measured (tests/app/mpcache_test.cpp).
// - Categories (the paper's breakdown): linear, attention, softmax, similarity, topk, one_hot,
//   gather, other (norms, activations, RoPE, the embedding lookup's one-hot). Time per category is
//   party 0's engine time inside it; bytes are summed over all parties.
// - Selection methods and their public sizes: "full"; "static" (H2O / StreamingLLM / SnapKV after
//   prefill: the cache holds `budget` tokens, nothing to select per step); "dynamic-naive"
//   (token-level: q.K over every token, top-k, one-hot over tokens, gather); "infllm" (block
//   representatives, top blocks shared by the layer's heads, one-hot over blocks, gather);
//   "mpcache" (static eviction keeps `static_keep` of the prompt; cluster extrema refreshed for the
//   newest cluster; alpha min/max similarity or the exact bound; hierarchical or flat clusters;
//   head-parallel or per-head top-k; adjacent layers sharing the selection).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hardware/profile.h"
#include "models/architecture.h"
#include "models/lm/small_lm.h"

namespace kvsim::runner {

struct PrivateArch {
  std::string style = "llama";  // "llama" or "gpt2"
  int layers = 1, d_model = 64, heads = 1, kv_heads = 1, head_dim = 64, ffn = 256, vocab = 256;
};
PrivateArch private_arch(const models::Architecture& a);
PrivateArch private_arch(const models::lm::LmConfig& c);

struct MpcSelection {
  std::string method = "full";  // full | static | dynamic-naive | infllm | mpcache
  int budget = 0;               // tokens attended per head (static: tokens kept)
  bool static_eviction = true, approximate = true, hierarchical = true, share_layers = true, parallel_topk = true;
  double static_keep = 0.3;     // mpcache: share of the prompt kept by static eviction (public size)
  double alpha = 0.6, ratio1 = 0.5;
  int cluster1 = 32, cluster2 = 16;
  int block = 128, n_init = 128;  // infllm
};

struct PrivateCost {
  double seconds = 0;
  double bytes = 0;          // all parties, online
  std::int64_t rounds = 0;   // party 0
  PrivateCost& operator+=(const PrivateCost& o);
};

struct PrivateStep {
  std::map<std::string, PrivateCost> by_category;  // measured
  PrivateCost total;         // measured: the step
  PrivateCost declared;      // summed declared costs of the step's ops
  PrivateCost one_time;      // measured: static eviction / cluster summaries after prefill (not per step)
  std::vector<double> logits;  // execute mode: the revealed logits
  int attended = 0;          // KV rows each head attends
};

struct PrivateRun {
  PrivateArch arch;
  MpcSelection selection;
  int context = 512;           // prompt tokens in the cache
  std::string family = "aby3";
  std::uint64_t seed = 1;
  // Execute mode: the small model, its prompt prefilled (KV read from it) and the step's token.
  const models::lm::SmallLm* model = nullptr;
  int token = 0;
};

PrivateStep run_private_decode(const PrivateRun& run, const hardware::LinkProfile& link, const hardware::HostProfile& host);

}  // namespace kvsim::runner
