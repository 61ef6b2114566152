// models/lm/policy_eval.cpp — see policy_eval.h.
#include "models/lm/policy_eval.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "models/kv/attention.h"
#include "models/kv/measured.h"
#include "models/speculative/math.h"

namespace kvsim::models::lm {
namespace {

int argmax(const Eigen::VectorXf& v) {
  Eigen::Index i;
  v.maxCoeff(&i);
  return static_cast<int>(i);
}

std::vector<double> to_doubles(const Eigen::VectorXf& v) { return {v.data(), v.data() + v.size()}; }

}  // namespace

const char* eval_mode_name(EvalMode mode) {
  return mode == EvalMode::kWholePrompt ? "whole-prompt" : "question-agnostic";
}

EvalMode parse_eval_mode(const std::string& name) {
  if (name == "whole-prompt") return EvalMode::kWholePrompt;
  if (name == "question-agnostic") return EvalMode::kQuestionAgnostic;
  throw std::invalid_argument("unknown evaluation mode '" + name + "' (whole-prompt or question-agnostic)");
}

double PolicyQuality::ppl_increase() const { return std::exp(nll_policy - nll_full) - 1.0; }

PreparedEpisode prepare_episode(const LmWeights& weights, Episode episode, const EvalOptions& options) {
  if (episode.answer_end <= episode.answer_begin || episode.answer_begin < 2)
    throw std::invalid_argument("episode without an answer span");
  PreparedEpisode p{with_start_byte(std::move(episode), weights.config.start_byte), 0, SmallLm(weights), {}, {}, {}, {}};
  const auto& e = p.episode;
  // The first answer byte must be predicted by a decode step, so at least the last question byte
  // goes through the policy.
  p.prefill_end = options.mode == EvalMode::kWholePrompt ? e.answer_begin - 1 : std::min(e.question_begin, e.answer_begin - 1);
  p.prefill_end = std::max(1, p.prefill_end);
  const std::span<const int> tokens(e.tokens);
  const MatrixRM logits = p.model.prefill(tokens.first(p.prefill_end), nullptr, &p.capture);
  p.prefill_last_logits = logits.row(p.prefill_end - 1).transpose();
  SmallLm full = p.model;
  for (int t = p.prefill_end; t < e.answer_end - 1; ++t) p.full_logits.push_back(full.decode(e.tokens[t]));
  // SnapKV's default observation window in this model's positions, and as many top positions.
  const int window = static_cast<int>(kv::resolve_policy_params("snapkv", {}, weights.config.positions_per_token()).at("window"));
  if (options.measure_attention) {
    p.gates = measure_proxy_gates(e, p.model, p.prefill_end, p.capture.queries, window, window);
  } else {
    const double nan = std::nan("");
    p.gates.question_needle_mass = p.gates.answer_needle_mass = p.gates.sink_mass = p.gates.window_answer_overlap = nan;
  }
  return p;
}

PolicyQuality evaluate_policy(kv::KvPolicy& policy, const std::vector<PreparedEpisode>& episodes,
                              const EvalOptions& options) {
  PolicyQuality q;
  q.policy = std::string(policy.name());
  double agree = 0, correct = 0, nll_full = 0, nll_policy = 0, accept = 0, resident = 0;
  long answer_positions = 0;
  double recall = 0, error = 0, attended = 0, attended_rows = 0, overlap = 0, needle_kept = 0;
  long samples = 0, overlap_samples = 0, needle_samples = 0;
  // Gates: a mean over the episodes that define each (a needle gate is NaN on held-out text).
  std::vector<double> gate_sum(4, 0.0), gate_n(4, 0.0);
  auto add_gate = [&](int i, double v) {
    if (!std::isnan(v)) gate_sum[i] += v, gate_n[i] += 1;
  };
  for (const auto& ep : episodes) {
    const auto& e = ep.episode;
    SmallLm m = ep.model;
    const auto& c = m.config();
    kv::MeasuredPolicy measured(policy);
    kv::KvPolicy& runtime = options.measure_attention ? static_cast<kv::KvPolicy&>(measured) : policy;
    runtime.begin({c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, ep.prefill_end});
    measured.watch({e.needle.begin(), e.needle.end()}, e.answer_begin - 1);
    add_gate(0, ep.gates.question_needle_mass);
    add_gate(1, ep.gates.answer_needle_mass);
    add_gate(2, ep.gates.sink_mass);
    add_gate(3, ep.gates.window_answer_overlap);
    q.gates.window = ep.gates.window, q.gates.top = ep.gates.top;
    for (int l = 0; l < c.n_layers; ++l)
      runtime.prefill({l, ep.prefill_end, &ep.capture.queries[l], &m.layer_keys(l), &m.layer_values(l), &ep.capture.softmax[l]});
    bool all_right = true;
    for (int t = ep.prefill_end, step = 0; t < e.answer_end - 1; ++t, ++step) {
      const Eigen::VectorXf logits = m.decode(e.tokens[t], &runtime);
      ++q.decode_steps;
      const int target = t + 1;
      if (target < e.answer_begin) continue;
      const Eigen::VectorXf& full = ep.full_logits[step];
      const int mine = argmax(logits);
      agree += mine == argmax(full);
      all_right = all_right && mine == e.tokens[target];
      nll_policy -= log_softmax(logits)[e.tokens[target]];
      nll_full -= log_softmax(full)[e.tokens[target]];
      const auto p = spec::distribution(to_doubles(full), options.temperature, options.top_p);
      const auto d = spec::distribution(to_doubles(logits), options.temperature, options.top_p);
      double overlap_mass = 0;
      for (std::size_t i = 0; i < p.size(); ++i) overlap_mass += std::min(p[i], d[i]);
      accept += overlap_mass;
      ++answer_positions;
    }
    correct += all_right;
    double res = 0;
    for (int l = 0; l < c.n_layers; ++l)
      for (int h = 0; h < c.n_kv_heads; ++h) res += static_cast<double>(policy.resident(l, h)) / m.length();
    resident += res / (c.n_layers * c.n_kv_heads);
    recall += measured.recall_sum;
    error += measured.error_sum;
    attended += measured.attended_sum;
    attended_rows += measured.attended_rows_sum;
    samples += measured.samples;
    overlap += measured.overlap_sum;
    overlap_samples += measured.overlap_samples;
    needle_kept += measured.watched_kept_sum;
    needle_samples += measured.watched_samples;
    q.prefill_work += policy.prefill_work();
    q.decode_work += policy.decode_work();
  }
  q.episodes = static_cast<int>(episodes.size());
  const double n = std::max<long>(1, answer_positions);
  q.next_token_agreement = agree / n;
  q.answer_accuracy = episodes.empty() ? 0 : correct / episodes.size();
  q.nll_full = nll_full / n;
  q.nll_policy = nll_policy / n;
  q.draft_acceptance = accept / n;
  q.resident_fraction = episodes.empty() ? 0 : resident / episodes.size();
  q.attention_recall = recall / std::max<long>(1, samples);
  q.output_rel_error = error / std::max<long>(1, samples);
  q.attended_fraction = attended / std::max<long>(1, samples);
  q.attended_rows = attended_rows / std::max<long>(1, samples);
  q.adjacent_layer_overlap = overlap_samples ? overlap / overlap_samples : 1.0;
  const double nan = std::nan("");
  q.needle_kept = needle_samples ? needle_kept / needle_samples : nan;
  if (!options.measure_attention)
    q.attention_recall = q.output_rel_error = q.attended_fraction = q.attended_rows = q.adjacent_layer_overlap = nan;
  auto gate = [&](int i) { return gate_n[i] > 0 ? gate_sum[i] / gate_n[i] : nan; };
  q.gates.question_needle_mass = gate(0);
  q.gates.answer_needle_mass = gate(1);
  q.gates.sink_mass = gate(2);
  q.gates.window_answer_overlap = gate(3);
  return q;
}

}  // namespace kvsim::models::lm
