// app/kinds/decode.cpp — kind "decode": forward steps of a zoo model on a deployment of
// profiled hardware (GPU-resident KV, TriForce-style offloading, or host attention; tensor
// parallelism), charged through the kernel cost model on the engine.
//
// Each step plans the forward (models/step_plan.h), checks memory (models/memory.h; a
// configuration that does not fit stops with the itemized numbers unless on_not_fit = "report"),
// and schedules it on the GPUs' streams (models/execution.h). The context grows by the step's
// query tokens after every step. `kvsim explain` prints one step per layer and kernel.
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "hardware/profile.h"
#include "models/architecture.h"
#include "models/deployment.h"
#include "models/execution.h"
#include "models/memory.h"
#include "models/step_plan.h"

namespace kvsim::runner {
namespace {

using scenarios::Dimension;

struct Config {
  struct Model {
    std::string name;
  } model;
  struct Workload {
    std::int64_t context = 0, query_tokens = 1, attended = 0;
    bool gather_selected = false;
    std::int64_t batch = 1, steps = 1;
    bool sample = true, engine_step = true;
    std::string on_not_fit = "error", context_limit = "model";
  } workload;
  struct Resident {
    std::string name;
    double bytes = 0;
    std::int64_t kv_tokens = 0;
    std::string model;
    const toml::table* table = nullptr;  // for the position of `model` in errors
  };
  std::vector<Resident> resident;
  struct Reference {
    std::optional<double> step_latency, gpu_memory;  // s, B
    std::string source;
  } reference;
};

scenarios::Binder<Config> config_binder() {
  scenarios::Binder<Config::Model> model;
  model.bind("name", &Config::Model::name, "architecture from models/zoo (kvsim list models)").required();
  using W = Config::Workload;
  scenarios::Binder<W> work;
  work.bind("context", &W::context, "tokens in each sequence's KV cache before the first step").required().min(0);
  work.bind("query_tokens", &W::query_tokens, "new tokens per sequence per forward (1 = decode, gamma+1 = verify)").min(1).max(4096);
  work.bind("attended", &W::attended, "tokens each query attends to (0 = the whole cache; else a selection budget)").min(0);
  work.bind("gather_selected", &W::gather_selected, "gather the selected KV into a dense buffer every step");
  work.bind("batch", &W::batch, "sequences decoded together").min(1).max(4096);
  work.bind("steps", &W::steps, "forward steps simulated").min(1).max(1'000'000);
  work.bind("sample", &W::sample, "sample next tokens on the GPU after each forward");
  work.bind("engine_step", &W::engine_step,
            "each step is a decode loop's (the stack's step overhead before the forward, the sampled tokens' "
            "synchronization after it); false: the forward alone, as a per-forward benchmark times it");
  work.bind("on_not_fit", &W::on_not_fit, "what to do when the configuration does not fit in memory").choices({"error", "report"});
  work.bind("context_limit", &W::context_limit, "stop at the model's max context (model) or go beyond it (ignore)")
      .choices({"model", "ignore"});
  using R = Config::Resident;
  scenarios::Binder<R> resident;
  resident.bind("name", &R::name, "what it is").required();
  resident.quantity("bytes", &R::bytes, Dimension::kData, "0 B", "raw bytes per GPU").min(0);
  resident.bind("kv_tokens", &R::kv_tokens, "a KV cache of this many tokens of the model (split over GPUs)").min(0);
  resident.bind("model", &R::model, "weights of another zoo model (replicated on every GPU)");
  resident.self(&R::table);
  using F = Config::Reference;
  scenarios::Binder<F> ref;
  ref.quantity("step_latency", &F::step_latency, Dimension::kTime, "published time per forward").min(0);
  ref.quantity("gpu_memory", &F::gpu_memory, Dimension::kData, "published memory").min(0);
  ref.bind("source", &F::source, "where the figures come from");
  scenarios::Binder<Config> b;
  b.table("model", &Config::model, "the model", model).required();
  b.schema_only("deployment", "the hardware and placement", deployment_schema()).required();
  b.table("workload", &Config::workload, "the steps to simulate", work).required();
  b.table_array("resident", &Config::resident, "extra things held on every GPU (a retrieval cache, a draft model)", resident);
  b.table("reference", &Config::reference, "published figures printed beside the simulated ones", ref);
  return b;
}

class DecodeKind final : public BoundKind<Config> {
 public:
  explicit DecodeKind(std::shared_ptr<const Resources> resources) : BoundKind(config_binder()), res_(std::move(resources)) {}
  std::string_view name() const override { return "decode"; }
  std::string_view description() const override {
    return "forward steps of a model on GPUs (KV on GPU, offloaded, or attended on the host), from hardware profiles";
  }
  bool explain(const scenarios::ScenarioPoint& point, std::ostream& out) const override;

