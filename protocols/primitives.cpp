// protocols/primitives.cpp — the primitives' public entry points: each records its declared cost
// in the party's Meter, then runs the family's implementation; and the defaults for families
// that lack one.
#include <stdexcept>
#include <utility>

#include "protocols/protocol.h"

namespace kvsim::protocols {

void check_matmul_shapes(const Share& a, const Share& b, const MatDims& d) {
  if (a.size() != d.batch * d.m * d.k || b.size() != d.batch * d.k * d.n)
    throw std::invalid_argument("matmul: shapes " + shape_string(a.shape) + " x " + shape_string(b.shape) +
                                " do not match (batch, m, k, n) = (" + std::to_string(d.batch) + ", " + std::to_string(d.m) +
                                ", " + std::to_string(d.k) + ", " + std::to_string(d.n) + ")");
}

void Protocol::record(Op op, std::int64_t n, MatDims d, int bits) {
  if (!meter_.recording()) return;  // why: a cost-mode 7B step runs this for every op
  const bool product = op == Op::kMatmul || op == Op::kMatmulOperand;
  meter_.record(op, declared(op, n, d, bits), static_cast<double>(product ? d.batch * d.m * d.n : n));
}

namespace {
void check_boolean(const Share& s, const char* op) {
  if (s.bits == 0) throw std::logic_error(std::string(op) + ": needs a typed boolean share");
}
std::int64_t bytes_of_bits(int bits) { return (bits + 7) / 8; }
}  // namespace

OpCost Protocol::declared_input(int owner, std::int64_t n) const {
  OpCost c = declared(Op::kInput, n);
  if (owner != 0 && owner < static_cast<int>(c.bytes.size())) std::swap(c.bytes[0], c.bytes[static_cast<std::size_t>(owner)]);
  return c;
}

sim::Task<Share> Protocol::input(int owner, const RingTensor* value, Shape shape) {
  if (meter_.recording()) meter_.record(Op::kInput, declared_input(owner, numel(shape)), static_cast<double>(numel(shape)));
  return do_input(owner, value, std::move(shape));
}

sim::Task<RingTensor> Protocol::reveal(const Share& x) {
  record(Op::kReveal, x.size());
  return do_reveal(x);
}

sim::Task<RingTensor> Protocol::reveal_as(const Share& x, std::string why) {
  RingTensor out = co_await reveal(x);
  if (!reveals_.empty()) reveals_.back().op = std::move(why);
  co_return out;
}

sim::Task<void> Protocol::share_public(RingTensor& value) {
  record(Op::kSharePublic, numel(value.shape));
  return do_share_public(value);
}

sim::Task<Share> Protocol::mul(const Share& a, const Share& b) {
  if (a.bits != 0 || b.bits != 0) {
    const Share& bit = a.bits != 0 ? a : b;
    const Share& value = a.bits != 0 ? b : a;
    if (bit.bits != 1 || value.bits != 0)
      throw std::logic_error("mul: a boolean operand must be a 1-bit share times an arithmetic one");
    if (bit.shape != value.shape)
      throw std::invalid_argument("mul: shapes differ " + shape_string(value.shape) + " vs " + shape_string(bit.shape));
    record(Op::kMulBit, value.size());
    return do_mul_bit(value, bit);
  }
  record(Op::kMul, a.size());
  return do_mul(a, b);
}

sim::Task<Share> Protocol::and_bits(const Share& a, const Share& b) {
  check_boolean(a, "and_bits");
  check_boolean(b, "and_bits");
  if (a.bits != b.bits || a.shape != b.shape) throw std::invalid_argument("and_bits: operands of different widths or shapes");
  record(Op::kAnd, a.size() * bytes_of_bits(a.bits));
  return do_and_bits(a, b);
}

sim::Task<Share> Protocol::arith_bit(const Share& bit) {
  if (bit.bits == 0) co_return bit;
  Share out = co_await to_arithmetic(bit);
  co_return out;
}

Share Protocol::not_bit(const Share& bit) const {
  if (bit.bits != 0) return xor_public_one(bit);
  RingTensor one(bit.shape);
  for (auto& v : one.data) v = 1;
  return add_public(mul_public(bit, static_cast<Ring>(-1)), one);
}

sim::Task<Share> Protocol::matmul(const Share& a, const Share& b, MatDims d) {
  check_matmul_shapes(a, b, d);
  record(Op::kMatmul, 0, d);
  return do_matmul(a, b, d);
}

sim::Task<Share> Protocol::trunc(const Share& a, int bits) {
  record(Op::kTrunc, a.size());
  return do_trunc(a, bits);
}

sim::Task<Share> Protocol::trunc_exact(const Share& a, int bits) {
  record(Op::kTruncExact, a.size());
  return do_trunc_exact(a, bits);
}

sim::Task<FixedOperand> Protocol::prepare_operand(const Share& b, MatDims d) {
  FixedOperand op = co_await do_prepare_operand(b, d);
  if (op.prepared) record(Op::kPrepareOperand, d.batch * d.k * d.n);
  co_return op;
}

sim::Task<Share> Protocol::matmul_operand(const Share& a, const FixedOperand& b, MatDims d) {
  if (!b.prepared) check_matmul_shapes(a, b.value, d);
  record(b.prepared ? Op::kMatmulOperand : Op::kMatmul, 0, d);
  return do_matmul_operand(a, b, d);
}

sim::Task<Share> Protocol::msb(const Share& a) {
  record(Op::kMsb, a.size());
  return do_msb(a);
}

sim::Task<Share> Protocol::eqz(const Share& a) {
  record(Op::kEqz, a.size());
  return do_eqz(a);
}

sim::Task<Share> Protocol::to_boolean(const Share& a) {
  record(Op::kToBoolean, a.size());
  return do_to_boolean(a);
}

sim::Task<Share> Protocol::to_arithmetic(const Share& b) {
  // Why the width decides the op: SPU converts values of at most 8 bits by OT (cost per bit)
  // and wider ones with an adder; families without the OT variant declare one whole-word B2A.
  if (b.bits > 0 && b.bits <= 8 && costs().has(Op::kBitsToArithmetic))
    record(Op::kBitsToArithmetic, b.size(), {}, b.bits);
  else
    record(Op::kToArithmetic, b.size());
  return do_to_arithmetic(b);
}

sim::Task<Share> Protocol::low_bits(const Share& a, int bits) {
  record(Op::kToBoolean, a.size());
  record(Op::kBitToArithmetic, bits * a.size());
  return do_low_bits(a, bits);
}

sim::Task<Share> Protocol::shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields) {
  record(Op::kShuffle, rows * cols * fields);
  return do_shuffle_rows(a, rows, cols, fields);
}

