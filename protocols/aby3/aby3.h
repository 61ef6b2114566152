// protocols/aby3/aby3.h — ABY3: 3-party replicated secret sharing over Z_2^64 (semi-honest).
//
// Internal to protocols/: programs reach a family through make_protocol() and protocol.h. The
// family implements the primitives (the do_* overrides) and states their costs in one CostTable
// (aby3/costs.cpp).
#pragma once

#include "protocols/protocol.h"

namespace kvsim::protocols {

// 3-party replicated secret sharing (ABY3, semi-honest). Party i holds (x_i, x_{i+1 mod 3}).
// Correlated randomness: party i shares PRG keys with i-1 and i+1 (pairwise keys from the seed).
class Aby3 : public Protocol {
 public:
  Aby3(Channel& ch, std::uint64_t seed, int frac_bits, bool cost_mode);
  std::string_view family() const override { return "aby3"; }
  ~Aby3() override = default;
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
  sim::Task<Share> do_trunc_exact(const Share& a, int bits) override;
  sim::Task<Share> do_to_boolean(const Share& a) override { return a2b(a); }
  sim::Task<Share> do_to_arithmetic(const Share& b) override;
  sim::Task<Share> do_low_bits(const Share& a, int bits) override;

 protected:
  // The helpers below are shared with aby3-spu (aby3_spu/), which replaces some primitives.
  struct Carries {
    Share p0, g;  // XOR shares: the operands' propagate word and the block generates
  };
  // The carries of x_0 + (x_1 + x_2) (Kogge-Stone).
  sim::Task<Carries> add_carries(const Share& a);
  // Boolean (XOR) replicated sharing uses the same layout: party i holds words (b_i, b_{i+1}).
  sim::Task<Share> and_words(const Share& a, const Share& b, const char* tag);
  // x = x_0 + (x_1 + x_2) as a 64-bit boolean sum (Kogge-Stone): returns the sum's XOR shares.
  sim::Task<Share> a2b(const Share& a);
  // Comparisons on bit planes (compare.cpp): the pairwise keys by their holders, a random bit
  // shared both ways, M = x_0 + x_1's planes XOR-shared by party 0 (with x_2 kept for the caller),
  // a plane opened against the bit into an arithmetic 0/1 share, and (a & b, a' & c) of
  // plane-stacked shares in one AND round (a' = a without its first plane).
  struct PairKeys;
  class RandomBit;
  struct PlaneSplit {
    Share m;                // M's 64 planes, components (m_0, m_1, 0)
    std::vector<Ring> x2;   // x_2 at parties 1 and 2
  };
  sim::Task<PlaneSplit> split_planes(const Share& x, RandomBit& r, const char* tag);
  sim::Task<Share> open_masked(const Share& result, const RandomBit& r, const Shape& shape, const char* tag);
  sim::Task<std::vector<Ring>> reshare_with_bit(const std::vector<Ring>& own, RandomBit& r, std::size_t words, bool data,
                                                const std::vector<Ring>* party0_part, const char* tag);
  sim::Task<std::pair<Share, Share>> and_plane_pairs(const Share& a, const Share& b, const Share& c);
  // An XOR-shared bit (bit 0 of each word) as an arithmetic 0/1 share: 2 rounds.
  sim::Task<Share> b2a_bit(const Share& b);
  // Shares `value` (read at the owner; null there means shapes only) additively or by XOR: the
  // owner's two components come from its pairwise keys, the third goes to both others (1 round).
  sim::Task<Share> share_from(int owner, const std::vector<Ring>* value, Shape shape, bool xor_sharing, const char* tag);
  std::vector<Ring> zero_share_xor(std::size_t n);
  int next() const { return (id() + 1) % 3; }
  int prev() const { return (id() + 2) % 3; }
  // Three-out-of-three zero sharing: alpha_i = F(k_{i,i+1}) - F(k_{i-1,i}), summing to 0.
  std::vector<Ring> zero_share(std::size_t n);
  sim::Task<Share> reshare(std::vector<Ring> z, Shape shape, bool cost_only, const char* tag);
  Prg prg_next_;  // shared with next()
  Prg prg_prev_;  // shared with prev()
};

}  // namespace kvsim::protocols
