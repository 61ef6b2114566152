// protocols/channel.cpp — the round and byte accounting shared by every transport.
#include "protocols/channel.h"

#include <stdexcept>

namespace kvsim::protocols {

std::vector<Outgoing> send_to(int to, std::vector<Ring> values, std::uint64_t charged_bytes) {
  std::vector<Outgoing> out;
  out.push_back(Outgoing{to, std::move(values), charged_bytes});
  return out;
}

std::vector<Outgoing> send_to(int to1, const std::vector<Ring>& values1, std::uint64_t bytes1, int to2,
                              const std::vector<Ring>& values2, std::uint64_t bytes2) {
  std::vector<Outgoing> out;
  out.push_back(Outgoing{to1, values1, bytes1});
  out.push_back(Outgoing{to2, values2, bytes2});
  return out;
}

sim::Task<std::vector<std::vector<Ring>>> Channel::exchange(std::vector<Outgoing> out, std::vector<int> from,
                                                            std::string_view tag) {
  CommStats& t = by_tag_[std::string(tag)];
  // Why the round is counted once here, whatever the number of messages: a round is one step of
  // latency for this party, and every transport must count it the same way.
  total_.rounds += 1;
  t.rounds += 1;
  for (Outgoing& o : out) {
    if (o.to < 0 || o.to >= parties_ || o.to == id_)
      throw std::invalid_argument("party " + std::to_string(id_) + ": bad destination " + std::to_string(o.to));
    if (!o.values.empty() && (o.charged_bytes > o.values.size() * 8 || o.charged_bytes + 8 <= o.values.size() * 8))
      throw std::logic_error("party " + std::to_string(id_) + ": charged size differs from the payload (" +
                             std::string(tag) + ")");
    total_.bytes_sent += o.charged_bytes;
    total_.messages += 1;
    t.bytes_sent += o.charged_bytes;
    t.messages += 1;
    // A packed payload's tail is not sent: zero it here, so that the simulated transport (which
    // moves whole words) delivers what a socket would.
    if (const std::uint64_t tail = o.charged_bytes % 8; !o.values.empty() && tail != 0)
      o.values.back() &= (Ring{1} << (8 * tail)) - 1;
    send_frame(o.to, std::move(o.values), o.charged_bytes, tag);
  }
  std::vector<std::vector<Ring>> received;
  received.reserve(from.size());
  for (int f : from) {
    if (f < 0 || f >= parties_ || f == id_)
      throw std::invalid_argument("party " + std::to_string(id_) + ": bad source " + std::to_string(f));
    sim::Task<std::vector<Ring>> frame = recv_frame(f, tag);  // named: GCC 12 and co_await temporaries
    received.push_back(co_await frame);
  }
  co_return received;
}

}  // namespace kvsim::protocols
