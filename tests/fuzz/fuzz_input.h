// tests/fuzz/fuzz_input.h — what every fuzz target shares: the libFuzzer entry point's signature,
// a byte consumer that turns the fuzzer's input into decisions (for the structure-aware
// targets), and a private temporary file for loaders that take a path.
//
// Contract: FuzzInput never reads past its input (exhausted: zeros); TempFile is unique per
// process and removed by its destructor.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace kvsim::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint64_t below(std::uint64_t n) {  // in [0, n)
    std::uint64_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | byte();
    return n == 0 ? 0 : v % n;
  }
  bool flag() { return byte() & 1; }
  std::string text(std::size_t max) {
    std::string s;
    const std::size_t n = below(max + 1);
    for (std::size_t i = 0; i < n; ++i) s += static_cast<char>(byte());
    return s;
  }
  std::string_view rest() {
    const std::string_view r(reinterpret_cast<const char*>(data_) + pos_, size_ - pos_);
    pos_ = size_;
    return r;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

class TempFile {
 public:
  explicit TempFile(const std::string& suffix)
      : path_((std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp")) + "/kvsim_fuzz_" +
              std::to_string(::getpid()) + suffix) {}
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  void write(std::string_view bytes) const {
    std::ofstream(path_, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

 private:
  std::string path_;
};

}  // namespace kvsim::fuzz
