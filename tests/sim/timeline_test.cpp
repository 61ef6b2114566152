// tests/sim/timeline_test.cpp — summaries and the Chrome trace export.
#include <gtest/gtest.h>

#include <sstream>

#include "sim/timeline.h"

namespace kvsim::sim {
namespace {

TEST(Timeline, SummarizesPerResource) {
  Timeline t;
  t.record("p0", "gpu0/compute", 0, 100, 0, "a");
  t.record("p0", "gpu0/compute", 200, 250, 0, "b");
  t.record("p1", "link/lan/a->b", 10, 20, 64, "m");
  const auto s = t.summarize();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].resource, "gpu0/compute");
  EXPECT_EQ(s[0].spans, 2u);
  EXPECT_EQ(s[0].busy, 150);
  EXPECT_EQ(s[0].last_end, 250);
  EXPECT_EQ(s[1].bytes, 64u);
}

TEST(Timeline, DisabledRecordsNothing) {
  Timeline t;
  t.set_enabled(false);
  t.record("p", "r", 0, 1, 0, "x");
  EXPECT_TRUE(t.spans().empty());
}

TEST(Timeline, ChromeTraceHasExactMicrosecondsAndEscapedNames) {
  Timeline t;
  t.record("p\"0", "gpu0/compute", 1'500'000, 2'750'001, 8, "k");
  std::ostringstream out;
  t.write_chrome_trace(out);
  const std::string j = out.str();
  EXPECT_NE(j.find("\"ts\":1.500000"), std::string::npos);
  EXPECT_NE(j.find("\"dur\":1.250001"), std::string::npos);
  EXPECT_NE(j.find("p\\\"0"), std::string::npos);
  EXPECT_NE(j.find("\"ph\":\"X\""), std::string::npos);
  EXPECT_NE(j.find("\"thread_name\""), std::string::npos);
}

}  // namespace
}  // namespace kvsim::sim
