// protocols/plaintext.cpp — the reference: every party holds every value.
#include <stdexcept>

#include "protocols/families.h"

namespace kvsim::protocols {

sim::Task<Share> Plaintext::input(int owner, const RingTensor* value, Shape shape) {
  // The owner sends the value to everyone: the plaintext world still has to move its inputs.
  const std::size_t n = static_cast<std::size_t>(numel(shape));
  Share out{shape, {}, {}, cost_mode_};
  if (id() == owner) {
    if (!cost_mode_ && (!value || value->shape != shape))
      throw std::invalid_argument("input: the owner's value is missing or of another shape");
    std::vector<Outgoing> out_msgs;
    for (int p = 0; p < parties(); ++p)
      if (p != owner) out_msgs.push_back({p, cost_mode_ ? std::vector<Ring>{} : value->data, n * 8});
    auto msgs = std::move(out_msgs);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "input");
    if (!cost_mode_) out.s0 = value->data;
    co_return out;
  }
  auto msgs = send_nothing();
  auto srcs = recv_from(owner);
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "input");
  if (!cost_mode_) out.s0 = std::move(got[0]);
  co_return out;
}

sim::Task<RingTensor> Plaintext::reveal(const Share& x) {
  note_reveal("reveal", x.size());
  RingTensor out(x.shape);
  if (x.cost_only) out.data.clear();
  else out.data = x.s0;
  co_return out;
}

Share Plaintext::add_public(const Share& a, const RingTensor& c) const {
  Share out = a;
  if (!a.cost_only) for (std::size_t i = 0; i < out.s0.size(); ++i) out.s0[i] += c.data[i];
  return out;
}

sim::Task<Share> Plaintext::mul(const Share& a, const Share& b) {
  if (a.shape != b.shape) throw std::invalid_argument("mul: shapes differ");
  Share out{a.shape, {}, {}, a.cost_only || b.cost_only};
  if (!out.cost_only) {
    out.s0.resize(a.s0.size());
    for (std::size_t i = 0; i < a.s0.size(); ++i) out.s0[i] = a.s0[i] * b.s0[i];
  }
  co_return out;
}

sim::Task<Share> Plaintext::matmul(const Share& a, const Share& b, MatDims d) {
  check_matmul_shapes(a, b, d);
  Share out{d.batch == 1 ? Shape{d.m, d.n} : Shape{d.batch, d.m, d.n}, {}, {}, a.cost_only || b.cost_only};
  if (!out.cost_only) out.s0 = ring_matmul(a.s0.data(), b.s0.data(), d.batch, d.m, d.k, d.n);
  co_return out;
}

sim::Task<Share> Plaintext::trunc(const Share& a, int bits) {
  Share out = a;
  for (auto& v : out.s0) v = arshift(v, bits);
  co_return out;
}

sim::Task<Share> Plaintext::msb(const Share& a) {
  Share out = a;
  for (auto& v : out.s0) v = v >> 63;
  co_return out;
}

sim::Task<Share> Plaintext::eqz(const Share& a) {
  Share out = a;
  for (auto& v : out.s0) v = v == 0 ? 1 : 0;
  co_return out;
}

OpCost Plaintext::declared(std::string_view op, std::int64_t n, MatDims) const {
  const double e = 8.0 * static_cast<double>(n);
  if (op == "share_public") return {{0, 0, 0}, {0, 0, 0}};
  if (op == "input") return {{1, 1, 1}, {2 * e, 0, 0}};
  if (op == "reveal" || op == "mul" || op == "msb" || op == "eqz" || op == "shuffle" || op == "trunc_exact" || op == "to_boolean" || op == "to_arithmetic" || op == "bit_to_arithmetic" || op == "matmul" || op == "trunc" || op == "add" || op == "sub" ||
      op == "add_public" || op == "mul_public")
    return {{0, 0, 0}, {0, 0, 0}};
  throw std::invalid_argument("plaintext: no declared cost for '" + std::string(op) + "'");
}

std::vector<CostFormula> Plaintext::formulas() {
  return {{"input", "1", "(N - 1) n K (owner only)", "the owner sends the value to everyone"},
          {"everything else", "0", "0", "computed in the clear by every party"}};
}

}  // namespace kvsim::protocols
