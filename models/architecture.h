// models/architecture.h — transformer architectures as data, and what follows from them.
//
// Contract: an Architecture is read from models/zoo/<name>.toml (strictly validated). Derived
// quantities are exact integer counts from the architecture alone:
//   parameters (per component), weight bytes, KV bytes per token, and the FLOPs and bytes of a
//   decode step (q query tokens attending to S cached tokens) and of a prefill chunk.
// Conventions: a multiply-add is 2 FLOPs; attention costs 4 * heads * head_dim FLOPs per (query,
// key) pair (QK^T and AV); softmax, norms and biases are not counted as FLOPs (they are bytes).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kvsim::models {

struct Architecture {
  std::string name;
  std::string description;
  std::int64_t layers = 0;
  std::int64_t hidden = 0;
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;
  std::int64_t head_dim = 0;
  std::int64_t ffn = 0;
  std::int64_t vocab = 0;
  bool tied_embeddings = false;
  std::string norm;        // rmsnorm | layernorm
  std::string activation;  // swiglu (gated SiLU, three matrices) | gelu | silu (ungated: two matrices)
  std::string position;    // rope | learned
  std::int64_t max_context = 0;
  std::string bias;        // none | qkv | all
  std::string dtype;       // fp16 | bf16 | fp32
  std::int64_t dtype_bytes = 2;

  // Parameter counts.
  std::int64_t embedding_params() const;        // token (+ learned position) embeddings
  std::int64_t lm_head_params() const;          // 0 when tied
  std::int64_t attention_params_per_layer() const;  // q, k, v, o (+ biases)
  std::int64_t mlp_params_per_layer() const;
  std::int64_t norm_params_per_layer() const;
  std::int64_t layer_params() const;
  std::int64_t params() const;                  // total
  std::int64_t weight_bytes() const { return params() * dtype_bytes; }

  // KV cache.
  std::int64_t kv_bytes_per_token_per_layer() const { return 2 * kv_heads * head_dim * dtype_bytes; }
  std::int64_t kv_bytes_per_token() const { return layers * kv_bytes_per_token_per_layer(); }

  // Whole-model work of one forward over q new tokens after `cached` tokens, causal: token i of
  // the q attends to cached + i + 1 tokens. A decode step is q = 1 (or gamma + 1 to verify).
  double decode_flops(std::int64_t q, std::int64_t cached) const;
  double decode_bytes(std::int64_t q, std::int64_t cached) const;  // weights + KV read + KV written
  // A prefill chunk of c tokens after `offset` cached tokens: the same forward, many rows.
  double prefill_flops(std::int64_t c, std::int64_t offset) const { return decode_flops(c, offset); }
  double prefill_bytes(std::int64_t c, std::int64_t offset) const { return decode_bytes(c, offset); }
};

// Reads and validates one architecture file.
Architecture load_architecture(const std::string& path);

// All architectures of a folder (models/zoo by default, or $KVSIM_MODEL_DIR), by name.
class Zoo {
 public:
  static Zoo load(const std::string& dir);
  static std::string default_dir();
  // Throws scenarios::ScenarioError with the known names and the closest one.
  const Architecture& get(const std::string& name, const std::string& where = "") const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, Architecture> archs_;
};

}  // namespace kvsim::models
