// tests/lm/small_lm_test.cpp — the small model's runtime against the PyTorch fixture, the
// checkpoint loader's errors, the committed model's quality floor, policies on the model (declared
// == measured work, a needle-dropping policy visibly fails), and traces: recorded from the model,
// written, read back and replayed, they give the live run's measurements.
#include <gtest/gtest.h>

#include <hdf5.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "models/lm/trace_replay.h"
#include "models/kv/measured.h"
#include "models/kv/policies.h"
#include "models/lm/policy_eval.h"
#include "models/lm/small_lm.h"
#include "tests/support/committed_model.h"
#include "models/speculative/math.h"

using kvsim::testing::committed_small_lm;
using namespace kvsim::models;
using namespace kvsim::models::lm;

namespace {

std::vector<float> read_floats(hid_t file, const char* name, std::vector<hsize_t>& dims) {
  const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
  const hid_t space = H5Dget_space(ds);
  dims.resize(H5Sget_simple_extent_ndims(space));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  hsize_t n = 1;
  for (auto d : dims) n *= d;
  std::vector<float> out(n);
  H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data());
  H5Sclose(space);
  H5Dclose(ds);
  return out;
}

std::string temp_path(const char* name) { return (std::filesystem::temp_directory_path() / name).string(); }

}  // namespace

TEST(SmallLm, MatchesThePyTorchFixture) {
  const hid_t f = H5Fopen(KVSIM_FIXTURE, H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0) << KVSIM_FIXTURE;
  std::vector<hsize_t> dims;
  const auto tok_f = read_floats(f, "tokens", dims);
  std::vector<int> tokens(tok_f.begin(), tok_f.end());
  const auto logits = read_floats(f, "logits", dims);
  const int T = static_cast<int>(dims[0]), V = static_cast<int>(dims[1]);
  const auto attention = read_floats(f, "attention", dims);
  H5Fclose(f);
  ASSERT_EQ(T, static_cast<int>(tokens.size()));

  SmallLm lm(committed_small_lm());
  PrefillCapture cap;
  cap.attention = true;
  const MatrixRM got = lm.prefill(tokens, nullptr, &cap);
  float worst = 0;
  for (int t = 0; t < T; ++t)
    for (int v = 0; v < V; ++v) worst = std::max(worst, std::abs(got(t, v) - logits[t * V + v]));
  EXPECT_LT(worst, 2e-3f) << "logits differ from PyTorch";
  const auto& c = committed_small_lm().config;
  float worst_p = 0;
  for (int l = 0; l < c.n_layers; ++l)
    for (int h = 0; h < c.n_heads; ++h)
      for (int i = 0; i < T; ++i)
        for (int j = 0; j < T; ++j)
          worst_p = std::max(worst_p, std::abs(cap.probs[l][h](i, j) - attention[((l * c.n_heads + h) * T + i) * T + j]));
  EXPECT_LT(worst_p, 1e-4f) << "attention differs from PyTorch";

  // Decode one token at a time after a shorter prefill: the same logits as the dense forward.
  SmallLm inc(committed_small_lm());
  inc.prefill(std::span<const int>(tokens).first(T / 2));
  float worst_d = 0;
  for (int t = T / 2; t < T; ++t) {
    const Eigen::VectorXf l = inc.decode(tokens[t]);
    for (int v = 0; v < V; ++v) worst_d = std::max(worst_d, std::abs(l[v] - logits[t * V + v]));
  }
  EXPECT_LT(worst_d, 2e-3f) << "decode disagrees with the dense forward";
}