  struct Setup {
    models::Architecture arch;
    models::Deployment dep;
    models::StepShape shape;          // the first step
    std::int64_t steps = 1;
    bool engine_step = true;
    std::vector<models::MemoryItem> residents;
    bool report_not_fit = false;
    double paper_latency = 0;         // from [reference], 0 if absent
    double paper_memory = 0;
    std::string reference_source;
  };
  Setup setup(const Config& c, const scenarios::ScenarioPoint& point) const;

 protected:
  KindOutput run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
};

}  // namespace

DecodeKind::Setup DecodeKind::setup(const Config& c, const scenarios::ScenarioPoint& point) const {
  const Resources& res = *res_;
  Setup s;
  s.arch = res.zoo().get(c.model.name, where(point, "model.name"));
  s.dep = make_deployment(res, point, scenarios::get_table(point.tree, "deployment"), "deployment");
  const models::Deployment& d = s.dep;
  if (s.arch.heads % d.tp || s.arch.kv_heads % d.tp || s.arch.ffn % d.tp) {
    throw scenarios::ScenarioError({{where(point, "deployment.gpus"), "deployment.gpus",
                                     std::to_string(d.tp) + " GPUs do not divide the heads/KV heads/FFN of " + s.arch.name}});
  }
  const Config::Workload& w = c.workload;
  s.shape.batch = w.batch;
  s.shape.q = w.query_tokens;
  s.shape.cached = w.context;
  s.shape.attended = w.attended;
  s.shape.gather_selected = w.gather_selected;
  s.shape.sample = w.sample;
  s.steps = w.steps;
  s.engine_step = w.engine_step;
  s.report_not_fit = w.on_not_fit == "report";
  const std::int64_t last_context = s.shape.cached + s.steps * s.shape.q;
  if (last_context > s.arch.max_context && w.context_limit == "model") {
    throw scenarios::ScenarioError({{where(point, "workload.context"), "workload.context",
                                     "the run reaches " + std::to_string(last_context) + " tokens, beyond " + s.arch.name +
                                         "'s max context of " + std::to_string(s.arch.max_context) +
                                         "; choose a longer-context model or set workload.context_limit = \"ignore\""}});
  }
  for (const Config::Resident& r : c.resident) {
    double bytes = r.bytes;
    bytes += static_cast<double>(r.kv_tokens) * s.arch.kv_bytes_per_token() / d.tp;
    if (!r.model.empty()) {
      const toml::node* mn = r.table->get("model");
      bytes += static_cast<double>(res.zoo().get(r.model, scenarios::location_of(mn->source(), point.file)).weight_bytes());
    }
    s.residents.push_back({r.name, bytes});
  }
  s.paper_latency = c.reference.step_latency.value_or(0);
  s.paper_memory = c.reference.gpu_memory.value_or(0);
  s.reference_source = c.reference.source;
  return s;
}

namespace {

models::StepShape last_step(const DecodeKind::Setup& s) {
  models::StepShape last = s.shape;
  last.cached += (s.steps - 1) * s.shape.q;
  return last;
}

sim::Task<void> decode_steps(sim::Engine& e, models::Machine& m, const DecodeKind::Setup& s,
                             std::vector<models::StepStats>& out) {
  models::StepShape shape = s.shape;
  for (std::int64_t i = 0; i < s.steps; ++i) {
    const auto plan = models::plan_step(s.arch, s.dep, shape);
    models::StepStats st;
    co_await models::run_step(e, m, s.dep, plan, st, s.engine_step);
    out.push_back(std::move(st));
    shape.cached += shape.q;
  }
}

}  // namespace

KindOutput DecodeKind::run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const Setup s = setup(c, point);
  const models::MemoryPlan mem = models::plan_memory(s.arch, s.dep, last_step(s), s.residents);
  KindOutput out;
  out.metrics.push_back({"gpu_memory", mem.gpu_total, "B"});
  out.metrics.push_back({"gpu_memory_capacity", mem.gpu_capacity, "B"});
  out.metrics.push_back({"host_kv", mem.host_kv, "B"});
  out.metrics.push_back({"fits", mem.fits() ? 1.0 : 0.0, "1"});
  for (const auto& it : mem.gpu_items) out.metrics.push_back({"gpu_memory." + it.name, it.bytes, "B"});
  if (!mem.fits()) {
    if (!s.report_not_fit) {
      throw scenarios::ScenarioError({{point.file, "deployment",
                                       "this configuration does not fit in memory (set workload.on_not_fit = \"report\" "
                                       "to record it instead):\n" + mem.describe()}});
    }
    out.metrics.push_back({"step_latency", std::nan(""), "s"});
    return out;
  }

