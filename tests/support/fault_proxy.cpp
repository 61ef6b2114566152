// tests/support/fault_proxy.cpp — see fault_proxy.h.
#include "tests/support/fault_proxy.h"

#include <sys/socket.h>

#include <chrono>
#include <vector>

#include "protocols/tcp_frame.h"

namespace kvsim::testing {

namespace asio = boost::asio;
using asio::ip::tcp;
using protocols::kFrameHeaderBytes;
using protocols::kHelloBytes;

std::string fault_name(Fault f) {
  switch (f) {
    case Fault::none: return "none";
    case Fault::close: return "close";
    case Fault::stall: return "stall";
    case Fault::truncate: return "truncate";
    case Fault::flip: return "flip";
    case Fault::duplicate: return "duplicate";
    case Fault::reorder: return "reorder";
  }
  return "?";
}

FaultProxy::FaultProxy(unsigned short target_port, FaultPlan plan)
    : target_port_(target_port),
      plan_(plan),
      acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      client_(io_),
      server_(io_) {
  port_ = acceptor_.local_endpoint().port();
  thread_ = std::thread([this] { serve(); });
}

FaultProxy::~FaultProxy() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void FaultProxy::stop() {
  stopping_ = true;
  // Why shutdown() on the native handles: it wakes threads blocked in a read on another thread,
  // which closing an Asio socket from here would race with.
  ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
  shut_both();
}

void FaultProxy::shut_both() {
  ::shutdown(client_.native_handle(), SHUT_RDWR);
  ::shutdown(server_.native_handle(), SHUT_RDWR);
}

void FaultProxy::serve() {
  boost::system::error_code ec;
  acceptor_.accept(client_, ec);
  if (ec || stopping_) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
    server_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), target_port_), ec);
    if (!ec) break;
    server_.close();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (ec || stopping_) {
    shut_both();
    return;
  }
  client_.set_option(tcp::no_delay(true));
  server_.set_option(tcp::no_delay(true));
  std::thread down([this] { pump(server_, client_, false); });
  pump(client_, server_, true);
  down.join();
}

void FaultProxy::pump(tcp::socket& from, tcp::socket& to, bool toward_listener) {
  boost::system::error_code ec;
  auto write = [&](const std::vector<std::uint8_t>& bytes, std::size_t n) {
    asio::write(to, asio::buffer(bytes.data(), n), ec);
    return !ec;
  };
  if (toward_listener) {  // the connecting party's hello goes first, untouched
    std::vector<std::uint8_t> hello(kHelloBytes);
    if (asio::read(from, asio::buffer(hello), ec) != kHelloBytes || !write(hello, hello.size())) return shut_both();
  }
  auto read_frame = [&](std::vector<std::uint8_t>& frame) {
    frame.assign(kFrameHeaderBytes, 0);
    if (asio::read(from, asio::buffer(frame), ec) != kFrameHeaderBytes) return false;
    std::string why;
    const auto header = protocols::decode_frame_header(frame.data(), &why);
    const std::uint64_t length = header ? header->length : 0;  // a bad header is passed on as is
    frame.resize(kFrameHeaderBytes + length);
    return length == 0 || asio::read(from, asio::buffer(frame.data() + kFrameHeaderBytes, length), ec) == length;
  };
  std::atomic<std::uint64_t>& count = toward_listener ? up_frames_ : down_frames_;
  const bool faulty = plan_.fault != Fault::none && plan_.toward_listener == toward_listener;
  std::vector<std::uint8_t> frame, next;
  for (std::uint64_t index = 0;; ++index) {
    if (!read_frame(frame)) return shut_both();
    if (!faulty || index != plan_.frame) {
      if (!write(frame, frame.size())) return shut_both();
      ++count;
      continue;
    }
    fired_ = true;
    const std::size_t payload = frame.size() - kFrameHeaderBytes;
    switch (plan_.fault) {
      case Fault::none: break;
      case Fault::close: return shut_both();
      case Fault::stall:  // swallow everything from here on; the receiver must time out
        while (read_frame(frame)) {}
        return shut_both();
      case Fault::truncate:
        write(frame, kFrameHeaderBytes + payload / 2);
        return shut_both();
      case Fault::flip:
        frame[payload > 0 ? kFrameHeaderBytes + payload / 2 : 20] ^= 0x10;
        if (!write(frame, frame.size())) return shut_both();
        break;
      case Fault::duplicate:
        if (!write(frame, frame.size()) || !write(frame, frame.size())) return shut_both();
        break;
      case Fault::reorder:  // the next frame overtakes this one
        if (!read_frame(next) || !write(next, next.size()) || !write(frame, frame.size())) return shut_both();
        ++index;
        break;
    }
    ++count;
  }
}

}  // namespace kvsim::testing
