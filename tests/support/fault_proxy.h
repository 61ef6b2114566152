// tests/support/fault_proxy.h — a TCP proxy that sits between two `kvsim party` processes and, at a
// chosen frame of a chosen direction, injects one network fault: close the connection, stall
// (swallow everything from then on), truncate the frame, flip a payload byte, duplicate the frame
// or swap it with the next one. Everything else is forwarded byte for byte, frame by frame
// (protocols/tcp_frame.h), so the parties run their real protocol until the fault.
//
// Contract: the proxy listens on port() (127.0.0.1) for the one party that connects (the higher
// id) and connects on to `target_port` (the lower id's listening port). When either side closes,
// both are closed. The destructor stops the proxy and joins its threads; it never blocks on a
// party that is still running past stop().
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

namespace kvsim::testing {

enum class Fault { none, close, stall, truncate, flip, duplicate, reorder };
std::string fault_name(Fault f);

struct FaultPlan {
  Fault fault = Fault::none;
  // Which direction carries the fault: from the connecting party to the listening one (true),
  // or back.
  bool toward_listener = true;
  std::uint64_t frame = 0;  // index of the frame (after the hello) the fault hits
};

class FaultProxy {
 public:
  FaultProxy(unsigned short target_port, FaultPlan plan);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  unsigned short port() const { return port_; }
  // Whether the fault was applied (the chosen frame existed).
  bool fired() const { return fired_; }
  // Frames forwarded each way so far.
  std::uint64_t frames(bool toward_listener) const { return toward_listener ? up_frames_ : down_frames_; }
  void stop();

 private:
  void serve();
  void pump(boost::asio::ip::tcp::socket& from, boost::asio::ip::tcp::socket& to, bool toward_listener);
  void shut_both();

  unsigned short target_port_;
  FaultPlan plan_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::socket client_, server_;
  unsigned short port_ = 0;
  std::atomic<bool> fired_{false}, stopping_{false};
  std::atomic<std::uint64_t> up_frames_{0}, down_frames_{0};
  std::thread thread_;
};

}  // namespace kvsim::testing
