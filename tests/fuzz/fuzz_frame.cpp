// tests/fuzz/fuzz_frame.cpp — fuzz target: the TCP wire format as a receiving party reads it (a
// hello, then frames: header checks, sequence, length bound, payload CRC), on arbitrary bytes.
// The codec must reject or accept, never read out of bounds; an accepted header re-encodes to
// the same bytes.
#include <cstring>
#include <string>

#include "protocols/tcp_frame.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvsim::protocols;
  std::string why;
  if (size < kHelloBytes) return 0;
  (void)decode_hello(data, &why);
  std::size_t at = kHelloBytes;
  for (std::uint64_t expected = 0; size - at >= kFrameHeaderBytes; ++expected) {
    const auto header = decode_frame_header(data + at, &why);
    if (!header) return 0;
    const auto again = encode_frame_header(header->length, header->sequence, header->payload_crc, header->goodbye);
    if (std::memcmp(again.data(), data + at, kFrameHeaderBytes) != 0) __builtin_trap();  // decode/encode disagree
    at += kFrameHeaderBytes;
    if (header->sequence != expected || header->length > size - at || header->length > (1u << 20)) return 0;
    if (frame_crc32(data + at, header->length) != header->payload_crc) return 0;
    at += header->length;
  }
  return 0;
}
