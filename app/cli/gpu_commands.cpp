// app/cli/gpu_commands.cpp — `kvsim calibration` (simulated vs published per-forward costs),
// `kvsim compare-gpu` (simulated vs measured forwards from tools/gpu/time_decode.py and
// tools/gpu/triforce_costs.py) and `kvsim compare-stack` (the stack and host profiles vs the host
// costs tools/gpu/triforce_costs.py measured).
#include <boost/program_options.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "app/cli/cli.h"
#include "app/cli/options.h"
#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/run_point.h"
#include "hardware/profile.h"
#include "models/architecture.h"
#include "models/decode_curve.h"
#include "models/speculative/triforce_loop.h"

namespace kvsim::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {
double metric(const results::RunRecord& r, const std::string& name) {
  for (const auto& m : r.metrics) if (m.name == name) return m.value;
  return std::nan("");
}
}  // namespace

int cmd_calibration(const Args& args) {
  if (!args.empty()) {
    std::cout << "usage: kvsim calibration\n\nRuns every scenario in scenarios/calibration/ and prints the simulated\n"
                 "per-forward time and memory beside the published figure each profile constant was fitted to.\n";
    return args[0] == "--help" || args[0] == "-h" ? kExitOk : kExitUsage;
  }
  const runner::KindRegistry kinds = runner::builtin_kinds();
  const fs::path dir = fs::path(scenario_dir()) / "calibration";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) if (e.path().extension() == ".toml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::cout << "| scenario | simulated ms | paper ms | error | simulated GB | paper GB | error | source |\n"
               "|---|---:|---:|---:|---:|---:|---:|---|\n";
  for (const auto& f : files) {
    const auto points = scenarios::resolve(f.string(), {}, kinds.lookup());
    const results::RunRecord r = runner::run_point(points.at(0), kinds);
    const toml::table& t = points[0].tree;
    char line[512], paper_mem[32] = "", mem_err[32] = "";
    const double pm = metric(r, "paper.gpu_memory");
    if (!std::isnan(pm)) {
      std::snprintf(paper_mem, sizeof paper_mem, "%.2f", pm / 1e9);
      std::snprintf(mem_err, sizeof mem_err, "%+.1f%%", metric(r, "rel_error.gpu_memory") * 100);
    }
    std::snprintf(line, sizeof line, "| %s | %.3f | %.3f | %+.1f%% | %.2f | %s | %s | %s |\n", f.stem().c_str(),
                  metric(r, "step_latency") * 1e3, metric(r, "paper.step_latency") * 1e3,
                  metric(r, "rel_error.step_latency") * 100, metric(r, "gpu_memory") / 1e9, paper_mem, mem_err,
                  t["reference"]["source"].value_or(std::string()).c_str());
    std::cout << line;
  }
  return kExitOk;
}