  models::Machine machine = models::make_machine(engine, s.dep);
  std::vector<models::StepStats> stats;
  engine.spawn(decode_steps(engine, machine, s, stats), "decode");
  engine.run();

  double total = 0;
  results::Series lat{"step_latency", "s", {}};
  for (const auto& st : stats) {
    lat.values.push_back(sim::to_seconds(st.latency));
    total += sim::to_seconds(st.latency);
  }
  const double mean = total / static_cast<double>(stats.size());
  const models::StepStats& first = stats.front();
  out.metrics.push_back({"step_latency", mean, "s"});
  out.metrics.push_back({"first_step_latency", sim::to_seconds(first.latency), "s"});
  out.metrics.push_back({"tokens_per_second", static_cast<double>(s.shape.batch * s.shape.q) / mean, "1/s"});
  out.metrics.push_back({"compute_utilization", sim::to_seconds(first.compute_busy) / sim::to_seconds(first.latency), "1"});
  out.metrics.push_back({"h2d_bytes_per_step", first.h2d_bytes, "B"});
  out.metrics.push_back({"h2d_busy_per_step", sim::to_seconds(first.h2d_busy), "s"});
  out.metrics.push_back({"host_busy_per_step", sim::to_seconds(first.host_busy), "s"});
  out.metrics.push_back({"host_issue_per_step", sim::to_seconds(first.host_issue), "s"});
  out.metrics.push_back({"flops_per_step", first.flops, "FLOP"});
  // An upper bound: every GPU at board power for the whole step.
  out.metrics.push_back({"energy_per_step_at_tdp", mean * s.dep.gpu.board_power * s.dep.tp, "J"});
  for (const auto& [cls, d] : first.time_by_class) out.metrics.push_back({"time." + cls, sim::to_seconds(d), "s"});
  if (s.paper_latency > 0) {
    out.metrics.push_back({"paper.step_latency", s.paper_latency, "s"});
    out.metrics.push_back({"rel_error.step_latency", (mean - s.paper_latency) / s.paper_latency, "1"});
  }
  if (s.paper_memory > 0) {
    out.metrics.push_back({"paper.gpu_memory", s.paper_memory, "B"});
    out.metrics.push_back({"rel_error.gpu_memory", (mem.gpu_total - s.paper_memory) / s.paper_memory, "1"});
  }
  out.series.push_back(std::move(lat));
  return out;
}

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string si(double v, const char* unit) {
  const char* p[] = {"", "k", "M", "G", "T", "P"};
  int i = 0;
  while (std::fabs(v) >= 1000 && i < 5) { v /= 1000; ++i; }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g %s%s", v, p[i], unit);
  return buf;
}

}  // namespace