TEST(SmallLm, CheckpointErrorsNameTheFileAndOffset) {
  EXPECT_THROW(load_small_lm("/nonexistent/model.bin"), std::runtime_error);
  std::ifstream in(default_small_lm_path(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = temp_path("kvsim_truncated.bin");
  std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  try {
    load_small_lm(cut);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(cut), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("the checkpoint is corrupted"), std::string::npos) << e.what();
  }
  std::string bad = bytes;
  bad[0] = 'X';
  const std::string magic = temp_path("kvsim_badmagic.bin");
  std::ofstream(magic, std::ios::binary).write(bad.data(), static_cast<std::streamsize>(bad.size()));
  EXPECT_THROW(load_small_lm(magic), std::runtime_error);
}

// A flipped byte anywhere after the digest is a valid float more often than not: only the SHA-256
// can notice it. Twenty random flips, each refused with the file named.
TEST(SmallLm, CorruptedCheckpointIsRefused) {
  std::ifstream in(default_small_lm_path(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  kvsim::sim::Rng rng(2026);
  const std::string path = temp_path("kvsim_flipped.bin");
  for (int trial = 0; trial < 20; ++trial) {
    std::string bad = bytes;
    const std::size_t at = 12 + rng() % (bad.size() - 12);
    bad[at] = static_cast<char>(bad[at] ^ (1 << (rng() % 8)));
    std::ofstream(path, std::ios::binary).write(bad.data(), static_cast<std::streamsize>(bad.size()));
    try {
      load_small_lm(path);
      ADD_FAILURE() << "a flip at byte " << at << " was accepted";
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      EXPECT_TRUE(what.find("SHA-256") != std::string::npos || what.find("version") != std::string::npos) << what;
    }
  }
}

// A version-1 file (no digest) is refused with the command that upgrades it; the upgrade gives
// the previous checkpoint (format 2, the version the upgrade writes) back byte for byte.
TEST(SmallLm, VersionOneCheckpointIsRefusedAndUpgradable) {
  std::ifstream in(previous_small_lm_path(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string v1 = bytes.substr(0, 8) + std::string("\x01\x00\x00\x00", 4) + bytes.substr(44);
  const std::string path = temp_path("kvsim_v1.bin");
  std::ofstream(path, std::ios::binary).write(v1.data(), static_cast<std::streamsize>(v1.size()));
  try {
    load_small_lm(path);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("tools/train/upgrade_checkpoint.py " + path), std::string::npos) << e.what();
  }
  const std::string root = default_small_lm_path().substr(0, default_small_lm_path().rfind("/models/small/"));
  const std::string cmd = "/usr/bin/python3 " + root + "/tools/train/upgrade_checkpoint.py " + path + " > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream up(path, std::ios::binary);
  const std::string upgraded((std::istreambuf_iterator<char>(up)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(upgraded == bytes) << "the upgrade does not reproduce the committed checkpoint";
  EXPECT_NO_THROW(load_small_lm(path));
}

// The committed model retrieves the passkey with the full cache; StreamingLLM with a budget far
// smaller than the needle's distance loses it.
TEST(SmallLm, PasskeyNeedsTheNeedle) {
  const std::string corpus = load_heldout_corpus();
  kvsim::sim::Rng rng(17);
  EvalOptions opt;
  std::vector<PreparedEpisode> eps;
  for (int i = 0; i < 8; ++i) eps.push_back(prepare_episode(committed_small_lm(), passkey_episode(rng, 2048, Filler::kCorpus, corpus, 0.2), opt));
  auto full = kv::make_policy("full", {});
  auto streaming = kv::make_policy("streaming", {{"budget", 128}});
  const double full_accuracy = evaluate_policy(*full, eps, opt).answer_accuracy;
  std::printf("full-cache passkey accuracy at 2,048 bytes: %.3f (8 episodes)\n", full_accuracy);
  EXPECT_GE(full_accuracy, 0.875);  // models/small/quality.toml: 0.97 at 2,048 over 100 episodes
  const auto s = evaluate_policy(*streaming, eps, opt);
  EXPECT_LE(s.answer_accuracy, 0.25);
  EXPECT_LT(s.attention_recall, 0.9);
}

TEST(SmallLm, PolicyWorkOnTheModelIsTheDeclaredWork) {
  kvsim::sim::Rng rng(3);
  EvalOptions opt;
  std::vector<PreparedEpisode> eps;
  eps.push_back(prepare_episode(committed_small_lm(), passkey_episode(rng, 600, Filler::kClassic, "", -1), opt));
  const auto& c = committed_small_lm().config;
  for (const auto& info : kv::policy_catalog()) {
    auto p = kv::make_policy(info.name, info.name == "full" ? kv::PolicyParams{} : kv::PolicyParams{{"budget", 128}});
    const auto q = evaluate_policy(*p, eps, opt);
    const kv::PolicyShape sh{c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, eps[0].prefill_end};
    kv::PolicyWork declared;
    for (int s = 1; s <= q.decode_steps; ++s) declared += p->declared_decode_work(sh, eps[0].prefill_end + s);
    EXPECT_EQ(q.prefill_work, p->declared_prefill_work(sh)) << info.name;
    EXPECT_EQ(q.decode_work, declared) << info.name;
  }
}

// Without the attention measurements, the token-level figures and the work are the same; what
// was not measured reads NaN, not a plausible zero.
TEST(SmallLm, TokenLevelEvaluationSkipsOnlyTheMeasurements) {
  kvsim::sim::Rng rng(5);
  EvalOptions measured, tokens_only;
  tokens_only.measure_attention = false;
  const Episode e = passkey_episode(rng, 500, Filler::kClassic, "", -1);
  const std::vector<PreparedEpisode> with{prepare_episode(committed_small_lm(), e, measured)}, without{prepare_episode(committed_small_lm(), e, tokens_only)};
  EXPECT_TRUE(std::isnan(without[0].gates.sink_mass));
  for (const char* name : {"streaming", "h2o", "triforce"}) {
    auto a = kv::make_policy(name, {{"budget", 96}}), b = kv::make_policy(name, {{"budget", 96}});
    const auto qa = evaluate_policy(*a, with, measured), qb = evaluate_policy(*b, without, tokens_only);
    EXPECT_EQ(qa.draft_acceptance, qb.draft_acceptance) << name;
    EXPECT_EQ(qa.next_token_agreement, qb.next_token_agreement) << name;
    EXPECT_EQ(qa.nll_policy, qb.nll_policy) << name;
    EXPECT_EQ(qa.decode_work, qb.decode_work) << name;
    EXPECT_EQ(qa.prefill_work, qb.prefill_work) << name;
    EXPECT_FALSE(std::isnan(qa.attention_recall)) << name;
    EXPECT_TRUE(std::isnan(qb.attention_recall) && std::isnan(qb.needle_kept) && std::isnan(qb.gates.sink_mass)) << name;
  }
}

// The softmax the prefill offers policies is its own: the column sums are, bit for bit, what a
// policy recomputing the causal attention from the captured queries and keys accumulates.
TEST(SmallLm, PrefillOffersItsOwnSoftmax) {
  const auto& c = committed_small_lm().config;
  std::vector<int> tokens(300);
  for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = 'a' + static_cast<int>((i * 11) % 26);
  SmallLm lm(committed_small_lm());
  PrefillCapture cap;
  lm.prefill(tokens, nullptr, &cap);
  ASSERT_EQ(cap.softmax.size(), static_cast<std::size_t>(c.n_layers));
  for (int l = 0; l < c.n_layers; ++l) {
    const kv::LayerPrefill bare{l, 300, &cap.queries[l], &lm.layer_keys(l), &lm.layer_values(l)};
    std::vector<std::vector<float>> recomputed;
    kv::PolicyWork work;
    kv::accumulate_prefill_attention(bare, c.group(), recomputed, work);
    EXPECT_EQ(recomputed, cap.softmax[l].column_sums) << "layer " << l;
    EXPECT_NE(cap.softmax[l].memo, l > 0 ? cap.softmax[l - 1].memo : nullptr) << "a memo per layer";
  }
}

TEST(KvTrace, RecordedTraceReplaysLikeTheLiveModel) {
  kvsim::sim::Rng rng(9);
  const Episode e = passkey_episode(rng, 700, Filler::kClassic, "", 0.3);
  const int prompt = e.question_begin;
  // Live: the policy drives the model's decode, measured.
  auto live_policy = kv::make_policy("quest", {{"budget", 128}});
  kv::MeasuredPolicy live(*live_policy);
  SmallLm lm(committed_small_lm());
  PrefillCapture cap;
  lm.prefill(std::span<const int>(e.tokens).first(prompt), nullptr, &cap);
  const auto& c = committed_small_lm().config;
  live.begin({c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, prompt});
  for (int l = 0; l < c.n_layers; ++l) live.prefill({l, prompt, &cap.queries[l], &lm.layer_keys(l), &lm.layer_values(l)});
  for (std::size_t t = prompt; t < e.tokens.size(); ++t) lm.decode(e.tokens[t], &live);

  // Trace: the full model's Q/K/V, replayed. Quest attends densely in layers 0-1, so those layers'
  // inputs agree; the comparison runs with the full cache on both sides.
  const std::string path = temp_path("kvsim_trace_test.h5");
  kvsim::results::write_kv_trace(path, kvsim::models::lm::record_small_model_trace(committed_small_lm(), e.tokens, prompt));
  const auto trace = kvsim::results::read_kv_trace(path);
  EXPECT_EQ(trace.decode_steps, static_cast<int>(e.tokens.size()) - prompt);
  auto full = kv::make_policy("full", {});
  const auto r_full = kvsim::models::lm::replay_trace(trace, *full);
  EXPECT_NEAR(r_full.attention_recall, 1.0, 1e-5);  // float sums of probabilities
  EXPECT_NEAR(r_full.output_rel_error, 0.0, 1e-6);
  auto quest = kv::make_policy("quest", {{"budget", 128}});
  const auto r = kvsim::models::lm::replay_trace(trace, *quest);
  EXPECT_GT(r.attention_recall, 0.3);
  EXPECT_LT(r.attention_recall, 1.0);
  // Same policy, same selections on identical inputs: the work matches the live run's exactly.
  EXPECT_EQ(r.decode_work.topk_calls, live_policy->decode_work().topk_calls);
  EXPECT_EQ(r.prefill_work, live_policy->prefill_work());
  std::remove(path.c_str());
}

// One float changed inside a dataset (a valid HDF5 file, a plausible value) is caught by the
// trace's SHA-256; a version-1 trace is refused with how to write it again.
TEST(KvTrace, CorruptedOrOldTracesAreRefused) {
  kvsim::sim::Rng rng(5);
  const Episode e = passkey_episode(rng, 300, Filler::kClassic, "", 0.3);
  const std::string path = temp_path("kvsim_trace_corrupt.h5");
  kvsim::results::write_kv_trace(path, kvsim::models::lm::record_small_model_trace(committed_small_lm(), e.tokens, e.question_begin));
  ASSERT_NO_THROW(kvsim::results::read_kv_trace(path));
  {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    const hid_t ds = H5Dopen2(f, "layers/1/k", H5P_DEFAULT);
    const hid_t space = H5Dget_space(ds);
    hsize_t dims[3];
    H5Sget_simple_extent_dims(space, dims, nullptr);
    std::vector<float> k(dims[0] * dims[1] * dims[2]);
    H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, k.data());
    k[k.size() / 3] = std::nextafter(k[k.size() / 3], 1e9f);  // one ulp
    H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, k.data());
    H5Sclose(space);
    H5Dclose(ds);
    H5Fclose(f);
  }
  try {
    kvsim::results::read_kv_trace(path);
    FAIL() << "a changed key was accepted";
  } catch (const std::exception& ex) {
    EXPECT_NE(std::string(ex.what()).find(path + ": SHA-256 of the trace is"), std::string::npos) << ex.what();
  }
  {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const hid_t a = H5Aopen(f, "version", H5P_DEFAULT);
    const std::uint64_t one = 1;
    H5Awrite(a, H5T_NATIVE_UINT64, &one);
    H5Aclose(a);
    H5Fclose(f);
  }
  try {
    kvsim::results::read_kv_trace(path);
    FAIL() << "a version-1 trace was accepted";
  } catch (const std::exception& ex) {
    EXPECT_NE(std::string(ex.what()).find("tools/trace/dump_kv_trace.py"), std::string::npos) << ex.what();
  }
  std::remove(path.c_str());
}

TEST(KvTrace, MalformedTracesAreRejectedWithTheFileName) {
  const std::string path = temp_path("kvsim_not_a_trace.h5");
  std::ofstream(path) << "not hdf5";
  try {
    kvsim::results::read_kv_trace(path);
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

// Speculative sampling with the small model's StreamingLLM-cache copy as the draft and the full
// cache as the target: the verified tokens follow the target's distribution (chi-square over the
// well-populated tokens), and the acceptance rate is sum_x min(p, q).
TEST(SpeculativeOnTheSmallModel, VerificationIsLossless) {
  const std::string corpus = load_heldout_corpus();
  kvsim::sim::Rng rng(23);
  const Episode e = text_episode(rng, 1500, 8, corpus);
  const int P = e.answer_begin - 1;
  SmallLm lm(committed_small_lm());
  PrefillCapture cap;
  lm.prefill(std::span<const int>(e.tokens).first(P), nullptr, &cap);
  SmallLm full = lm, draft = lm;
  const auto& c = committed_small_lm().config;
  auto pol = kv::make_policy("streaming", {{"budget", 64}});
  pol->begin({c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, P});
  for (int l = 0; l < c.n_layers; ++l) pol->prefill({l, P, &cap.queries[l], &draft.layer_keys(l), &draft.layer_values(l)});
  const Eigen::VectorXf lp = full.decode(e.tokens[P]), lq = draft.decode(e.tokens[P], pol.get());
  const std::vector<double> p = spec::distribution({lp.data(), lp.data() + lp.size()}, 0.8, 1.0);
  const std::vector<double> q = spec::distribution({lq.data(), lq.data() + lq.size()}, 0.8, 1.0);
  double overlap = 0;
  for (std::size_t i = 0; i < p.size(); ++i) overlap += std::min(p[i], q[i]);
  ASSERT_LT(overlap, 0.995) << "draft and target must differ for the test to mean something";
  const int n = 60000;
  std::vector<int> hist(p.size(), 0);
  int accepted = 0;
  kvsim::sim::Rng srng(99);
  for (int i = 0; i < n; ++i) {
    const int x = spec::sample(q, srng);
    const spec::Verdict v = spec::verify(p, q, x, srng);
    accepted += v.accepted;
    ++hist[static_cast<std::size_t>(v.token)];
  }
  double chi2 = 0;
  int dof = -1;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p[i] * n >= 20) {
      const double expect = p[i] * n;
      chi2 += (hist[i] - expect) * (hist[i] - expect) / expect;
      ++dof;
    }
  ASSERT_GT(dof, 2);
  // chi-square 99.9% quantile is below dof + 3.3 sqrt(2 dof) + 10 for these sizes.
  EXPECT_LT(chi2, dof + 3.3 * std::sqrt(2.0 * dof) + 10) << "dof " << dof;
  EXPECT_NEAR(static_cast<double>(accepted) / n, overlap, 0.01);
}