int cmd_compare_gpu(const Args& args) {
  po::options_description opts("kvsim compare-gpu options");
  opts.add_options()
      ("csv", po::value<std::string>()->required(), "CSV written by tools/gpu/time_decode.py")
      ("gpu", po::value<std::string>()->required(), "GPU profile to predict with (kvsim list hardware)")
      ("cuda-graphs", po::bool_switch(), "predict with CUDA-graph launch costs (the script runs eager)");
  po::positional_options_description pos;
  pos.add("csv", 1);
  const Parsed p = parse(args, opts, pos, "kvsim compare-gpu CSV --gpu PROFILE [--cuda-graphs]");
  if (p.help) return kExitOk;
  const po::variables_map& vm = p.vm;
  const std::string path = vm["csv"].as<std::string>();
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read '" + path + "'");
  const hardware::Catalog cat = hardware::Catalog::load(hardware::Catalog::default_dir());
  cat.gpu(vm["gpu"].as<std::string>(), nullptr, "--gpu");  // an unknown name fails here, naming --gpu
  models::Deployment dep = models::standard_deployment(cat, vm["gpu"].as<std::string>());
  dep.cuda_graphs = vm["cuda-graphs"].as<bool>();

  std::string line;
  auto next_line = [&](std::string& l) -> bool {  // CSV files may end lines with CR LF
    if (!std::getline(in, l)) return false;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    return true;
  };
  next_line(line);
  std::vector<std::string> header;
  {
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) header.push_back(c);
  }
  auto col = [&](const char* name) -> std::size_t {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw UsageError(path + ":1: missing column '" + name + "'");
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t c_layers = col("layers"), c_hidden = col("hidden"), c_heads = col("heads"), c_kv = col("kv_heads"),
                    c_ffn = col("ffn"), c_vocab = col("vocab"), c_ctx = col("context"), c_q = col("query_tokens"),
                    c_batch = col("batch"), c_ms = col("median_ms"), c_gpu = col("gpu");
  // Optional columns (tools/gpu/triforce_costs.py): what each row measured and whether it ran as a
  // CUDA graph, which then overrides --cuda-graphs for that row.
  auto optional_col = [&](const char* name) -> std::ptrdiff_t {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : it - header.begin();
  };
  const std::ptrdiff_t c_graphs = optional_col("cuda_graphs"), c_what = optional_col("measurement");
  std::cout << "| measured on | what | query tokens | context | graphs | measured ms | kvsim ms (" << dep.gpu.name
            << ") | error |\n|---|---|---:|---:|---|---:|---:|---:|\n";
  int n = 1;
  double sum_abs = 0;
  int rows = 0;
  while (next_line(line)) {
    ++n;
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) f.push_back(c);
    if (f.size() != header.size()) throw UsageError(path + ":" + std::to_string(n) + ": expected " + std::to_string(header.size()) + " fields");
    auto num = [&](std::size_t i) {
      try {
        return std::stod(f[i]);
      } catch (const std::exception&) {
        throw UsageError(path + ":" + std::to_string(n) + ": " + header[i] + ": not a number: '" + f[i] + "'");
      }
    };
    models::Architecture a;
    a.name = "csv";
    a.layers = static_cast<std::int64_t>(num(c_layers));
    a.hidden = static_cast<std::int64_t>(num(c_hidden));
    a.heads = static_cast<std::int64_t>(num(c_heads));
    a.kv_heads = static_cast<std::int64_t>(num(c_kv));
    a.head_dim = a.hidden / a.heads;
    a.ffn = static_cast<std::int64_t>(num(c_ffn));
    a.vocab = static_cast<std::int64_t>(num(c_vocab));
    a.norm = "rmsnorm";
    a.activation = "swiglu";
    a.position = "rope";
    a.bias = "none";
    a.dtype = "fp16";
    const auto cached = static_cast<std::int64_t>(num(c_ctx));
    models::Deployment row_dep = dep;
    if (c_graphs >= 0) row_dep.cuda_graphs = num(static_cast<std::size_t>(c_graphs)) != 0;
    // sample = false: the scripts time the forward up to the logits.
    const auto q = static_cast<std::int64_t>(num(c_q));
    const double sim_ms = models::simulate_forward(a, row_dep, static_cast<std::int64_t>(num(c_batch)), q, cached, false) * 1e3;
    const double meas = num(c_ms);
    char buf[384];
    std::snprintf(buf, sizeof buf, "| %s | %s | %lld | %lld | %s | %.3f | %.3f | %+.1f%% |\n", f[c_gpu].c_str(),
                  c_what >= 0 ? f[static_cast<std::size_t>(c_what)].c_str() : "decode", static_cast<long long>(q),
                  static_cast<long long>(cached), row_dep.cuda_graphs ? "yes" : "no", meas, sim_ms, (sim_ms / meas - 1) * 100);
    std::cout << buf;
    sum_abs += std::fabs(sim_ms / meas - 1);
    ++rows;
  }
  if (rows > 0) std::printf("\nmean absolute error: %.1f%% over %d rows\n", 100 * sum_abs / rows, rows);
  return kExitOk;
}

