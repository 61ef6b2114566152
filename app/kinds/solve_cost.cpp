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

struct Config {
  std::int64_t prompt_tokens = 200, curve_stride = 256;
  struct Deployment {
    std::string name;
    const toml::table* table = nullptr;  // read by make_deployment()
  };
  std::vector<Deployment> deployments;
  struct Answers {
    std::string label, model;
    std::int64_t samples = 0;
    double pass_at_1 = 0, mean_tokens = 0, p90_tokens = 0, cap = 0, frac_at_cap = 0;
  };
  std::vector<Answers> answers;
  struct Comparison {
    std::string candidate, baseline_model;
    std::vector<double> token_ratios;
  } comparison;
};

scenarios::Binder<Config> config_binder() {
  using D = Config::Deployment;
  scenarios::Binder<D> dep;
  dep.schema() = deployment_schema();
  dep.bind("name", &D::name, "row label of this deployment").required();
  dep.self(&D::table);
  using A = Config::Answers;
  scenarios::Binder<A> ans;
  ans.bind("label", &A::label, "row label, e.g. datarus-r1-14b/aime2024").required();
  ans.bind("model", &A::model, "architecture in the zoo").required();
  ans.bind("samples", &A::samples, "answers in the trace").required().min(1).max(1'000'000);
  ans.bind("pass_at_1", &A::pass_at_1, "share of correct answers").required().min(0).max(1);
  ans.bind("mean_tokens", &A::mean_tokens, "mean output tokens per answer").required().min(1);
  ans.bind("p90_tokens", &A::p90_tokens, "90th percentile of output tokens").required().min(1);
  ans.bind("cap", &A::cap, "max new tokens (answers at the cap were truncated)").required().min(2);
  ans.bind("frac_at_cap", &A::frac_at_cap, "share of answers that hit the cap").required().min(0).max(0.99);
  using C = Config::Comparison;
  scenarios::Binder<C> cmp;
  cmp.bind("candidate", &C::candidate, "label of the [[answers]] whose trace is scaled").required();
  cmp.bind("baseline_model", &C::baseline_model, "the model that emits 1/r times more tokens").required();
  cmp.bind("token_ratios", &C::token_ratios, "candidate tokens / baseline tokens").required().min(1);
  scenarios::Binder<Config> b;
  b.bind("prompt_tokens", &Config::prompt_tokens, "prompt length before each answer").min(1);
  b.bind("curve_stride", &Config::curve_stride, "decode steps simulated every this many tokens (exact between)").min(1);
  b.table_array("deployments", &Config::deployments, "where the answers are decoded", dep).required().min(1);
  b.table_array("answers", &Config::answers, "answer-length statistics per model and dataset", ans).required().min(1);
  b.table("comparison", &Config::comparison, "what generating fewer tokens than a baseline means", cmp);
  return b;
}

class SolveCostKind final : public BoundKind<Config> {
 public:
  explicit SolveCostKind(std::shared_ptr<const Resources> res) : BoundKind(config_binder()), res_(std::move(res)) {}
  std::string_view name() const override { return "solve-cost"; }
  std::string_view description() const override {
    return "cost per answer and per solved problem from answer-length statistics (Datarus S1)";
  }

 protected:
  KindOutput run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
};

}  // namespace

KindOutput SolveCostKind::run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const std::int64_t prompt = c.prompt_tokens, stride = c.curve_stride;
  KindOutput out;
  const double nan = std::nan("");

  struct Trace {
    std::string label, model;
    std::vector<Answer> answers;
    double cap;
  };
  std::vector<Trace> traces;
  for (std::size_t i = 0; i < c.answers.size(); ++i) {
    const Config::Answers& a = c.answers[i];
    const AnswerStats st{a.samples, a.pass_at_1, a.mean_tokens, a.p90_tokens, a.cap, a.frac_at_cap};
    const std::string& label = a.label;
    sim::Rng rng = engine.random("answers/" + label);
    try {
      traces.push_back({label, a.model, models::serving::synthesize_answers(st, rng), st.cap});
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

  for (std::size_t d = 0; d < c.deployments.size(); ++d) {
    const std::string& dname = c.deployments[d].name;
    const models::Deployment dep = make_deployment(*res_, point, *c.deployments[d].table, "deployments[" + std::to_string(d) + "]");
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
      const models::serving::AnswerCost cost = cost_of(tr.model, tr.answers, 1.0, tr.cap);
      const std::string row = tr.label + "/" + dname;
      out.table.push_back({row, "fits", "1", cost.fits ? 1.0 : 0.0, nan});
      out.table.push_back({row, "gpu_s_per_answer", "s", cost.fits ? cost.gpu_s_per_answer : nan, nan});
      out.table.push_back({row, "gpu_s_per_correct", "s", cost.fits ? cost.gpu_s_per_correct : nan, nan});
      out.table.push_back({row, "wh_per_correct_at_tdp", "Wh", cost.fits ? cost.wh_per_correct : nan, nan});
      out.metrics.push_back({row + ".gpu_s_per_correct", cost.fits ? cost.gpu_s_per_correct : nan, "s"});
    }
    {
      const std::string& cand = c.comparison.candidate;
      const std::string& base = c.comparison.baseline_model;
      res_->zoo().get(base, where(point, "comparison.baseline_model"));
      auto it = std::find_if(traces.begin(), traces.end(), [&](const Trace& x) { return x.label == cand; });
      if (it == traces.end())
        throw scenarios::ScenarioError({{where(point, "comparison.candidate"), "comparison.candidate", "no [[answers]] labelled '" + cand + "'"}});
      const models::serving::AnswerCost mine = cost_of(it->model, it->answers, 1.0, it->cap);
      for (const double r : c.comparison.token_ratios) {
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
