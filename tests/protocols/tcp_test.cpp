// tests/protocols/tcp_test.cpp — the same program over real TCP (three `kvsim party` processes on
// 127.0.0.1) and on the simulated network: identical outputs, identical bytes and rounds. And
// every way a peer can misbehave gives a clear error, never a hang or a success.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "hardware/profile.h"
#include "protocols/demo_program.h"
#include "protocols/op_program.h"
#include "protocols/sim_network.h"
#include "protocols/tcp_frame.h"
#include "protocols/tcp_network.h"
#include "tests/support/party_processes.h"

namespace kvsim::protocols {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

using kvsim::testing::free_ports;
using kvsim::testing::parse_output;
using kvsim::testing::PartyRun;

std::vector<PartyRun> run_processes(const std::string& family, int parties) {
  return kvsim::testing::run_parties(KVSIM_BINARY, parties, {"--protocol", family, "--timeout-ms", "20000"}, family);
}

std::vector<DemoResult> run_simulated(const std::string& family) {
  const hardware::Catalog cat = hardware::Catalog::load(hardware::Catalog::default_dir());
  sim::Engine e;
  SimNetwork net(e, parties_of(family), cat.link("lan-bumblebee"), cat.host("xeon-server"));
  std::vector<std::unique_ptr<Protocol>> ps;
  std::vector<DemoResult> results(static_cast<std::size_t>(net.parties()));
  for (int p = 0; p < net.parties(); ++p) ps.push_back(make_protocol(family, net.channel(p), 1));
  auto run = [](Protocol& P, DemoResult& out) -> sim::Task<void> { out = co_await demo_program(P, DemoSpec{}); };
  for (int p = 0; p < net.parties(); ++p) e.spawn(run(*ps[static_cast<std::size_t>(p)], results[static_cast<std::size_t>(p)]), "P");
  e.run();
  return results;
}

class TcpDifferential : public ::testing::TestWithParam<std::string> {};

TEST_P(TcpDifferential, SameOutputsBytesAndRoundsAsTheSimulation) {
  const std::string family = GetParam();
  const auto sim = run_simulated(family);
  const auto tcp = run_processes(family, parties_of(family));
  for (std::size_t p = 0; p < tcp.size(); ++p) {
    ASSERT_EQ(tcp[p].code, 0) << tcp[p].out;
    auto kv = parse_output(tcp[p].out);
    EXPECT_EQ(kv["result_sha256"], sim[p].digest()) << "party " << p;
    EXPECT_EQ(kv["bytes_sent"], std::to_string(sim[p].stats.bytes_sent)) << "party " << p;
    EXPECT_EQ(kv["rounds"], std::to_string(sim[p].stats.rounds)) << "party " << p;
    EXPECT_EQ(kv["messages"], std::to_string(sim[p].stats.messages)) << "party " << p;
  }
  // And the computing parties agree with the plaintext values.
  const auto x = demo_values(1, 0, "x", 64), y = demo_values(1, 1, "y", 64);
  EXPECT_NEAR(decode_fixed(sim[0].product[5]), x[5] * y[5], 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Families, TcpDifferential, ::testing::Values("aby3", "semi2k", "plaintext"));

// The benchmark ops (`kvsim party --program op`): over TCP each party sends what the simulation
// counts, in as many rounds, and reveals the same outputs.
class TcpOps : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(TcpOps, SameBytesRoundsAndOutputsAsTheSimulation) {
  const auto& [family, op] = GetParam();
  OpSpec spec;
  spec.op = op;
  spec.n = op == "matmul" ? 16 : 130;
  spec.m = 8, spec.k = 24, spec.classes = 12;
  const hardware::Catalog cat = hardware::Catalog::load(hardware::Catalog::default_dir());
  sim::Engine e;
  SimNetwork net(e, 3, cat.link("lan-bumblebee"), cat.host("xeon-server"));
  std::vector<std::unique_ptr<Protocol>> ps;
  std::vector<OpResult> sim(3);
  for (int p = 0; p < 3; ++p) ps.push_back(make_protocol(family, net.channel(p), 1));
  auto run = [&spec](Protocol& P, OpResult& out) -> sim::Task<void> { out = co_await op_program(P, spec); };
  for (int p = 0; p < 3; ++p) e.spawn(run(*ps[static_cast<std::size_t>(p)], sim[static_cast<std::size_t>(p)]), "P");
  e.run();
  const auto tcp = kvsim::testing::run_parties(KVSIM_BINARY, 3,
                                               {"--protocol", family, "--program", "op", "--op", op, "--n", std::to_string(spec.n),
                                                "--m", "8", "--k", "24", "--classes", "12", "--timeout-ms", "20000"},
                                               family + op);
  for (std::size_t p = 0; p < 3; ++p) {
    ASSERT_EQ(tcp[p].code, 0) << tcp[p].out;
    auto kv = parse_output(tcp[p].out);
    EXPECT_EQ(kv["op_bytes_sent"], std::to_string(sim[p].op.bytes_sent)) << family << " " << op << " party " << p;
    EXPECT_EQ(kv["op_rounds"], std::to_string(sim[p].op.rounds)) << family << " " << op << " party " << p;
    EXPECT_EQ(kv["op_offline_bytes"], std::to_string(sim[p].offline_bytes)) << family << " " << op << " party " << p;
    std::string shown;
    for (Ring v : sim[p].revealed) shown += (shown.empty() ? "" : " ") + std::to_string(v);
    if (p < static_cast<std::size_t>(computing_parties_of(family))) {
      EXPECT_FALSE(shown.empty()) << family << " " << op;
      EXPECT_EQ(kv["revealed"], shown) << family << " " << op;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, TcpOps,
                         ::testing::Combine(::testing::Values("aby3", "semi2k"),
                                            ::testing::Values("matmul", "less-than", "exp", "equality", "one-hot")));

// A party 0 alone against a hand-written peer 1 (a 2-party network is enough for the framing).
struct Harness {
  asio::io_context io;
  std::vector<unsigned short> ports = free_ports(2);
  TcpOptions opt;
  Harness() {
    opt.connect_timeout = std::chrono::milliseconds(3000);
    opt.io_timeout = std::chrono::milliseconds(500);
    opt.max_frame_bytes = 1 << 20;
  }
  std::vector<PeerAddress> peers() {
    return {{"127.0.0.1", ports[0]}, {"127.0.0.1", ports[1]}};
  }
};

// The fake peer connects to party 0, says hello as party 1, then does `act` with the socket.
std::string error_with_fake_peer(const std::function<void(tcp::socket&)>& act) {
  Harness h;
  std::thread fake([&] {
    asio::io_context io;
    tcp::socket s(io);
    for (int i = 0; i < 100; ++i) {
      boost::system::error_code ec;
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), h.ports[0]), ec);
      if (!ec) break;
      s.close();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto hello = encode_hello(1);
    asio::write(s, asio::buffer(hello));
    act(s);
  });
  std::string error;
  try {
    TcpNetwork net(h.io, 0, h.peers(), h.opt);
    net.connect();
    auto recv = [](Channel& ch) -> sim::Task<void> {
      auto from = recv_from(1);
      auto none = send_nothing();
      (void)co_await ch.exchange(std::move(none), std::move(from), "reveal");
    };
    run_task(h.io, recv(net.channel()));
  } catch (const TcpError& e) {
    error = e.what();
  }
  fake.join();
  return error;
}

TEST(TcpErrors, MalformedFrame) {
  const std::string e = error_with_fake_peer([](tcp::socket& s) {
    std::vector<std::uint8_t> junk(kFrameHeaderBytes, 0xab);
    asio::write(s, asio::buffer(junk));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  });
  EXPECT_NE(e.find("party 0: malformed frame from party 1 during 'reveal'"), std::string::npos) << e;
}

TEST(TcpErrors, OversizedFrame) {
  const std::string e = error_with_fake_peer([](tcp::socket& s) {
    const auto f = encode_frame_header(1ULL << 40, 0, 0);
    asio::write(s, asio::buffer(f));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  });
  EXPECT_NE(e.find("oversized frame"), std::string::npos) << e;
}

// A frame as a correct sender writes it: header (with `sequence`) and payload.
std::vector<std::uint8_t> frame(std::uint64_t sequence, const std::vector<std::uint8_t>& payload) {
  const auto h = encode_frame_header(payload.size(), sequence, frame_crc32(payload.data(), payload.size()));
  std::vector<std::uint8_t> f(h.size() + payload.size());
  std::copy(h.begin(), h.end(), f.begin());
  std::copy(payload.begin(), payload.end(), f.begin() + static_cast<std::ptrdiff_t>(h.size()));
  return f;
}

TEST(TcpErrors, FlippedPayloadByteFailsTheCrc) {
  const std::string e = error_with_fake_peer([](tcp::socket& s) {
    std::vector<std::uint8_t> f = frame(0, std::vector<std::uint8_t>(64, 7));
    f[kFrameHeaderBytes + 10] ^= 0x20;
    asio::write(s, asio::buffer(f));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  });
  EXPECT_NE(e.find("frame 0 from party 1 during 'reveal' (round 1) fails its CRC-32"), std::string::npos) << e;
}

TEST(TcpErrors, FlippedHeaderByteFailsTheHeaderChecksum) {
  const std::string e = error_with_fake_peer([](tcp::socket& s) {
    std::vector<std::uint8_t> f = frame(0, std::vector<std::uint8_t>(64, 7));
    f[9] ^= 0x01;  // the length: without the header checksum the receiver would wait for bytes never sent
    asio::write(s, asio::buffer(f));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  });
  EXPECT_NE(e.find("malformed frame from party 1 during 'reveal' (round 1): header checksum mismatch"), std::string::npos) << e;
}

TEST(TcpErrors, FrameOutOfSequence) {
  const std::string e = error_with_fake_peer([](tcp::socket& s) {
    asio::write(s, asio::buffer(frame(1, std::vector<std::uint8_t>(8, 1))));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  });
  EXPECT_NE(e.find("frame 1 from party 1 during 'reveal' (round 1) is out of sequence (expected frame 0)"), std::string::npos) << e;
}

TEST(TcpErrors, TruncatedFrame) {
  const std::string e = error_with_fake_peer([](tcp::socket& s) {
    const std::vector<std::uint8_t> f = frame(0, std::vector<std::uint8_t>(64, 7));
    asio::write(s, asio::buffer(f.data(), kFrameHeaderBytes + 20));
    s.close();
  });
  EXPECT_NE(e.find("party 1 disconnected in the middle of a frame during 'reveal' (round 1) (truncated: 20 of 64 bytes"), std::string::npos)
      << e;
}

TEST(TcpErrors, GoodbyeWhereDataWasExpected) {
  const std::string e = error_with_fake_peer([](tcp::socket& s) {
    const auto h = encode_frame_header(0, 0, frame_crc32(nullptr, 0), /*goodbye=*/true);
    asio::write(s, asio::buffer(h));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  });
  EXPECT_NE(e.find("party 1 ended the computation while this party expected 'reveal'"), std::string::npos) << e;
}

TEST(TcpFrame, HeaderRoundTripsAndRejectsOtherVersions) {
  const auto h = encode_frame_header(123, 45, 0xdeadbeef);
  std::string why;
  const auto d = decode_frame_header(h.data(), &why);
  ASSERT_TRUE(d.has_value()) << why;
  EXPECT_EQ(d->length, 123u);
  EXPECT_EQ(d->sequence, 45u);
  EXPECT_EQ(d->payload_crc, 0xdeadbeefu);
  EXPECT_FALSE(d->goodbye);
  auto old = h;
  old[4] = 1;  // a version-1 peer
  EXPECT_FALSE(decode_frame_header(old.data(), &why).has_value());
  EXPECT_NE(why.find("frame version 1, this party speaks 2"), std::string::npos) << why;
  auto hello = encode_hello(3);
  ASSERT_EQ(decode_hello(hello.data(), &why).value_or(0), 3u);
  hello[4] = 1;
  EXPECT_FALSE(decode_hello(hello.data(), &why).has_value());
  EXPECT_NE(why.find("speaks frame version 1"), std::string::npos) << why;
}

TEST(TcpErrors, PeerDisconnects) {
  const std::string e = error_with_fake_peer([](tcp::socket& s) { s.close(); });
  EXPECT_NE(e.find("party 1 disconnected during 'reveal'"), std::string::npos) << e;
}

TEST(TcpErrors, PeerNeverAnswers) {
  const std::string e = error_with_fake_peer([](tcp::socket&) { std::this_thread::sleep_for(std::chrono::milliseconds(1500)); });
  EXPECT_NE(e.find("party 1 did not answer within 500 ms during 'reveal'"), std::string::npos) << e;
}

TEST(TcpErrors, PeerNeverConnects) {
  Harness h;
  h.opt.connect_timeout = std::chrono::milliseconds(300);
  TcpNetwork net(h.io, 1, h.peers(), h.opt);  // party 1 connects to party 0, which does not exist
  try {
    net.connect();
    FAIL();
  } catch (const TcpError& e) {
    EXPECT_NE(std::string(e.what()).find("could not connect to party 0"), std::string::npos) << e.what();
  }
}

TEST(TcpErrors, BadPeerListIsRejected) {
  EXPECT_THROW(parse_peers("127.0.0.1"), std::invalid_argument);
  EXPECT_THROW(parse_peers("127.0.0.1:99999"), std::invalid_argument);
  EXPECT_EQ(parse_peers("a:1,b:2").size(), 2u);
}

}  // namespace
}  // namespace kvsim::protocols