int cmd_compare_stack(const Args& args) {
  po::options_description opts("kvsim compare-stack options");
  opts.add_options()
      ("csv", po::value<std::string>()->required(), "host-costs CSV written by tools/gpu/triforce_costs.py --host-out")
      ("stack", po::value<std::string>()->default_value("pytorch"), "software-stack profile (hardware/profiles/stack)")
      ("host", po::value<std::string>()->default_value("epyc-9754"), "host profile for the CPU attention rows");
  po::positional_options_description pos;
  pos.add("csv", 1);
  const Parsed p = parse(args, opts, pos, "kvsim compare-stack CSV [--stack pytorch] [--host epyc-9754]");
  if (p.help) return kExitOk;
  const std::string path = p.vm["csv"].as<std::string>();
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read '" + path + "'");
  const hardware::Catalog cat = hardware::Catalog::load(hardware::Catalog::default_dir());
  const hardware::StackProfile st = cat.stack(p.vm["stack"].as<std::string>(), nullptr, "--stack");
  const hardware::HostProfile host = cat.host(p.vm["host"].as<std::string>(), nullptr, "--host");
  const models::Zoo zoo = models::Zoo::load(models::Zoo::default_dir());
  models::Deployment dep = models::standard_deployment(cat, "a100-80gb-sxm");
  dep.stack = st;
  models::spec::LevelCosts levels(zoo.get("yarn-llama2-7b-128k"), zoo.get("llama-68m"), dep, 1);
  auto us = [](sim::Duration d) { return sim::to_seconds(d) * 1e6; };
  const double iteration_us = us(models::spec::kMiddleIteration.ops * st.op_issue + models::spec::kMiddleIteration.syncs * st.sync +
                                 2 * st.graph_replay);
  // kvsim's value for each measurement the script writes (the tiny CPU shapes have none).
  const std::map<std::string, std::pair<double, std::string>> kvsim = {
      {"op_issue_us_linear", {us(st.op_issue), "us"}},
      {"op_issue_us_add", {us(st.op_issue), "us"}},
      {"sync_us_item", {us(st.sync), "us"}},
      {"middle_iteration_host_ms", {iteration_us / 1e3, "ms"}},
      {"full_eager_issue_ms_q7", {us(levels.forward(models::spec::Level::kFull, 7, 4096, false).issue) / 1e3, "ms"}},
      {"cpu_attention_gbps_1thread", {host.attention_bandwidth_per_core / 1e9, "GB/s"}},
  };
  std::string line;
  auto next_line = [&](std::string& l) -> bool {  // CSV files may end lines with CR LF
    if (!std::getline(in, l)) return false;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    return true;
  };
  next_line(line);
  if (line.rfind("device,measurement,value,unit", 0) != 0)
    throw UsageError(path + ":1: expected the header 'device,measurement,value,unit,note'");
  std::cout << "| measured on | measurement | measured | kvsim (" << st.name << ", " << host.name
            << ") | unit |\n|---|---|---:|---:|---|\n";
  int n = 1;
  while (next_line(line)) {
    ++n;
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) f.push_back(c);
    if (f.size() < 4) throw UsageError(path + ":" + std::to_string(n) + ": expected device,measurement,value,unit");
    double value = 0;
    try {
      value = std::stod(f[2]);
    } catch (const std::exception&) {
      throw UsageError(path + ":" + std::to_string(n) + ": value: not a number: '" + f[2] + "'");
    }
    const auto it = kvsim.find(f[1]);
    char buf[384];
    if (it == kvsim.end())
      std::snprintf(buf, sizeof buf, "| %s | %s | %.3f | | %s |\n", f[0].c_str(), f[1].c_str(), value, f[3].c_str());
    else
      std::snprintf(buf, sizeof buf, "| %s | %s | %.3f | %.3f | %s |\n", f[0].c_str(), f[1].c_str(), value, it->second.first,
                    f[3].c_str());
    std::cout << buf;
  }
  return kExitOk;
}

}  // namespace kvsim::cli
