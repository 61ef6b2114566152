// protocols/tcp_network.cpp — Boost.Asio transport: connection setup, framing, awaiters.
#include "protocols/tcp_network.h"

#include "protocols/tcp_frame.h"

#include <array>
#include <coroutine>
#include <cstring>
#include <optional>


namespace kvsim::protocols {

namespace asio = boost::asio;
using asio::ip::tcp;

std::vector<PeerAddress> parse_peers(const std::string& list) {
  std::vector<PeerAddress> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = list.find(',', start);
    const std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const std::size_t colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size())
      throw std::invalid_argument("peer '" + item + "' is not host:port");
    PeerAddress p;
    p.host = item.substr(0, colon);
    try {
      const int port = std::stoi(item.substr(colon + 1));
      if (port <= 0 || port > 65535) throw std::out_of_range("port");
      p.port = static_cast<unsigned short>(port);
    } catch (const std::exception&) {
      throw std::invalid_argument("peer '" + item + "' has a bad port");
    }
    out.push_back(p);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

struct TcpNetwork::Peer {
  explicit Peer(asio::io_context& io) : socket(io), timer(io) {}
  tcp::socket socket;
  asio::steady_timer timer;
  // Frames waiting (front is being written): the header and the channel's own words (in wire
  // order), written together without copying the payload into one buffer.
  struct Frame {
    std::array<std::uint8_t, kFrameHeaderBytes> header;
    std::vector<Ring> words;
    std::size_t bytes = 0;  // payload length: the words' first `bytes` bytes
  };
  // Frames sent to / received from this peer so far: the next frame's sequence number each way.
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::deque<Frame> writes;
  bool writing = false;
  std::string write_error;
};

class TcpChannel final : public Channel {
 public:
  TcpChannel(TcpNetwork& net, int id, int parties) : Channel(id, parties), net_(&net) {}
  sim::Task<void> charge_compute(double, double) override { co_return; }  // real work took real time

 protected:
  void send_frame(int to, std::vector<Ring> words, std::uint64_t charged_bytes, std::string_view tag) override {
    const std::size_t bytes = words.empty() ? 0 : static_cast<std::size_t>(charged_bytes);
    enqueue(to, std::move(words), bytes, tag, false);
  }

  // Not a coroutine itself: it hands back the checked receive (one coroutine frame per message).
  sim::Task<std::vector<Ring>> recv_frame(int from, std::string_view tag) override {
    return receive_checked(from, std::string(tag), false);
  }

 public:
  void send_goodbye(int to) { enqueue(to, {}, 0, "goodbye", true); }
  sim::Task<void> await_goodbye(int from) {
    sim::Task<std::vector<Ring>> receive = receive_checked(from, "goodbye", true);
    (void)co_await receive;
  }

 private:
  std::string who() const { return "party " + std::to_string(id()); }
  // The protocol step an error happened in: the operation's tag and this party's round count.
  std::string step(const std::string& op) const { return "'" + op + "' (round " + std::to_string(stats().rounds) + ")"; }

  void enqueue(int to, std::vector<Ring> words, std::size_t bytes, std::string_view tag, bool goodbye) {
    TcpNetwork::Peer& p = *net_->links_[static_cast<std::size_t>(to)];
    if (!p.write_error.empty()) throw TcpError(p.write_error);
    swap_to_wire_order(words);
    TcpNetwork::Peer::Frame frame;
    frame.header = encode_frame_header(bytes, p.sent++, frame_crc32(words.data(), bytes), goodbye);
    frame.words = std::move(words);
    frame.bytes = bytes;
    p.writes.push_back(std::move(frame));
    start_write(to, std::string(tag));
  }

