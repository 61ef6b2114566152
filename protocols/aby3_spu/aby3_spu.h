// protocols/aby3_spu/aby3_spu.h — ABY3 as SecretFlow-SPU 0.9.1 runs it ("aby3-spu").
//
// Internal to protocols/: programs reach it through make_protocol("aby3-spu", ...). It shares
// ABY3's sharing, products, input, reveal and shuffle (aby3/) and replaces what SPU does
// differently (../shared/briefs/mpcache-spu.md §4), each executed on real shares:
// - trunc: SPU's precise TruncAPr (P2 deals a random r with its top bit and shifted low bits;
//   P0 and P1 open x + r, then re-share): 2 rounds, 64 bytes over the three parties; never the
//   probabilistic truncation's large error.
// - msb: MsbA2B, a 64-bit rotate then a carry-only tree whose AND messages halve in width;
//   the result is a 1-bit boolean share. Products with it are MulA1B (two 3-party OTs).
// - eqz: P0 deals r arithmetically and as bits, x + r is opened to P1 and P2, then a 64-bit
//   AND-reduction of NOT(c ^ r); the result is typed as an 8-bit boolean share, as SPU types it.
// - B2A: by OT for at most 8 bits (B2AByOT, (3 bits + 1) words per element), by a Kogge-Stone
//   adder for wider values (B2AByPPA); A2B by a Kogge-Stone adder that, as SPU's, computes both
//   ANDs at every level.
// - Composites in SPU's recipes (aby3_spu/recipes.cpp): exp by exp2 of a fraction polynomial
//   and the integer bits (fxp_exp_mode = 1, "Pade"), reciprocal and rsqrt after highestOneBit
//   normalization, the one-hot as jax.nn.one_hot lowers it (an equality per class), the
//   embedding's SecretDynamicSlice mask, argmax by a TreeReduce over (value, index).
// Boolean messages are packed to whole bytes (pack_bytes), so the bytes declared, sent over TCP
// and measured are the same to the byte.
#pragma once

#include "protocols/aby3/aby3.h"

namespace kvsim::protocols {

// `s` typed as a boolean share of `bits` bits (Share::bits).
inline Share typed(Share s, int bits) {
  s.bits = bits;
  return s;
}

class Aby3Spu final : public Aby3 {
 public:
  Aby3Spu(Channel& ch, std::uint64_t seed, int frac_bits, bool cost_mode);
  std::string_view family() const override { return "aby3-spu"; }
  const CostTable& costs() const override { return cost_table(); }
  static const CostTable& cost_table();

  sim::Task<Share> exp(const Share& a) override;
  sim::Task<Share> reciprocal(const Share& a, double max_value) override;
  sim::Task<Share> rsqrt(const Share& a, double max_value) override;
  sim::Task<Share> one_hot(const Share& idx, std::int64_t classes) override;
  sim::Task<Share> gelu(const Share& a) override;
  sim::Task<Share> argmax_index(const Share& a, std::int64_t rows, std::int64_t cols) override;
  sim::Task<Share> slice_mask(const Share& idx, std::int64_t classes) override;

 protected:
  sim::Task<Share> do_trunc(const Share& a, int bits) override;
  sim::Task<Share> do_msb(const Share& a) override;
  sim::Task<Share> do_eqz(const Share& a) override;
  sim::Task<Share> do_to_boolean(const Share& a) override;
  sim::Task<Share> do_to_arithmetic(const Share& b) override;
  sim::Task<Share> do_mul_bit(const Share& a, const Share& bit) override;
  sim::Task<Share> do_and_bits(const Share& a, const Share& b) override;
  Share xor_public_one(const Share& bit) const override;

 private:
  // One AND of XOR-shared values below 2^width per job, all jobs of n elements in one round;
  // each job's result travels packed to ceil(width / 8) bytes per element.
  struct AndJob {
    Share a, b;
    int width;
  };
  sim::Task<std::vector<Share>> and_jobs(std::vector<AndJob> jobs, const char* tag);
  // M and N with M + N = x (M = (x_0 + x_1) re-shared by a rotate, N = x_2 held by P1 and P2).
  sim::Task<std::pair<Share, Share>> split_sum(const Share& x, const char* tag);
  // Kogge-Stone sum of two boolean words, both ANDs at every level (SPU's PPA).
  sim::Task<Share> ppa_add(const Share& m, const Share& n, const char* tag);
  sim::Task<Share> b2a_by_ot(const Share& b);
  sim::Task<Share> b2a_by_ppa(const Share& b);
  // Composite helpers (recipes.cpp).
  sim::Task<Share> exp2_of(const Share& x);
  sim::Task<Share> highest_one_bit(const Share& x);  // the boolean one-hot of x's top set bit
  Share bit_reverse(const Share& b, int start, int end) const;  // local, on boolean words
  Share and_public(const Share& b, Ring mask) const;            // local
  Share shift_right_bits(const Share& b, int k) const;          // local, logical
  Prg prg_own_;  // this party's private randomness (OT masks, dealt values)
};

}  // namespace kvsim::protocols
