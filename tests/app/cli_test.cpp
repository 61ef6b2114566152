// tests/app/cli_test.cpp — the kvsim executable end to end: exit codes, messages, files.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "results/reader.h"
#include "tests/support/kvsim_process.h"

namespace {

namespace fs = std::filesystem;

using kvsim::testing::kvsim;
using kvsim::testing::Outcome;

std::string example(const std::string& name) { return std::string(KVSIM_SOURCE_DIR) + "/scenarios/examples/" + name; }

std::string temp(const std::string& name) {
  const fs::path d = fs::path(::testing::TempDir()) / "kvsim_cli";
  fs::create_directories(d);
  return (d / name).string();
}

std::string write(const std::string& name, const std::string& text) {
  const std::string p = temp(name);
  std::ofstream(p) << text;
  return p;
}

TEST(Cli, VersionAndHelp) {
  EXPECT_EQ(kvsim("--version").code, 0);
  EXPECT_NE(kvsim("--version").out.find("kvsim 0."), std::string::npos);
  const Outcome h = kvsim("run --help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("--print-resolved"), std::string::npos);
  EXPECT_EQ(kvsim("").code, 2);
  const Outcome typo = kvsim("rnu x.toml");
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.out.find("did you mean 'run'?"), std::string::npos);
}

TEST(Cli, ResolvedKvQualityStatesThePolicysParameters) {
  // The named policy's parameters appear with their defaults (they enter the hash), another
  // policy's parameter is refused with its position.
  // On the byte model token lengths are scaled by 4 bytes per token (kernel made odd); a length the
  // scenario sets is kept; a trace of a token model scales by 1.
  const std::string ok = write("snapkv.toml", "kind = \"kv-quality\"\n[policy]\nname = \"snapkv\"\nbudget = 256\n");
  const Outcome r = kvsim("run " + ok + " --print-resolved");
  EXPECT_EQ(r.code, 0) << r.out;
  for (const char* line : {"budget = 256", "window = 128", "kernel = 29", "maxpool = 1", "positions_per_token = 4"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " missing in\n" << r.out;
  const std::string set = write("snapkv-set.toml", "kind = \"kv-quality\"\n[policy]\nname = \"snapkv\"\nwindow = 16\n"
                                                   "[model]\npositions_per_token = 2\n");
  const Outcome s = kvsim("run " + set + " --print-resolved");
  for (const char* line : {"window = 16", "kernel = 15", "positions_per_token = 2"})
    EXPECT_NE(s.out.find(line), std::string::npos) << line << " missing in\n" << s.out;
  const std::string traced = write("snapkv-trace.toml", "kind = \"kv-quality\"\n[policy]\nname = \"snapkv\"\n"
                                                        "[workload]\ntrace = \"t.h5\"\n");
  const Outcome t = kvsim("run " + traced + " --print-resolved");
  for (const char* line : {"window = 32", "kernel = 7", "positions_per_token = 1"})
    EXPECT_NE(t.out.find(line), std::string::npos) << line << " missing in\n" << t.out;
  // A named checkpoint scales by its own vocabulary: a header that says 1,000 tokens (not bytes)
  // resolves to 1 position per token.
  std::ifstream committed(std::string(KVSIM_SOURCE_DIR) + "/models/small/kvsim-byte-lm.bin", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(committed)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 48u);
  const std::uint32_t vocab = 1000;
  std::memcpy(bytes.data() + 44, &vocab, sizeof vocab);
  const std::string ckpt = write("token-model.bin", bytes);
  const std::string named = write("snapkv-ckpt.toml", "kind = \"kv-quality\"\n[policy]\nname = \"snapkv\"\n"
                                                      "[model]\ncheckpoint = \"" + ckpt + "\"\n");
  const Outcome n = kvsim("run " + named + " --print-resolved");
  for (const char* line : {"window = 32", "kernel = 7", "positions_per_token = 1"})
    EXPECT_NE(n.out.find(line), std::string::npos) << line << " missing in\n" << n.out;
  const std::string bad = write("snapkv-chunk.toml", "kind = \"kv-quality\"\n[policy]\nname = \"snapkv\"\nchunk = 8\n");
  const Outcome b = kvsim("run " + bad + " --print-resolved");
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.out.find(":4:1: policy.chunk: policy 'snapkv' has no such parameter"), std::string::npos) << b.out;
}

TEST(Cli, RunWritesHdf5AndReportReadsIt) {
  const std::string out = temp("run.h5"), trace = temp("trace.json");
  fs::remove(out);
  const Outcome r = kvsim("run " + example("lan-wan-exchange.toml") + " -o " + out + " --trace " + trace);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("| makespan |"), std::string::npos);
  const auto data = kvsim::results::read_results(out);
  ASSERT_EQ(data.runs.size(), 1u);
  EXPECT_EQ(data.runs[0].kind, "exchange");
  EXPECT_EQ(data.runs[0].seed, 7u);
  EXPECT_NE(data.runs[0].scenario_text.find("size_jitter = 0.1"), std::string::npos);
  const Outcome rep = kvsim("report " + out);
  EXPECT_EQ(rep.code, 0);
  EXPECT_NE(rep.out.find("link.wan.bytes"), std::string::npos);
  std::stringstream json;
  json << std::ifstream(trace).rdbuf();
  EXPECT_EQ(json.str().rfind("{\"displayTimeUnit\"", 0), 0u);
  EXPECT_NE(json.str().find("link/wan/p1->p2"), std::string::npos);
}

TEST(Cli, SameScenarioGivesIdenticalMetrics) {
  const std::string a = temp("a.h5"), b = temp("b.h5");
  ASSERT_EQ(kvsim("run " + example("lan-wan-exchange.toml") + " -o " + a).code, 0);
  ASSERT_EQ(kvsim("run " + example("lan-wan-exchange.toml") + " -o " + b).code, 0);
  const auto ra = kvsim::results::read_results(a).runs.at(0), rb = kvsim::results::read_results(b).runs.at(0);
  ASSERT_EQ(ra.metrics.size(), rb.metrics.size());
  for (std::size_t i = 0; i < ra.metrics.size(); ++i) EXPECT_EQ(ra.metrics[i].value, rb.metrics[i].value) << ra.metrics[i].name;
  EXPECT_EQ(ra.series, rb.series);
  EXPECT_EQ(ra.scenario_hash, rb.scenario_hash);
  // A different seed changes the jittered message sizes.
  const std::string c = temp("c.h5");
  ASSERT_EQ(kvsim("run " + example("lan-wan-exchange.toml") + " --set seed=8 -o " + c).code, 0);
  const auto rc = kvsim::results::read_results(c).runs.at(0);
  EXPECT_NE(rc.metrics.at(3).value, ra.metrics.at(3).value);
}

TEST(Cli, SweepInParallelEqualsSerial) {
  const std::string s1 = temp("s1.h5"), s2 = temp("s2.h5");
  ASSERT_EQ(kvsim("sweep " + example("wan-bandwidth-sweep.toml") + " -o " + s1).code, 0);
  const Outcome par = kvsim("sweep " + example("wan-bandwidth-sweep.toml") + " -o " + s2 + " -j 2");
  ASSERT_EQ(par.code, 0) << par.out;
  const auto d1 = kvsim::results::read_results(s1), d2 = kvsim::results::read_results(s2);
  ASSERT_EQ(d1.runs.size(), 8u);
  ASSERT_EQ(d2.runs.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(d1.runs[i].sweep_label, d2.runs[i].sweep_label);
    for (std::size_t m = 0; m < d1.runs[i].metrics.size(); ++m)
      EXPECT_EQ(d1.runs[i].metrics[m].value, d2.runs[i].metrics[m].value);
  }
  EXPECT_NE(d1.runs[1].sweep_label.find("links.wan.latency=\"40 ms\""), std::string::npos);
}

TEST(Cli, PrintResolvedShowsEveryValue) {
  const Outcome r = kvsim("run " + example("lan-wan-exchange.toml") + " --print-resolved --set workload.rounds=3");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("rounds = 3"), std::string::npos);
  EXPECT_NE(r.out.find("overhead = '0 s'"), std::string::npos) << r.out;  // a default, stated
  const Outcome s = kvsim("sweep " + example("wan-bandwidth-sweep.toml") + " --print-resolved");
  EXPECT_EQ(s.code, 0);
  EXPECT_NE(s.out.find("# --- sweep point 7"), std::string::npos);
}

