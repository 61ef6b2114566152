// private_decode/prompt.cpp — party 0's plaintext prompt side; see prompt.h.
#include "private_decode/prompt.h"

#include "models/kv/attention.h"
#include "models/kv/policy.h"
#include "models/lm/tasks.h"
#include "sim/random.h"

namespace kvsim::private_decode {

std::vector<std::vector<double>> static_eviction_scores(const models::lm::PrefillCapture& capture, const models::lm::SmallLm& lm,
                                                        int n, double obs_fraction) {
  std::vector<std::vector<double>> out;
  const int obs = models::kv::observation_rows(n, obs_fraction);
  for (std::size_t l = 0; l < capture.queries.size(); ++l) {
    const models::lm::MatrixRM mean = models::kv::observation_attention(capture.queries[l], lm.layer_keys(static_cast<int>(l)), n, obs);
    const Eigen::RowVectorXf sums = mean.colwise().sum();
    out.emplace_back(sums.data(), sums.data() + sums.size());
  }
  return out;
}

namespace {
// Forwards to a policy and keeps its last selection of every layer.
class SelectionRecorder final : public models::kv::KvPolicy {
 public:
  explicit SelectionRecorder(models::kv::KvPolicy& inner) : inner_(inner) {}
  std::string_view name() const override { return inner_.name(); }
  void begin(const models::kv::PolicyShape& shape) override {
    KvPolicy::begin(shape);
    inner_.begin(shape);
    last.assign(static_cast<std::size_t>(shape.n_layers), {});
  }
  void prefill(const models::kv::LayerPrefill& l) override { inner_.prefill(l); }
  void select(const models::kv::LayerDecode& l, models::kv::Selection& out) override {
    inner_.select(l, out);
    last[static_cast<std::size_t>(l.layer)] = out;
  }
  void observe(const models::kv::LayerDecode& l, const models::kv::Selection& sel, const std::vector<std::vector<float>>& p) override {
    inner_.observe(l, sel, p);
  }
  std::int64_t resident(int layer, int kv_head) const override { return inner_.resident(layer, kv_head); }
  models::kv::PolicyWork declared_decode_work(const models::kv::PolicyShape& sh, int n) const override {
    return inner_.declared_decode_work(sh, n);
  }
  models::kv::PolicyWork declared_prefill_work(const models::kv::PolicyShape& sh) const override { return inner_.declared_prefill_work(sh); }
  std::vector<models::kv::Selection> last;  // [layer]

 private:
  models::kv::KvPolicy& inner_;
};
}  // namespace

const std::vector<std::string>& static_policies() {
  static const std::vector<std::string> names{"streaming", "h2o", "snapkv", "tova"};
  return names;
}

std::vector<std::vector<std::vector<std::int32_t>>> static_kept_rows(const models::lm::LmWeights& w, const std::vector<int>& prompt,
                                                                     int token, const std::string& policy, int budget) {
  // The catalog's token-sized defaults taken as positions, unscaled: private prompts are a few
  // hundred bytes at budgets of tens (what an MPC run affords), where SnapKV's window scaled to
  // bytes (128) would not fit the budget.
  auto inner = models::kv::make_policy(policy, {{"budget", static_cast<double>(budget)}});
  SelectionRecorder rec(*inner);
  models::lm::SmallLm lm(w);
  lm.prefill(prompt, &rec);
  lm.decode(token, &rec);
  const int n = static_cast<int>(prompt.size()), group = w.config.n_heads / w.config.n_kv_heads;
  std::vector<std::vector<std::vector<std::int32_t>>> out(rec.last.size());
  for (std::size_t l = 0; l < rec.last.size(); ++l)
    for (int g = 0; g < w.config.n_kv_heads; ++g) {
      std::vector<std::int32_t> rows;
      for (std::int32_t t : rec.last[l][static_cast<std::size_t>(g * group)])
        if (t < n) rows.push_back(t);
      out[l].push_back(std::move(rows));
    }
  return out;
}

void attach_small_prompt(PrivateRun& run, const models::lm::SmallLm& lm, const SmallPrompt& prompt,
                         std::vector<std::vector<std::vector<std::int32_t>>>& kept) {
  run.model = &lm;
  run.token = prompt.token;
  run.static_scores = &prompt.static_scores;
  if (run.selection.method == "static") {
    kept = static_kept_rows(lm.weights(), prompt.tokens, prompt.token, run.selection.static_policy, run.selection.budget);
    run.static_kept = &kept;
  }
}

SmallPrompt prefill_small_prompt(models::lm::SmallLm& lm, std::uint64_t seed, int context) {
  sim::Rng rng = sim::RandomStreams(seed).stream("private-decode/prompt");
  // A model trained with a start byte sees it first (the context then holds one byte less of text).
  const int start = lm.config().start_byte;
  const models::lm::Episode e = models::lm::with_start_byte(
      models::lm::passkey_episode(rng, start >= 0 ? context : context + 1, models::lm::Filler::kClassic, ""), start);
  SmallPrompt out;
  out.tokens.assign(e.tokens.begin(), e.tokens.begin() + context);
  out.token = e.tokens[static_cast<std::size_t>(context)];
  models::lm::PrefillCapture capture;
  lm.prefill(out.tokens, nullptr, &capture);
  out.static_scores = static_eviction_scores(capture, lm, context);
  return out;
}

}  // namespace kvsim::private_decode