// --- defaults ---------------------------------------------------------------------------------

sim::Task<Share> Protocol::do_mul_bit(const Share&, const Share&) {
  throw std::logic_error(std::string(family()) + ": products with boolean shares are not implemented for this family");
  co_return Share{};
}

sim::Task<Share> Protocol::do_and_bits(const Share&, const Share&) {
  throw std::logic_error(std::string(family()) + ": typed boolean shares are not implemented for this family");
  co_return Share{};
}

Share Protocol::xor_public_one(const Share&) const {
  throw std::logic_error(std::string(family()) + ": typed boolean shares are not implemented for this family");
}

sim::Task<FixedOperand> Protocol::do_prepare_operand(const Share& b, MatDims d) {
  co_return FixedOperand{b, d, false, {}, {}};
}

sim::Task<Share> Protocol::do_matmul_operand(const Share& a, const FixedOperand& b, MatDims d) {
  Share out = co_await do_matmul(a, b.value, d);
  co_return out;
}

sim::Task<Share> Protocol::do_trunc_exact(const Share&, int) {
  throw std::logic_error(std::string(family()) + ": exact truncation is not implemented for this family yet");
  co_return Share{};
}

sim::Task<Share> Protocol::do_msb(const Share&) {
  throw std::logic_error(std::string(family()) + ": msb is not implemented for this family yet");
  co_return Share{};
}

sim::Task<Share> Protocol::do_eqz(const Share&) {
  throw std::logic_error(std::string(family()) + ": eqz is not implemented for this family yet");
  co_return Share{};
}

sim::Task<Share> Protocol::do_to_boolean(const Share&) {
  throw std::logic_error(std::string(family()) + ": A2B is not implemented for this family yet");
  co_return Share{};
}

sim::Task<Share> Protocol::do_to_arithmetic(const Share&) {
  throw std::logic_error(std::string(family()) + ": B2A is not implemented for this family yet");
  co_return Share{};
}

sim::Task<Share> Protocol::do_low_bits(const Share&, int) {
  throw std::logic_error(std::string(family()) + ": low_bits is not implemented for this family yet");
  co_return Share{};
}

sim::Task<Share> Protocol::do_shuffle_rows(const Share&, std::int64_t, std::int64_t, std::int64_t) {
  throw std::logic_error(std::string(family()) + ": secret shuffle is not implemented for this family yet");
  co_return Share{};
}

}  // namespace kvsim::protocols
