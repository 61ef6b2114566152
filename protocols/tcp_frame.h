// protocols/tcp_frame.h — the wire format of kvsim's TCP transport: the hello a connecting party
// sends and the header of every frame, encoded and checked here (and nowhere else), so the
// transport, the fault-injection proxy of the tests and the fuzz target read frames one way.
//
// Wire format (fixed-width little-endian, version 2):
//   hello  (16 bytes): magic u32 = 0x4D53564B "KVSM", version u32, sender's party id u64.
//   header (32 bytes): magic u32 (KVSM, or KVBY for the goodbye that ends a computation), version u32, payload length u64, sequence u64 (frames sent on
//                      this connection in this direction before this one), CRC-32 of the payload
//                      u32, CRC-32 of the header's first 28 bytes u32; then the payload.
// Contract: decode_frame_header() accepts a header only if magic, version and header checksum
// hold; otherwise it returns nullopt and says why. Payload length, sequence and payload CRC are
// checked by the receiver, which knows what it expects. CRC-32 (zlib's) detects every burst of up
// to 32 flipped bits; it is an integrity check against faults, not a MAC against an adversary.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace kvsim::protocols {

inline constexpr std::uint32_t kFrameMagic = 0x4D53564B;
// A goodbye frame (empty payload) ends a computation: "KVBY".
inline constexpr std::uint32_t kGoodbyeMagic = 0x5942564B;
inline constexpr std::uint32_t kFrameVersion = 2;
inline constexpr std::size_t kHelloBytes = 16;
inline constexpr std::size_t kFrameHeaderBytes = 32;

struct FrameHeader {
  std::uint64_t length = 0;
  std::uint64_t sequence = 0;
  std::uint32_t payload_crc = 0;
  bool goodbye = false;
};

std::uint32_t frame_crc32(const void* data, std::size_t n);

std::array<std::uint8_t, kFrameHeaderBytes> encode_frame_header(std::uint64_t length, std::uint64_t sequence,
                                                                 std::uint32_t payload_crc, bool goodbye = false);
// `bytes` holds kFrameHeaderBytes bytes.
std::optional<FrameHeader> decode_frame_header(const std::uint8_t* bytes, std::string* why);

std::array<std::uint8_t, kHelloBytes> encode_hello(int id);
// `bytes` holds kHelloBytes bytes; returns the sender's claimed id (the caller checks its range).
std::optional<std::uint64_t> decode_hello(const std::uint8_t* bytes, std::string* why);

}  // namespace kvsim::protocols
