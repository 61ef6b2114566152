// protocols/tcp_frame.cpp — see tcp_frame.h.
#include "protocols/tcp_frame.h"

#include <algorithm>

#include <zlib.h>

namespace kvsim::protocols {

namespace {
void put_u32(std::uint8_t* p, std::uint32_t v) { for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i)); }
void put_u64(std::uint8_t* p, std::uint64_t v) { for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i)); }
std::uint32_t get_u32(const std::uint8_t* p) { std::uint32_t v = 0; for (int i = 0; i < 4; ++i) v |= std::uint32_t(p[i]) << (8 * i); return v; }
std::uint64_t get_u64(const std::uint8_t* p) { std::uint64_t v = 0; for (int i = 0; i < 8; ++i) v |= std::uint64_t(p[i]) << (8 * i); return v; }
}  // namespace

std::uint32_t frame_crc32(const void* data, std::size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  // zlib takes lengths as uInt: feed large payloads in pieces.
  while (n > 0) {
    const uInt piece = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    crc = crc32(crc, p, piece);
    p += piece;
    n -= piece;
  }
  return static_cast<std::uint32_t>(crc);
}

std::array<std::uint8_t, kFrameHeaderBytes> encode_frame_header(std::uint64_t length, std::uint64_t sequence,
                                                                 std::uint32_t payload_crc, bool goodbye) {
  std::array<std::uint8_t, kFrameHeaderBytes> h{};
  put_u32(h.data(), goodbye ? kGoodbyeMagic : kFrameMagic);
  put_u32(h.data() + 4, kFrameVersion);
  put_u64(h.data() + 8, length);
  put_u64(h.data() + 16, sequence);
  put_u32(h.data() + 24, payload_crc);
  put_u32(h.data() + 28, frame_crc32(h.data(), 28));
  return h;
}

std::optional<FrameHeader> decode_frame_header(const std::uint8_t* bytes, std::string* why) {
  const std::uint32_t magic = get_u32(bytes);
  if (magic != kFrameMagic && magic != kGoodbyeMagic) {
    *why = "bad magic or version";
    return std::nullopt;
  }
  if (get_u32(bytes + 4) != kFrameVersion) {
    *why = "bad magic or version: frame version " + std::to_string(get_u32(bytes + 4)) + ", this party speaks " +
           std::to_string(kFrameVersion);
    return std::nullopt;
  }
  if (get_u32(bytes + 28) != frame_crc32(bytes, 28)) {
    *why = "header checksum mismatch: corrupted in transit";
    return std::nullopt;
  }
  return FrameHeader{get_u64(bytes + 8), get_u64(bytes + 16), get_u32(bytes + 24), magic == kGoodbyeMagic};
}

std::array<std::uint8_t, kHelloBytes> encode_hello(int id) {
  std::array<std::uint8_t, kHelloBytes> h{};
  put_u32(h.data(), kFrameMagic);
  put_u32(h.data() + 4, kFrameVersion);
  put_u64(h.data() + 8, static_cast<std::uint64_t>(id));
  return h;
}

std::optional<std::uint64_t> decode_hello(const std::uint8_t* bytes, std::string* why) {
  if (get_u32(bytes) != kFrameMagic) {
    *why = "malformed hello from a connecting peer";
    return std::nullopt;
  }
  if (get_u32(bytes + 4) != kFrameVersion) {
    *why = "a connecting peer speaks frame version " + std::to_string(get_u32(bytes + 4)) + ", this party speaks " +
           std::to_string(kFrameVersion) + " (mixed kvsim builds?)";
    return std::nullopt;
  }
  return get_u64(bytes + 8);
}

}  // namespace kvsim::protocols
