// protocols/cost_table.cpp — evaluating a family's cost rows and writing them as text.
#include "protocols/cost_table.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

namespace kvsim::protocols {

OpCost& operator+=(OpCost& a, const OpCost& b) {
  if (b.rounds.empty()) return a;
  if (a.rounds.empty()) return a = b;
  for (std::size_t p = 0; p < a.rounds.size(); ++p) {
    a.rounds[p] += b.rounds[p];
    a.bytes[p] += b.bytes[p];
  }
  a.offline_bytes += b.offline_bytes;
  return a;
}

OpCost operator+(OpCost a, const OpCost& b) { return a += b; }

CostTable::CostTable(std::string family, std::array<std::string_view, 3> parties, std::vector<CostRule> rules)
    : family_(std::move(family)), parties_(parties), rules_(std::move(rules)) {}

CostTable CostTable::with_changes(std::string family, std::vector<CostRule> changes) const {
  std::vector<CostRule> rules = rules_;
  for (CostRule& c : changes) {
    auto it = std::find_if(rules.begin(), rules.end(), [&](const CostRule& r) { return r.op == c.op; });
    if (it != rules.end()) *it = std::move(c);
    else rules.push_back(std::move(c));
  }
  return CostTable(std::move(family), parties_, std::move(rules));
}

bool CostTable::has(Op op) const {
  for (const CostRule& r : rules_)
    if (r.op == op) return true;
  return false;
}

const CostRule& CostTable::rule(Op op) const {
  for (const CostRule& r : rules_)
    if (r.op == op) return r;
  throw std::invalid_argument(family_ + ": no declared cost for '" + std::string(op_name(op)) + "'");
}

namespace {
constexpr double kElementBytes = 8.0;  // K: one 64-bit ring element

double elements(const Elements& e, std::int64_t n, const MatDims& d, int bits) {
  const auto b = static_cast<double>(d.batch), m = static_cast<double>(d.m), k = static_cast<double>(d.k),
             nn = static_cast<double>(d.n);
  const auto w = static_cast<double>((n + 63) / 64);
  return e.n * static_cast<double>(n) + e.n_bits * static_cast<double>(n) * bits + e.planes * w + e.left * b * m * k +
         e.right * b * k * nn + e.out * b * m * nn;
}

std::string coefficient(double c) {
  std::ostringstream s;
  s << c;
  return s.str();
}

std::string text(const Elements& e) {
  std::string out;
  auto term = [&](double c, const char* size) {
    if (c == 0) return;
    if (!out.empty()) out += " + ";
    if (c != 1) out += coefficient(c) + " ";
    out += size;
    out += " K";
  };
  term(e.n, "n");
  term(e.left, "b m k");
  term(e.right, "b k n");
  term(e.out, "b m n");
  term(e.n_bits, "n bits");
  term(e.planes, "w");
  return out.empty() ? "0" : out;
}

bool same(const Elements& a, const Elements& b) {
  return a.n == b.n && a.left == b.left && a.right == b.right && a.out == b.out && a.n_bits == b.n_bits &&
         a.planes == b.planes;
}

// "v" when every party has v; else the most common value and the exceptions, e.g.
// "20 n K (party 1: 23 n K)".
template <class T, class Same, class Text>
std::string per_party(const std::array<T, 3>& v, const std::array<std::string_view, 3>& names, Same eq, Text txt) {
  std::size_t common = 0;
  int best = -1;
  for (std::size_t i = 0; i < 3; ++i) {
    int count = 0;
    for (std::size_t j = 0; j < 3; ++j) count += eq(v[i], v[j]) ? 1 : 0;
    if (count > best) best = count, common = i;
  }
  std::string out = txt(v[common]), exceptions;
  for (std::size_t i = 0; i < 3; ++i) {
    if (eq(v[i], v[common])) continue;
    if (!exceptions.empty()) exceptions += "; ";
    exceptions += std::string(names[i]) + ": " + txt(v[i]);
  }
  return exceptions.empty() ? out : out + " (" + exceptions + ")";
}
}  // namespace

OpCost CostTable::cost(Op op, std::int64_t n, const MatDims& d, int bits) const {
  const CostRule& r = rule(op);
  OpCost c;
  c.rounds.assign(r.rounds.begin(), r.rounds.end());
  for (const Elements& e : r.bytes) c.bytes.push_back(kElementBytes * elements(e, n, d, bits));
  c.offline_bytes = kElementBytes * elements(r.offline, n, d, bits);
  return c;
}

std::vector<CostFormula> CostTable::formulas() const {
  std::vector<CostFormula> rows;
  for (const CostRule& r : rules_) {
    const bool product = r.op == Op::kMatmul || r.op == Op::kMatmulOperand;
    std::string name(op_name(r.op));
    if (product) name += " (b, m, k, n)";
    if (r.op == Op::kPrepareOperand) name += " (n = b k n of the operand)";
    const std::string rounds = per_party(
        r.rounds, parties_, [](std::int64_t a, std::int64_t b) { return a == b; },
        [](std::int64_t v) { return std::to_string(v); });
    std::string bytes = per_party(r.bytes, parties_, same, [](const Elements& e) { return text(e); });
    if (!same(r.offline, Elements{})) bytes += "; offline " + text(r.offline) + " from " + std::string(parties_[2]);
    rows.push_back({std::move(name), rounds, std::move(bytes), std::string(r.how)});
  }
  return rows;
}

}  // namespace kvsim::protocols
