// protocols/channel.h — the one interface protocol code talks to, whatever carries the bytes.
//
// Contract:
// - A Channel is one party's endpoint to every other party of a computation. Protocol steps are
//   coroutines that `co_await exchange(...)`: send one message to each listed destination, then
//   receive one message from each listed source. One exchange is one communication round.
// - Accounting happens here, in the base class, so every transport counts identically: bytes
//   sent (the charged size of every message), messages, rounds, per tag. A message's payload is
//   its real bytes; in cost mode the payload is empty and the charged size is stated.
// - Send completes when the transport has taken the message (buffered); receive completes when a
//   whole message from that source has arrived. Messages between two parties arrive in order.
// - Transports implement send_frame / recv_frame on the elements themselves (no serialized copy:
//   a message's words are moved to the transport and the received words moved to the protocol;
//   the wire is little-endian and a packed payload's last word arrives with zero high bytes on
//   every transport) and may charge local compute time
//   (charge_compute): on the simulated network it advances virtual time from the host profile, on
//   real sockets it is a no-op because the computation itself took the time.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/ring.h"
#include "sim/task.h"

namespace kvsim::protocols {

struct CommStats {
  std::uint64_t bytes_sent = 0;
  std::uint64_t messages = 0;
  std::uint64_t rounds = 0;
  CommStats operator-(const CommStats& o) const {
    return {bytes_sent - o.bytes_sent, messages - o.messages, rounds - o.rounds};
  }
};

struct Outgoing {
  int to;
  std::vector<Ring> values;      // empty in cost mode
  // What the link is charged and the payload's length on the wire: 8 bytes per ring element, or
  // fewer for values packed below a word (pack_bytes): the last word's unused high bytes are
  // not sent, so charged_bytes lies in (8 (size - 1), 8 size].
  std::uint64_t charged_bytes;
};

// Builders for exchange() arguments. Why they exist: GCC 12 miscompiles brace-initialized
// temporaries inside co_await expressions ("array used as initializer"), so protocol code builds
// the message lists with these calls instead of nested braces.
std::vector<Outgoing> send_to(int to, std::vector<Ring> values, std::uint64_t charged_bytes);
std::vector<Outgoing> send_to(int to1, const std::vector<Ring>& values1, std::uint64_t bytes1, int to2,
                              const std::vector<Ring>& values2, std::uint64_t bytes2);
inline std::vector<Outgoing> send_nothing() { return {}; }
inline std::vector<int> recv_from(int from) { return std::vector<int>(1, from); }
inline std::vector<int> recv_nothing() { return {}; }

class Channel {
 public:
  Channel(int id, int parties) : id_(id), parties_(parties) {}
  virtual ~Channel() = default;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  int id() const { return id_; }
  int parties() const { return parties_; }

  // One round: send everything in `out`, then receive one message from each party in `from`
  // (in that order). Returns the received ring elements, one vector per source.
  sim::Task<std::vector<std::vector<Ring>>> exchange(std::vector<Outgoing> out, std::vector<int> from,
                                                     std::string_view tag);

  // Charges local work (multiply-adds on the ring, pseudo-random bytes) as time.
  virtual sim::Task<void> charge_compute(double ring_macs, double prg_bytes) = 0;

  const CommStats& stats() const { return total_; }
  const std::map<std::string, CommStats>& stats_by_tag() const { return by_tag_; }

 protected:
  // `words` is empty in cost mode; otherwise its first `charged_bytes` bytes (little-endian) are
  // the payload. recv_frame returns ceil(payload bytes / 8) words.
  virtual void send_frame(int to, std::vector<Ring> words, std::uint64_t charged_bytes, std::string_view tag) = 0;
  virtual sim::Task<std::vector<Ring>> recv_frame(int from, std::string_view tag) = 0;

 private:
  int id_;
  int parties_;
  CommStats total_;
  std::map<std::string, CommStats> by_tag_;
};

}  // namespace kvsim::protocols
