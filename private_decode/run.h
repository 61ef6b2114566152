// private_decode/run.h — one decode step of a transformer under MPC, written once on the protocol
// operations and run in execute mode (the small model's real weights and
// prompt KV, secret-shared) or cost mode (shapes only, GPT-2 / 7B scale), with a KV selection
// method expressed on the same operations.
//
// Contract:
// - Party 0 holds the model (weights, and the prompt's KV from a plaintext prefill, as MPCache's
//   artifact computes the prompt) and inputs them once, before the step; party 1 (the client)
//   inputs the token. The step: embedding by one-hot matmul, per layer norm, QKV, RoPE (Llama
//   style) or none (GPT-2 style), selection, attention (scores, MPCache's softmax recipe, values),
//   output projection, MLP with SiLU-gated (Llama) or GeLU (GPT-2) activation, residuals; final
//   norm, LM head; then either the logits are revealed (`output` "logits") or, as MPCache's
//   artifact does, an argmax over the vocabulary runs under MPC and only the token is revealed
//   ("argmax"). The embedding's row mask is the family's slice_mask (aby3-spu: SPU's
//   SecretDynamicSlice, an equality per vocabulary row).
// - Every op's declared cost is summed while the op runs; `declared` must equal what the
//   channels measured (tests/private_decode/private_decode_test.cpp).
// - Categories (the paper's breakdown): linear, attention, softmax, similarity, topk, one_hot,
//   gather, other (norms, activations, RoPE, the embedding lookup's one-hot). Time per category is
//   party 0's clock inside it (the engine's simulated time, or wall time over TCP); bytes are
//   summed over all parties.
// - Two worlds: private_decode_party() is one party's program against its Protocol (any
//   Channel); run_private_decode() runs every party on the simulated network, `kvsim party
//   --program private-decode` runs one party per process over TCP. With the same run and seed
//   both reveal the same logits and every party sends the same bytes (tests/app/private_tcp_test.cpp).
// - Selection methods and their public sizes: "full"; "static" (StreamingLLM / H2O / SnapKV
//   after prefill, `static_policy`: the cache holds `budget` tokens, nothing to select per step;
//   the prompt's KV comes from party 0's plaintext prefill, so party 0 inputs the kept rows and
//   the choice costs nothing under MPC — in execute mode they are the plaintext policy's); "dynamic-naive"
//   (token-level: q.K over every token, top-k, one-hot over tokens, gather); "infllm" (block
//   representatives = block mean keys computed once on the shares, top blocks shared by the
//   layer's heads, one-hot over blocks, gather);
//   "mpcache" (static eviction keeps `static_keep` of the prompt, compacted as `static_mode` says; cluster extrema refreshed for the
//   newest cluster; alpha min/max similarity or the exact bound; hierarchical or flat clusters;
//   head-parallel or per-head top-k; adjacent layers sharing the selection; rows of the padded
//   last cluster that a gathered cluster repeats are masked out of the softmax).
// - Weight matrices are FixedOperands prepared at load (semi2k opens each masked weight once).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hardware/profile.h"
#include "models/architecture.h"
#include "models/lm/small_lm.h"
#include "protocols/protocol.h"
#include "sim/engine.h"
#include "sim/task.h"
#include "sim/time.h"

