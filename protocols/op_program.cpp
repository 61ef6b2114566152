// protocols/op_program.cpp — the benchmark ops as one SPMD program.
#include "protocols/op_program.h"

#include <algorithm>
#include <stdexcept>

#include "protocols/share_layout.h"
#include "sim/random.h"

namespace kvsim::protocols {

const std::vector<std::string>& op_names() {
  static const std::vector<std::string> names = {"matmul", "less-than", "exp", "equality", "one-hot"};
  return names;
}

void check_op(const OpSpec& spec) {
  const auto& names = op_names();
  if (std::find(names.begin(), names.end(), spec.op) == names.end()) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown op '" + spec.op + "' (ops: " + known + ")");
  }
  if (spec.n < 1 || spec.m < 1 || spec.k < 1 || spec.classes < 1) throw std::invalid_argument("op sizes must be positive");
  if (spec.repeat < 1) throw std::invalid_argument("repeat must be at least 1");
}

namespace {
std::vector<double> uniform(std::uint64_t seed, const char* name, std::size_t n, double lo, double hi) {
  sim::Rng rng = sim::RandomStreams(seed).stream(std::string("op/") + name);
  std::vector<double> v(n);
  for (auto& x : v) x = lo + (hi - lo) * sim::uniform01(rng);
  return v;
}
}  // namespace

sim::Task<OpResult> op_program(Protocol& P, OpSpec spec, std::function<double()> clock) {
  check_op(spec);
  const bool mat = spec.op == "matmul";
  const Shape sa = mat ? Shape{spec.m, spec.k} : Shape{spec.n};
  const Shape sb = mat ? Shape{spec.k, spec.n} : Shape{spec.n};
  const bool two = spec.op != "exp" && spec.op != "one-hot";
  const int f = P.frac_bits();
  RingTensor a, b;
  if (P.id() == 0) {
    if (spec.op == "one-hot") {
      std::vector<double> idx = uniform(spec.data_seed, "a", static_cast<std::size_t>(spec.n), 0, static_cast<double>(spec.classes));
      a = RingTensor(sa);
      for (std::size_t i = 0; i < idx.size(); ++i) a.data[i] = static_cast<Ring>(std::min<double>(idx[i], static_cast<double>(spec.classes - 1)));
    } else {
      a = encode(sa, uniform(spec.data_seed, "a", static_cast<std::size_t>(numel(sa)), spec.op == "exp" ? -8 : -4, spec.op == "exp" ? 0 : 4), f);
    }
  }
  if (P.id() == 1 && two) {
    b = encode(sb, uniform(spec.data_seed, "b", static_cast<std::size_t>(numel(sb)), -4, 4), f);
    if (spec.op == "equality" && !b.data.empty()) b.data[0] = 0;  // some equal pairs (party 0's a[0] too)
  }
  if (P.id() == 0 && spec.op == "equality" && !a.data.empty()) a.data[0] = 0;
  Share x = co_await P.input(0, P.id() == 0 ? &a : nullptr, sa);
  Share y;
  if (two) y = co_await P.input(1, P.id() == 1 ? &b : nullptr, sb);

  auto offline_now = [&P] {
    const auto& tags = P.channel().stats_by_tag();
    const auto it = tags.find("offline");
    return it == tags.end() ? CommStats{} : it->second;
  };
  OpResult r;
  Share out;
  for (int run = 0; run < spec.repeat; ++run) {
    const CommStats before = P.channel().stats(), offline_before = offline_now();
    const double t0 = clock ? clock() : 0;
    if (mat) out = co_await P.matmul(x, y, MatDims{1, spec.m, spec.k, spec.n});
    else if (spec.op == "less-than") out = co_await P.less_than(x, y);
    else if (spec.op == "exp") out = co_await P.exp(x);
    else if (spec.op == "equality") {
      const Share diff = P.sub(x, y);  // named: see docs/architecture.md (GCC 12)
      out = co_await P.eqz(diff);
    }
    else out = co_await P.one_hot(x, spec.classes);
    r.seconds = clock ? clock() - t0 : 0;
    if (run == 0) r.first_seconds = r.seconds;
    const CommStats offline = offline_now() - offline_before;
    r.op = P.channel().stats() - before - offline;
    r.offline_bytes = offline.bytes_sent;
  }
  // A few outputs, for checks (outside the measurement).
  const std::int64_t shown = std::min<std::int64_t>(out.size(), 8);
  const Share head = gather_cols(out, 1, out.size(), 0, 1, shown);
  const RingTensor opened = co_await P.reveal(head);
  r.revealed = opened.data;
  co_return r;
}

}  // namespace kvsim::protocols
