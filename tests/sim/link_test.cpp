// tests/sim/link_test.cpp — exact arrival times, FIFO per direction, full duplex.
#include <gtest/gtest.h>

#include "sim/link.h"

namespace kvsim::sim {
namespace {

Message msg(std::uint64_t bytes, std::string label = "m") {
  Message m;
  m.charged_bytes = bytes;
  m.label = std::move(label);
  return m;
}

Task<void> receive_n(Engine& e, Link& l, int at, int n, std::vector<std::pair<std::string, Time>>& got) {
  for (int i = 0; i < n; ++i) {
    Message m = co_await l.receive(at);
    EXPECT_EQ(m.arrived, e.now());
    got.emplace_back(std::string(m.label.view()), e.now());
  }
}

TEST(Link, ArrivesAtExactlyLatencyPlusSizeOverBandwidth) {
  // 1 Gbit/s = 125e6 B/s; 1 MB takes 8 ms; 0.25 ms one-way latency.
  Engine e;
  Link l(e, LinkConfig{"lan", 125e6, microseconds(250), 0});
  std::vector<std::pair<std::string, Time>> got;
  e.spawn(receive_n(e, l, 1, 1, got), "rx");
  const Transfer t = l.send(0, msg(1'000'000));
  e.run();
  EXPECT_EQ(t.start, 0);
  EXPECT_EQ(t.serialized, milliseconds(8));
  EXPECT_EQ(t.arrival, milliseconds(8) + microseconds(250));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, milliseconds(8) + microseconds(250));
}

TEST(Link, RoundsUpToThePicosecond) {
  Engine e;
  Link l(e, LinkConfig{"odd", 3.0, 0, 0});  // 3 B/s: 1 byte = 333333333333.33 ps
  const Transfer t = l.send(0, msg(1));
  EXPECT_EQ(t.arrival, 333'333'333'334);
}

TEST(Link, TwoMessagesQueueFifoInOneDirection) {
  Engine e;
  Link l(e, LinkConfig{"lan", 1e6, microseconds(100), microseconds(10)});
  std::vector<std::pair<std::string, Time>> got;
  e.spawn(receive_n(e, l, 1, 2, got), "rx");
  const Transfer a = l.send(0, msg(1000, "first"));   // 10 us overhead + 1 ms
  const Transfer b = l.send(0, msg(500, "second"));   // waits for the first to leave
  e.run();
  EXPECT_EQ(a.serialized, microseconds(1010));
  EXPECT_EQ(b.start, a.serialized);
  EXPECT_EQ(b.serialized, microseconds(1010 + 510));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], std::make_pair(std::string("first"), microseconds(1110)));
  EXPECT_EQ(got[1], std::make_pair(std::string("second"), microseconds(1620)));
  EXPECT_EQ(l.stats(0).messages, 2u);
  EXPECT_EQ(l.stats(0).bytes, 1500u);
  EXPECT_EQ(l.stats(0).busy, microseconds(1520));
}

TEST(Link, DirectionsDoNotInterfere) {
  Engine e;
  Link l(e, LinkConfig{"lan", 1e6, microseconds(100), 0});
  std::vector<std::pair<std::string, Time>> at0, at1;
  e.spawn(receive_n(e, l, 1, 1, at1), "rx1");
  e.spawn(receive_n(e, l, 0, 1, at0), "rx0");
  l.send(0, msg(1000, "ab"));
  l.send(1, msg(1000, "ba"));
  e.run();
  EXPECT_EQ(at1.at(0).second, microseconds(1100));
  EXPECT_EQ(at0.at(0).second, microseconds(1100));
}

TEST(Link, PayloadAndChargedSizeAreSeparate) {
  Engine e;
  Link l(e, LinkConfig{"lan", 1e6, 0, 0});
  Message m;
  m.payload.assign(2, 0xababababababababULL);
  m.charged_bytes = 4000;  // e.g. cost mode charging a stated size
  const Transfer t = l.send(0, std::move(m));
  EXPECT_EQ(t.arrival, milliseconds(4));
  Message got;
  auto rx = [](Link& l, Message& out) -> Task<void> { out = co_await l.receive(1); };
  e.spawn(rx(l, got), "rx");
  e.run();
  EXPECT_EQ(got.payload.size(), 2u);
  EXPECT_EQ(got.payload[1], 0xababababababababULL);
}

Task<void> send_wait(Engine& e, Link& l, Time& after) {
  co_await l.send_and_wait(0, msg(2000));
  after = e.now();
}

TEST(Link, SendAndWaitResumesWhenTheLastByteLeft) {
  Engine e;
  Link l(e, LinkConfig{"lan", 1e6, milliseconds(5), 0});
  Time after = -1;
  e.spawn(send_wait(e, l, after), "tx");
  e.run();
  EXPECT_EQ(after, milliseconds(2));
}

TEST(Link, RejectsBadConfiguration) {
  Engine e;
  EXPECT_THROW(Link(e, LinkConfig{"x", 0, 0, 0}), std::invalid_argument);
  EXPECT_THROW(Link(e, LinkConfig{"x", 1, -1, 0}), std::invalid_argument);
}

TEST(Link, RecordsTheTimeline) {
  Engine e;
  Link l(e, LinkConfig{"wan", 1e6, milliseconds(1), 0}, "p0", "p1");
  l.send(0, msg(1000, "hello"));
  const auto summary = e.timeline().summarize();
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].resource, "link/wan/p0->p1");
  EXPECT_EQ(summary[0].bytes, 1000u);
  EXPECT_EQ(summary[0].last_end, milliseconds(2));
}

}  // namespace
}  // namespace kvsim::sim
