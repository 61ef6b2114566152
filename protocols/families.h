// protocols/families.h — the three protocol families (internal to protocols/; use protocol.h).
#pragma once

#include <optional>

#include "protocols/protocol.h"

namespace kvsim::protocols {

// 3-party replicated secret sharing (ABY3, semi-honest). Party i holds (x_i, x_{i+1 mod 3}).
// Correlated randomness: party i shares PRG keys with i-1 and i+1 (pairwise keys from the seed).
class Aby3 final : public Protocol {
 public:
  Aby3(Channel& ch, std::uint64_t seed, int frac_bits, bool cost_mode);
  std::string_view family() const override { return "aby3"; }
  sim::Task<Share> input(int owner, const RingTensor* value, Shape shape) override;
  sim::Task<RingTensor> reveal(const Share& x) override;
  Share add_public(const Share& a, const RingTensor& c) const override;
  sim::Task<Share> mul(const Share& a, const Share& b) override;
  sim::Task<Share> matmul(const Share& a, const Share& b, MatDims d) override;
  sim::Task<Share> trunc(const Share& a, int bits) override;
  OpCost declared(std::string_view op, std::int64_t n, MatDims d = {}) const override;
  static std::vector<CostFormula> formulas();

  sim::Task<Share> msb(const Share& a) override;
  sim::Task<Share> eqz(const Share& a) override;
  sim::Task<Share> shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields) override;
  sim::Task<Share> trunc_exact(const Share& a, int bits) override;
  sim::Task<Share> to_boolean(const Share& a) override { return a2b(a); }
  sim::Task<Share> to_arithmetic(const Share& b) override;
  sim::Task<Share> low_bits(const Share& a, int bits) override;

 private:
  struct Carries {
    Share p0, g;  // XOR shares: the operands' propagate word and the block generates
  };
  // The carries of x_0 + (x_1 + x_2) (Kogge-Stone).
  sim::Task<Carries> add_carries(const Share& a);
  // Boolean (XOR) replicated sharing uses the same layout: party i holds words (b_i, b_{i+1}).
  sim::Task<Share> and_words(const Share& a, const Share& b, const char* tag);
  // x = x_0 + (x_1 + x_2) as a 64-bit boolean sum (Kogge-Stone): returns the sum's XOR shares.
  sim::Task<Share> a2b(const Share& a);
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

// 2-party additive sharing; party 2 is the trusted dealer, which only sends preprocessing.
class Semi2kDealer final : public Protocol {
 public:
  Semi2kDealer(Channel& ch, std::uint64_t seed, int frac_bits, bool cost_mode);
  std::string_view family() const override { return "semi2k"; }
  sim::Task<Share> input(int owner, const RingTensor* value, Shape shape) override;
  sim::Task<RingTensor> reveal(const Share& x) override;
  Share add_public(const Share& a, const RingTensor& c) const override;
  sim::Task<Share> mul(const Share& a, const Share& b) override;
  sim::Task<Share> matmul(const Share& a, const Share& b, MatDims d) override;
  sim::Task<Share> trunc(const Share& a, int bits) override;
  OpCost declared(std::string_view op, std::int64_t n, MatDims d = {}) const override;
  static std::vector<CostFormula> formulas();

  static constexpr int kDealer = 2;
  sim::Task<Share> msb(const Share& a) override;
  sim::Task<Share> eqz(const Share& a) override;
  sim::Task<Share> trunc_exact(const Share& a, int bits) override;
  sim::Task<Share> to_boolean(const Share& a) override { return a2b(a); }
  sim::Task<Share> to_arithmetic(const Share& b) override;
  sim::Task<Share> low_bits(const Share& a, int bits) override;
  sim::Task<Share> shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields) override;
  sim::Task<void> share_public(RingTensor& value) override;
  sim::Task<FixedOperand> prepare_operand(const Share& b, MatDims d) override;
  sim::Task<Share> matmul_operand(const Share& a, const FixedOperand& b, MatDims d) override;

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

// Everyone holds the value: the reference every protocol is tested against.
class Plaintext final : public Protocol {
 public:
  Plaintext(Channel& ch, std::uint64_t seed, int frac_bits, bool cost_mode) : Protocol(ch, seed, frac_bits, cost_mode) {}
  std::string_view family() const override { return "plaintext"; }
  sim::Task<Share> input(int owner, const RingTensor* value, Shape shape) override;
  sim::Task<RingTensor> reveal(const Share& x) override;
  Share add_public(const Share& a, const RingTensor& c) const override;
  sim::Task<Share> mul(const Share& a, const Share& b) override;
  sim::Task<Share> matmul(const Share& a, const Share& b, MatDims d) override;
  sim::Task<Share> trunc(const Share& a, int bits) override;
  OpCost declared(std::string_view op, std::int64_t n, MatDims d = {}) const override;
  static std::vector<CostFormula> formulas();
  sim::Task<Share> msb(const Share& a) override;
  sim::Task<Share> eqz(const Share& a) override;
  sim::Task<Share> shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields) override;
  sim::Task<Share> trunc_exact(const Share& a, int bits) override { return trunc(a, bits); }
  sim::Task<Share> to_boolean(const Share& a) override;
  sim::Task<Share> to_arithmetic(const Share& b) override;
  sim::Task<Share> low_bits(const Share& a, int bits) override;
};

void check_matmul_shapes(const Share& a, const Share& b, const MatDims& d);

}  // namespace kvsim::protocols