  // One whole frame from a peer, every check applied (tcp_network.h); `goodbye` says which kind
  // of frame the protocol expects here.
  sim::Task<std::vector<Ring>> receive_checked(int from, std::string op, bool goodbye) {
    TcpNetwork::Peer& p = *net_->links_[static_cast<std::size_t>(from)];
    // Built only when a check fails: this runs for every message of every protocol round.
    auto source = [&] { return " from party " + std::to_string(from) + " during " + step(op); };
    // Named awaiters: GCC 12 destroys non-trivial temporaries of a co_await expression twice.
    std::array<std::uint8_t, kFrameHeaderBytes> header_bytes;
    ReadAwaiter header_read = read(from, header_bytes.data(), header_bytes.size(), op);
    co_await header_read;
    std::string why;
    const std::optional<FrameHeader> header = decode_frame_header(header_bytes.data(), &why);
    if (!header) throw TcpError(who() + ": malformed frame" + source() + ": " + why);
    // Why a sequence number: TCP keeps order, so a frame out of sequence means a peer (or
    // something between us) duplicated, dropped or reordered frames; computing on it would
    // silently mix shares of different steps.
    if (header->sequence != p.received)
      throw TcpError(who() + ": frame " + std::to_string(header->sequence) + source() + " is out of sequence (expected frame " +
                     std::to_string(p.received) + "): duplicated, dropped or reordered");
    if (header->goodbye && !goodbye)
      throw TcpError(who() + ": party " + std::to_string(from) + " ended the computation while this party expected '" + op +
                     "' (the parties run different programs?)");
    if (!header->goodbye && goodbye)
      throw TcpError(who() + ": party " + std::to_string(from) + " sent data after this party's computation ended");
    if (header->length > net_->options_.max_frame_bytes)
      throw TcpError(who() + ": oversized frame (" + std::to_string(header->length) + " bytes)" + source());
    // Any length is well formed: packed boolean payloads (aby3-spu) end inside a ring element.
    // Read straight into the words the protocol gets; a packed payload's last word keeps zero
    // high bytes (value-initialized).
    const auto bytes = static_cast<std::size_t>(header->length);
    std::vector<Ring> words((bytes + 7) / 8);
    if (bytes > 0) {
      ReadAwaiter body_read = read(from, words.data(), bytes, op);
      co_await body_read;
    }
    if (frame_crc32(words.data(), bytes) != header->payload_crc)
      throw TcpError(who() + ": frame " + std::to_string(header->sequence) + source() +
                     " fails its CRC-32 (payload corrupted in transit); nothing was computed on it");
    ++p.received;
    swap_from_wire_order(words);
    co_return words;
  }

  void start_write(int to, std::string tag) {
    TcpNetwork::Peer& p = *net_->links_[static_cast<std::size_t>(to)];
    if (p.writing || p.writes.empty()) return;
    p.writing = true;
    const TcpNetwork::Peer::Frame& f = p.writes.front();
    const std::array<asio::const_buffer, 2> buffers = {asio::buffer(f.header), asio::buffer(f.words.data(), f.bytes)};
    asio::async_write(p.socket, buffers, [this, to, tag](boost::system::error_code ec, std::size_t) {
      TcpNetwork::Peer& q = *net_->links_[static_cast<std::size_t>(to)];
      q.writing = false;
      if (ec) {
        q.write_error = who() + ": cannot send to party " + std::to_string(to) + " during '" + tag + "': " + ec.message();
        q.writes.clear();
        return;
      }
      q.writes.pop_front();
      start_write(to, tag);
    });
  }

  // Awaits exactly n bytes from a peer into `into`, with the I/O timeout.
  struct ReadAwaiter {
    TcpChannel* ch;
    int from;
    void* into;
    std::size_t n;
    std::string op;
    boost::system::error_code ec;
    std::size_t transferred = 0;
    bool timed_out = false;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      TcpNetwork::Peer& p = *ch->net_->links_[static_cast<std::size_t>(from)];
      auto done = std::make_shared<bool>(false);
      p.timer.expires_after(ch->net_->options_.io_timeout);
      p.timer.async_wait([this, &p, done](boost::system::error_code tec) {
        if (!tec && !*done) {
          timed_out = true;
          p.socket.cancel();
        }
      });
      asio::async_read(p.socket, asio::buffer(into, n), [this, h, &p, done](boost::system::error_code rec, std::size_t got) {
        *done = true;
        ec = rec;
        transferred = got;
        p.timer.cancel();
        h.resume();
      });
    }
    void await_resume() {
      const std::string peer = "party " + std::to_string(from);
      if (timed_out)
        throw TcpError(ch->who() + ": " + peer + " did not answer within " +
                       std::to_string(ch->net_->options_.io_timeout.count()) + " ms during " + ch->step(op));
      if ((ec == asio::error::eof || ec == asio::error::connection_reset) && transferred > 0)
        throw TcpError(ch->who() + ": " + peer + " disconnected in the middle of a frame during " + ch->step(op) + " (truncated: " +
                       std::to_string(transferred) + " of " + std::to_string(n) + " bytes arrived)");
      if (ec == asio::error::eof || ec == asio::error::connection_reset)
        throw TcpError(ch->who() + ": " + peer + " disconnected during " + ch->step(op));
      if (ec) throw TcpError(ch->who() + ": receiving from " + peer + " failed during " + ch->step(op) + ": " + ec.message());
    }
  };
  ReadAwaiter read(int from, void* into, std::size_t n, const std::string& op) {
    return ReadAwaiter{this, from, into, n, op, {}, 0, false};
  }

  TcpNetwork* net_;
};

TcpNetwork::TcpNetwork(asio::io_context& io, int id, std::vector<PeerAddress> peers, TcpOptions options)
    : io_(io), id_(id), peers_(std::move(peers)), options_(options) {
  if (id < 0 || id >= static_cast<int>(peers_.size()))
    throw std::invalid_argument("party id " + std::to_string(id) + " is not in the peer list of " +
                                std::to_string(peers_.size()));
  for (std::size_t i = 0; i < peers_.size(); ++i)
    links_.push_back(static_cast<int>(i) == id ? nullptr : std::make_unique<Peer>(io));
  channel_ = std::make_unique<TcpChannel>(*this, id, static_cast<int>(peers_.size()));
}

