// protocols/tcp_network.h — the same protocols over real TCP, one party per process.
//
// Contract:
// - Party i listens on peers[i]; for every pair (i < j), j connects to i and introduces itself
//   with a hello frame carrying its id. Connection attempts are retried until the connect
//   timeout; a peer that never shows up is an error naming it.
// - Wire format (fixed-width little-endian): every message is a frame of a 16-byte header
//   {magic u32 = 0x4D53564B "KVSM", version u32 = 1, payload length u64} followed by the payload
//   (ring elements, 8 bytes each, little-endian). A frame with a bad magic or version, a length
//   above max_frame_bytes or not a multiple of 8, a peer that disconnects, or one that does not
//   answer within the I/O timeout, fails the waiting operation with a TcpError naming this party,
//   the peer and the operation (tag). Nothing is reported as success after an error.
// - run_task() drives a protocol coroutine on the io_context: the channel's awaiters start Asio
//   reads and the completion handlers resume the coroutine (no simulated time on this side).
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocols/channel.h"

namespace kvsim::protocols {

class TcpError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TcpOptions {
  std::chrono::milliseconds connect_timeout{15000};
  std::chrono::milliseconds io_timeout{30000};
  std::uint64_t max_frame_bytes = 1ULL << 32;
};

struct PeerAddress {
  std::string host;
  unsigned short port = 0;
};
// "127.0.0.1:7001,127.0.0.1:7002,..." -> addresses; throws std::invalid_argument naming the bad one.
std::vector<PeerAddress> parse_peers(const std::string& list);

inline constexpr std::uint32_t kFrameMagic = 0x4D53564B;
inline constexpr std::uint32_t kFrameVersion = 1;

class TcpChannel;

class TcpNetwork {
 public:
  TcpNetwork(boost::asio::io_context& io, int id, std::vector<PeerAddress> peers, TcpOptions options = {});
  ~TcpNetwork();
  // Connects to every peer (blocking, runs the io_context). Throws TcpError on timeout.
  void connect();
  Channel& channel();
  // Sends everything still queued (call before exiting).
  void flush();
  boost::asio::io_context& io() { return io_; }

 private:
  friend class TcpChannel;
  struct Peer;
  boost::asio::io_context& io_;
  int id_;
  std::vector<PeerAddress> peers_;
  TcpOptions options_;
  std::vector<std::unique_ptr<Peer>> links_;  // by party id (null for self)
  std::unique_ptr<TcpChannel> channel_;
};

// Runs `task` to completion on `io` and returns its result (rethrows its exception).
template <class T>
T run_task(boost::asio::io_context& io, sim::Task<T> task) {
  auto h = task.handle();
  h.resume();
  while (!h.done()) {
    if (io.run_one() == 0) {
      if (h.done()) break;
      throw TcpError("protocol coroutine is waiting but no network operation is pending");
    }
  }
  if constexpr (std::is_void_v<T>) {
    task.await_resume();
  } else {
    return task.await_resume();
  }
}

}  // namespace kvsim::protocols
