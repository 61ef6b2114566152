// protocols/plaintext/plaintext.cpp — the reference: every party holds every value.
#include <stdexcept>

#include "protocols/boolean_words.h"
#include "protocols/plaintext/plaintext.h"

namespace kvsim::protocols {

sim::Task<Share> Plaintext::do_input(int owner, const RingTensor* value, Shape shape) {
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

sim::Task<RingTensor> Plaintext::do_reveal(const Share& x) {
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

sim::Task<Share> Plaintext::do_mul(const Share& a, const Share& b) {
  if (a.shape != b.shape) throw std::invalid_argument("mul: shapes differ");
  Share out{a.shape, {}, {}, a.cost_only || b.cost_only};
  if (!out.cost_only) {
    out.s0.resize(a.s0.size());
    for (std::size_t i = 0; i < a.s0.size(); ++i) out.s0[i] = a.s0[i] * b.s0[i];
  }
  co_return out;
}

sim::Task<Share> Plaintext::do_matmul(const Share& a, const Share& b, MatDims d) {
  Share out{d.batch == 1 ? Shape{d.m, d.n} : Shape{d.batch, d.m, d.n}, {}, {}, a.cost_only || b.cost_only};
  if (!out.cost_only) out.s0 = ring_matmul(a.s0.data(), b.s0.data(), d.batch, d.m, d.k, d.n);
  co_return out;
}

sim::Task<Share> Plaintext::do_trunc(const Share& a, int bits) {
  Share out = a;
  for (auto& v : out.s0) v = arshift(v, bits);
  co_return out;
}

sim::Task<Share> Plaintext::do_msb(const Share& a) {
  Share out = a;
  for (auto& v : out.s0) v = v >> 63;
  co_return out;
}

sim::Task<Share> Plaintext::do_eqz(const Share& a) {
  Share out = a;
  for (auto& v : out.s0) v = v == 0 ? 1 : 0;
  co_return out;
}

sim::Task<Share> Plaintext::do_to_boolean(const Share& a) { co_return a; }

sim::Task<Share> Plaintext::do_to_arithmetic(const Share& b) { co_return b; }

sim::Task<Share> Plaintext::do_low_bits(const Share& a, int bits) {
  co_return spread_bits(a, bits);
}

sim::Task<Share> Plaintext::do_shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields) {
  // The reference applies one public random permutation per row (from the shared seed).
  Share out = a;
  if (!has_data(a)) co_return out;
  Prg prg(derive_key(seed_, 7, 7, 99));
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::vector<std::int64_t> perm = random_permutation(prg, cols);
    for (std::int64_t f = 0; f < fields; ++f)
      for (std::int64_t c = 0; c < cols; ++c)
        out.s0[static_cast<std::size_t>((r * fields + f) * cols + c)] = a.s0[static_cast<std::size_t>((r * fields + f) * cols + perm[static_cast<std::size_t>(c)])];
  }
  co_return out;
}

}  // namespace kvsim::protocols
