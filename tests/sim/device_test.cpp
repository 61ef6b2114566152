// tests/sim/device_test.cpp — streams run serially inside, concurrently across.
#include <gtest/gtest.h>

#include "sim/device.h"

namespace kvsim::sim {
namespace {

TEST(Device, OneStreamIsSerial) {
  Engine e;
  Device gpu(e, "gpu0", {"compute", "h2d"});
  const StreamOp a = gpu.stream("compute").enqueue(100, "a");
  const StreamOp b = gpu.stream("compute").enqueue(50, "b");
  EXPECT_EQ(a.start, 0);
  EXPECT_EQ(a.end, 100);
  EXPECT_EQ(b.start, 100);
  EXPECT_EQ(b.end, 150);
}

TEST(Device, StreamsOverlap) {
  Engine e;
  Device gpu(e, "gpu0", {"compute", "h2d"});
  const StreamOp c = gpu.stream("compute").enqueue(100, "gemm");
  const StreamOp x = gpu.stream("h2d").enqueue(80, "copy");
  EXPECT_EQ(c.start, 0);
  EXPECT_EQ(x.start, 0);  // the copy engine does not wait for compute
  EXPECT_EQ(x.end, 80);
}

TEST(Device, DependenciesDelayTheStart) {
  Engine e;
  Device gpu(e, "gpu0", {"compute", "h2d"});
  const StreamOp copy = gpu.stream("h2d").enqueue(300, "copy layer 1");
  const StreamOp work = gpu.stream("compute").enqueue(100, "layer 1", {copy});
  EXPECT_EQ(work.start, 300);
  EXPECT_EQ(work.end, 400);
}

Task<void> double_buffered(Engine& e, Device& gpu, int layers, Duration copy, Duration compute, Time& done) {
  // Layer i's copy overlaps layer i-1's compute: total = copy + layers * max(copy, compute)
  // when copy dominates.
  StreamOp next = gpu.stream("h2d").enqueue(copy, "copy 0");
  StreamOp last{};
  for (int i = 0; i < layers; ++i) {
    const StreamOp now_copy = next;
    if (i + 1 < layers) next = gpu.stream("h2d").enqueue(copy, "copy");
    last = gpu.stream("compute").enqueue(compute, "layer", {now_copy});
  }
  co_await gpu.wait(last);
  done = e.now();
}

TEST(Device, DoubleBufferingOverlapsCopyAndCompute) {
  Engine e;
  Device gpu(e, "gpu0", {"compute", "h2d"});
  Time done = 0;
  e.spawn(double_buffered(e, gpu, 10, 300, 100, done), "p");
  e.run();
  EXPECT_EQ(done, 10 * 300 + 100);  // copy-bound: compute hides behind the copies
}

TEST(Device, ExecuteWaitsForTheEnd) {
  Engine e;
  Device gpu(e, "gpu0", {"compute"});
  Time t = 0;
  auto p = [](Engine& e, Device& g, Time& t) -> Task<void> {
    co_await g.stream("compute").execute(70, "k");
    co_await g.stream("compute").execute(30, "k");
    t = e.now();
  };
  e.spawn(p(e, gpu, t), "p");
  e.run();
  EXPECT_EQ(t, 100);
  EXPECT_EQ(gpu.stream("compute").busy(), 100);
  EXPECT_EQ(gpu.stream("compute").ops(), 2u);
}

TEST(Device, UnknownStreamNamesTheKnownOnes) {
  Engine e;
  Device gpu(e, "gpu0", {"compute", "h2d"});
  try {
    gpu.stream("d2h");
    FAIL();
  } catch (const std::out_of_range& ex) {
    EXPECT_NE(std::string(ex.what()).find("compute, h2d"), std::string::npos);
  }
}

}  // namespace
}  // namespace kvsim::sim
