// protocols/tcp_network.h — the same protocols over real TCP, one party per process.
//
// Contract:
// - Party i listens on peers[i]; for every pair (i < j), j connects to i and introduces itself
//   with a hello frame carrying its id. Connection attempts are retried until the connect
//   timeout; a peer that never shows up is an error naming it.
// - Wire format: protocols/tcp_frame.h (hello, 32-byte header with length, sequence number and
//   CRC-32s, payload). A frame with a bad magic, version or header checksum, out of sequence
//   (duplicated, dropped, reordered), above max_frame_bytes, cut short, or whose payload fails its
//   CRC; a peer that disconnects, or one that does not answer within the I/O timeout: each fails
//   the waiting operation with a TcpError naming this party, the peer, the operation (tag) and
//   what was wrong. Nothing is computed on a frame that failed a check; nothing is reported as
//   success after an error.
// - finish() ends a computation with a goodbye frame to every peer and waits for every peer's:
//   a party whose peers failed after its last message learns it and fails too.
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
  // Goodbye to every peer and the peers' goodbyes awaited (then flush): the computation ended
  // well at every party this one talks to. Throws TcpError naming a peer that failed or left.
  void finish();
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
