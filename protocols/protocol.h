// protocols/protocol.h — one API, three protocol families, written once as coroutines.
//
// Contract:
// - A Protocol is one party's view of a computation over a Channel. Every party runs the same
//   program (SPMD): each op is called by every party, in the same order, with the same shapes.
// - Families: "aby3" (3-party replicated sharing over Z_2^64: party i holds (x_i, x_{i+1}),
//   semi-honest, with kvsim's recipes), "aby3-spu" (the same sharing with SecretFlow-SPU 0.9.1's
//   primitives and recipes where SPU differs; its comparisons return typed boolean shares),
//   "semi2k" (2-party additive sharing with Beaver triples from a trusted dealer,
//   CrypTen's TTP style: the dealer is party 2 and its traffic is offline, tagged "offline"),
//   and "plaintext" (every party holds the value: the oracle for every test).
// - Primitives (protocols/op.h) are public non-virtual calls that record their declared cost in
//   the party's Meter, from the family's CostTable, and then run the family's implementation
//   (the protected do_* functions). Composite ops are written once on the primitives and declare
//   nothing: their cost is what their primitives record. Tests check that the Channel measures
//   exactly what the Meter was declared. Families implement do_* and never call a public
//   primitive from inside another (that would record its cost twice).
// - Cost mode: a Share made by `shape_only()` carries no data; ops on it compute nothing but send
//   messages of the declared charged size, so the same code costs a 7B-scale step in milliseconds.
// - Truncation is probabilistic in aby3 and semi2k (ABY3's one-round Pi_trunc1; SecureML-style
//   local truncation in semi2k): the result is floor(x / 2^f) or one more, and fails with
//   probability about |x| / 2^63 per element, negligible for fixed-point values below 2^40.
//   aby3-spu's TruncAPr is within one unit for every |x| < 2^62 and never fails.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/channel.h"
#include "protocols/cost_table.h"
#include "protocols/meter.h"
#include "protocols/op.h"
#include "protocols/prg.h"
#include "protocols/ring.h"

namespace kvsim::protocols {

struct Share {
  Shape shape;
  std::vector<Ring> s0, s1;  // aby3: (x_i, x_{i+1}); semi2k: s0; plaintext: s0 = the value
  bool cost_only = false;
  // 0: an arithmetic share (or a family's internal boolean word). 1..64: a typed boolean share,
  // XOR-shared in the same layout, of a value below 2^bits (aby3-spu's comparisons return 1-bit
  // ones, its equality 8-bit ones, as SPU types them). Public primitives accept typed boolean
  // shares where stated (mul: arithmetic x 1-bit; to_arithmetic; reveal; and_bits); local
  // arithmetic (add, sub, mul_public) refuses them.
  int bits = 0;
  std::int64_t size() const { return numel(shape); }
};

Share shape_only(Shape shape);
// False for a cost-mode share and for a party that holds no share of the value (semi2k's dealer):
// helpers that rearrange elements must not touch its (empty) vectors.
inline bool has_data(const Share& s) { return !s.cost_only && (s.size() == 0 || !s.s0.empty()); }

// A value a party learned in the clear: every reveal is declared by the op that makes it and
// logged here (what, how many elements), never its content.
struct RevealRecord {
  std::string op;
  std::int64_t elements = 0;
};

// A secret right-hand operand (batch x k x n) used in many products, e.g. a weight matrix.
// Protocol::prepare_operand() does its one-time work: semi2k opens the operand minus a dealer
// mask once (F = W - B), so that each later product opens only its left side (Beaver products
// with a fixed B: the dealer sends C = A B for fresh A); other families keep the share.
struct FixedOperand {
  Share value;
  MatDims dims;              // batch, k, n of the operand (m unused)
  bool prepared = false;     // semi2k: the mask below is in use
  std::vector<Ring> mask;    // this party's share of B (the dealer: B)
  std::vector<Ring> opened;  // F = value - B, known to the computing parties
};

class Protocol {
 public:
  // In cost mode every party (the whole program) works on shapes only: inputs become shape_only
  // shares and no op computes; messages keep their declared charged sizes.
  Protocol(Channel& ch, std::uint64_t seed, int frac_bits = kDefaultFracBits, bool cost_mode = false);
  virtual ~Protocol() = default;

