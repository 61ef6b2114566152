// app/kinds/private_decode.cpp — kind "private-decode": one decode step of a model under MPC
// (private_decode/run.h) for each listed KV method, one after another on a simulated network on the
// point's engine, in cost mode for zoo models or in execute mode on the small trained model. Reports per method the step's
// latency and communication and their breakdown by category, and (MPCache's reproduction) the
// reductions of MPCache against the full cache.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "app/kinds/kinds.h"
#include "app/kinds/private_decode_options.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "private_decode/prompt.h"
#include "private_decode/run.h"
#include "scenarios/binder.h"

namespace kvsim::runner {
namespace {

using private_decode::MpcSelection;
using private_decode::PrivateArch;
using private_decode::PrivateRun;
using private_decode::PrivateStep;
using private_decode::SmallPrompt;

// The scenario, one member per key (scenarios/binder.h).
struct Config {
  struct Model {
    std::string name;
  } model;
  struct Mpc {
    std::string family = "aby3", network = "lan-bumblebee", host = "xeon-server";
  } mpc;
  std::vector<MethodOptions> method;
  struct Workload {
    int context = 512;
    double budget_fraction = 0.1;
    std::string budget_rule = "fraction", output = "logits", count = "step";
    double static_keep = 0.3, ratio2 = 0.1;
    int amortize_tokens = 0;
  } workload;
  std::string row, reduction_of = "mpcache";
  bool rows_are_methods = false;
  std::vector<std::string> ratio;
};

scenarios::Binder<Config> config_binder() {
  using scenarios::Binder;
  Binder<Config::Model> model;
  model.bind("name", &Config::Model::name, "a zoo architecture (cost mode) or \"small\" (execute mode on the trained small model)").required();
  Binder<Config::Mpc> mpc;
  mpc.bind("family", &Config::Mpc::family,
           "protocol: aby3 (3PC, kvsim's recipes), aby3-spu (3PC as SecretFlow-SPU 0.9.1 runs it) or semi2k (2PC with a dealer)")
      .choices({"aby3", "aby3-spu", "semi2k"});
  mpc.bind("network", &Config::Mpc::network, "link profile between the parties");
  mpc.bind("host", &Config::Mpc::host, "host profile charging the parties' local work");
  Binder<MethodOptions> method = method_options_binder();
  method.bind("name", &MethodOptions::name, "label of the method in the output (metric prefix)").required();
  Binder<Config::Workload> work;
  work.bind("context", &Config::Workload::context, "prompt tokens in the KV cache").min(16);
  work.bind("budget_fraction", &Config::Workload::budget_fraction, "every method's budget as a share of the context, unless it sets its own")
      .min(0, true).max(1);
  work.bind("budget_rule", &Config::Workload::budget_rule,
            "fraction: budgets from budget_fraction; keep-times-ratio: the artifact's arithmetic, every method's default budget "
            "static_keep x ratio2 of the context and MPCache's static eviction keeping static_keep")
      .choices({"fraction", "keep-times-ratio"});
  work.bind("static_keep", &Config::Workload::static_keep, "keep-times-ratio: share of the prompt static eviction keeps").min(0, true).max(1);
  work.bind("ratio2", &Config::Workload::ratio2, "keep-times-ratio: share of the kept tokens each step attends").min(0, true).max(1);
  work.bind("output", &Config::Workload::output,
            "logits: the logits are revealed; argmax: an argmax over the vocabulary under MPC, the token revealed (the artifact's)")
      .choices({"logits", "argmax"});
  work.bind("count", &Config::Workload::count,
            "step: the whole step is counted; attention: only scores, softmax, value product, similarity, top-k, one-hot and gather")
      .choices({"step", "attention"});
  work.bind("amortize_tokens", &Config::Workload::amortize_tokens,
            "0: one-time work (static eviction, cluster summaries, block representatives) reported apart; N: 1/N of it added "
            "to every step (a generation of N tokens)")
      .min(0);
  Binder<Config> b;
  b.table("model", &Config::model, "the model", model).required();
  b.table("mpc", &Config::mpc, "protocol and network", mpc);
  b.table_array("method", &Config::method, "the methods compared (the first named `full` is the reference)", method).required();
  b.table("workload", &Config::workload, "the step", work);
  b.bind("row", &Config::row, "the table row this point fills");
  b.bind("reduction_of", &Config::reduction_of, "method whose reductions against `full` are reported");
  b.bind("rows_are_methods", &Config::rows_are_methods, "table rows are the methods, metrics latency_s and comm_mb (ablations)");
  b.bind("ratio", &Config::ratio, "[numerator, denominator]: report their latency ratio as metric `ratio`");
  return b;
}

class PrivateDecodeKind final : public BoundKind<Config> {
 public:
  explicit PrivateDecodeKind(std::shared_ptr<const Resources> res) : BoundKind(config_binder()), res_(std::move(res)) {}
  std::string_view name() const override { return "private-decode"; }
  std::string_view description() const override {
    return "a decode step under MPC (ABY3 / semi2k) with KV selection methods: latency, communication, breakdown";
  }

 protected:
  KindOutput run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
};

// The attention part of a step: the categories of the scores, softmax and value product and of
// the selection (party 0's seconds and rounds inside them, every party's bytes).
private_decode::PrivateCost attention_only(const PrivateStep& s) {
  private_decode::PrivateCost out;
  for (const char* cat : {"attention", "softmax", "similarity", "topk", "one_hot", "gather"}) {
    const auto it = s.by_category.find(cat);
    if (it != s.by_category.end()) out += it->second;
  }
  return out;
}

}  // namespace

KindOutput PrivateDecodeKind::run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const std::string& model_name = c.model.name;
  const int context = c.workload.context;
  const std::string& family = c.mpc.family;
  const auto& cat = res_->catalog();
  const hardware::LinkProfile& link = cat.link(c.mpc.network);
  const hardware::HostProfile& host = cat.host(c.mpc.host);

