// tests/app/point_pool_test.cpp — the point pool's dispatch order: costliest first by the kinds'
// relative_cost, index order among equals, every outcome in its own slot whatever the order.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "app/runner/kind.h"
#include "app/runner/point_pool.h"

namespace kvsim::runner {
namespace {

// Records the order its points start in; a point's cost is its "cost" key.
class OrderKind final : public Kind {
 public:
  explicit OrderKind(std::vector<int>* started, std::mutex* mu) : started_(started), mu_(mu) {
    schema_.integer("id", "which point");
    schema_.number("cost", "its relative cost");
  }
  std::string_view name() const override { return "order"; }
  std::string_view description() const override { return "test kind"; }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine&) const override {
    const int id = static_cast<int>(point.tree["id"].value_or<std::int64_t>(-1));
    {
      std::lock_guard lock(*mu_);
      started_->push_back(id);
    }
    KindOutput out;
    out.metrics.push_back({"id", static_cast<double>(id), "1"});
    return out;
  }
  double relative_cost(const scenarios::ScenarioPoint& point) const override { return point.tree["cost"].value_or(1.0); }

 private:
  scenarios::TableSchema schema_;
  std::vector<int>* started_;
  std::mutex* mu_;
};

TEST(PointPool, StartsTheCostliestFirstAndKeepsEachOutcomeInItsSlot) {
  std::vector<int> started;
  std::mutex mu;
  KindRegistry kinds;
  kinds.add(std::make_unique<OrderKind>(&started, &mu));
  const std::vector<double> costs{1, 5, 1, 40, 5, 1};
  std::vector<scenarios::ScenarioPoint> points(costs.size());
  for (std::size_t i = 0; i < costs.size(); ++i) {
    points[i].index = i;
    points[i].tree.insert("kind", "order");
    points[i].tree.insert("id", static_cast<std::int64_t>(i));
    points[i].tree.insert("cost", costs[i]);
  }
  std::vector<const scenarios::ScenarioPoint*> view;
  for (const auto& p : points) view.push_back(&p);
  const auto out = run_points(view, kinds, RunOptions{}, 1);
  EXPECT_EQ(started, (std::vector<int>{3, 1, 4, 0, 2, 5}));
  ASSERT_EQ(out.size(), costs.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_FALSE(out[i].error);
    ASSERT_EQ(out[i].record.metrics.size(), 1u);
    EXPECT_EQ(out[i].record.metrics[0].value, static_cast<double>(i)) << "slot " << i;
  }
}

}  // namespace
}  // namespace kvsim::runner
