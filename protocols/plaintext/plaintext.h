// protocols/plaintext/plaintext.h — the plaintext reference family: every party holds every value.
//
// Internal to protocols/: programs reach a family through make_protocol() and protocol.h. The
// family implements the primitives (the do_* overrides) and states their costs in one CostTable
// (plaintext/costs.cpp).
#pragma once

#include "protocols/protocol.h"

namespace kvsim::protocols {

// Everyone holds the value: the reference every protocol is tested against.
class Plaintext final : public Protocol {
 public:
  Plaintext(Channel& ch, std::uint64_t seed, int frac_bits, bool cost_mode) : Protocol(ch, seed, frac_bits, cost_mode) {}
  std::string_view family() const override { return "plaintext"; }
  Share add_public(const Share& a, const RingTensor& c) const override;
  const CostTable& costs() const override { return cost_table(); }
  static const CostTable& cost_table();

 protected:
  sim::Task<Share> do_input(int owner, const RingTensor* value, Shape shape) override;
  sim::Task<RingTensor> do_reveal(const Share& x) override;
  sim::Task<Share> do_mul(const Share& a, const Share& b) override;
  sim::Task<Share> do_matmul(const Share& a, const Share& b, MatDims d) override;
  sim::Task<Share> do_trunc(const Share& a, int bits) override;
  sim::Task<Share> do_msb(const Share& a) override;
  sim::Task<Share> do_eqz(const Share& a) override;
  sim::Task<Share> do_shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields) override;
  sim::Task<Share> do_trunc_exact(const Share& a, int bits) override { return do_trunc(a, bits); }
  sim::Task<Share> do_to_boolean(const Share& a) override;
  sim::Task<Share> do_to_arithmetic(const Share& b) override;
  sim::Task<Share> do_low_bits(const Share& a, int bits) override;
};

}  // namespace kvsim::protocols
