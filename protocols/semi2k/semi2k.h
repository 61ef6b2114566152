// protocols/semi2k/semi2k.h — semi2k: 2-party additive sharing with a trusted dealer (party 2).
//
// Internal to protocols/: programs reach a family through make_protocol() and protocol.h. The
// family implements the primitives (the do_* overrides) and states their costs in one CostTable
// (semi2k/costs.cpp).
#pragma once

#include <optional>

#include "protocols/protocol.h"

namespace kvsim::protocols {

// 2-party additive sharing; party 2 is the trusted dealer, which only sends preprocessing.
class Semi2kDealer final : public Protocol {
 public:
  Semi2kDealer(Channel& ch, std::uint64_t seed, int frac_bits, bool cost_mode);
  std::string_view family() const override { return "semi2k"; }
  Share add_public(const Share& a, const RingTensor& c) const override;
  const CostTable& costs() const override { return cost_table(); }
  static const CostTable& cost_table();

  static constexpr int kDealer = 2;

 protected:
  sim::Task<Share> do_input(int owner, const RingTensor* value, Shape shape) override;
  sim::Task<RingTensor> do_reveal(const Share& x) override;
  sim::Task<Share> do_mul(const Share& a, const Share& b) override;
  sim::Task<Share> do_matmul(const Share& a, const Share& b, MatDims d) override;
  sim::Task<Share> do_trunc(const Share& a, int bits) override;
  sim::Task<Share> do_msb(const Share& a) override;
  sim::Task<Share> do_eqz(const Share& a) override;
  sim::Task<Share> do_trunc_exact(const Share& a, int bits) override;
  sim::Task<Share> do_to_boolean(const Share& a) override { return a2b(a); }
  sim::Task<Share> do_to_arithmetic(const Share& b) override;
  sim::Task<Share> do_low_bits(const Share& a, int bits) override;
  sim::Task<Share> do_shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields) override;
  sim::Task<void> do_share_public(RingTensor& value) override;
  sim::Task<FixedOperand> do_prepare_operand(const Share& b, MatDims d) override;
  sim::Task<Share> do_matmul_operand(const Share& a, const FixedOperand& b, MatDims d) override;

 private:
  bool is_dealer() const { return id() == kDealer; }
  struct Carries {
    Share p0, g;
  };
  sim::Task<Carries> add_carries(const Share& x);
  // XOR-shared words: AND with a dealer triple (a, b, a & b); A2B by the same Kogge-Stone adder
  // as ABY3 on (x_0, 0) + (0, x_1); bit-to-arithmetic b0 + b1 - 2 b0 b1.
  sim::Task<Share> and_words(const Share& x, const Share& y);
  sim::Task<Share> a2b(const Share& x);
  sim::Task<Share> b2a_bit(const Share& b);
  // A level of the carry-out tree's ANDs (bit_planes.h) with triples sharing their first
  // operand: this party's (a, b, b2) masks and (c, c2) products, a & b and a' & b2 (a' = a
  // without its first plane).
  struct PlaneTriple {
    std::vector<Ring> a, b, b2, c, c2;
  };
  sim::Task<std::pair<Share, Share>> and_plane_pairs(const Share& a, const Share& b, const Share& c, const PlaneTriple& t,
                                                     const char* tag);
  // A plane circuit's levels as (pairs, extra second operands), whether it starts with msb's
  // private-input generates (how many planes), and the material dealt for it (compare.cpp).
  struct PlanePlan {
    int private_generates = 0;
    std::vector<std::pair<int, int>> levels;
  };
  struct PlaneMaterial {
    std::vector<Ring> g_a, g_c;        // the private-input triple: party 0 (a, c0), party 1 (b, c1)
    std::vector<PlaneTriple> levels;
    std::vector<Ring> r_plane, r_arith;  // the random bit's XOR plane and arithmetic share
  };
  sim::Task<PlaneMaterial> deal_planes(const PlanePlan& plan, std::size_t n, bool material);
  sim::Task<Share> open_masked(const Share& result, const PlaneMaterial& m, const Shape& shape, const char* tag);
  // A Beaver triple for an elementwise product (n) or a matrix product (d): (a, b, c) shares of
  // this party; the dealer sends party 1's c, offline.
  struct Triple {
    std::vector<Ring> a, b, c;
  };
  sim::Task<Triple> triple(std::int64_t na, std::int64_t nb, std::int64_t nc, bool cost_only,
                           std::optional<MatDims> mat);
  Prg prg_pair_;    // shared by parties 0 and 1 (input masks)
  Prg prg_dealer_;  // shared with the dealer (triples); the dealer keeps one per party
  Prg prg_dealer1_; // dealer only: party 1's stream
};

}  // namespace kvsim::protocols
