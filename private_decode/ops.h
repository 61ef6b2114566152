// private_decode/ops.h — the protocol calls a private decode step makes, each under the paper's
// cost category it belongs to.
//
// Contract: every call opens a Meter scope named by its category and runs the protocol's ops in
// it; the ops record their own declared costs and the Meter measures what the channel carried
// (protocols/meter.h), so nothing here states a cost. The helpers only shape the calls the step
// makes: fixed-point products (a product then a truncation), one-hot gathers (exact, no
// truncation), rows laid out as (batch m, n).
#pragma once

#include <cstdint>

#include "private_decode/run.h"
#include "protocols/meter.h"
#include "protocols/protocol.h"
#include "protocols/share_layout.h"
#include "sim/task.h"

namespace kvsim::private_decode {

using protocols::CommStats;
using protocols::MatDims;
using protocols::OpCost;
using protocols::Protocol;
using protocols::Ring;
using protocols::RingTensor;
using protocols::Share;
using protocols::Shape;
using sim::Task;
// The local rearrangements the step's pieces use (protocols/share_layout.h).
using protocols::concat;
using protocols::exclusive_prefix_sum;
using protocols::flat;
using protocols::mul_public_tensor;
using protocols::repeat_each;
using protocols::rows_of;
using protocols::sum_rows;
using protocols::take;
using protocols::take_lazy;
using protocols::transpose_indices;

struct Ops {
  Protocol& P;

  [[nodiscard]] protocols::Meter::Scope in(const char* category) { return P.meter().scope(category); }

  // A fixed-point product; b is a weight prepared once (semi2k then opens only the left side)
  // or, passed as a Share, an operand used once (the KV cache).
  Task<Share> matmul(const char* cat, const Share& a, const protocols::FixedOperand& b, MatDims d) {
    const auto scope = in(cat);
    Share out = co_await fixed_product(a, b, d);
    co_return out;
  }
  Task<Share> matmul(const char* cat, const Share& a, const Share& b, MatDims d) {
    const auto scope = in(cat);
    const protocols::FixedOperand once = unprepared(b, d);
    Share out = co_await fixed_product(a, once, d);
    co_return out;
  }
  // A one-hot (integer 0/1 entries) times a fixed-point table: exact, no truncation.
  Task<Share> gather(const char* cat, const Share& onehot, const protocols::FixedOperand& table, MatDims d) {
    const auto scope = in(cat);
    Share out = co_await one_hot_product(onehot, table, d);
    co_return out;
  }
  Task<Share> gather(const char* cat, const Share& onehot, const Share& table, MatDims d) {
    const auto scope = in(cat);
    const protocols::FixedOperand once = unprepared(table, d);
    Share out = co_await one_hot_product(onehot, once, d);
    co_return out;
  }
  Task<Share> mul(const char* cat, const Share& a, const Share& b) {
    const auto scope = in(cat);
    const Share fa = flat(a), fb = flat(b);
    Share out = co_await P.mul_fixed(fa, fb);
    co_return out;
  }
  Task<Share> mul_int(const char* cat, const Share& a, const Share& b) {  // integer x fixed: no trunc
    const auto scope = in(cat);
    const Share fa = flat(a), fb = flat(b);
    Share out = co_await P.mul(fa, fb);
    co_return out;
  }
  Task<Share> trunc(const char* cat, const Share& a) {
    const auto scope = in(cat);
    Share out = co_await P.trunc(a, P.frac_bits());
    co_return out;
  }
  Task<Share> softmax_rows(const char* cat, const Share& a, std::int64_t rows, std::int64_t cols) {
    const auto scope = in(cat);
    Share out = co_await P.softmax_rows(a, rows, cols);
    co_return out;
  }
  Task<Share> rsqrt(const char* cat, const Share& a, double max_value) {
    const auto scope = in(cat);
    Share out = co_await P.rsqrt(a, max_value);
    co_return out;
  }
  Task<Share> silu(const char* cat, const Share& a) {
    const auto scope = in(cat);
    Share out = co_await P.silu(a);
    co_return out;
  }
  Task<Share> gelu(const char* cat, const Share& a) {
    const auto scope = in(cat);
    Share out = co_await P.gelu(a);
    co_return out;
  }
  Task<Share> max_rows(const char* cat, const Share& a, std::int64_t rows, std::int64_t cols) {
    const auto scope = in(cat);
    Share out = co_await P.max_rows(a, rows, cols);
    co_return out;
  }
  Task<Share> one_hot(const char* cat, const Share& idx, std::int64_t classes) {
    const auto scope = in(cat);
    Share out = co_await P.one_hot(idx, classes);
    co_return out;
  }
  // The row mask of a secret index (the embedding lookup).
  Task<Share> slice_mask(const char* cat, const Share& idx, std::int64_t classes) {
    const auto scope = in(cat);
    Share out = co_await P.slice_mask(idx, classes);
    co_return out;
  }
  // Row-wise argmax as an index share.
  Task<Share> argmax(const char* cat, const Share& a, std::int64_t rows, std::int64_t cols) {
    const auto scope = in(cat);
    Share out = co_await P.argmax_index(a, rows, cols);
    co_return out;
  }
  // bit ? x : y where bit = a < b, the two as one step.
  Task<Share> select_less(const char* cat, const Share& a, const Share& b, const Share& x, const Share& y) {
    const auto scope = in(cat);
    Share bit = co_await P.less_than(a, b);
    Share out = co_await P.select(bit, x, y);
    co_return out;
  }
  Task<Protocol::QuickSelect> topk(const char* cat, const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t k) {
    const auto scope = in(cat);
    Protocol::QuickSelect out = co_await P.topk_quickselect(a, rows, cols, k);
    co_return out;
  }
  Task<Share> input(const char* cat, int owner, const RingTensor* value, Shape shape) {
    const auto scope = in(cat);
    Share out = co_await P.input(owner, value, shape);
    co_return out;
  }
  Task<RingTensor> reveal(const char* cat, const Share& a) {
    const auto scope = in(cat);
    RingTensor out = co_await P.reveal(a);
    co_return out;
  }

 private:
  static protocols::FixedOperand unprepared(const Share& b, MatDims d) { return {b, d, false, {}, {}}; }
  Task<Share> fixed_product(const Share& a, const protocols::FixedOperand& b, MatDims d) {
    Share prod = co_await P.matmul_operand(a, b, d);
    Share out = co_await P.trunc(prod, P.frac_bits());
    out.shape = Shape{d.batch * d.m, d.n};  // rows = (batch, m): what the callers index
    co_return out;
  }
  Task<Share> one_hot_product(const Share& onehot, const protocols::FixedOperand& table, MatDims d) {
    Share out = co_await P.matmul_operand(onehot, table, d);
    out.shape = Shape{d.batch * d.m, d.n};
    co_return out;
  }
};

// Party clock seconds, bytes sent, online rounds between two of the Meter's readings.
PrivateCost between(const protocols::Meter::Reading& a, const protocols::Meter::Reading& b);

}  // namespace kvsim::private_decode
