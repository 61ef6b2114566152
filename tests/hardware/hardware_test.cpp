// tests/hardware/hardware_test.cpp — profiles load strictly; cost formulas by hand.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "hardware/kernel_cost.h"
#include "hardware/profile.h"
#include "scenarios/schema.h"

namespace kvsim::hardware {
namespace {

const Catalog& catalog() {
  static const Catalog c = Catalog::load(Catalog::default_dir());
  return c;
}

TEST(Profiles, EveryDeviceTheIssueNamesIsThere) {
  for (const char* g : {"a100-80gb-sxm", "a100-80gb-pcie", "a100-40gb", "rtx4090", "l40", "h100-80gb-sxm"})
    EXPECT_NO_THROW(catalog().gpu(g)) << g;
  for (const char* h : {"epyc-9754", "xeon-server"}) EXPECT_NO_THROW(catalog().host(h)) << h;
  for (const char* l : {"pcie4-x16", "pcie5-x16", "nvlink3", "nvlink4", "pcie4-x16-host-staged", "lan-bumblebee",
                        "wan-400mbit-2ms", "wan-800mbit-40ms", "wan-1600mbit-20ms", "wan-1600mbit-40ms"})
    EXPECT_NO_THROW(catalog().link(l)) << l;
}

TEST(Profiles, DatasheetValuesParse) {
  const GpuProfile a100 = catalog().gpu("a100-80gb-sxm");
  EXPECT_DOUBLE_EQ(a100.memory_bandwidth, 2039e9);
  EXPECT_DOUBLE_EQ(a100.peak_fp16, 312e12);
  EXPECT_DOUBLE_EQ(a100.board_power, 400);
  const GpuProfile pcie = catalog().gpu("a100-80gb-pcie");  // inherits through base
  EXPECT_DOUBLE_EQ(pcie.memory_bandwidth, 1935e9);
  EXPECT_DOUBLE_EQ(pcie.peak_fp16, 312e12);
  const LinkProfile lan = catalog().link("lan-bumblebee");
  EXPECT_DOUBLE_EQ(lan.bandwidth, 125e6);
  EXPECT_EQ(lan.latency, sim::microseconds(250));
  EXPECT_DOUBLE_EQ(catalog().link("pcie4-x16").bandwidth, 31.5e9);
}

TEST(Profiles, EveryProfileLineWithANumberCitesASource) {
  // "every number with its source in a comment": each key = value line holding a digit has a comment.
  for (const auto& e : std::filesystem::recursive_directory_iterator(Catalog::default_dir())) {
    if (e.path().extension() != ".toml") continue;
    std::ifstream in(e.path());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty() || line[0] == '#' || line[0] == '[' || line.find('=') == std::string::npos) continue;
      if (line.rfind("description", 0) == 0) continue;  // free text
      // A number: the value starts with a digit, or is a quoted quantity starting with one.
      std::string value = line.substr(line.find('=') + 1);
      value.erase(0, value.find_first_not_of(" \t\""));
      const bool is_number = !value.empty() && value[0] >= '0' && value[0] <= '9';
      if (is_number) {
        EXPECT_NE(line.find('#'), std::string::npos) << e.path() << ":" << n << ": " << line;
      }
    }
  }
}

TEST(Profiles, OverridesAreValidatedAndApplied) {
  toml::table over;
  over.insert("memory_bandwidth", "1000 GB/s");
  EXPECT_DOUBLE_EQ(catalog().gpu("a100-80gb-sxm", &over).memory_bandwidth, 1e12);
  toml::table bad;
  bad.insert("memory_bandwith", "1000 GB/s");
  try {
    catalog().gpu("a100-80gb-sxm", &bad, "x.toml:3:1");
    FAIL();
  } catch (const scenarios::ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'memory_bandwidth'"), std::string::npos) << e.what();
  }
}

