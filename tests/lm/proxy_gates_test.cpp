// tests/lm/proxy_gates_test.cpp — the gates that say whether the small model behaves like an LLM
// (models/lm/proxy_gates.h), the needle share a policy keeps, the evaluation modes and the start
// byte a checkpoint can carry.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "models/kv/policy.h"
#include "models/lm/policy_eval.h"
#include "models/lm/small_lm.h"
#include "tests/support/committed_model.h"
#include "results/sha256.h"

using kvsim::testing::committed_small_lm;
using namespace kvsim::models;
using namespace kvsim::models::lm;

namespace {

std::vector<PreparedEpisode> passkeys(int n, int context, double depth, EvalMode mode) {
  static const std::string corpus = load_heldout_corpus();
  kvsim::sim::Rng rng(41);
  EvalOptions opt;
  opt.mode = mode;
  std::vector<PreparedEpisode> eps;
  for (int i = 0; i < n; ++i) eps.push_back(prepare_episode(committed_small_lm(), passkey_episode(rng, context, Filler::kCorpus, corpus, depth), opt));
  return eps;
}

}  // namespace

// The needle is the sentence that holds the answer: the passkey's needle, the asked fact.
TEST(ProxyGates, TheNeedleIsTheSentenceHoldingTheAnswer) {
  kvsim::sim::Rng rng(3);
  auto text = [](const Episode& ep, int from, int to) { return std::string(ep.tokens.begin() + from, ep.tokens.begin() + to); };
  const Episode e = passkey_episode(rng, 700, Filler::kClassic, "", 0.4);
  const std::string key = text(e, e.answer_begin, e.answer_end);
  EXPECT_EQ(text(e, e.needle.front(), e.needle.back() + 1), " The pass key is " + key + ". Remember it. " + key + " is the pass key. ");
  EXPECT_EQ(static_cast<int>(e.needle.size()), e.needle.back() - e.needle.front() + 1);
  const Episode kv = kv_lookup_episode(rng, 700, Filler::kClassic, "");
  const std::string fact = text(kv, kv.needle.front(), kv.needle.back() + 1);
  EXPECT_NE(fact.find(" is " + text(kv, kv.answer_begin, kv.answer_end) + ". "), std::string::npos) << fact;
  const Episode named = needles_episode(rng, 900, Filler::kCorpus, load_heldout_documents());
  const std::string asked = text(named, named.needle.front(), named.needle.back() + 1);
  const std::string question = text(named, named.question_begin, named.answer_begin);
  const std::string name = asked.substr(asked.find(" of ") + 4, asked.find(" is ") - asked.find(" of ") - 4);
  EXPECT_NE(question.find(" of " + name + "?"), std::string::npos) << asked << " | " << question;
  EXPECT_NE(asked.find(text(named, named.answer_begin, named.answer_end)), std::string::npos);
  EXPECT_EQ(static_cast<int>(named.tokens.size()), 900);
  const Episode shifted = with_start_byte(e, 2);
  EXPECT_EQ(shifted.tokens[0], 2);
  EXPECT_EQ(shifted.answer_begin, e.answer_begin + 1);
  EXPECT_EQ(shifted.needle.front(), e.needle.front() + 1);
  EXPECT_EQ(shifted.tokens[shifted.needle[0]], e.tokens[e.needle[0]]);
}

// The full cache keeps every needle position; StreamingLLM, whose window ends far after a needle at
// 20% depth, keeps none; a policy's share lies between.
TEST(ProxyGates, NeedleKeptIsTheShareOfTheNeedleSelected) {
  const auto eps = passkeys(3, 2048, 0.2, EvalMode::kWholePrompt);
  EvalOptions opt;
  auto full = kv::make_policy("full", {});
  auto streaming = kv::make_policy("streaming", {{"budget", 256}}, 4.0);
  auto quest = kv::make_policy("quest", {{"budget", 256}}, 4.0);
  EXPECT_DOUBLE_EQ(evaluate_policy(*full, eps, opt).needle_kept, 1.0);
  EXPECT_DOUBLE_EQ(evaluate_policy(*streaming, eps, opt).needle_kept, 0.0);
  const double q = evaluate_policy(*quest, eps, opt).needle_kept;
  EXPECT_GT(q, 0.0);
  EXPECT_LE(q, 1.0);
}

