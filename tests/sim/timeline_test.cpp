// tests/sim/timeline_test.cpp — summaries and the Chrome trace export.
#include <gtest/gtest.h>

#include <sstream>

#include "sim/timeline.h"

namespace kvsim::sim {
namespace {

TEST(Timeline, SummarizesPerResource) {
  Timeline t;  // spans not kept: the summary is accumulated as they are reported
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
  EXPECT_TRUE(t.spans().empty());
}

TEST(Timeline, SummaryOfKeptSpansIsTheSameAndOutOfOrderSpansAreFolded) {
  Timeline kept, folded;
  kept.keep_spans(true);
  for (Timeline* t : {&kept, &folded}) {
    t->record("p", "r", 500, 900, 3, "late first");
    t->record("p", "r", 100, 200, 4, "early");
    t->record("p", "s", 0, 0, 0, "empty");
  }
  const auto a = kept.summarize(), b = folded.summarize();
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(kept.spans().size(), 3u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].resource, b[i].resource);
    EXPECT_EQ(a[i].spans, b[i].spans);
    EXPECT_EQ(a[i].busy, b[i].busy);
    EXPECT_EQ(a[i].bytes, b[i].bytes);
    EXPECT_EQ(a[i].first_start, b[i].first_start);
    EXPECT_EQ(a[i].last_end, b[i].last_end);
  }
  EXPECT_EQ(a[0].first_start, 100);
  EXPECT_EQ(a[0].last_end, 900);
  EXPECT_EQ(a[0].busy, 500);
}

TEST(Timeline, ARegisteredResourceWithoutSpansIsNotSummarized) {
  Timeline t;
  t.resource("gpu0/idle");
  EXPECT_TRUE(t.summarize().empty());
}

TEST(Timeline, ChromeTraceHasExactMicrosecondsAndEscapedNames) {
  Timeline t;
  t.keep_spans(true);
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

TEST(Timeline, OverlappingSpansOfOneResourceGoOnSeparateLanes) {
  Timeline t;
  t.keep_spans(true);
  // A pipelined link: the second message leaves before the first arrives; the third after.
  t.record("p0", "link/lan/p0->p1", 0, 10'000'000, 1, "m1");
  t.record("p0", "link/lan/p0->p1", 4'000'000, 14'000'000, 1, "m2");
  t.record("p0", "link/lan/p0->p1", 10'000'000, 20'000'000, 1, "m3");
  std::ostringstream out;
  t.write_chrome_trace(out);
  const std::string j = out.str();
  EXPECT_NE(j.find("\"name\":\"link/lan/p0->p1\""), std::string::npos);
  EXPECT_NE(j.find("\"name\":\"link/lan/p0->p1 #2\""), std::string::npos);
  EXPECT_EQ(j.find("#3"), std::string::npos) << "m3 starts when m1 ends: it reuses the first lane";
  // m1 and m3 share a thread id, m2 has another.
  auto tid_of = [&](const std::string& label) {
    const auto at = j.find("\"name\":\"" + label + "\"");
    const auto tid = j.find("\"tid\":", at);
    return j.substr(tid, j.find(',', tid) - tid);
  };
  EXPECT_EQ(tid_of("m1"), tid_of("m3"));
  EXPECT_NE(tid_of("m1"), tid_of("m2"));
}

}  // namespace
}  // namespace kvsim::sim