  virtual std::string_view family() const = 0;
  // The family's declared cost of every primitive.
  virtual const CostTable& costs() const = 0;
  int id() const { return ch_.id(); }
  int parties() const { return ch_.parties(); }
  Channel& channel() { return ch_; }
  int frac_bits() const { return frac_bits_; }
  bool cost_mode() const { return cost_mode_; }
  Meter& meter() { return meter_; }

  // --- primitives: each records its declared cost, then runs the family's implementation ------
  // Secret-shares `value` (read only at `owner`; ignored in cost mode) of the given shape.
  sim::Task<Share> input(int owner, const RingTensor* value, Shape shape);
  // Opens a share to every computing party (logged in reveal_log()).
  sim::Task<RingTensor> reveal(const Share& x);
  // The same, logged under `why` (an op that declares a reveal, e.g. quickselect's bits).
  sim::Task<RingTensor> reveal_as(const Share& x, std::string why);
  // Gives a value already public to the computing parties to the helpers that follow the same
  // control flow without computing (semi2k's dealer); a no-op elsewhere. Data-dependent ops
  // (QuickSelect) call it so every party takes the same branches.
  sim::Task<void> share_public(RingTensor& value);
  const std::vector<RevealRecord>& reveal_log() const { return reveals_; }

  // Local linear operations (no communication).
  Share add(const Share& a, const Share& b) const;
  Share sub(const Share& a, const Share& b) const;
  Share mul_public(const Share& a, Ring c) const;  // by a public ring element
  virtual Share add_public(const Share& a, const RingTensor& c) const = 0;
  // a + c for one public ring element c in every position (builds no tensor without data).
  Share add_constant(const Share& a, Ring c) const;

  // a * b; when one operand is a 1-bit boolean share, the product with the other (arithmetic)
  // one is SPU's MulA1B (recorded as mul_bit).
  sim::Task<Share> mul(const Share& a, const Share& b);
  sim::Task<Share> matmul(const Share& a, const Share& b, MatDims d);
  // Probabilistic truncation (the default, used by mul_fixed): one round or none, exact up to
  // one unit in the last place with failure probability about |x| / 2^63.
  sim::Task<Share> trunc(const Share& a, int bits);
  // Exact truncation (floor(x / 2^f) for |x| < 2^62): the 2-out-of-2 view's carry from the low
  // bits and wrap-around bit come from a boolean adder; more rounds, no error. Families without
  // it throw std::logic_error.
  sim::Task<Share> trunc_exact(const Share& a, int bits);
  // Fixed-point product: mul then trunc(frac_bits).
  sim::Task<Share> mul_fixed(const Share& a, const Share& b);
  sim::Task<Share> matmul_fixed(const Share& a, const Share& b, MatDims d);
  // A product a (batch, m, k) x b (batch, k, n) with b prepared once (FixedOperand). Records
  // prepare_operand (n = b's elements) once when the family prepares operands, and
  // matmul_operand per product; a family without the optimization leaves the operand
  // unprepared and records a plain matmul per product.
  sim::Task<FixedOperand> prepare_operand(const Share& b, MatDims d);
  sim::Task<Share> matmul_operand(const Share& a, const FixedOperand& b, MatDims d);

  // Results are arithmetic shares of 0/1 (integers, not fixed point). Families that do not
  // implement them yet throw std::logic_error naming the family and the op.
  sim::Task<Share> msb(const Share& a);  // 1 where a < 0 (two's complement)
  // Arithmetic <-> boolean (XOR-shared 64-bit words in the same share layout). a2b is the
  // Kogge-Stone adder; b2a injects all 64 bits (one batched bit-to-arithmetic) and recombines.
  sim::Task<Share> to_boolean(const Share& a);
  sim::Task<Share> to_arithmetic(const Share& b);
  // The low `bits` bits of each element (two's complement) as arithmetic 0/1 shares, laid out
  // (bits, n) with bit 0 first: one A2B and `bits` n bit injections (records to_boolean n and
  // bit_to_arithmetic bits n).
  sim::Task<Share> low_bits(const Share& a, int bits);
  sim::Task<Share> eqz(const Share& a);  // 1 where a == 0
  // AND of two typed boolean shares of the same width (1 round; ceil(bits / 8) bytes per element
  // and party). Families without typed boolean shares throw std::logic_error.
  sim::Task<Share> and_bits(const Share& a, const Share& b);
  // A typed boolean share as an arithmetic one (to_arithmetic), an arithmetic share unchanged:
  // composites call it where they go on computing on a comparison's result.
  sim::Task<Share> arith_bit(const Share& bit);
  // 1 - bit, for an arithmetic 0/1 share or a typed boolean one (local either way).
  Share not_bit(const Share& bit) const;
  // A secret shuffle of each row of a (rows, fields, cols) share: the same permutation of the
  // columns for every field of a row (values with their indices).
  sim::Task<Share> shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields);