// Gates are shares of softmax rows, the same for every policy, and the committed model's answer
// rows copy the needle (its retrieval is real, whatever the question rows do).
TEST(ProxyGates, GatesAreSharesOfTheFullCachesAttention) {
  const auto eps = passkeys(3, 1024, -1, EvalMode::kWholePrompt);
  EvalOptions opt;
  auto full = kv::make_policy("full", {});
  auto h2o = kv::make_policy("h2o", {{"budget", 256}});
  const auto a = evaluate_policy(*full, eps, opt), b = evaluate_policy(*h2o, eps, opt);
  for (double g : {a.gates.question_needle_mass, a.gates.answer_needle_mass, a.gates.sink_mass, a.gates.window_answer_overlap}) {
    EXPECT_GE(g, 0.0);
    EXPECT_LE(g, 1.0);
  }
  EXPECT_EQ(a.gates.question_needle_mass, b.gates.question_needle_mass);
  EXPECT_EQ(a.gates.window_answer_overlap, b.gates.window_answer_overlap);
  EXPECT_EQ(a.gates.window, 128);  // SnapKV's 32-token window at 4 bytes per token
  EXPECT_GT(a.gates.answer_needle_mass, 0.5);
  std::printf("gates (3 episodes, 1,024 bytes): question->needle %.3f, answer->needle %.3f, sink %.4f, window/answer overlap %.3f\n",
              a.gates.question_needle_mass, a.gates.answer_needle_mass, a.gates.sink_mass, a.gates.window_answer_overlap);
}

// Whole-prompt prefills the question and decodes from its last byte; question-agnostic decodes the
// question through the policy. The full cache gives the same answers either way.
TEST(ProxyGates, EvaluationModesPlaceThePrefillBoundary) {
  const auto whole = passkeys(2, 600, 0.5, EvalMode::kWholePrompt);
  const auto agnostic = passkeys(2, 600, 0.5, EvalMode::kQuestionAgnostic);
  for (std::size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(whole[i].prefill_end, whole[i].episode.answer_begin - 1);
    EXPECT_EQ(agnostic[i].prefill_end, agnostic[i].episode.question_begin);
  }
  EXPECT_EQ(parse_eval_mode("whole-prompt"), EvalMode::kWholePrompt);
  EXPECT_STREQ(eval_mode_name(parse_eval_mode("question-agnostic")), "question-agnostic");
  EXPECT_THROW(parse_eval_mode("needle"), std::invalid_argument);
  auto full = kv::make_policy("full", {});
  EvalOptions opt;
  EXPECT_EQ(evaluate_policy(*full, whole, opt).answer_accuracy, evaluate_policy(*full, agnostic, opt).answer_accuracy);
}

