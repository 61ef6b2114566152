// results/kv_trace.h — kvsim's HDF5 format for per-layer attention inputs (Q, K, V) of any model,
// so KV policies can run on traces of models kvsim cannot execute (tools/trace/dump_hf_trace.py
// writes them from Hugging Face models; kvsim writes them from its small model).
//
// Layout (all float32, keys and queries post-RoPE), specified in results/SCHEMA.md:
//   /            attrs format = "kvsim-kv-trace", version = 2, model, n_layers, n_heads,
//                n_kv_heads, head_dim, prompt_length, decode_steps, sha256 (of the metadata and
//                every tensor: results/SCHEMA.md)
//   /layers/<l>/q   [n_heads, T, head_dim]     T = prompt_length + decode_steps
//   /layers/<l>/k   [n_kv_heads, T, head_dim]
//   /layers/<l>/v   [n_kv_heads, T, head_dim]
// Contract: read_kv_trace() checks the format tag, the version (version 1, without a digest, is
// refused with how to rewrite it), every shape and the SHA-256, and names the file and dataset
// in its ResultError when something is off.
#pragma once

#include <string>
#include <vector>

namespace kvsim::results {

struct KvTrace {
  std::string model;
  int n_layers = 0, n_heads = 0, n_kv_heads = 0, head_dim = 0, prompt_length = 0, decode_steps = 0;
  // [layer] row-major [heads][T][head_dim]
  std::vector<std::vector<float>> q, k, v;
  int tokens() const { return prompt_length + decode_steps; }
};

void write_kv_trace(const std::string& path, const KvTrace& trace);
KvTrace read_kv_trace(const std::string& path);

}  // namespace kvsim::results
