// models/lm/policy_eval.h — measures what a KV policy loses on the small model: attention recall,
// attention-output error, next-token agreement with the full cache, retrieval accuracy, perplexity
// change, draft acceptance against the full cache, adjacent-layer overlap of selections, resident
// KV share, and the policy's work per decode step.
//
// Contract: an episode is prefilled once (dense, as every method's prefill is) up to
// `prefill_end` and the policy is attached by replaying the captured prefill to it; the rest of the
// episode is decoded teacher-forced one token at a time through the policy, next to a full-cache
// run of the same tokens. Answer metrics count only answer positions. Two evaluation modes, named
// after the literature that uses them (EvalMode). Recall and output error are measured at every
// decode step, layer and query head against full attention with the same query.
#pragma once

#include <string>
#include <vector>

#include "models/kv/policy.h"
#include "models/lm/proxy_gates.h"
#include "models/lm/small_lm.h"
#include "models/lm/tasks.h"

namespace kvsim::models::lm {

// kQuestionAgnostic: the context is prefilled and compressed before the question exists; the
//   question is decoded through the policy (kvpress' default evaluation: the cache cannot be
//   tailored to one question).
// kWholePrompt: the whole prompt, question included, is the prompt; only its last token and the
//   answer are decoded (the setting of the SnapKV, Quest and TriForce papers, whose released code
//   prefills prompt[:-1] and runs the last prompt token as the first step).
enum class EvalMode { kQuestionAgnostic, kWholePrompt };
const char* eval_mode_name(EvalMode mode);  // "question-agnostic" / "whole-prompt"
// Throws std::invalid_argument listing both names.
EvalMode parse_eval_mode(const std::string& name);

struct EvalOptions {
  EvalMode mode = EvalMode::kWholePrompt;
  double temperature = 0.6;  // for draft acceptance: sum_x min(p_full, p_policy) at this temperature
  double top_p = 0.9;
  // false: only the token-level figures (agreement, accuracy, perplexity, draft acceptance) and the
  // work; the attention measurements against the full cache (recall, output error, overlap, needle
  // kept) and the proxy gates are not computed and read NaN. For callers that use the token-level
  // figures alone (the speculative kind's acceptance): the full-cache reference attention and the
  // gates' second decode pass are most of an episode's decode time.
  bool measure_attention = true;
};

struct PolicyQuality {
  std::string policy;
  int episodes = 0;
  double attention_recall = 0;      // mean share of full attention mass on selected positions
  double output_rel_error = 0;      // mean ||o_sparse - o_full|| / ||o_full||
  double next_token_agreement = 0;  // argmax agreement with the full cache over answer positions
  double answer_accuracy = 0;       // exact match of the greedy (teacher-forced argmax) answer
  double nll_full = 0, nll_policy = 0;  // mean nats per answer byte
  double draft_acceptance = 0;      // mean per-token acceptance of the policy model as a draft
  double adjacent_layer_overlap = 0;  // |S_l n S_l+1| / |S_l|, mean over steps, layers, heads
  double resident_fraction = 0;     // resident KV entries / cache length at the last step
  double attended_fraction = 0;     // selected positions / cache length, mean over steps
  double attended_rows = 0;         // selected positions, mean over steps, layers and query heads
  kv::PolicyWork prefill_work;      // summed over episodes
  kv::PolicyWork decode_work;
  int decode_steps = 0;
  // The share of the needle's positions the policy's selections keep at the steps that predict
  // answer bytes (NaN without a needle), and the model's own gates (proxy_gates.h), mean over
  // episodes (a NaN episode left out).
  double needle_kept = 0;
  ProxyGates gates;
  double ppl_increase() const;      // exp(nll_policy - nll_full) - 1
};

// A prefilled episode that several policies can share.
struct PreparedEpisode {
  Episode episode;
  int prefill_end = 0;
  SmallLm model;
  PrefillCapture capture;
  std::vector<Eigen::VectorXf> full_logits;  // logits predicting tokens[prefill_end + 1 + i] ... per decode step
  Eigen::VectorXf prefill_last_logits;       // predicts tokens[prefill_end]
  ProxyGates gates;                          // of this episode, on the full cache
};

PreparedEpisode prepare_episode(const LmWeights& weights, Episode episode, const EvalOptions& options);

// Runs one policy over prepared episodes (each reused, not modified) and averages.
PolicyQuality evaluate_policy(kv::KvPolicy& policy, const std::vector<PreparedEpisode>& episodes,
                              const EvalOptions& options);

}  // namespace kvsim::models::lm
