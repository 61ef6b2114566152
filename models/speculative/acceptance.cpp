// models/speculative/acceptance.cpp — see acceptance_source.h.
#include "models/speculative/acceptance.h"

#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "models/kv/policy.h"
#include "models/lm/policy_eval.h"
#include "results/sha256.h"

namespace kvsim::models::spec {

namespace {
constexpr std::string_view kTraceTag = "kvsim-acceptance-trace 2 sha256=";
}  // namespace

std::string AcceptanceTrace::seal(std::string_view body) {
  return std::string(kTraceTag) + results::sha256_hex(body.data(), body.size()) + "\n" + std::string(body);
}

AcceptanceTrace AcceptanceTrace::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the acceptance trace");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse(text, path);
}

AcceptanceTrace AcceptanceTrace::parse(std::string_view text_view, const std::string& path) {
  const std::string text(text_view);
  const std::size_t eol = text.find('\n');
  const std::string first = text.substr(0, eol);
  if (first.rfind(kTraceTag, 0) != 0)
    throw std::runtime_error(path + ":1: the first line is not '" + std::string(kTraceTag) +
                             "<hex>' (an unsealed or version-1 trace); seal it with `/usr/bin/python3 "
                             "tools/trace/seal_acceptance_trace.py " + path + "`");
  const std::string stored = first.substr(kTraceTag.size());
  const std::string body = eol == std::string::npos ? std::string() : text.substr(eol + 1);
  if (const std::string actual = results::sha256_hex(body.data(), body.size()); actual != stored)
    throw std::runtime_error(path + ":1: SHA-256 of the outcomes is " + actual + " but the header says " + stored +
                             ": the acceptance trace is corrupted or was edited after sealing (seal it again if the edit was yours)");
  AcceptanceTrace t;
  std::istringstream lines(body);
  std::string line;
  for (int lineno = 2; std::getline(lines, line); ++lineno) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    for (std::string w; words >> w;) {
      if (w != "0" && w != "1")
        throw std::runtime_error(path + ":" + std::to_string(lineno) + ": expected 0 (rejected) or 1 (accepted), found '" + w + "'");
      t.outcomes_.push_back(w == "1");
    }
  }
  if (t.outcomes_.empty()) throw std::runtime_error(path + ": the acceptance trace holds no outcomes");
  return t;
}

int AcceptanceTrace::round(int gamma) {
  int accepted = 0;
  while (accepted < gamma) {
    const bool ok = outcomes_[next_];
    next_ = (next_ + 1) % outcomes_.size();
    if (!ok) break;
    ++accepted;
  }
  return accepted;
}

double AcceptanceTrace::alpha() const {
  std::size_t ones = 0;
  for (auto o : outcomes_) ones += o;
  return static_cast<double>(ones) / static_cast<double>(outcomes_.size());
}

namespace {
models::lm::EvalOptions options_of(const SmallModelAcceptance& spec) {
  models::lm::EvalOptions options;
  options.temperature = spec.temperature;
  options.top_p = spec.top_p;
  options.mode = models::lm::EvalMode::kWholePrompt;
  options.measure_attention = false;  // the acceptance is a token-level figure
  return options;
}
}  // namespace

std::vector<models::lm::Episode> small_model_raw_episodes(const SmallModelAcceptance& spec) {
  namespace lm = models::lm;
  sim::RandomStreams streams(spec.seed);
  sim::Rng rng = streams.stream("acceptance/small-model");
  const std::string corpus = lm::load_heldout_corpus();
  std::vector<lm::Episode> episodes;
  for (int i = 0; i < spec.episodes; ++i)
    episodes.push_back(spec.task == "passkey" ? lm::passkey_episode(rng, spec.context, lm::Filler::kCorpus, corpus)
                                              : lm::text_episode(rng, spec.context, 64, corpus));
  return episodes;
}

models::lm::PreparedEpisode prepare_small_model_episode(const models::lm::LmWeights& weights, models::lm::Episode e,
                                                        const SmallModelAcceptance& spec) {
  return models::lm::prepare_episode(weights, std::move(e), options_of(spec));
}

double small_model_alpha(const std::vector<models::lm::PreparedEpisode>& episodes, const SmallModelAcceptance& spec) {
  models::kv::PolicyParams params{{"budget", spec.budget}};
  if (spec.policy == "triforce") params["chunk"] = spec.chunk;
  // Parameters the spec leaves unset are token-sized defaults scaled to the model's positions.
  const double per_token = episodes.empty() ? 1.0 : episodes.front().model.config().positions_per_token();
  auto policy = models::kv::make_policy(spec.policy, params, per_token);
  return models::lm::evaluate_policy(*policy, episodes, options_of(spec)).draft_acceptance;
}

}  // namespace kvsim::models::spec
