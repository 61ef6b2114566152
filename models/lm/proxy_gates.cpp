// models/lm/proxy_gates.cpp — see proxy_gates.h.
#include "models/lm/proxy_gates.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "models/kv/attention.h"

namespace kvsim::models::lm {
namespace {

// Attends to every position and keeps each step's queries: the full cache, recorded.
class QueryRecorder final : public kv::KvPolicy {
 public:
  std::string_view name() const override { return "query-recorder"; }
  void prefill(const kv::LayerPrefill&) override {}
  void select(const kv::LayerDecode& l, kv::Selection& out) override {
    for (auto& s : out) s = kv::iota_positions(0, l.length);
    if (static_cast<int>(queries.size()) <= l.layer) queries.resize(static_cast<std::size_t>(l.layer) + 1);
    queries[static_cast<std::size_t>(l.layer)].push_back(*l.queries);
  }
  std::int64_t resident(int, int) const override { return 0; }
  kv::PolicyWork declared_decode_work(const kv::PolicyShape&, int) const override { return {}; }
  kv::PolicyWork declared_prefill_work(const kv::PolicyShape&) const override { return {}; }
  std::vector<std::vector<std::vector<Eigen::VectorXf>>> queries;  // [layer][step][q_head]
};

double mean_of(const MatrixRM& p, int row_begin, int row_end, int p_first_row, const std::vector<int>& columns) {
  double sum = 0;
  for (int r = row_begin; r < row_end; ++r)
    for (int c : columns) sum += p(r - p_first_row, c);
  return sum / std::max(1, row_end - row_begin);
}

}  // namespace

ProxyGates measure_proxy_gates(const Episode& e, const SmallLm& prefilled, int prefill_end,
                               const std::vector<std::vector<MatrixRM>>& prefill_queries, int window, int top) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ProxyGates g;
  g.window = window;
  g.top = top;
  const auto& c = prefilled.config();
  SmallLm model = prefilled;
  QueryRecorder rec;
  rec.begin({c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, prefill_end});
  const int length = e.answer_end - 1;  // every row that predicts an answer byte has run
  for (int t = prefill_end; t < length; ++t) model.decode(e.tokens[static_cast<std::size_t>(t)], &rec);

  const int q_begin = e.question_begin, a_begin = e.answer_begin - 1, a_end = e.answer_end - 1;
  const int older = e.answer_begin - window;  // positions before SnapKV's observation window
  const int lo = std::max(0, std::min({q_begin, a_begin, older}));
  double question_best = -1, answer_best = -1, sink = 0, overlap = 0;
  int heads = 0;
  MatrixRM q_all, probs;
  for (int l = 0; l < c.n_layers; ++l)
    for (int qh = 0; qh < c.n_heads; ++qh) {
      // Rows by position: the captured prefill queries, then the decoded steps'.
      q_all.resize(length, c.head_dim);
      q_all.topRows(prefill_end) = prefill_queries[l][qh].topRows(prefill_end);
      for (int t = prefill_end; t < length; ++t)
        q_all.row(t) = rec.queries[l][static_cast<std::size_t>(t - prefill_end)][qh].transpose();
      kv::causal_attention_rows(q_all, model.layer_keys(l)[qh / c.group()], lo, length, length, probs);
      if (!e.needle.empty()) {
        if (q_begin < a_begin) question_best = std::max(question_best, mean_of(probs, q_begin, a_begin, lo, e.needle));
        answer_best = std::max(answer_best, mean_of(probs, a_begin, a_end, lo, e.needle));
      }
      sink += mean_of(probs, std::min(q_begin, a_begin), a_end, lo, {0});
      if (older > 0) {
        std::vector<float> vote(static_cast<std::size_t>(older), 0.f), target(static_cast<std::size_t>(older), 0.f);
        for (int r = older; r < e.answer_begin; ++r)
          for (int j = 0; j < older; ++j) vote[j] += probs(r - lo, j);
        for (int r = a_begin; r < a_end; ++r)
          for (int j = 0; j < older; ++j) target[j] += probs(r - lo, j);
        const auto a = kv::top_k(vote, top), b = kv::top_k(target, top);
        std::vector<std::int32_t> common;
        std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));
        overlap += static_cast<double>(common.size()) / std::max<std::size_t>(1, a.size());
      }
      ++heads;
    }
  g.question_needle_mass = question_best < 0 ? nan : question_best;
  g.answer_needle_mass = answer_best < 0 ? nan : answer_best;
  g.sink_mass = sink / heads;
  g.window_answer_overlap = older > 0 ? overlap / heads : nan;
  return g;
}

}  // namespace kvsim::models::lm