  std::unique_ptr<models::lm::LmWeights> weights;
  std::unique_ptr<models::lm::SmallLm> lm;
  PrivateArch arch;
  SmallPrompt prompt;
  if (model_name == "small") {
    try {
      weights = std::make_unique<models::lm::LmWeights>(models::lm::load_small_lm(models::lm::default_small_lm_path()));
    } catch (const std::exception& e) {
      throw scenarios::ScenarioError({{where(point, "model.name"), "model.name", e.what()}});
    }
    lm = std::make_unique<models::lm::SmallLm>(*weights);
    prompt = private_decode::prefill_small_prompt(*lm, point.seed(), context);
    arch = private_decode::private_arch(weights->config);
  } else {
    arch = private_decode::private_arch(res_->zoo().get(model_name, where(point, "model.name")));
  }

  KindOutput out;
  const std::string& row = c.row;
  const double nan = std::nan("");
  std::map<std::string, PrivateStep> steps;
  for (std::size_t i = 0; i < c.method.size(); ++i) {
    const MethodOptions& m = c.method[i];
    const std::string key = "method[" + std::to_string(i) + "]";
    MpcSelection sel;
    const bool artifact_budget = c.workload.budget_rule == "keep-times-ratio";
    try {
      sel = selection_of(m, context, artifact_budget ? c.workload.static_keep * c.workload.ratio2 : c.workload.budget_fraction);
      if (artifact_budget) sel.static_keep = c.workload.static_keep;
    } catch (const std::invalid_argument& e) {
      throw scenarios::ScenarioError({{where(point, key + ".cluster1"), key + ".cluster1", e.what()}});
    }
    PrivateRun run;
    run.arch = arch;
    run.selection = sel;
    run.context = context;
    run.family = family;
    run.seed = point.seed();
    run.output = c.workload.output;
    std::vector<std::vector<std::vector<std::int32_t>>> kept;
    if (lm) private_decode::attach_small_prompt(run, *lm, prompt, kept);
    const std::string& name = m.name;
    PrivateStep s = private_decode::run_private_decode(engine, run, link, host);  // parties on the point's engine
    if (c.workload.count == "attention") s.total = attention_only(s);
    if (c.workload.amortize_tokens > 0) {
      const double share = 1.0 / c.workload.amortize_tokens;
      s.total.seconds += share * s.one_time.seconds;
      s.total.bytes += share * s.one_time.bytes;
    }
    steps[name] = s;
    out.metrics.push_back({name + "_s", s.total.seconds, "s"});
    out.metrics.push_back({name + "_bytes", s.total.bytes, "B"});
    out.metrics.push_back({name + "_rounds", static_cast<double>(s.total.rounds), "1"});
    out.metrics.push_back({name + "_attended", static_cast<double>(s.attended), "1"});
    if (s.token >= 0) out.metrics.push_back({name + "_token", static_cast<double>(s.token), "1"});
    out.metrics.push_back({name + "_once_s", s.one_time.seconds, "s"});
    out.metrics.push_back({name + "_once_bytes", s.one_time.bytes, "B"});
    for (const auto& [c, v] : s.by_category) {
      out.metrics.push_back({name + "/" + c + "_s", v.seconds, "s"});
      out.metrics.push_back({name + "/" + c + "_bytes", v.bytes, "B"});
    }
    if (c.rows_are_methods) {
      out.table.push_back({name, "latency_s", "s", s.total.seconds, nan});
      out.table.push_back({name, "comm_mb", "MB", s.total.bytes / 1e6, nan});
    } else if (!row.empty()) {
      out.table.push_back({row, name + "_s", "s", s.total.seconds, nan});
      out.table.push_back({row, name + "_mb", "MB", s.total.bytes / 1e6, nan});
    }
  }
  const std::string& red = c.reduction_of;
  if (steps.count("full") && steps.count(red)) {
    const PrivateStep &f = steps.at("full"), &r = steps.at(red);
    const double lat = f.total.seconds / r.total.seconds, comm = f.total.bytes / r.total.bytes;
    out.metrics.push_back({"latency_reduction", lat, "1"});
    out.metrics.push_back({"comm_reduction", comm, "1"});
    if (!row.empty()) {
      out.table.push_back({row, "latency_reduction", "1", lat, nan});
      out.table.push_back({row, "comm_reduction", "1", comm, nan});
    }
  }
  if (c.ratio.size() == 2) {
    const std::string &num = c.ratio[0], &den = c.ratio[1];
    if (!steps.count(num) || !steps.count(den))
      throw scenarios::ScenarioError({{where(point, "ratio"), "ratio", "names a method that is not listed"}});
    const double r = steps.at(num).total.seconds / steps.at(den).total.seconds;
    out.metrics.push_back({"ratio", r, "1"});
    if (!row.empty()) out.table.push_back({row, "ratio", "1", r, nan});
  } else if (point.tree.contains("ratio")) {
    throw scenarios::ScenarioError({{where(point, "ratio"), "ratio", "expected [numerator, denominator]"}});
  }
  return out;
}

std::unique_ptr<Kind> private_decode_kind(std::shared_ptr<const Resources> res) { return std::make_unique<PrivateDecodeKind>(std::move(res)); }

}  // namespace kvsim::runner