TEST(Cli, BadScenarioExitsTwoWithFileLineKey) {
  const std::string bad = write("bad.toml", "base = \"" + example("lan-wan-exchange.toml") +
                                                "\"\n[links.lan]\nbandwith = \"1 Gbit/s\"\n");
  const Outcome r = kvsim("run " + bad);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find(bad + ":3:1: links.lan.bandwith: unknown key; did you mean 'bandwidth'?"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nothing was run"), std::string::npos);
}

TEST(Cli, EveryScenarioErrorPathExitsTwoWithItsMessage) {
  const std::string base = "base = \"" + example("lan-wan-exchange.toml") + "\"\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {base + "[workload]\nrounds = \"many\"\n", ":3:10: workload.rounds: wrong type: expected integer, got string"},
      {base + "[links.lan]\nlatency = \"3 parsecs\"\n", ":3:11: links.lan.latency: bad unit:"},
      {base + "[links.lan]\nlatency = 3\n", "links.lan.latency: a number without a unit"},
      {"base = \"nowhere.toml\"\n", ":1:8: base: base file"},
      {base + "[sweep]\n\"workload.rounds\" = 5\n", "sweep.workload.rounds: bad sweep: expected a list"},
      {base + "[[sweep.zip]]\n\"workload.rounds\" = [1, 2]\n\"seed\" = [1]\n", "bad sweep: zip group lists differ in length"},
      {base + "[workload]\nsize_jitter = 2.0\n", "workload.size_jitter: value 2 out of range: must be at most 1"},
  };
  int i = 0;
  for (const auto& [text, message] : cases) {
    const std::string file = write("err" + std::to_string(i++) + ".toml", text);
    const Outcome r = kvsim(text.find("[sweep") != std::string::npos ? "sweep " + file + " -o " + temp("x.h5") : "run " + file);
    EXPECT_EQ(r.code, 2) << text;
    EXPECT_NE(r.out.find(message), std::string::npos) << "expected '" << message << "' in:\n" << r.out;
  }
}

