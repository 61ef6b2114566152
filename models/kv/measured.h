// models/kv/measured.h — a decorator that forwards to a policy and measures each of its selections
// against full attention with the same query: attention recall (full-attention mass on the selected
// positions), relative error of the attention output, attended share, and the overlap of a head's
// selection with the previous layer's, and (when watched positions are given) the share of them a
// selection keeps. Used on the small model and on imported traces alike.
//
// Contract: also checks the interface contract on every step (selections ascending, ending with the
// newest token) and throws std::logic_error naming the policy when it is broken.
#pragma once

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <string>

#include "models/kv/attention.h"
#include "models/kv/policy.h"

namespace kvsim::models::kv {

// Forwards to the policy under test and measures each selection against full attention.
class MeasuredPolicy final : public KvPolicy {
 public:
  explicit MeasuredPolicy(KvPolicy& inner) : inner_(inner) {}
  std::string_view name() const override { return inner_.name(); }
  void begin(const PolicyShape& shape) override {
    KvPolicy::begin(shape);
    inner_.begin(shape);
    previous_.assign(shape.n_heads, {});
  }
  void prefill(const LayerPrefill& l) override { inner_.prefill(l); }
  void select(const LayerDecode& l, Selection& out) override {
    inner_.select(l, out);
    const int group = shape_.group();
    full_probs_.resize(shape_.n_heads);
    full_out_.resize(shape_.n_heads);
    for (int qh = 0; qh < shape_.n_heads; ++qh) {
      const auto& sel = out[qh];
      if (sel.empty() || sel.back() != l.length - 1 || !std::is_sorted(sel.begin(), sel.end()))
        throw std::logic_error(std::string(inner_.name()) + ": selection must be ascending and end with the newest token");
      if (selects_all(sel, l.length)) continue;
      if (all_.size() != static_cast<std::size_t>(l.length)) all_ = iota_positions(0, l.length);
      attend((*l.queries)[qh], (*l.keys)[qh / group], (*l.values)[qh / group], all_, full_probs_[qh], full_out_[qh]);
    }
  }
  void observe(const LayerDecode& l, const Selection& sel, const std::vector<std::vector<float>>& probs) override {
    const int group = shape_.group();
    for (int qh = 0; qh < shape_.n_heads; ++qh) {
      const auto& s = sel[qh];
      const auto& sparse = probs[qh];
      weighted_rows((*l.values)[qh / group], s, sparse, sparse_out_);  // the runtime's own output
      const bool all = selects_all(s, l.length);
      const std::vector<float>& full = all ? sparse : full_probs_[qh];
      const Eigen::VectorXf& full_out = all ? sparse_out_ : full_out_[qh];
      double mass = 0;
      for (std::size_t i = 0; i < s.size(); ++i) mass += full[all ? i : static_cast<std::size_t>(s[i])];
      recall_sum += mass;
      error_sum += (sparse_out_ - full_out).norm() / std::max(1e-20f, full_out.norm());
      attended_sum += static_cast<double>(s.size()) / l.length;
      attended_rows_sum += static_cast<double>(s.size());
      ++samples;
      if (l.layer > 0 && !previous_[qh].empty()) {
        std::vector<std::int32_t> common;
        std::set_intersection(previous_[qh].begin(), previous_[qh].end(), s.begin(), s.end(), std::back_inserter(common));
        overlap_sum += static_cast<double>(common.size()) / previous_[qh].size();
        ++overlap_samples;
      }
      previous_[qh] = s;
    }
    if (!watched_.empty() && l.length - 1 >= watch_from_)
      for (int qh = 0; qh < shape_.n_heads; ++qh) {
        std::vector<std::int32_t> kept;
        std::set_intersection(watched_.begin(), watched_.end(), sel[qh].begin(), sel[qh].end(), std::back_inserter(kept));
        watched_kept_sum += static_cast<double>(kept.size()) / watched_.size();
        ++watched_samples;
      }
    if (l.layer == shape_.n_layers - 1) {
      for (auto& p : previous_) p.clear();
      last_length = l.length;
    }
    inner_.observe(l, sel, probs);
  }
  std::int64_t resident(int layer, int kv_head) const override { return inner_.resident(layer, kv_head); }
  // From the step whose query sits at position `from_row` on, measure the share of `positions`
  // (ascending; a needle) each selection keeps.
  void watch(std::vector<std::int32_t> positions, int from_row) {
    watched_ = std::move(positions);
    watch_from_ = from_row;
  }
  PolicyWork declared_decode_work(const PolicyShape& s, int n) const override { return inner_.declared_decode_work(s, n); }
  PolicyWork declared_prefill_work(const PolicyShape& s) const override { return inner_.declared_prefill_work(s); }

  double recall_sum = 0, error_sum = 0, attended_sum = 0, attended_rows_sum = 0, overlap_sum = 0, watched_kept_sum = 0;
  long samples = 0, overlap_samples = 0, watched_samples = 0;
  int last_length = 0;

 private:
  // Ascending, ending at length - 1, as long as the cache: every position once.
  static bool selects_all(const std::vector<std::int32_t>& sel, int length) {
    return static_cast<int>(sel.size()) == length && sel.front() == 0 &&
           std::adjacent_find(sel.begin(), sel.end(), [](std::int32_t a, std::int32_t b) { return b != a + 1; }) == sel.end();
  }

  KvPolicy& inner_;
  std::vector<std::vector<std::int32_t>> previous_;
  std::vector<std::int32_t> all_;
  std::vector<std::int32_t> watched_;
  int watch_from_ = 0;
  std::vector<std::vector<float>> full_probs_;
  std::vector<Eigen::VectorXf> full_out_;
  Eigen::VectorXf sparse_out_;
};

}  // namespace kvsim::models::kv
