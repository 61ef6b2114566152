// private_decode/ledger.h — runs each protocol op of a private decode, charges what it measured
// to a category (the paper's breakdown) and adds the op's declared cost.
//
// Contract: while `recording`, every op adds to comm[category] the bytes and messages its party
// sent and the online rounds it took (the dealer's "offline" preprocessing counts in bytes, not
// in rounds), to seconds[category] the party's clock time inside it, and to `declared` the cost
// the protocol family declares for it; tests compare `declared` with the channels' measurement.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include "private_decode/run.h"
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

struct Ledger {
  Protocol& P;
  PartyClock clock;
  std::map<std::string, CommStats> comm;
  std::map<std::string, double> seconds;
  OpCost declared;
  bool recording = false;

  // Bytes count every message (the dealer's preprocessing too, as declared); rounds count the
  // online exchanges only (a party receiving preprocessing does not wait on its peers for it).
  struct Mark {
    CommStats stats, offline;
    sim::Time time;
  };
  Mark mark() const { return {P.channel().stats(), offline_stats(P.channel()), clock()}; }
  static CommStats offline_stats(const protocols::Channel& ch) {
    const auto it = ch.stats_by_tag().find("offline");
    return it == ch.stats_by_tag().end() ? CommStats{} : it->second;
  }
  void charge(const char* cat, const Mark& m, const OpCost& cost) {
    if (!recording) return;
    const CommStats d = P.channel().stats() - m.stats, off = offline_stats(P.channel()) - m.offline;
    auto& c = comm[cat];
    c.bytes_sent += d.bytes_sent;
    c.messages += d.messages;
    c.rounds += d.rounds - off.rounds;
    seconds[cat] += sim::to_seconds(clock() - m.time);
    if (declared.rounds.empty()) declared = cost;
    else add(declared, cost);
  }

  // A fixed-point product; b is a weight prepared once (semi2k then opens only the left side)
  // or, passed as a Share, an operand used once (the KV cache).
  Task<Share> matmul(const char* cat, const Share& a, const protocols::FixedOperand& b, MatDims d) {
    const Mark m = mark();
    Share prod = co_await P.matmul_operand(a, b, d);
    Share out = co_await P.trunc(prod, P.frac_bits());
    out.shape = Shape{d.batch * d.m, d.n};  // rows = (batch, m): what the callers index
    OpCost c = P.declared_matmul_operand(b, d);
    add(c, P.declared("trunc", d.batch * d.m * d.n));
    charge(cat, m, c);
    co_return out;
  }
  Task<Share> matmul(const char* cat, const Share& a, const Share& b, MatDims d) {
    const protocols::FixedOperand once = unprepared(b, d);
    Share out = co_await matmul(cat, a, once, d);
    co_return out;
  }
  // A one-hot (integer 0/1 entries) times a fixed-point table: exact, no truncation.
  Task<Share> gather(const char* cat, const Share& onehot, const protocols::FixedOperand& table, MatDims d) {
    const Mark m = mark();
    Share out = co_await P.matmul_operand(onehot, table, d);
    out.shape = Shape{d.batch * d.m, d.n};
    charge(cat, m, P.declared_matmul_operand(table, d));
    co_return out;
  }
  Task<Share> gather(const char* cat, const Share& onehot, const Share& table, MatDims d) {
    const protocols::FixedOperand once = unprepared(table, d);
    Share out = co_await gather(cat, onehot, once, d);
    co_return out;
  }
  static protocols::FixedOperand unprepared(const Share& b, MatDims d) { return {b, d, false, {}, {}}; }
  Task<Share> mul(const char* cat, const Share& a, const Share& b) {
    const Mark m = mark();
    const Share fa = flat(a), fb = flat(b);
    Share out = co_await P.mul_fixed(fa, fb);
    OpCost c = P.declared("mul", a.size());
    add(c, P.declared("trunc", a.size()));
    charge(cat, m, c);
    co_return out;
  }
  Task<Share> mul_int(const char* cat, const Share& a, const Share& b) {  // integer x fixed: no trunc
    const Mark m = mark();
    const Share fa = flat(a), fb = flat(b);
    Share out = co_await P.mul(fa, fb);
    charge(cat, m, P.declared("mul", a.size()));
    co_return out;
  }
  Task<Share> trunc(const char* cat, const Share& a) {
    const Mark m = mark();
    Share out = co_await P.trunc(a, P.frac_bits());
    charge(cat, m, P.declared("trunc", a.size()));
    co_return out;
  }
  Task<Share> composite(const char* cat, const char* op, const Share& a, std::int64_t n, MatDims d) {
    const Mark m = mark();
    Share out;
    const std::string_view o(op);
    if (o == "softmax_rows") out = co_await P.softmax_rows(a, n, d.k);
    else if (o == "rsqrt") out = co_await P.rsqrt(a, static_cast<double>(d.k));
    else if (o == "silu") out = co_await P.silu(a);
    else if (o == "gelu") out = co_await P.gelu(a);
    else if (o == "max_rows") out = co_await P.max_rows(a, n, d.k);
    else if (o == "one_hot") out = co_await P.one_hot(a, d.k);
    else throw std::logic_error(std::string("private decode: no composite ") + op);
    charge(cat, m, P.declared_composite(op, n, d));
    co_return out;
  }
  Task<Protocol::QuickSelect> topk(const char* cat, const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t k) {
    const Mark m = mark();
    Protocol::QuickSelect out = co_await P.topk_quickselect(a, rows, cols, k);
    charge(cat, m, P.declared_quickselect(rows, cols, out.compared));
    co_return out;
  }
  Task<Share> input(const char* cat, int owner, const RingTensor* value, Shape shape) {
    const Mark m = mark();
    Share out = co_await P.input(owner, value, shape);
    charge(cat, m, P.declared_input(owner, protocols::numel(shape)));
    co_return out;
  }
  Task<RingTensor> reveal(const char* cat, const Share& a) {
    const Mark m = mark();
    RingTensor out = co_await P.reveal(a);
    charge(cat, m, P.declared("reveal", a.size()));
    co_return out;
  }
  static void add(OpCost& a, const OpCost& b) {
    for (std::size_t p = 0; p < a.rounds.size(); ++p) {
      a.rounds[p] += b.rounds[p];
      a.bytes[p] += b.bytes[p];
    }
    a.offline_bytes += b.offline_bytes;
  }
};

// The cost between two marks: party clock seconds, bytes sent, online rounds.
PrivateCost between(const Ledger::Mark& a, const Ledger::Mark& b);

}  // namespace kvsim::private_decode
