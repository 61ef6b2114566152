// app/kinds/solve_cost.cpp — S1: what an answer and a solved problem cost on a GPU.
#include <cmath>
#include <map>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "models/decode_curve.h"
#include "models/serving/answer_cost.h"
#include "models/serving/answer_lengths.h"

namespace kvsim::runner {
namespace {

using models::serving::Answer;
using models::serving::AnswerStats;

class SolveCostKind final : public Kind {
 public:
  explicit SolveCostKind(std::shared_ptr<const Resources> res);
  std::string_view name() const override { return "solve-cost"; }
  std::string_view description() const override {
    return "cost per answer and per solved problem from answer-length statistics (Datarus S1)";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
  scenarios::TableSchema schema_;
};

}  // namespace

using scenarios::TableSchema;

SolveCostKind::SolveCostKind(std::shared_ptr<const Resources> res) : res_(std::move(res)) {
  TableSchema dep = deployment_schema();
  dep.string("name", "row label of this deployment").required();
  TableSchema ans;
  ans.string("label", "row label, e.g. datarus-r1-14b/aime2024").required();
  ans.string("model", "architecture in the zoo").required();
  ans.integer("samples", "answers in the trace").required().min(1).max(1'000'000);
  ans.number("pass_at_1", "share of correct answers").required().min(0).max(1);
  ans.number("mean_tokens", "mean output tokens per answer").required().min(1);
  ans.number("p90_tokens", "90th percentile of output tokens").required().min(1);
  ans.number("cap", "max new tokens (answers at the cap were truncated)").required().min(2);
  ans.number("frac_at_cap", "share of answers that hit the cap").required().min(0).max(0.99);
  TableSchema cmp;
  cmp.string("candidate", "label of the [[answers]] whose trace is scaled").required();
  cmp.string("baseline_model", "the model that emits 1/r times more tokens").required();
  cmp.numbers("token_ratios", "candidate tokens / baseline tokens").required().min(1);
  schema_.integer("prompt_tokens", "prompt length before each answer").defaults(200).min(1);
  schema_.integer("curve_stride", "decode steps simulated every this many tokens (exact between)").defaults(256).min(1);
  schema_.table_array("deployments", "where the answers are decoded", std::move(dep)).required().min(1);
  schema_.table_array("answers", "answer-length statistics per model and dataset", std::move(ans)).required().min(1);
  schema_.table("comparison", "what generating fewer tokens than a baseline means", std::move(cmp));
}

KindOutput SolveCostKind::run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const toml::table& t = point.tree;
  const std::int64_t prompt = scenarios::get_integer(t, "prompt_tokens");
  const std::int64_t stride = scenarios::get_integer(t, "curve_stride");
  KindOutput out;
  const double nan = std::nan("");

  struct Trace {
    std::string label, model;
    std::vector<Answer> answers;
    double cap;
  };
  std::vector<Trace> traces;
  const toml::array& answers = *t["answers"].as_array();
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const toml::table& a = *answers.get(i)->as_table();
    AnswerStats st{scenarios::get_integer(a, "samples"), scenarios::get_number(a, "pass_at_1"),
                   scenarios::get_number(a, "mean_tokens"), scenarios::get_number(a, "p90_tokens"),
                   scenarios::get_number(a, "cap"), scenarios::get_number(a, "frac_at_cap")};
    const std::string label = scenarios::get_string(a, "label");
    sim::Rng rng = engine.random("answers/" + label);
    try {
      traces.push_back({label, scenarios::get_string(a, "model"), models::serving::synthesize_answers(st, rng), st.cap});
    } catch (const std::invalid_argument& e) {
      throw scenarios::ScenarioError({{where(point, "answers"), "answers[" + std::to_string(i) + "]", e.what()}});
    }
    res_->zoo().get(traces.back().model, where(point, "answers"));
    // The trace's own statistics, beside the targets they were fitted to.
    const auto& tr = traces.back().answers;
    double total = 0, correct = 0;
    std::vector<double> lens;
    for (const auto& x : tr) { total += static_cast<double>(x.tokens); correct += x.correct; lens.push_back(static_cast<double>(x.tokens)); }
    std::sort(lens.begin(), lens.end());
    const std::string row = label + "/trace";
    out.table.push_back({row, "tokens_per_answer", "1", total / static_cast<double>(tr.size()), nan});
    out.table.push_back({row, "p90_tokens", "1", lens[static_cast<std::size_t>(0.9 * static_cast<double>(lens.size() - 1))], nan});
    out.table.push_back({row, "pass_at_1", "1", correct / static_cast<double>(tr.size()), nan});
    out.table.push_back({row, "tokens_per_correct", "1", total / correct, nan});
  }

