// tests/protocols/meter_test.cpp — the Meter's scopes and the cost tables: what a primitive
// declares lands in the innermost category, measured traffic lands in exactly one category, and
// `kvsim costs` is the table itself.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include "hardware/profile.h"
#include "protocols/protocol.h"
#include "protocols/sim_network.h"

namespace kvsim::protocols {
namespace {

const hardware::Catalog& catalog() {
  static const hardware::Catalog c = hardware::Catalog::load(hardware::Catalog::default_dir());
  return c;
}

struct PartyView {
  std::map<std::string, MeterCategory> categories;
  OpCost declared;
  CommStats total;
  OpTally exp_muls, exp_truncs;
};

// Runs one program on three ABY3 parties; returns each party's Meter afterwards.
std::vector<PartyView> run_aby3(const std::function<sim::Task<void>(Protocol&)>& program) {
  sim::Engine e(3);
  SimNetwork net(e, 3, catalog().link("lan-bumblebee"), catalog().host("xeon-server"));
  std::vector<std::unique_ptr<Protocol>> ps;
  for (int p = 0; p < 3; ++p) ps.push_back(make_protocol("aby3", net.channel(p), 3, 18, true));
  for (int p = 0; p < 3; ++p) {
    ps[static_cast<std::size_t>(p)]->meter().set_clock([&e] { return e.now(); });
    e.spawn(program(*ps[static_cast<std::size_t>(p)]), "P" + std::to_string(p));
  }
  EXPECT_TRUE(e.run().parked.empty());
  std::vector<PartyView> out;
  for (auto& P : ps) {
    PartyView v;
    v.categories = P->meter().categories();
    v.declared = P->meter().declared();
    v.total = P->channel().stats();
    out.push_back(std::move(v));
  }
  return out;
}

TEST(Meter, ChargesTheInnermostScopeAndEveryByteOnce) {
  const std::int64_t n = 40;
  const auto parties = run_aby3([&](Protocol& P) -> sim::Task<void> {
    const Shape shape{n};  // why a local: GCC 12 rejects brace temporaries in co_await
    Share x = co_await P.input(0, nullptr, shape);  // outside every scope: ""
    {
      const auto outer = P.meter().scope("outer");
      Share y = co_await P.mul(x, x);
      {
        const auto inner = P.meter().scope("inner");
        Share z = co_await P.msb(y);
        (void)z;
      }
      Share w = co_await P.trunc(y, 18);  // back in "outer"
      (void)w;
    }
    P.meter().set_recording(false);
    Share ignored = co_await P.mul(x, x);  // neither declared nor measured
    (void)ignored;
  });
  for (std::size_t p = 0; p < 3; ++p) {
    const PartyView& v = parties[p];
    ASSERT_EQ(v.categories.count("outer"), 1u);
    ASSERT_EQ(v.categories.count("inner"), 1u);
    ASSERT_EQ(v.categories.count(""), 1u);
    const MeterCategory& inner = v.categories.at("inner");
    const MeterCategory& outer = v.categories.at("outer");
    EXPECT_EQ(inner.ops[static_cast<std::size_t>(Op::kMsb)].calls, 1);
    EXPECT_EQ(inner.ops[static_cast<std::size_t>(Op::kMul)].calls, 0);
    EXPECT_EQ(outer.ops[static_cast<std::size_t>(Op::kMul)].calls, 1);
    EXPECT_EQ(outer.ops[static_cast<std::size_t>(Op::kTrunc)].calls, 1);
    EXPECT_EQ(outer.ops[static_cast<std::size_t>(Op::kMsb)].calls, 0);
    EXPECT_DOUBLE_EQ(inner.ops[static_cast<std::size_t>(Op::kMsb)].elements, static_cast<double>(n));
    // Declared == measured in each category, and the categories add up to the channel's total
    // less the unrecorded product.
    std::uint64_t bytes = 0;
    for (const auto& [name, c] : v.categories) {
      EXPECT_EQ(static_cast<double>(c.measured.bytes_sent), c.declared.bytes[p]) << name << " party " << p;
      EXPECT_EQ(c.measured.rounds, static_cast<std::uint64_t>(c.declared.rounds[p])) << name << " party " << p;
      bytes += c.measured.bytes_sent;
    }
    EXPECT_EQ(bytes + 8 * static_cast<std::uint64_t>(n), v.total.bytes_sent) << "party " << p;
    EXPECT_GT(inner.seconds, 0) << "the msb took time on the link";
  }
}

TEST(Meter, CompositesRecordTheirPrimitivesAndNothingElse) {
  const std::int64_t n = 16;
  const auto parties = run_aby3([&](Protocol& P) -> sim::Task<void> {
    const Shape shape{n};
    Share x = co_await P.input(0, nullptr, shape);
    const auto scope = P.meter().scope("exp");
    Share y = co_await P.exp(x);
    (void)y;
  });
  const MeterCategory& c = parties[0].categories.at("exp");
  // (1 + x / 2^t): one truncation; then t squarings, each a product and a truncation.
  EXPECT_EQ(c.ops[static_cast<std::size_t>(Op::kMul)].calls, Protocol::kExpIterations);
  EXPECT_EQ(c.ops[static_cast<std::size_t>(Op::kTrunc)].calls, Protocol::kExpIterations + 1);
  for (Op op : {Op::kMsb, Op::kEqz, Op::kReveal, Op::kMatmul}) EXPECT_EQ(c.ops[static_cast<std::size_t>(op)].calls, 0);
}

TEST(CostTable, DeclaredCostsAndTheirTextComeFromOneRow) {
  sim::Engine e;
  SimNetwork net(e, 3, catalog().link("lan-bumblebee"), catalog().host("xeon-server"));
  const auto semi = make_protocol("semi2k", net.channel(0), 1);
  const MatDims d{2, 3, 5, 7};
  const OpCost mm = semi->declared(Op::kMatmul, 0, d);
  EXPECT_EQ(mm.rounds, (std::vector<std::int64_t>{1, 1, 0}));
  EXPECT_EQ(mm.bytes[0], 8.0 * 2 * (3 * 5 + 5 * 7));
  EXPECT_EQ(mm.bytes[2], 0.0);
  EXPECT_EQ(mm.offline_bytes, 8.0 * 2 * 3 * 7);
  const auto text = cost_formulas("semi2k");
  bool found = false;
  for (const CostFormula& f : text)
    if (f.op == "matmul (b, m, k, n)") {
      found = true;
      EXPECT_EQ(f.rounds, "1 (the dealer: 0)");
      EXPECT_EQ(f.bytes, "b m k K + b k n K (the dealer: 0); offline b m n K from the dealer");
    }
  EXPECT_TRUE(found);
  // Input is stated for owner 0 and moves with the owner.
  const OpCost in2 = semi->declared_input(2, 10);
  const auto plain = make_protocol("plaintext", net.channel(0), 1);
  EXPECT_EQ(plain->declared_input(1, 10).bytes, (std::vector<double>{0, 160, 0}));
  EXPECT_EQ(in2.bytes, (std::vector<double>{0, 0, 0}));
  // A primitive a family lacks is an error naming both.
  EXPECT_THROW(
      {
        try {
          (void)plain->declared(Op::kPrepareOperand, 4);
        } catch (const std::invalid_argument& err) {
          EXPECT_NE(std::string(err.what()).find("plaintext: no declared cost for 'prepare_operand'"), std::string::npos);
          throw;
        }
      },
      std::invalid_argument);
}

}  // namespace
}  // namespace kvsim::protocols