bool DecodeKind::explain(const scenarios::ScenarioPoint& point, std::ostream& out) const {
  const Setup s = setup(config_of(point), point);
  const auto plan = models::plan_step(s.arch, s.dep, s.shape);
  const models::MemoryPlan mem = models::plan_memory(s.arch, s.dep, last_step(s), s.residents);
  out << "# " << point.name() << ": one forward of " << s.arch.name << " on " << s.dep.tp << "x " << s.dep.gpu.name
      << "\n\n";
  out << "model: " << s.arch.description << "; " << si(static_cast<double>(s.arch.params()), "") << " parameters, "
      << si(static_cast<double>(s.arch.weight_bytes()), "B") << " of weights, "
      << si(static_cast<double>(s.arch.kv_bytes_per_token()), "B") << " of KV per token\n";
  out << "deployment: KV " << models::kv_placement_name(s.dep.kv);
  if (s.dep.kv == models::KvPlacement::kOffload) out << " (" << s.dep.on_chip_layers << " layers on chip)";
  out << ", CUDA graphs " << (s.dep.cuda_graphs ? "on" : "off") << ", stack " << s.dep.stack.name << ", host link " << s.dep.host_link.name
      << ", peer link " << s.dep.peer_link.name << "\n";
  out << "step: batch " << s.shape.batch << ", " << s.shape.q << " query token(s), " << s.shape.cached
      << " cached tokens, attending to " << models::attended_tokens(s.shape) << "\n\nmemory per GPU:\n"
      << mem.describe() << '\n';

  // Group consecutive layers whose operations cost the same.
  struct Row { std::string op, cls; double flops, bytes; hardware::Cost cost; };
  std::map<int, std::vector<Row>> by_layer;
  for (const auto& op : plan) {
    const hardware::Cost c = models::op_cost(op, s.dep);
    const std::string cls = op.kind == models::OpKind::kKernel ? std::string(hardware::kernel_class_name(op.work.cls))
                                                               : models::op_kind_name(op.kind);
    by_layer[op.layer].push_back({op.work.name, cls, op.work.flops, op.kind == models::OpKind::kKernel || op.kind == models::OpKind::kHostAttention ? op.work.bytes : op.bytes, c});
  }
  auto same = [](const std::vector<Row>& a, const std::vector<Row>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i].op != b[i].op || a[i].cost.time != b[i].cost.time) return false;
    return true;
  };
  out << "| layers | op | class | FLOPs | bytes | time (us) | bound |\n|---|---|---|---:|---:|---:|---|\n";
  double sum = 0;
  auto print_group = [&](const std::string& label, const std::vector<Row>& rows, int count) {
    for (const auto& r : rows) {
      out << "| " << label << " | " << r.op << " | " << r.cls << " | " << si(r.flops, "") << " | " << si(r.bytes, "B")
          << " | " << fmt("%.2f", sim::to_microseconds(r.cost.time)) << " | " << hardware::bound_name(r.cost.bound) << " |\n";
      sum += count * sim::to_seconds(r.cost.time);
    }
  };
  print_group("pre", by_layer[-1], 1);
  for (int l = 0; l < s.arch.layers;) {
    int e = l + 1;
    while (e < s.arch.layers && same(by_layer[l], by_layer[e])) ++e;
    const std::string label = e - l == 1 ? std::to_string(l) : std::to_string(l) + "-" + std::to_string(e - 1) + " (x" + std::to_string(e - l) + ")";
    print_group(label, by_layer[l], e - l);
    l = e;
  }
  print_group("post", by_layer[-2], 1);

  sim::Engine engine(point.seed());
  models::Machine machine = models::make_machine(engine, s.dep);
  std::vector<models::StepStats> stats;
  Setup one = s;
  one.steps = 1;
  engine.spawn(decode_steps(engine, machine, one, stats), "explain");
  engine.run();
  out << "\nsum of operation times: " << fmt("%.3f", sum * 1e3) << " ms; host issue (" << s.dep.stack.name
      << (s.dep.cuda_graphs ? ", graphed" : ", eager") << "): " << fmt("%.3f", sim::to_seconds(models::host_issue_time(plan)) * 1e3)
      << " ms; scheduled step (copies and host work overlapping compute): " << fmt("%.3f", sim::to_seconds(stats.at(0).latency) * 1e3) << " ms\n";
  if (s.paper_latency > 0) {
    const double sim_ms = sim::to_seconds(stats.at(0).latency) * 1e3;
    out << "reference (" << s.reference_source << "): " << fmt("%.3f", s.paper_latency * 1e3) << " ms; simulated "
        << fmt("%.3f", sim_ms) << " ms (" << fmt("%+.1f", (sim_ms / (s.paper_latency * 1e3) - 1) * 100) << "%)\n";
  }
  if (s.paper_memory > 0) {
    out << "reference memory: " << fmt("%.2f", s.paper_memory / 1e9) << " GB; simulated " << fmt("%.2f", mem.gpu_total / 1e9)
        << " GB (" << fmt("%+.1f", (mem.gpu_total / s.paper_memory - 1) * 100) << "%)\n";
  }
  return true;
}

std::unique_ptr<Kind> decode_kind(std::shared_ptr<const Resources> res) { return std::make_unique<DecodeKind>(std::move(res)); }

}  // namespace kvsim::runner