TEST(Cli, SemanticErrorsPointAtTheKey) {
  const std::string bad = write("semantic.toml", "base = \"" + example("lan-wan-exchange.toml") +
                                                     "\"\n[links.lan]\nbetween = [\"p0\", \"p9\"]\n");
  const Outcome r = kvsim("run " + bad);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find(bad + ":3:11: links.lan.between: no party 'p9' in [[parties]]"), std::string::npos) << r.out;
}

TEST(Cli, BadUsageExitsTwo) {
  EXPECT_EQ(kvsim("run").code, 2);
  EXPECT_EQ(kvsim("run a.toml --frobnicate").code, 2);
  EXPECT_EQ(kvsim("sweep " + example("wan-bandwidth-sweep.toml")).code, 2);  // no -o
  EXPECT_EQ(kvsim("list nonsense").code, 2);
  EXPECT_EQ(kvsim("run " + example("wan-bandwidth-sweep.toml") + " --point 8").code, 2);  // points 0 to 7
  // A bad private-decode option fails before the party connects (nobody listens on these ports).
  const std::string party = "party --id 0 --peers 127.0.0.1:9,127.0.0.1:9,127.0.0.1:9 --timeout-ms 60000 --program private-decode ";
  const Outcome sp = kvsim(party + "--selection static --static-policy quest");
  EXPECT_EQ(sp.code, 2);
  EXPECT_NE(sp.out.find("--static-policy: 'quest' is not one of: streaming, h2o, snapkv, tova"), std::string::npos) << sp.out;
  EXPECT_EQ(kvsim(party + "--context 4").code, 2);
  // The options are the kind's [[method]] keys, checked by the same schema: ranges too.
  const Outcome range = kvsim(party + "--selection mpcache --static-keep 2 --cluster2 0");
  EXPECT_EQ(range.code, 2);
  EXPECT_NE(range.out.find("--static-keep: value 2 out of range"), std::string::npos) << range.out;
  EXPECT_NE(range.out.find("--cluster2:"), std::string::npos) << range.out;
  const Outcome o = kvsim("run " + example("lan-wan-exchange.toml") + " -o /nonexistent/out.h5");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("does not exist"), std::string::npos);
}

