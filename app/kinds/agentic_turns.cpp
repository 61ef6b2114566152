// app/kinds/agentic_turns.cpp — S4: multi-turn agent sessions and prefix caching.
//
// Turn i (1-based) starts from a history of H_i = S + (i-1) T tokens (S: system prompt, T: tokens
// appended per turn), prefills the turn's new input of T - r tokens and decodes r response
// tokens. Without prefix caching every call re-processes the history: it prefills H_i + T - r
// tokens, a total quadratic in the number of turns. With prefix caching only the T - r new tokens
// are prefilled, linear in the turns. Between calls the session waits for its tool; the KV it
// holds meanwhile is the whole history, or, with StreamingLLM eviction, at most its budget
// (sinks + recent window).
#include <cmath>
#include <string>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "models/memory.h"
#include "models/serving/agentic.h"

namespace kvsim::runner {
namespace {

struct Config {
  struct Model {
    std::string name;
  } model;
  struct Session {
    std::int64_t system_tokens = 1024, turns = 30, turn_tokens = 2048, response_tokens = 512;
    double tool_wait = 60;  // s
    std::int64_t eviction_budget = 4096, idle_history_tokens = 20000, curve_stride = 256;
    std::string context_limit = "model";
  } session;
};

scenarios::Binder<Config> config_binder() {
  scenarios::Binder<Config::Model> model;
  model.bind("name", &Config::Model::name, "architecture in the zoo").required();
  using S = Config::Session;
  scenarios::Binder<S> s;
  s.bind("system_tokens", &S::system_tokens, "S: system prompt and task").min(0);
  s.bind("turns", &S::turns, "model calls in the session").min(1).max(10'000);
  s.bind("turn_tokens", &S::turn_tokens, "T: tokens appended to the history per turn (input + response)").min(1);
  s.bind("response_tokens", &S::response_tokens, "r: tokens generated per call").min(1);
  s.quantity("tool_wait", &S::tool_wait, scenarios::Dimension::kTime, "60 s", "idle time between calls (code execution)").min(0);
  s.bind("eviction_budget", &S::eviction_budget, "StreamingLLM budget kept while idle (sinks + recent)").min(1);
  s.bind("idle_history_tokens", &S::idle_history_tokens, "history of an idle session for the capacity check").min(1);
  s.bind("curve_stride", &S::curve_stride, "decode steps simulated every this many tokens").min(1);
  s.bind("context_limit", &S::context_limit, "stop at the model's max context (model) or go beyond it (ignore)")
      .choices({"model", "ignore"});
  scenarios::Binder<Config> b;
  b.table("model", &Config::model, "the model", model).required();
  b.schema_only("deployment", "the serving GPU", deployment_schema()).required();
  b.table("session", &Config::session, "the agent loop", s).required();
  return b;
}

class AgenticTurnsKind final : public BoundKind<Config> {
 public:
  explicit AgenticTurnsKind(std::shared_ptr<const Resources> res) : BoundKind(config_binder()), res_(std::move(res)) {}
  std::string_view name() const override { return "agentic-turns"; }
  std::string_view description() const override {
    return "multi-turn agent sessions with and without prefix caching; idle KV (Datarus S4)";
  }

 protected:
  KindOutput run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
};

}  // namespace

KindOutput AgenticTurnsKind::run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const models::Architecture& arch = res_->zoo().get(c.model.name, where(point, "model.name"));
  const models::Deployment dep = make_deployment(*res_, point, scenarios::get_table(point.tree, "deployment"), "deployment");
  const std::int64_t S = c.session.system_tokens, turns = c.session.turns, T = c.session.turn_tokens, r = c.session.response_tokens;
  const double wait = c.session.tool_wait;
  const std::int64_t budget = c.session.eviction_budget, idle_h = c.session.idle_history_tokens;
  if (r >= T) {
    throw scenarios::ScenarioError({{where(point, "session.response_tokens"), "session.response_tokens",
                                     "must be smaller than session.turn_tokens (the turn's input is the rest)"}});
  }
  const double gib = 1024.0 * 1024 * 1024, nan = std::nan("");
  KindOutput out;
  // The first turn whose history no longer fits the model's context window.
  const std::int64_t over = (arch.max_context - S) / T + 1 + ((arch.max_context - S) % T >= T - r ? 1 : 0);
  if (S + turns * T > arch.max_context) {
    if (c.session.context_limit == "model") {
      throw scenarios::ScenarioError({{where(point, "session.turns"), "session.turns",
                                       "the history reaches " + std::to_string(S + turns * T) + " tokens, beyond " + arch.name +
                                           "'s max context of " + std::to_string(arch.max_context) +
                                           "; lower the turns or set session.context_limit = \"ignore\""}});
    }
    out.table.push_back({"context", "max_context_exceeded_at_turn", "1", static_cast<double>(over), nan});
  }