  // --- composite ops, written once on the primitives; they record nothing themselves ----------
  sim::Task<Share> less_than(const Share& a, const Share& b);            // 1 where a < b
  sim::Task<Share> select(const Share& bit, const Share& x, const Share& y);  // bit ? x : y
  // Row-wise max over the last dimension of a (rows, cols) share: a tree of comparisons.
  sim::Task<Share> max_rows(const Share& a, std::int64_t rows, std::int64_t cols);
  // exp(x) as (1 + x / 2^t)^(2^t), t = kExpIterations (CrypTen's limit approximation with two
  // more squarings than CrypTen's 8; the documented alternative to SPU's Pade recipe), for the
  // x <= 0 of softmax: ln(approx / exp) ~ -x^2 / 2^(t+1), plus a relative 2^(t - f) from
  // rounding 1 + x / 2^t to f fractional bits.
  virtual sim::Task<Share> exp(const Share& a);
  // 1 / x by Goldschmidt iterations from y0 = 1 / max_value, for 1 <= x <= max_value (a public
  // bound, as softmax denominators have: between 1 and the row length).
  virtual sim::Task<Share> reciprocal(const Share& a, double max_value);
  // MPCache's softmax: x - max, exp masked below -14, one reciprocal per row.
  sim::Task<Share> softmax_rows(const Share& a, std::int64_t rows, std::int64_t cols);
  // One-hot of secret integer indices (n), each in [0, classes), -> (n, classes): a
  // demultiplexer over the index's b = bit_width(classes - 1) low bits (low_bits), one level of
  // products per bit below the top one (n 2^l of them at level l) — the narrow bit width that
  // MPCache's clusters and BumbleBee's one-hot embedding use, instead of 64-bit equality tests
  // against every class. An index outside [0, classes) gives the class of its low b bits, or a
  // zero row when that class is >= classes.
  virtual sim::Task<Share> one_hot(const Share& idx, std::int64_t classes);
  // 1 / sqrt(x) by Newton-Raphson from y0 = 1 / sqrt(max_value), for 1 <= x <= max_value.
  virtual sim::Task<Share> rsqrt(const Share& a, double max_value);
  // Row-wise argmax as a one-hot (rows, cols) share (ties: the first), next to max_rows.
  sim::Task<Share> argmax_rows(const Share& a, std::int64_t rows, std::int64_t cols);
  // Row-wise argmax as an integer index share (rows): argmax_rows' one-hot times the column
  // numbers; aby3-spu overrides it with SPU's variadic TreeReduce over (value, index) pairs.
  virtual sim::Task<Share> argmax_index(const Share& a, std::int64_t rows, std::int64_t cols);
  // The row mask of a secret index into a table of `classes` rows (the embedding lookup's
  // one-hot): one_hot here; aby3-spu overrides it with SPU's SecretDynamicSlice mask (an
  // equality per row, hinted to 1 bit).
  virtual sim::Task<Share> slice_mask(const Share& idx, std::int64_t classes);
  // Top-k of each row by an oblivious bitonic sorting network (descending): values (rows, k)
  // and their column indices (integer shares). Reveals nothing (topk_quickselect below is SPU's
  // cheaper variant, which reveals comparison bits after a secret shuffle).
  struct TopK {
    Share values, indices;
  };
  sim::Task<TopK> topk_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t k);
  // SPU's top-k: a secret shuffle of each row (values with their indices), then QuickSelect
  // whose comparison bits against a pivot are revealed (declared reveals: after the shuffle they
  // show only how randomly placed elements compare with the pivot). Returns the k largest of
  // each row, unordered, with their original column indices. The number of partition levels
  // depends on the data; `compared` reports the comparisons of each level.
  struct QuickSelect {
    Share values, indices;
    std::vector<std::int64_t> compared;  // elements compared against pivots, per level (all rows)
  };
  sim::Task<QuickSelect> topk_quickselect(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t k);
  // MPCache's SiLU (the brief's piecewise polynomial) and a PUMA-style piecewise GeLU
  // (coefficients from tools/mpc/fit_gelu.py, max error 1.2e-3 on each piece).
  sim::Task<Share> silu(const Share& a);
  virtual sim::Task<Share> gelu(const Share& a);
  // 0 below breaks[0], polys[i] (highest degree first) on [breaks[i], breaks[i+1]), identity
  // from breaks.back() on.
  sim::Task<Share> piecewise(const Share& a, const std::vector<double>& breaks,
                             const std::vector<std::vector<double>>& polys);
  static constexpr int kExpIterations = 10;  // relative error about x^2 / 2^(t+1): 1.2% at x = -5
  int reciprocal_iterations(double max_value) const;

  // The declared cost of one primitive (costs() evaluated); `n` elements for elementwise ops,
  // `d` for products. Input is stated for owner 0; declared_input moves the owner's role.
  OpCost declared(Op op, std::int64_t n, MatDims d = {}, int bits = 0) const { return costs().cost(op, n, d, bits); }
  OpCost declared_input(int owner, std::int64_t n) const;

 protected:
  // The families' implementations of the primitives above (see each for its contract).
  virtual sim::Task<Share> do_input(int owner, const RingTensor* value, Shape shape) = 0;
  virtual sim::Task<RingTensor> do_reveal(const Share& x) = 0;
  virtual sim::Task<void> do_share_public(RingTensor& value) { (void)value; co_return; }
  virtual sim::Task<Share> do_mul(const Share& a, const Share& b) = 0;
  virtual sim::Task<Share> do_matmul(const Share& a, const Share& b, MatDims d) = 0;
  virtual sim::Task<Share> do_trunc(const Share& a, int bits) = 0;
  virtual sim::Task<Share> do_trunc_exact(const Share& a, int bits);
  virtual sim::Task<FixedOperand> do_prepare_operand(const Share& b, MatDims d);
  virtual sim::Task<Share> do_matmul_operand(const Share& a, const FixedOperand& b, MatDims d);
  virtual sim::Task<Share> do_msb(const Share& a);
  virtual sim::Task<Share> do_to_boolean(const Share& a);
  virtual sim::Task<Share> do_to_arithmetic(const Share& b);
  virtual sim::Task<Share> do_low_bits(const Share& a, int bits);
  virtual sim::Task<Share> do_eqz(const Share& a);
  virtual sim::Task<Share> do_shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields);
  // Typed boolean shares (aby3-spu): a (arithmetic) x bit (1-bit boolean); AND; XOR of a public 1.
  virtual sim::Task<Share> do_mul_bit(const Share& a, const Share& bit);
  virtual sim::Task<Share> do_and_bits(const Share& a, const Share& b);
  virtual Share xor_public_one(const Share& bit) const;

  Channel& ch_;
  std::uint64_t seed_;
  int frac_bits_;
  bool cost_mode_;
  void note_reveal(std::string op, std::int64_t elements) { reveals_.push_back({std::move(op), elements}); }
  // Exact truncation, the parts every family shares: x' = x + 2^62 lies in [0, 2^63); with its
  // 2-out-of-2 addends a and b, floor(x' / 2^f) = (a >> f) + (b >> f) + c - w 2^(64-f), where c is
  // the carry into bit f of a + b and w the carry out of bit 63. `shifted` is a share of
  // (a >> f) + (b >> f), `bits` arithmetic shares of c then w; the result subtracts 2^(62-f).
  Share exact_trunc_input(const Share& a) const;
  Share exact_trunc_finish(const Share& shifted, const Share& bits, int f) const;

 private:
  void record(Op op, std::int64_t n, MatDims d = {}, int bits = 0);
  std::vector<RevealRecord> reveals_;
  Meter meter_;
};

// "aby3" | "aby3-spu" | "semi2k" | "plaintext"; throws std::invalid_argument naming the known ones.
// Bits of an index into `classes` classes: bit_width(classes - 1) (0 for one class).
int index_bits(std::int64_t classes);

std::unique_ptr<Protocol> make_protocol(std::string_view family, Channel& ch, std::uint64_t seed,
                                        int frac_bits = kDefaultFracBits, bool cost_mode = false);
int parties_of(std::string_view family);  // including semi2k's dealer
int computing_parties_of(std::string_view family);
std::vector<CostFormula> cost_formulas(std::string_view family);  // the family's CostTable as text
std::vector<std::string> protocol_families();

}  // namespace kvsim::protocols