TEST(Profiles, UnknownProfileSuggests) {
  try {
    catalog().gpu("a100-80gb-sxn", nullptr, "s.toml:4:7");
    FAIL();
  } catch (const scenarios::ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("s.toml:4:7: gpu: no gpu profile 'a100-80gb-sxn'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("did you mean 'a100-80gb-sxm'"), std::string::npos);
  }
}

GpuProfile toy_gpu() {
  GpuProfile g;
  g.name = "toy";
  g.memory_bandwidth = 1e12;  // 1 TB/s
  g.peak_fp16 = 100e12;       // 100 TFLOP/s
  g.efficiency = {0.5, 0.8, 0.5, 0.25, 0.25};
  g.kernel_launch = sim::microseconds(5);
  g.graph_kernel_launch = sim::microseconds(1);
  return g;
}

TEST(KernelCost, RooflineTakesTheSlowerOfComputeAndMemory) {
  const GpuProfile g = toy_gpu();
  // Memory-bound GEMV: 8 GB at 0.8 TB/s = 10 ms; 16 GFLOP at 50 TFLOP/s = 0.32 ms.
  Cost c = kernel_cost(g, KernelWork{"w", KernelClass::kGemv, 16e9, 8e9}, false);
  EXPECT_EQ(c.time, sim::milliseconds(10));
  EXPECT_EQ(c.bound, Bound::kMemory);
  // Compute-bound GEMM: 1 PFLOP at 50 TFLOP/s = 20 s.
  c = kernel_cost(g, KernelWork{"g", KernelClass::kGemm, 1e15, 1e9}, false);
  EXPECT_EQ(c.time, sim::seconds_i(20));
  EXPECT_EQ(c.bound, Bound::kCompute);
}

TEST(KernelCost, TinyKernelsAreLaunchBoundAndGraphsHelp) {
  const GpuProfile g = toy_gpu();
  const KernelWork tiny{"t", KernelClass::kElementwise, 0, 1000};
  EXPECT_EQ(kernel_cost(g, tiny, false).time, sim::microseconds(5));
  EXPECT_EQ(kernel_cost(g, tiny, false).bound, Bound::kLaunch);
  EXPECT_EQ(kernel_cost(g, tiny, true).time, sim::microseconds(1));
}

TEST(KernelCost, CopiesAndRingAllReduce) {
  LinkProfile l;
  l.effective_bandwidth = 25e9;
  l.effective_d2h = 20e9;
  l.latency = sim::microseconds(10);
  EXPECT_EQ(copy_cost(l, 25e9, true).time, sim::seconds_i(1) + sim::microseconds(10));
  EXPECT_EQ(copy_cost(l, 20e9, false).time, sim::seconds_i(1) + sim::microseconds(10));
  // 4 GPUs: 6 steps; 2*3/4 * 1 GB / 25 GB/s = 60 ms, plus 6 x 10 us.
  EXPECT_EQ(allreduce_cost(l, 1e9, 4).time, sim::milliseconds(60) + sim::microseconds(60));
  EXPECT_EQ(allreduce_cost(l, 1e9, 1).time, 0);
}

TEST(KernelCost, HostComputeUsesCoresAndMemory) {
  HostProfile h;
  h.cores = 10;
  h.fp32_per_core = 100e9;
  h.compute_efficiency = 0.5;
  h.memory_bandwidth = 100e9;
  h.memory_efficiency = 0.5;
  EXPECT_EQ(host_compute_cost(h, 500e9, 1e9, 0).time, sim::seconds_i(1));  // 500 GFLOP at 10x50 GFLOP/s
  EXPECT_EQ(host_compute_cost(h, 1e9, 50e9, 10).time, sim::seconds_i(1));  // 50 GB at 50 GB/s
  EXPECT_EQ(host_compute_cost(h, 1e9, 50e9, 10).bound, Bound::kHostMemory);
  h.attention_bandwidth_per_core = 2e9;  // 10 cores x 2 GB/s = 20 GB/s: the cores, not the DRAM, bound it
  EXPECT_EQ(host_compute_cost(h, 1e9, 50e9, 10).time, sim::milliseconds(2500));
  EXPECT_EQ(host_compute_cost(h, 1e9, 50e9, 0).time, sim::milliseconds(2500));
}

}  // namespace
}  // namespace kvsim::hardware