  models::StepShape last;
  last.cached = S + turns * T;
  const models::MemoryPlan mem = models::plan_memory(arch, dep, last);
  if (!mem.fits()) {
    throw scenarios::ScenarioError({{point.file, "session", "the final history does not fit:\n" + mem.describe()}});
  }
  namespace serving = models::serving;
  serving::AgenticSession session;
  session.system_tokens = S;
  session.turns = turns;
  session.turn_tokens = T;
  session.response_tokens = r;
  session.tool_wait_s = wait;
  session.curve_stride = c.session.curve_stride;
  const serving::SessionCost cost = serving::run_sessions(engine, arch, dep, session);
  double tok_nc = 0, tok_c = 0, t_nc = 0, t_c = 0, t_dec = 0;
  results::Series per_turn_nc{"prefill_s_no_cache", "s", {}}, per_turn_c{"prefill_s_cache", "s", {}};
  for (std::size_t i = 0; i < cost.turns.size(); ++i) {
    const serving::TurnCost& c = cost.turns[i];
    const std::string row = "turn=" + std::to_string(i + 1);
    out.table.push_back({row, "prefill_tokens_no_cache", "1", static_cast<double>(c.prefill_tokens_no_cache), nan});
    out.table.push_back({row, "prefill_tokens_cache", "1", static_cast<double>(c.prefill_tokens_cache), nan});
    out.table.push_back({row, "prefill_s_no_cache", "s", c.prefill_s_no_cache, nan});
    out.table.push_back({row, "prefill_s_cache", "s", c.prefill_s_cache, nan});
    out.table.push_back({row, "decode_s", "s", c.decode_s, nan});
    per_turn_nc.values.push_back(c.prefill_s_no_cache);
    per_turn_c.values.push_back(c.prefill_s_cache);
    tok_nc += static_cast<double>(c.prefill_tokens_no_cache);
    tok_c += static_cast<double>(c.prefill_tokens_cache);
    t_nc += c.prefill_s_no_cache;
    t_c += c.prefill_s_cache;
    t_dec += c.decode_s;
  }
  out.table.push_back({"total", "prefill_tokens_no_cache", "1", tok_nc, nan});
  out.table.push_back({"total", "prefill_tokens_cache", "1", tok_c, nan});
  out.table.push_back({"total", "prefill_s_no_cache", "s", t_nc, nan});
  out.table.push_back({"total", "prefill_s_cache", "s", t_c, nan});
  out.table.push_back({"total", "decode_s", "s", t_dec, nan});
  out.table.push_back({"total", "session_s_no_cache", "s", cost.session_s_no_cache, nan});
  out.table.push_back({"total", "session_s_cache", "s", cost.session_s_cache, nan});

  // What idle sessions hold while their tools run.
  auto idle_rows = [&](const std::string& row, std::int64_t history) {
    const serving::IdleKv k = serving::idle_kv(arch, dep, history, budget, wait);
    out.table.push_back({row, "kv_held", "GiB", k.held / gib, nan});
    out.table.push_back({row, "kv_held_evicted", "GiB", k.held_evicted / gib, nan});
    out.table.push_back({row, "gib_s_per_wait", "GiB*s", k.gib_s_per_wait, nan});
    out.table.push_back({row, "gib_s_per_wait_evicted", "GiB*s", k.gib_s_per_wait_evicted, nan});
    out.table.push_back({row, "idle_sessions_fit", "1", k.sessions_fit, nan});
    out.table.push_back({row, "idle_sessions_fit_evicted", "1", k.sessions_fit_evicted, nan});
  };
  idle_rows("idle/final-history", S + turns * T);
  idle_rows("idle/history=" + std::to_string(idle_h), idle_h);
  out.series.push_back(std::move(per_turn_nc));
  out.series.push_back(std::move(per_turn_c));
  out.metrics.push_back({"prefill_tokens_no_cache", tok_nc, "1"});
  out.metrics.push_back({"prefill_tokens_cache", tok_c, "1"});
  return out;
}

std::unique_ptr<Kind> agentic_turns_kind(std::shared_ptr<const Resources> res) { return std::make_unique<AgenticTurnsKind>(std::move(res)); }

}  // namespace kvsim::runner
