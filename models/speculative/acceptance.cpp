// models/speculative/acceptance.cpp — see acceptance_source.h.
#include "models/speculative/acceptance.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "models/kv/policy.h"
#include "models/lm/policy_eval.h"

namespace kvsim::models::spec {

AcceptanceTrace AcceptanceTrace::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the acceptance trace");
  AcceptanceTrace t;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
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
  options.question_in_prefill = true;
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
  auto policy = models::kv::make_policy(spec.policy, params);
  return models::lm::evaluate_policy(*policy, episodes, options_of(spec)).draft_acceptance;
}

}  // namespace kvsim::models::spec
