// protocols/protocol.cpp — the family-independent parts: linear ops, factories, fixed point.
#include "protocols/protocol.h"

#include <stdexcept>

#include "protocols/aby3/aby3.h"
#include "protocols/aby3_spu/aby3_spu.h"
#include "protocols/plaintext/plaintext.h"
#include "protocols/semi2k/semi2k.h"

namespace kvsim::protocols {

Share shape_only(Shape shape) {
  Share s;
  s.shape = std::move(shape);
  s.cost_only = true;
  return s;
}

Protocol::Protocol(Channel& ch, std::uint64_t seed, int frac_bits, bool cost_mode)
    : ch_(ch), seed_(seed), frac_bits_(frac_bits), cost_mode_(cost_mode), meter_(ch) {}

namespace {
void check_same(const Share& a, const Share& b, const char* op) {
  if (a.shape != b.shape)
    throw std::invalid_argument(std::string(op) + ": shapes differ " + shape_string(a.shape) + " vs " + shape_string(b.shape));
}
template <class F>
Share zip(const Share& a, const Share& b, F f) {
  Share out{a.shape, {}, {}, a.cost_only || b.cost_only};
  if (out.cost_only) return out;
  out.s0.resize(a.s0.size());
  for (std::size_t i = 0; i < a.s0.size(); ++i) out.s0[i] = f(a.s0[i], b.s0[i]);
  out.s1.resize(a.s1.size());
  for (std::size_t i = 0; i < a.s1.size(); ++i) out.s1[i] = f(a.s1[i], b.s1[i]);
  return out;
}

void check_arithmetic(const Share& a, const char* op) {
  if (a.bits != 0) throw std::logic_error(std::string(op) + ": a boolean share in arithmetic (convert it with arith_bit)");
}
}  // namespace

Share Protocol::add(const Share& a, const Share& b) const {
  check_same(a, b, "add");
  check_arithmetic(a, "add");
  check_arithmetic(b, "add");
  return zip(a, b, [](Ring x, Ring y) { return x + y; });
}

Share Protocol::sub(const Share& a, const Share& b) const {
  check_same(a, b, "sub");
  check_arithmetic(a, "sub");
  check_arithmetic(b, "sub");
  return zip(a, b, [](Ring x, Ring y) { return x - y; });
}

Share Protocol::mul_public(const Share& a, Ring c) const {
  check_arithmetic(a, "mul_public");
  Share out = a;
  for (auto& v : out.s0) v *= c;
  for (auto& v : out.s1) v *= c;
  return out;
}

Share Protocol::add_constant(const Share& a, Ring c) const {
  // Why the early return: cost mode (and the dealer) would build a filled tensor of the op's
  // full shape only for add_public to skip it.
  if (!has_data(a)) return a;
  return add_public(a, filled(a.shape, c));
}

sim::Task<Share> Protocol::mul_fixed(const Share& a, const Share& b) {
  Share p = co_await mul(a, b);
  co_return co_await trunc(p, frac_bits_);
}

sim::Task<Share> Protocol::matmul_fixed(const Share& a, const Share& b, MatDims d) {
  Share p = co_await matmul(a, b, d);
  co_return co_await trunc(p, frac_bits_);
}

std::vector<std::string> protocol_families() { return {"aby3", "aby3-spu", "semi2k", "plaintext"}; }

int parties_of(std::string_view f) {
  if (f == "aby3" || f == "aby3-spu" || f == "semi2k") return 3;
  if (f == "plaintext") return 3;
  throw std::invalid_argument("unknown protocol '" + std::string(f) + "' (known: aby3, aby3-spu, semi2k, plaintext)");
}

int computing_parties_of(std::string_view f) { return f == "semi2k" ? 2 : parties_of(f); }

std::unique_ptr<Protocol> make_protocol(std::string_view f, Channel& ch, std::uint64_t seed, int frac_bits, bool cost_mode) {
  if (ch.parties() != parties_of(f))
    throw std::invalid_argument(std::string(f) + " runs on " + std::to_string(parties_of(f)) + " parties, the channel has " +
                                std::to_string(ch.parties()));
  if (f == "aby3") return std::make_unique<Aby3>(ch, seed, frac_bits, cost_mode);
  if (f == "aby3-spu") return std::make_unique<Aby3Spu>(ch, seed, frac_bits, cost_mode);
  if (f == "semi2k") return std::make_unique<Semi2kDealer>(ch, seed, frac_bits, cost_mode);
  if (f == "plaintext") return std::make_unique<Plaintext>(ch, seed, frac_bits, cost_mode);
  throw std::invalid_argument("unknown protocol '" + std::string(f) + "' (known: aby3, aby3-spu, semi2k, plaintext)");
}

std::vector<CostFormula> cost_formulas(std::string_view f) {
  if (f == "aby3") return Aby3::cost_table().formulas();
  if (f == "aby3-spu") return Aby3Spu::cost_table().formulas();
  if (f == "semi2k") return Semi2kDealer::cost_table().formulas();
  if (f == "plaintext") return Plaintext::cost_table().formulas();
  throw std::invalid_argument("unknown protocol '" + std::string(f) + "' (known: aby3, aby3-spu, semi2k, plaintext)");
}

}  // namespace kvsim::protocols