  const toml::array& deps = *t["deployments"].as_array();
  for (std::size_t d = 0; d < deps.size(); ++d) {
    const toml::table& dt = *deps.get(d)->as_table();
    const std::string dname = scenarios::get_string(dt, "name");
    const models::Deployment dep = make_deployment(*res_, point, dt, "deployments[" + std::to_string(d) + "]");
    std::map<std::string, std::unique_ptr<models::DecodeCurve>> curves;
    auto cost_of = [&](const std::string& model, const std::vector<Answer>& trace, double scale, double cap) {
      const models::Architecture& arch = res_->zoo().get(model);
      auto& curve = curves[model];
      if (!curve) curve = std::make_unique<models::DecodeCurve>(arch, dep, 1, stride);
      char scaled[32];
      std::snprintf(scaled, sizeof scaled, "x%.4g", scale);
      return models::serving::decode_answers(engine, dname + "/" + model + "/" + scaled + "/answer", arch, dep, *curve, prompt, trace,
                                             scale, cap);
    };
    for (const auto& tr : traces) {
      const models::serving::AnswerCost c = cost_of(tr.model, tr.answers, 1.0, tr.cap);
      const std::string row = tr.label + "/" + dname;
      out.table.push_back({row, "fits", "1", c.fits ? 1.0 : 0.0, nan});
      out.table.push_back({row, "gpu_s_per_answer", "s", c.fits ? c.gpu_s_per_answer : nan, nan});
      out.table.push_back({row, "gpu_s_per_correct", "s", c.fits ? c.gpu_s_per_correct : nan, nan});
      out.table.push_back({row, "wh_per_correct_at_tdp", "Wh", c.fits ? c.wh_per_correct : nan, nan});
      out.metrics.push_back({row + ".gpu_s_per_correct", c.fits ? c.gpu_s_per_correct : nan, "s"});
    }
    if (const toml::table* cmp = t["comparison"].as_table()) {
      const std::string cand = scenarios::get_string(*cmp, "candidate");
      const std::string base = scenarios::get_string(*cmp, "baseline_model");
      res_->zoo().get(base, where(point, "comparison.baseline_model"));
      auto it = std::find_if(traces.begin(), traces.end(), [&](const Trace& x) { return x.label == cand; });
      if (it == traces.end())
        throw scenarios::ScenarioError({{where(point, "comparison.candidate"), "comparison.candidate", "no [[answers]] labelled '" + cand + "'"}});
      const models::serving::AnswerCost mine = cost_of(it->model, it->answers, 1.0, it->cap);
      for (const auto& rv : *(*cmp)["token_ratios"].as_array()) {
        const double r = rv.value_or(1.0);
        // The baseline writes 1/r times the candidate's tokens for the same answers (equal accuracy).
        const models::serving::AnswerCost theirs = cost_of(base, it->answers, 1.0 / r, it->cap);
        char label[64];
        std::snprintf(label, sizeof label, "vs-%s/r=%.2f/%s", base.c_str(), r, dname.c_str());
        const bool ok = mine.fits && theirs.fits;
        out.table.push_back({label, "time_ratio", "1", ok ? mine.gpu_s_per_answer / theirs.gpu_s_per_answer : nan, nan});
        out.table.push_back({label, "gpu_s_saved_per_answer", "s", ok ? theirs.gpu_s_per_answer - mine.gpu_s_per_answer : nan, nan});
        out.table.push_back({label, "wh_saved_per_answer_at_tdp", "Wh",
                             ok ? (theirs.gpu_s_per_answer - mine.gpu_s_per_answer) * dep.gpu.board_power / 3600.0 : nan, nan});
      }
    }
  }
  return out;
}

std::unique_ptr<Kind> solve_cost_kind(std::shared_ptr<const Resources> res) { return std::make_unique<SolveCostKind>(std::move(res)); }

}  // namespace kvsim::runner