TcpNetwork::~TcpNetwork() = default;

Channel& TcpNetwork::channel() { return *channel_; }

void TcpNetwork::connect() {
  const auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
  const int n = static_cast<int>(peers_.size());
  int pending = n - 1;
  std::string failure;

  // Accept every higher party; each introduces itself with a hello frame (its id as u64).
  std::optional<tcp::acceptor> acceptor;
  if (id_ < n - 1) {
    acceptor.emplace(io_);
    tcp::endpoint ep(asio::ip::make_address(peers_[static_cast<std::size_t>(id_)].host), peers_[static_cast<std::size_t>(id_)].port);
    acceptor->open(ep.protocol());
    acceptor->set_option(tcp::acceptor::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen();
  }
  std::function<void()> accept_next = [&] {
    auto sock = std::make_shared<tcp::socket>(io_);
    acceptor->async_accept(*sock, [&, sock](boost::system::error_code ec) {
      if (ec) return;
      auto hello = std::make_shared<std::array<std::uint8_t, kHelloBytes>>();
      asio::async_read(*sock, asio::buffer(*hello), [&, sock, hello](boost::system::error_code rec, std::size_t) {
        std::string why = "malformed hello from a connecting peer";
        const std::optional<std::uint64_t> said = rec ? std::nullopt : decode_hello(hello->data(), &why);
        if (!said) {
          failure = "party " + std::to_string(id_) + ": " + why;
          return;
        }
        const std::uint64_t who = *said;
        if (who <= static_cast<std::uint64_t>(id_) || who >= static_cast<std::uint64_t>(n) || links_[who]->socket.is_open()) {
          failure = "party " + std::to_string(id_) + ": unexpected hello from party " + std::to_string(who);
          return;
        }
        links_[who]->socket = std::move(*sock);
        links_[who]->socket.set_option(tcp::no_delay(true));
        --pending;
      });
      accept_next();
    });
  };
  if (acceptor) accept_next();

  // Connect to every lower party, retrying until the deadline.
  std::function<void(int)> connect_to = [&](int j) {
    Peer& p = *links_[static_cast<std::size_t>(j)];
    tcp::endpoint ep(asio::ip::make_address(peers_[static_cast<std::size_t>(j)].host), peers_[static_cast<std::size_t>(j)].port);
    p.socket.async_connect(ep, [&, j](boost::system::error_code ec) {
      Peer& q = *links_[static_cast<std::size_t>(j)];
      if (ec) {
        q.socket.close();
        if (std::chrono::steady_clock::now() > deadline) return;
        q.timer.expires_after(std::chrono::milliseconds(50));
        q.timer.async_wait([&, j](boost::system::error_code) { connect_to(j); });
        return;
      }
      q.socket.set_option(tcp::no_delay(true));
      auto hello = std::make_shared<std::array<std::uint8_t, kHelloBytes>>(encode_hello(id_));
      asio::async_write(q.socket, asio::buffer(*hello), [&, hello](boost::system::error_code wec, std::size_t) {
        if (!wec) --pending;
      });
    });
  };
  for (int j = 0; j < id_; ++j) connect_to(j);

  while (pending > 0 && failure.empty() && std::chrono::steady_clock::now() < deadline) {
    io_.run_for(std::chrono::milliseconds(20));
    if (io_.stopped()) io_.restart();
  }
  if (acceptor) acceptor->close();
  for (auto& l : links_) if (l) l->timer.cancel();
  io_.poll();
  if (io_.stopped()) io_.restart();
  if (!failure.empty()) throw TcpError(failure);
  if (pending > 0) {
    std::string missing;
    for (int j = 0; j < n; ++j)
      if (j != id_ && !links_[static_cast<std::size_t>(j)]->socket.is_open()) missing += (missing.empty() ? "" : ", ") + std::to_string(j);
    throw TcpError("party " + std::to_string(id_) + ": could not connect to party " + missing + " within " +
                   std::to_string(options_.connect_timeout.count()) + " ms");
  }
}

void TcpNetwork::finish() {
  for (int j = 0; j < static_cast<int>(links_.size()); ++j)
    if (links_[static_cast<std::size_t>(j)]) channel_->send_goodbye(j);
  auto await_all = [this]() -> sim::Task<void> {
    for (int j = 0; j < static_cast<int>(links_.size()); ++j) {
      if (!links_[static_cast<std::size_t>(j)]) continue;
      sim::Task<void> one = channel_->await_goodbye(j);
      co_await one;
    }
  };
  run_task(io_, await_all());
  flush();
}

void TcpNetwork::flush() {
  auto busy = [&] {
    for (auto& l : links_) if (l && (l->writing || !l->writes.empty())) return true;
    return false;
  };
  while (busy()) {
    if (io_.run_one() == 0) break;
  }
  for (auto& l : links_)
    if (l && !l->write_error.empty()) throw TcpError(l->write_error);
}

}  // namespace kvsim::protocols
