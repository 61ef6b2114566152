// protocols/meter.h — what one party's ops cost, by category: declared by the primitives as they
// run, measured on the channel.
//
// Contract:
// - Every primitive a Protocol runs calls record() with its declared cost (from the family's
//   CostTable), while it runs; composite ops record nothing themselves, so their declared cost is
//   the sum of their parts by construction.
// - A Scope names the category (a paper's cost breakdown: "linear", "softmax", ...) that the ops
//   run inside it are charged to; scopes nest and the innermost wins. What runs outside every
//   scope (local rearrangements between ops, say) is charged to the unnamed category "".
// - While recording(), each category also receives what the party's channel measured inside it:
//   bytes and messages sent, online rounds (the dealer's "offline" preprocessing counts in bytes,
//   not in rounds: a party receiving preprocessing does not wait on its peers for it), and the
//   party's clock time, when a clock is set. Measured traffic is attributed at scope boundaries,
//   so every byte lands in exactly one category.
// - A Meter belongs to one party's sequential program (SPMD); it is not shared between coroutines
//   that run at the same time.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "protocols/channel.h"
#include "protocols/cost_table.h"
#include "sim/time.h"

namespace kvsim::protocols {

struct OpTally {
  std::int64_t calls = 0;
  double elements = 0;  // n for elementwise ops, b m n for products
};

struct MeterCategory {
  OpCost declared;
  CommStats measured;
  double seconds = 0;
  std::array<OpTally, kOpCount> ops{};
};

class Meter {
 public:
  using Clock = std::function<sim::Time()>;
  explicit Meter(const Channel& ch) : ch_(ch), last_(read()) {}

  class Scope {
   public:
    Scope(Scope&& o) noexcept : meter_(o.meter_), outer_(std::move(o.outer_)) { o.meter_ = nullptr; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope();

   private:
    friend class Meter;
    Scope(Meter& m, std::string outer) : meter_(&m), outer_(std::move(outer)) {}
    Meter* meter_;
    std::string outer_;
  };
  [[nodiscard]] Scope scope(std::string category);

  // Declared costs, tallies and measurements are kept only while recording (on from the start;
  // a program turns it off for what it does not report, e.g. the weights' one-time preparation).
  // Turning it on or off attributes what came before.
  void set_recording(bool on);
  bool recording() const { return recording_; }
  void set_clock(Clock clock);

  void record(Op op, const OpCost& cost, double elements);

  // Per category, up to now (attributes the traffic since the last scope boundary first).
  const std::map<std::string, MeterCategory>& categories();
  OpCost declared() const;  // all categories
  OpTally tally(Op op) const;

  // What the channel carried and the clock read now: a program's totals between two points are
  // the difference of two readings (the dealer's "offline" traffic apart).
  struct Reading {
    CommStats stats, offline;
    sim::Time time{};
  };
  Reading read() const;

 private:
  void attribute();  // charges the measurement since the last boundary to the current category
  MeterCategory& current() { return categories_[current_]; }

  const Channel& ch_;
  Clock clock_;
  bool recording_ = true;
  std::string current_;  // "" outside every scope
  Reading last_;
  std::map<std::string, MeterCategory> categories_;
};

}  // namespace kvsim::protocols
