// app/cli/gpu_commands.cpp — `kvsim calibration` (simulated vs published per-forward costs) and
// `kvsim compare-gpu` (simulated vs measured decode steps from tools/gpu/time_decode.py).
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
  std::getline(in, line);
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
  std::cout << "| measured on | context | measured ms | kvsim ms (" << dep.gpu.name << ") | error |\n|---|---:|---:|---:|---:|\n";
  int n = 1;
  double sum_abs = 0;
  int rows = 0;
  while (std::getline(in, line)) {
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
    // sample = false: the script times the forward up to the logits.
    const double sim_ms = models::simulate_forward(a, dep, static_cast<std::int64_t>(num(c_batch)),
                                                   static_cast<std::int64_t>(num(c_q)), cached, false) * 1e3;
    const double meas = num(c_ms);
    char buf[256];
    std::snprintf(buf, sizeof buf, "| %s | %lld | %.3f | %.3f | %+.1f%% |\n", f[c_gpu].c_str(),
                  static_cast<long long>(cached), meas, sim_ms, (sim_ms / meas - 1) * 100);
    std::cout << buf;
    sum_abs += std::fabs(sim_ms / meas - 1);
    ++rows;
  }
  if (rows > 0) std::printf("\nmean absolute error: %.1f%% over %d rows\n", 100 * sum_abs / rows, rows);
  return kExitOk;
}

}  // namespace kvsim::cli
