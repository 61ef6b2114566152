// models/speculative/acceptance.h — where a speculative scenario's acceptance comes from:
// (a) "small-model": execute mode on kvsim's small trained model, with the real KV policies: the
//     per-token acceptance sum_x min(p_full, p_policy) of the model with a policy's cache drafting
//     for the same model with the full cache, at the scenario's temperature and top-p;
// (b) "parameters": TriForce's per-round rates, converted by models/speculative/math.h;
// (c) "trace": a recorded accept/reject trace, replayed token by token.
//
// Contract: an AcceptanceTrace file (format version 2) starts with the line
// `kvsim-acceptance-trace 2 sha256=<hex>`, the SHA-256 of every byte after that line; then 0/1
// outcomes of successive drafted tokens (whitespace or newline separated; '#' starts a comment).
// A round of gamma drafts consumes outcomes up to and including the first 0, and the file is read
// cyclically. A missing header (an unsealed or version-1 file: tools/trace/seal_acceptance_trace.py
// seals it), a digest mismatch, or anything but 0/1 is an error naming the file and line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/lm/policy_eval.h"
#include "sim/random.h"

namespace kvsim::models::spec {

class AcceptanceTrace {
 public:
  static AcceptanceTrace load(const std::string& path);
  // The same checks on a trace's text already in memory; `path` names it in errors.
  static AcceptanceTrace parse(std::string_view text, const std::string& path);
  // The file's text for outcomes written as `body`: the header line with its digest, then body.
  static std::string seal(std::string_view body);
  // Accepted drafts in a round of `gamma`.
  int round(int gamma);
  // Accepted / (accepted + rejected) over the file: the per-token acceptance it implies.
  double alpha() const;

 private:
  std::vector<std::uint8_t> outcomes_;
  std::size_t next_ = 0;
};

struct SmallModelAcceptance {
  std::string policy = "triforce";  // the cache policy of the drafting model
  int budget = 64;
  int chunk = 8;                    // triforce's chunk size
  int context = 2048;
  int episodes = 6;
  std::string task = "text";        // "text" (held-out fortunes) or "passkey"
  double temperature = 0.6, top_p = 0.9;
  std::uint64_t seed = 1;
};

// Episodes for the measurement (they depend on task, context, count and seed): the raw
// episodes, and one of them prepared (prefilled; a sweep shares them, models/lm/episode_cache.h).
std::vector<models::lm::Episode> small_model_raw_episodes(const SmallModelAcceptance& spec);
models::lm::PreparedEpisode prepare_small_model_episode(const models::lm::LmWeights& weights, models::lm::Episode e,
                                                        const SmallModelAcceptance& spec);
// Per-token acceptance of the policy's model drafting for the full-cache model on those episodes.
double small_model_alpha(const std::vector<models::lm::PreparedEpisode>& episodes, const SmallModelAcceptance& spec);

}  // namespace kvsim::models::spec