TEST(Cli, ExistingOutputSurvivesAFailedRun) {
  const std::string out = temp("keep.h5");
  ASSERT_EQ(kvsim("run " + example("lan-wan-exchange.toml") + " -o " + out).code, 0);
  const auto before = fs::file_size(out);
  const std::string bad = write("bad2.toml", "kind = \"exchange\"\n");
  EXPECT_EQ(kvsim("run " + bad + " -o " + out).code, 2);
  EXPECT_EQ(fs::file_size(out), before);
  EXPECT_EQ(kvsim::results::read_results(out).runs.size(), 1u);
}

// Absurd sizes are refused with the limit, never an out-of-memory kill or a wrapped clock: rounds
// beyond the schema's bound exit 2 naming the key; a message too long for the simulated clock
// exits 1 saying so; the file already there is kept either way.
TEST(Cli, AbsurdSizesAreRefusedWithTheLimit) {
  const std::string out = temp("absurd.h5");
  ASSERT_EQ(kvsim("run " + example("lan-wan-exchange.toml") + " -o " + out).code, 0);
  const auto before = fs::file_size(out);
  const Outcome rounds = kvsim("run " + example("lan-wan-exchange.toml") + " --set workload.rounds=1000000000000 -o " + out);
  EXPECT_EQ(rounds.code, 2);
  EXPECT_NE(rounds.out.find("workload.rounds: value 1000000000000 out of range: must be at most"), std::string::npos) << rounds.out;
  const Outcome huge = kvsim("run " + example("lan-wan-exchange.toml") + " --set 'workload.message_size=\"1000 TiB\"' -o " + out);
  EXPECT_EQ(huge.code, 1);
  EXPECT_NE(huge.out.find("outlasts the simulated clock's span"), std::string::npos) << huge.out;
  const Outcome context = kvsim("run " + std::string(KVSIM_SOURCE_DIR) +
                                "/scenarios/kv/draft-acceptance.toml --set workload.context=1000000000 --print-resolved");
  EXPECT_EQ(context.code, 2);
  EXPECT_NE(context.out.find("workload.context"), std::string::npos) << context.out;
  EXPECT_EQ(fs::file_size(out), before);
}

TEST(Cli, ReportOnAMissingOrForeignFileExitsOne) {
  EXPECT_EQ(kvsim("report /nonexistent.h5").code, 1);
  const std::string junk = write("junk.h5", "junk");
  const Outcome r = kvsim("report " + junk);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("not an HDF5 file"), std::string::npos);
}

TEST(Cli, ExplainPrintsEveryLayerGroupAndTheReference) {
  const Outcome r = kvsim("explain " + std::string(KVSIM_SOURCE_DIR) + "/scenarios/calibration/ar-2x4090-offload.toml");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("| 0-11 (x12) | attention | attention |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| 12-31 (x20) | kv_load | copy-h2d |"), std::string::npos);
  EXPECT_NE(r.out.find("reference (TriForce Table 3"), std::string::npos);
  EXPECT_EQ(kvsim("explain " + example("lan-wan-exchange.toml")).code, 2);  // no explanation for that kind
}