namespace kvsim::private_decode {

struct PrivateArch {
  std::string style = "llama";  // "llama" or "gpt2"
  int layers = 1, d_model = 64, heads = 1, kv_heads = 1, head_dim = 64, ffn = 256, vocab = 256;
  float rope_base = 10000.0f;  // llama: RoPE's base (execute mode takes the checkpoint's)
  std::string activation = "gelu";  // gpt2 style's MLP: "gelu" (GPT-2's gelu_new) or "silu" (ungated); llama's is gated SiLU
};
PrivateArch private_arch(const models::Architecture& a);
PrivateArch private_arch(const models::lm::LmConfig& c);

struct MpcSelection {
  std::string method = "full";  // full | static | dynamic-naive | infllm | mpcache
  std::string static_policy = "streaming";  // static: the plaintext policy that picks the kept rows
  int budget = 0;               // tokens attended per head (static: tokens kept)
  bool static_eviction = true, approximate = true, hierarchical = true, share_layers = true, parallel_topk = true;
  double static_keep = 0.3;     // mpcache: share of the prompt kept by static eviction (public size)
  // mpcache: how static eviction compacts the cache after the prefill (one-time work): "one-hot"
  // (MPC top-k, an order-restoring one-hot, a one-hot gather: nothing revealed), "reveal" (MPC
  // top-k whose kept positions are revealed, then a local take: the positions become public,
  // their keys and values stay secret), "plaintext" (the artifact's: party 0 evicts in its
  // plaintext prefill and inputs only the kept rows).
  std::string static_mode = "one-hot";
  double alpha = 0.6, ratio1 = 0.5;
  int cluster1 = 32, cluster2 = 16;
  int block = 128, n_init = 128;  // infllm
  // infllm's port (the paper does not say how it ported InfLLM): one block choice per layer
  // shared by the heads (InfLLM's) or one per head; the local window of budget / 2 attended as
  // public rows ("public") or run through the selection with the blocks ("gathered").
  bool infllm_per_head = false;
  std::string infllm_local = "public";
  int infllm_local_tokens = 0;  // the local window (0: budget / 2)
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
  std::vector<double> party_bytes;  // measured: bytes each party sent in the step
  std::vector<protocols::Ring> revealed;  // execute mode: the logits as revealed ring elements
  int token = -1;            // execute mode, output "argmax": the revealed token
};

struct PrivateRun {
  PrivateArch arch;
  MpcSelection selection;
  int context = 512;           // prompt tokens in the cache
  std::string family = "aby3";
  std::uint64_t seed = 1;
  std::string output = "logits";  // "logits" (revealed) | "argmax" (under MPC, the token revealed)
  // Execute mode: the small model, its prompt prefilled (KV read from it) and the step's token.
  const models::lm::SmallLm* model = nullptr;
  int token = 0;
  // Execute mode with MPCache's static eviction: [layer] each prompt token's observation score
  // (static_eviction_scores), which party 0 computes in its plaintext prefill and inputs secretly.
  const std::vector<std::vector<double>>* static_scores = nullptr;
  // Execute mode with method "static": [layer][kv_head] the prompt positions the static policy
  // keeps (static_kept_rows), which party 0 computes in its plaintext prefill; it inputs only those
  // rows (their number is public and equal for every head).
  const std::vector<std::vector<std::vector<std::int32_t>>>* static_kept = nullptr;
};

// One party's view of a run: its own step and one-time costs (seconds by its clock, the bytes
// it sent, its rounds), its categories and the declared cost of the ops it ran.
struct PartyResult {
  std::vector<double> logits;
  std::vector<protocols::Ring> revealed;  // the logits as ring elements (empty at a dealer)
  int token = -1;                          // output "argmax": the revealed token
  int attended = 0;
  PrivateCost step, one_time;
  std::map<std::string, PrivateCost> by_category;
  protocols::OpCost declared;
};
using PartyClock = std::function<sim::Time()>;

// Throws std::invalid_argument for a run that cannot be executed.
void check_private_run(const PrivateRun& run);
// One party's program. `run`, `P` must outlive the task. Execute mode needs `run.model` at every
// party (the shapes; only party 0's values enter, and only party 1's token).
sim::Task<PartyResult> private_decode_party(const PrivateRun& run, protocols::Protocol& P, PartyClock clock);
// Every party as a process on `engine`, over a simulated network of `link` between them (their
// local work charged from `host`); runs the engine until the step is done.
PrivateStep run_private_decode(sim::Engine& engine, const PrivateRun& run, const hardware::LinkProfile& link,
                               const hardware::HostProfile& host);

}  // namespace kvsim::private_decode
