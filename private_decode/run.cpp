// private_decode/run.cpp — one party's program (load, one-time work, the step) and every party
// on the simulated network; see run.h.
#include "private_decode/run.h"

#include <memory>
#include <stdexcept>

#include "private_decode/layers.h"
#include "private_decode/selector.h"
#include "protocols/sim_network.h"

namespace kvsim::private_decode {

PrivateCost& PrivateCost::operator+=(const PrivateCost& o) {
  seconds += o.seconds;
  bytes += o.bytes;
  rounds += o.rounds;
  return *this;
}

PrivateArch private_arch(const models::Architecture& a) {
  PrivateArch p;
  p.style = a.norm == "layernorm" ? "gpt2" : "llama";
  // The two block styles the private decode implements: Llama's (RMSNorm, gated SiLU) and GPT-2's
  // (LayerNorm, an ungated GeLU or SiLU). Another pairing would run a different MLP than the model
  // names, so it is refused rather than approximated.
  const bool gated = a.activation == "swiglu";
  if (gated != (p.style == "llama"))
    throw std::invalid_argument("private decode: model '" + a.name + "' pairs norm '" + a.norm + "' with activation '" +
                                a.activation + "'; supported: rmsnorm with swiglu, layernorm with gelu or silu");
  if (!gated) p.activation = a.activation;
  p.layers = static_cast<int>(a.layers);
  p.d_model = static_cast<int>(a.hidden);
  p.heads = static_cast<int>(a.heads);
  p.kv_heads = static_cast<int>(a.kv_heads);
  p.head_dim = static_cast<int>(a.head_dim);
  p.ffn = static_cast<int>(a.ffn);
  p.vocab = static_cast<int>(a.vocab);
  return p;
}

PrivateArch private_arch(const models::lm::LmConfig& c) {
  return {"llama", c.n_layers, c.d_model, c.n_heads, c.n_kv_heads, c.head_dim, c.ffn_hidden, c.vocab, c.rope_base};
}

PrivateCost between(const protocols::Meter::Reading& a, const protocols::Meter::Reading& b) {
  const CommStats d = b.stats - a.stats, off = b.offline - a.offline;
  return {sim::to_seconds(b.time - a.time), static_cast<double>(d.bytes_sent), static_cast<std::int64_t>(d.rounds - off.rounds)};
}

namespace {

Task<void> party_into(const PrivateRun& run, Protocol& P, PartyClock clock, PartyResult& out) {
  out = co_await private_decode_party(run, P, std::move(clock));
}

}  // namespace

Task<PartyResult> private_decode_party(const PrivateRun& run, Protocol& P, PartyClock clock) {
  Context ctx{run, Ops{P}, {}, 0};
  Ops& ops = ctx.ops;
  protocols::Meter& meter = P.meter();
  meter.set_recording(false);  // the step is what the run reports by category
  meter.set_clock(clock);
  const std::unique_ptr<Selector> selector = make_selector(ctx);
  PartyResult out;
  co_await load_model(ctx);
  const protocols::Meter::Reading m0 = meter.read();
  co_await selector->after_prefill();
  const protocols::Meter::Reading m1 = meter.read();
  out.one_time = between(m0, m1);
  // The client's token.
  RingTensor t(Shape{1});
  t.data[0] = static_cast<Ring>(run.token);
  meter.set_recording(true);
  const protocols::Meter::Reading s0 = meter.read();
  const Shape token_shape = Shape{1};
  Share tok = co_await ops.input("other", 1, P.id() == 1 && run.model != nullptr ? &t : nullptr, token_shape);
  StepOutput step;
  co_await decode_step(ctx, *selector, std::move(tok), step);
  const protocols::Meter::Reading s1 = meter.read();
  meter.set_recording(false);
  out.step = between(s0, s1);
  out.logits = std::move(step.logits);
  out.revealed = std::move(step.revealed);
  out.token = step.token;
  out.attended = step.attended;
  for (const auto& [cat, c] : meter.categories())
    if (!cat.empty())  // why: local work between ops is in the step's total, in no category
      out.by_category[cat] = {c.seconds, static_cast<double>(c.measured.bytes_sent), static_cast<std::int64_t>(c.measured.rounds)};
  out.declared = meter.declared();
  co_return out;
}

PrivateStep run_private_decode(sim::Engine& engine, const PrivateRun& run, const hardware::LinkProfile& link,
                               const hardware::HostProfile& host) {
  check_private_run(run);
  const int parties = protocols::parties_of(run.family);
  protocols::SimNetwork net(engine, parties, link, host);
  std::vector<std::unique_ptr<Protocol>> ps;
  std::vector<PartyResult> results(static_cast<std::size_t>(parties));
  const bool cost_mode = run.model == nullptr;
  const PartyClock clock = [&engine] { return engine.now(); };
  for (int p = 0; p < parties; ++p)
    ps.push_back(protocols::make_protocol(run.family, net.channel(p), run.seed, protocols::kDefaultFracBits, cost_mode));
  for (int p = 0; p < parties; ++p)
    engine.spawn(party_into(run, *ps[static_cast<std::size_t>(p)], clock, results[static_cast<std::size_t>(p)]), "P" + std::to_string(p));
  const sim::RunResult r = engine.run();
  if (!r.parked.empty()) throw std::logic_error("private decode: a party is stuck");

  PrivateStep out;
  const PartyResult& p0 = results[0];
  out.logits = p0.logits;
  out.revealed = p0.revealed;
  out.token = p0.token;
  out.attended = p0.attended;
  out.total = p0.step;
  out.one_time = p0.one_time;
  out.total.bytes = out.one_time.bytes = 0;
  for (const PartyResult& pr : results) {
    out.party_bytes.push_back(pr.step.bytes);
    out.total.bytes += pr.step.bytes;
    out.one_time.bytes += pr.one_time.bytes;
    for (const auto& [cat, c] : pr.by_category) out.by_category[cat].bytes += c.bytes;
  }
  for (const auto& [cat, c] : p0.by_category) {
    out.by_category[cat].rounds = c.rounds;
    out.by_category[cat].seconds = c.seconds;
  }
  const OpCost& d = p0.declared;
  for (std::size_t p = 0; p < d.bytes.size(); ++p) out.declared.bytes += d.bytes[p];
  out.declared.bytes += d.offline_bytes;  // the dealer's preprocessing (semi2k), measured too
  out.declared.rounds = d.rounds.empty() ? 0 : d.rounds[0];
  return out;
}

void check_private_run(const PrivateRun& run) {
  if (run.output != "logits" && run.output != "argmax")
    throw std::invalid_argument("private decode: output must be \"logits\" or \"argmax\", not \"" + run.output + "\"");
  if (run.arch.heads % run.arch.kv_heads != 0) throw std::invalid_argument("private decode: heads must be a multiple of kv heads");
  const std::string& mode = run.selection.static_mode;
  if (mode != "one-hot" && mode != "reveal" && mode != "plaintext")
    throw std::invalid_argument("private decode: static_mode must be one-hot, reveal or plaintext, not \"" + mode + "\"");
  if (!run.model) return;
  if (run.model->length() < run.context) throw std::invalid_argument("private decode: the model holds fewer prompt tokens than context");
  const MpcSelection& s = run.selection;
  if (s.method == "static") {
    if (!run.static_kept || static_cast<int>(run.static_kept->size()) != run.arch.layers)
      throw std::invalid_argument("private decode: execute-mode static selection needs the kept rows of every layer");
    for (const auto& layer : *run.static_kept)
      for (const auto& rows : layer)
        for (int t : rows)
          if (t < 0 || t >= run.context) throw std::invalid_argument("private decode: a kept row lies outside the prompt");
  }
  if (s.method == "mpcache" && s.static_eviction) {
    if (!run.static_scores || static_cast<int>(run.static_scores->size()) != run.arch.layers)
      throw std::invalid_argument("private decode: execute-mode static eviction needs the prompt's scores for every layer");
    for (const auto& row : *run.static_scores)
      if (static_cast<int>(row.size()) != run.context)
        throw std::invalid_argument("private decode: static-eviction scores must cover the context");
  }
}

}  // namespace kvsim::private_decode