TEST(Cli, CalibrationAndCompareGpu) {
  const Outcome c = kvsim("calibration");
  ASSERT_EQ(c.code, 0) << c.out;
  EXPECT_NE(c.out.find("| fig1-target-full |"), std::string::npos);
  const std::string csv = write("decode.csv",
      "gpu,layers,hidden,heads,kv_heads,ffn,vocab,dtype,context,query_tokens,batch,median_ms,min_ms\n"
      "NVIDIA H100 80GB HBM3,32,4096,32,32,11008,32000,fp16,1024,1,1,9.1,9.0\n"
      "NVIDIA H100 80GB HBM3,32,4096,32,32,11008,32000,fp16,65536,1,1,25.0,24.0\n");
  const Outcome g = kvsim("compare-gpu " + csv + " --gpu h100-80gb-sxm");
  ASSERT_EQ(g.code, 0) << g.out;
  EXPECT_NE(g.out.find("| NVIDIA H100 80GB HBM3 | decode | 1 | 65536 | no | 25.000 |"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("over 2 rows"), std::string::npos);
  const std::string bad = write("bad.csv", "gpu,layers\nx,notanumber\n");
  const Outcome b = kvsim("compare-gpu " + bad + " --gpu h100-80gb-sxm");
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.out.find("missing column"), std::string::npos) << b.out;
  EXPECT_EQ(kvsim("compare-gpu " + csv + " --gpu h100").code, 2);  // unknown profile, with a suggestion
  // tools/gpu/triforce_costs.py's forwards: a per-row cuda_graphs column and what each row measured.
  const std::string tri = write("forwards.csv",
      "gpu,measurement,layers,hidden,heads,kv_heads,ffn,vocab,context,query_tokens,batch,cuda_graphs,dtype,median_ms\r\n"
      "H200,retrieval_graph,32,4096,32,32,11008,32000,4096,7,1,1,fp16,10.0\r\n");
  const Outcome t = kvsim("compare-gpu " + tri + " --gpu h200-141gb-sxm");
  ASSERT_EQ(t.code, 0) << t.out;
  EXPECT_NE(t.out.find("| H200 | retrieval_graph | 7 | 4096 | yes | 10.000 |"), std::string::npos) << t.out;
  // Its host costs beside the stack and host profiles; a malformed file names its line.
  const std::string host = write("host.csv", "device,measurement,value,unit,note\nH200,op_issue_us_linear,25.5,us,\n");
  const Outcome s = kvsim("compare-stack " + host);
  ASSERT_EQ(s.code, 0) << s.out;
  EXPECT_NE(s.out.find("| H200 | op_issue_us_linear | 25.500 | 30.000 | us |"), std::string::npos) << s.out;
  const std::string junk = write("junk.csv", "device,measurement,value,unit,note\nH200,sync_us_item,fast,us,\n");
  const Outcome j = kvsim("compare-stack " + junk);
  EXPECT_EQ(j.code, 2);
  EXPECT_NE(j.out.find("junk.csv:2: value: not a number"), std::string::npos) << j.out;
}

TEST(Cli, ListAndReproduce) {
  const Outcome s = kvsim("list scenarios");
  EXPECT_EQ(s.code, 0);
  EXPECT_NE(s.out.find("examples/lan-wan-exchange.toml"), std::string::npos);
  const Outcome k = kvsim("list kinds");
  EXPECT_NE(k.out.find("exchange — "), std::string::npos);
  EXPECT_NE(k.out.find("mpc-gather — "), std::string::npos);
  const Outcome one = kvsim("list kinds exchange");
  EXPECT_EQ(one.code, 0);
  EXPECT_NE(one.out.find("bandwidth (quantity, bandwidth, required)"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("Metrics of kind `exchange`"), std::string::npos) << one.out;
  const Outcome none = kvsim("list kinds exchnage");
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.out.find("the kinds are: "), std::string::npos) << none.out;
  const Outcome hw = kvsim("list hardware");
  EXPECT_NE(hw.out.find("rtx4090"), std::string::npos);
  EXPECT_NE(hw.out.find("lan-bumblebee"), std::string::npos);
  const Outcome m = kvsim("list models");
  EXPECT_NE(m.out.find("qwen2.5-14b"), std::string::npos);
  EXPECT_NE(m.out.find("192.0 KiB"), std::string::npos);
  // `all` runs what exists and names what does not; asking for a missing one alone is an error.
  const std::string out = temp("repro.h5");
  const Outcome r = kvsim("reproduce all -j 2 -o " + out);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("### mpcache / latency-comm"), std::string::npos);
  EXPECT_NE(r.out.find("### datarus / s2-grpo-rollout"), std::string::npos);
  EXPECT_NE(r.out.find("### triforce / table2"), std::string::npos);
  const auto data = kvsim::results::read_results(out);
  // triforce: fig1, fig5, fig6, table2, 3, 4, 6, 7, 8; datarus: six; mpcache: 2pc, ablation,
  // dynamic-methods, latency-comm, quality, token-gather, wan, their five aby3-spu twins,
  // infllm-port and latency-sensitivity-spu
  EXPECT_EQ(data.tables.size(), 30u);
  EXPECT_NE(r.out.find("### mpcache / latency-comm-spu"), std::string::npos);
  EXPECT_EQ(data.tables.at(0).reproduction, "datarus");
  const Outcome rep = kvsim("report " + out);
  EXPECT_NE(rep.out.find("| P=1024/R=4096/G=8 | kv_batched | GiB | 7.5 | 7.5 | +0.0% |"), std::string::npos) << rep.out.substr(0, 2000);
  EXPECT_EQ(kvsim("reproduce nonsense").code, 2);
}

}  // namespace
