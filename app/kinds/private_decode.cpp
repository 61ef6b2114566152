// app/kinds/private_decode.cpp — kind "private-decode": one decode step of a model under MPC
// (private_decode/run.h) for each listed KV method, on a simulated network on the point's engine (one after another), in cost mode
// for zoo models or in execute mode on the small trained model. Reports per method the step's
// latency and communication and their breakdown by category, and (MPCache's reproduction) the
// reductions of MPCache against the full cache.
#include <cmath>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "private_decode/prompt.h"
#include "private_decode/run.h"

namespace kvsim::runner {
namespace {

class PrivateDecodeKind final : public Kind {
 public:
  explicit PrivateDecodeKind(std::shared_ptr<const Resources> res);
  std::string_view name() const override { return "private-decode"; }
  std::string_view description() const override {
    return "a decode step under MPC (ABY3 / semi2k) with KV selection methods: latency, communication, breakdown";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
  scenarios::TableSchema schema_;
};

}  // namespace

using private_decode::MpcSelection;
using private_decode::PrivateArch;
using private_decode::PrivateRun;
using private_decode::PrivateStep;
using private_decode::SmallPrompt;
using scenarios::TableSchema;

PrivateDecodeKind::PrivateDecodeKind(std::shared_ptr<const Resources> res) : res_(std::move(res)) {
  TableSchema model;
  model.string("name", "a zoo architecture (cost mode) or \"small\" (execute mode on the trained small model)").required();
  TableSchema mpc;
  mpc.string("family", "protocol: aby3 (3PC) or semi2k (2PC with a dealer)").defaults("aby3").choices({"aby3", "semi2k"});
  mpc.string("network", "link profile between the parties").defaults("lan-bumblebee");
  mpc.string("host", "host profile charging the parties' local work").defaults("xeon-server");
  TableSchema method;
  method.string("name", "label of the method in the output (metric prefix)").required();
  method.string("selection", "full | static | dynamic-naive | infllm | mpcache").required()
      .choices({"full", "static", "dynamic-naive", "infllm", "mpcache"});
  method.number("budget_fraction", "tokens attended (static: kept) as a share of the context (default: workload's)")
      .defaults(-1.0).max(1);
  method.integer("budget", "tokens attended; overrides budget_fraction when > 0").defaults(0).min(0);
  method.string("static_policy", "static: the policy whose kept rows the cache holds (execute mode: its plaintext choice)")
      .defaults("streaming").choices(private_decode::static_policies());
  method.boolean("static_eviction", "mpcache: look-once static eviction").defaults(true);
  method.number("static_keep", "mpcache: share of the prompt static eviction keeps (public)").defaults(0.3).min(0, true).max(1);
  method.boolean("approximate_similarity", "mpcache: alpha min/max similarity (else the exact bound)").defaults(true);
  method.boolean("hierarchical", "mpcache: two cluster levels (else level 2 only)").defaults(true);
  method.boolean("share_layers", "mpcache: adjacent layers share selections").defaults(true);
  method.boolean("parallel_topk", "one top-k for all heads (else one per head)").defaults(true);
  method.integer("cluster1", "mpcache level-1 cluster size").defaults(32).min(1);
  method.integer("cluster2", "mpcache level-2 cluster size (1: the token-level port)").defaults(16).min(1);
  method.integer("block", "infllm block size").defaults(128).min(1);
  method.integer("n_init", "infllm initial tokens").defaults(128).min(0);
  TableSchema work;
  work.integer("context", "prompt tokens in the KV cache").defaults(512).min(16);
  work.number("budget_fraction", "every method's budget as a share of the context, unless it sets its own")
      .defaults(0.1).min(0, true).max(1);
  schema_.table("model", "the model", std::move(model)).required();
  schema_.table("mpc", "protocol and network", std::move(mpc));
  schema_.table_array("method", "the methods compared (the first named `full` is the reference)", std::move(method)).required();
  schema_.table("workload", "the step", std::move(work));
  schema_.string("row", "the table row this point fills").defaults("");
  schema_.string("reduction_of", "method whose reductions against `full` are reported").defaults("mpcache");
  schema_.boolean("rows_are_methods", "table rows are the methods, metrics latency_s and comm_mb (ablations)").defaults(false);
  schema_.strings("ratio", "[numerator, denominator]: report their latency ratio as metric `ratio`");
}

KindOutput PrivateDecodeKind::run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const toml::table& t = point.tree;
  const std::string model_name = scenarios::get_string(t, "model.name");
  const int context = static_cast<int>(scenarios::get_integer(t, "workload.context"));
  const auto& cat = res_->catalog();
  const hardware::LinkProfile& link = cat.link(scenarios::get_string(t, "mpc.network"));
  const hardware::HostProfile& host = cat.host(scenarios::get_string(t, "mpc.host"));
  const std::string family = scenarios::get_string(t, "mpc.family");

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
  const std::string row = scenarios::get_string(t, "row");
  const double nan = std::nan("");
  std::map<std::string, PrivateStep> steps;
  const toml::array* methods = t["method"].as_array();
  for (std::size_t i = 0; i < methods->size(); ++i) {
    const toml::table& m = *methods->get(i)->as_table();
    const std::string key = "method[" + std::to_string(i) + "]";
    MpcSelection sel;
    sel.method = m["selection"].value_or(std::string("full"));
    const std::int64_t budget = m["budget"].value_or<std::int64_t>(0);
    const double own = m["budget_fraction"].value_or(-1.0);
    const double fraction = own > 0 ? own : scenarios::get_number(t, "workload.budget_fraction");
    sel.budget = budget > 0 ? static_cast<int>(budget) : std::max(1, static_cast<int>(std::lround(fraction * context)));
    sel.static_policy = m["static_policy"].value_or(std::string("streaming"));
    sel.static_eviction = m["static_eviction"].value_or(true);
    sel.static_keep = m["static_keep"].value_or(0.3);
    sel.approximate = m["approximate_similarity"].value_or(true);
    sel.hierarchical = m["hierarchical"].value_or(true);
    sel.share_layers = m["share_layers"].value_or(true);
    sel.parallel_topk = m["parallel_topk"].value_or(true);
    sel.cluster1 = static_cast<int>(m["cluster1"].value_or<std::int64_t>(32));
    sel.cluster2 = static_cast<int>(m["cluster2"].value_or<std::int64_t>(16));
    sel.block = static_cast<int>(m["block"].value_or<std::int64_t>(128));
    sel.n_init = static_cast<int>(m["n_init"].value_or<std::int64_t>(128));
    if (sel.cluster1 % sel.cluster2 != 0)
      throw scenarios::ScenarioError({{where(point, key + ".cluster1"), key + ".cluster1", "must be a multiple of cluster2"}});
    PrivateRun run;
    run.arch = arch;
    run.selection = sel;
    run.context = context;
    run.family = family;
    run.seed = point.seed();
    std::vector<std::vector<std::vector<std::int32_t>>> kept;
    if (lm) private_decode::attach_small_prompt(run, *lm, prompt, kept);
    const std::string name = m["name"].value_or(std::string("method"));
    const PrivateStep s = private_decode::run_private_decode(engine, run, link, host);  // parties on the point's engine
    steps[name] = s;
    out.metrics.push_back({name + "_s", s.total.seconds, "s"});
    out.metrics.push_back({name + "_mb", s.total.bytes / 1e6, "MB"});
    out.metrics.push_back({name + "_rounds", static_cast<double>(s.total.rounds), "1"});
    out.metrics.push_back({name + "_attended", static_cast<double>(s.attended), "1"});
    out.metrics.push_back({name + "_once_s", s.one_time.seconds, "s"});
    out.metrics.push_back({name + "_once_mb", s.one_time.bytes / 1e6, "MB"});
    for (const auto& [c, v] : s.by_category) {
      out.metrics.push_back({name + "/" + c + "_s", v.seconds, "s"});
      out.metrics.push_back({name + "/" + c + "_mb", v.bytes / 1e6, "MB"});
    }
    if (scenarios::get_bool(t, "rows_are_methods")) {
      out.table.push_back({name, "latency_s", "s", s.total.seconds, nan});
      out.table.push_back({name, "comm_mb", "MB", s.total.bytes / 1e6, nan});
    } else if (!row.empty()) {
      out.table.push_back({row, name + "_s", "s", s.total.seconds, nan});
      out.table.push_back({row, name + "_mb", "MB", s.total.bytes / 1e6, nan});
    }
  }
  const std::string red = scenarios::get_string(t, "reduction_of");
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
  if (const toml::array* ratio = t["ratio"].as_array(); ratio && ratio->size() == 2) {
    const std::string num = ratio->get(0)->value_or(std::string()), den = ratio->get(1)->value_or(std::string());
    if (!steps.count(num) || !steps.count(den))
      throw scenarios::ScenarioError({{where(point, "ratio"), "ratio", "names a method that is not listed"}});
    const double r = steps.at(num).total.seconds / steps.at(den).total.seconds;
    out.metrics.push_back({"ratio", r, "1"});
    if (!row.empty()) out.table.push_back({row, "ratio", "1", r, nan});
  } else if (ratio) {
    throw scenarios::ScenarioError({{where(point, "ratio"), "ratio", "expected [numerator, denominator]"}});
  }
  return out;
}

std::unique_ptr<Kind> private_decode_kind(std::shared_ptr<const Resources> res) { return std::make_unique<PrivateDecodeKind>(std::move(res)); }

}  // namespace kvsim::runner
