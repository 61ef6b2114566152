// tests/fuzz/fuzz_kv_trace.cpp — fuzz target: the KV trace reader. The input picks a small trace
// (shape and values), kvsim writes it (a valid file with its SHA-256), then the input mutates its
// structure (tests/fuzz/h5_mutator.h) and the reader reads it back. A ResultError is the expected
// answer to a damaged trace; a trace the reader accepts must have the shape it declares.
#include <stdexcept>

#include "results/h5.h"
#include "results/kv_trace.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/h5_mutator.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvsim;
  static const fuzz::TempFile file(".h5");
  fuzz::FuzzInput in(data, size);
  results::KvTrace t;
  t.model = in.text(12);
  t.n_layers = static_cast<int>(1 + in.below(3));
  t.n_kv_heads = static_cast<int>(1 + in.below(2));
  t.n_heads = t.n_kv_heads * static_cast<int>(1 + in.below(2));
  t.head_dim = static_cast<int>(1 + in.below(8));
  t.prompt_length = static_cast<int>(1 + in.below(6));
  t.decode_steps = static_cast<int>(in.below(4));
  auto tensor = [&](int heads) {
    std::vector<float> v(static_cast<std::size_t>(heads * t.tokens() * t.head_dim));
    for (auto& x : v) x = static_cast<float>(static_cast<int>(in.byte()) - 128) / 16.0f;
    return v;
  };
  for (int l = 0; l < t.n_layers; ++l) {
    t.q.push_back(tensor(t.n_heads));
    t.k.push_back(tensor(t.n_kv_heads));
    t.v.push_back(tensor(t.n_kv_heads));
  }
  results::write_kv_trace(file.path(), t);
  fuzz::mutate_h5(file.path(), in);
  try {
    const results::KvTrace r = results::read_kv_trace(file.path());
    for (int l = 0; l < r.n_layers; ++l)
      if (r.q[l].size() != static_cast<std::size_t>(r.n_heads * r.tokens() * r.head_dim) ||
          r.k[l].size() != static_cast<std::size_t>(r.n_kv_heads * r.tokens() * r.head_dim))
        __builtin_trap();  // accepted with a shape other than the one it declares
  } catch (const results::ResultError&) {
  }
  return 0;
}