// Format 3 carries a start byte; a model that has one sees it first in every episode. An
// out-of-vocabulary start byte is refused.
TEST(ProxyGates, FormatThreeCarriesTheStartByte) {
  std::ifstream in(default_small_lm_path(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::uint32_t version = 0;
  std::memcpy(&version, bytes.data() + 8, 4);
  // The configuration ends 84 bytes in (format 2) or 88 (format 3, after the start byte).
  const std::string before = bytes.substr(44, 40), after = bytes.substr(version == 3 ? 88 : 84);
  auto write = [&](std::uint32_t start, const char* name) {
    std::string payload = before + std::string(reinterpret_cast<const char*>(&start), 4) + after;
    const std::string hex = kvsim::results::sha256_hex(payload.data(), payload.size());
    std::string digest;
    for (std::size_t i = 0; i < hex.size(); i += 2) digest += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    const std::uint32_t three = 3;
    const std::string file = bytes.substr(0, 8) + std::string(reinterpret_cast<const char*>(&three), 4) + digest + payload;
    const std::string path = (std::filesystem::temp_directory_path() / name).string();
    std::ofstream(path, std::ios::binary).write(file.data(), static_cast<std::streamsize>(file.size()));
    return path;
  };
  const LmWeights w = load_small_lm(write(2, "kvsim_v3_start.bin"));
  EXPECT_EQ(w.config.start_byte, 2);
  EXPECT_TRUE(w.embed.isApprox(committed_small_lm().embed, 0.0f));
  kvsim::sim::Rng rng(8);
  const Episode e = passkey_episode(rng, 400, Filler::kClassic, "", 0.5);
  const PreparedEpisode p = prepare_episode(w, e, EvalOptions{});
  EXPECT_EQ(p.episode.tokens.front(), 2);
  EXPECT_EQ(p.episode.answer_begin, e.answer_begin + 1);
  EXPECT_EQ(load_small_lm(write(0xFFFFFFFFu, "kvsim_v3_none.bin")).config.start_byte, -1);
  EXPECT_EQ(load_small_lm(previous_small_lm_path()).config.start_byte, -1);  // format 2: none
  try {
    load_small_lm(write(300, "kvsim_v3_bad.bin"));
    ADD_FAILURE() << "a start byte outside the vocabulary was accepted";
  } catch (const std::runtime_error& err) {
    EXPECT_NE(std::string(err.what()).find("start byte 300"), std::string::npos) << err.what();
  }
}

// The literature's qualitative results on the committed model (whole prompt, 2,048 bytes of
// held-out documents, budget 256 bytes): the full cache answers, StreamingLLM (the needle far
// outside its window) does not, Quest stays at the full cache's level, SnapKV with its window on
// the question keeps the answer, and SnapKV without the question in its window does worse.
TEST(ProxyGates, TheCommittedModelBehavesLikeTheLiterature) {
  static const std::string docs = load_heldout_documents();
  auto episodes = [&](EvalMode mode) {
    kvsim::sim::Rng rng(2027);
    EvalOptions opt;
    opt.mode = mode;
    std::vector<PreparedEpisode> eps;
    for (int i = 0; i < 12; ++i) eps.push_back(prepare_episode(committed_small_lm(), passkey_episode(rng, 2048, Filler::kCorpus, docs), opt));
    return eps;
  };
  const auto whole = episodes(EvalMode::kWholePrompt), agnostic = episodes(EvalMode::kQuestionAgnostic);
  const double per_token = committed_small_lm().config.positions_per_token();
  auto accuracy = [&](const std::vector<PreparedEpisode>& eps, const char* name, kv::PolicyParams p) {
    auto policy = kv::make_policy(name, p, per_token);
    return evaluate_policy(*policy, eps, EvalOptions{}).answer_accuracy;
  };
  const double full = accuracy(whole, "full", {});
  const double streaming = accuracy(whole, "streaming", {{"budget", 256}});
  const double quest = accuracy(whole, "quest", {{"budget", 256}});
  const double snap_question = accuracy(whole, "snapkv", {{"budget", 256}, {"window", 32}});
  const double snap_default = accuracy(whole, "snapkv", {{"budget", 256}});
  const double snap_agnostic = accuracy(agnostic, "snapkv", {{"budget", 256}});
  std::printf("whole prompt, 2,048 bytes, budget 256: full %.2f, streaming %.2f, quest %.2f, snapkv (window 32) %.2f, "
              "snapkv (window 128) %.2f; question-agnostic snapkv %.2f\n",
              full, streaming, quest, snap_question, snap_default, snap_agnostic);
  EXPECT_GE(full, 0.75);  // 12 episodes; models/small/quality.toml has the 100-episode figure
  EXPECT_LT(streaming, 0.3);
  EXPECT_GE(quest, full - 0.1);
  EXPECT_GE(snap_question, 0.8 * full);
  EXPECT_LT(snap_agnostic, snap_default);
}
