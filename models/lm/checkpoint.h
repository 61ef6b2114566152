// models/lm/checkpoint.h — weights of kvsim's small byte-level Llama-style model, and the loader
// of its little-endian checkpoint format (models/small/FORMAT.md; written by tools/train/model.py).
//
// Contract: load_small_lm() reads the whole file, checks magic and version (version 1 files are
// refused with the command that upgrades them), the SHA-256 of everything after the header's
// digest, every tensor's name and shape against the configuration in the header, and that nothing
// is left over; any mismatch throws std::runtime_error naming the file, the byte offset and the
// tensor or digest.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Dense>

namespace kvsim::models::lm {

using MatrixRM = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;

struct LmConfig {
  int vocab = 256;
  int d_model = 128;
  int n_layers = 4;
  int n_heads = 4;
  int n_kv_heads = 2;
  int head_dim = 32;
  int ffn_hidden = 352;
  int max_context = 2048;
  float rope_base = 10000.0f;
  float norm_eps = 1e-5f;
  int start_byte = -1;  // every sequence the model saw began with this byte (-1: none; format 2)
  int group() const { return n_heads / n_kv_heads; }
  // Positions per token of a real tokenizer: the byte model's positions are bytes, and English
  // text averages about 4 bytes per BPE token (the usual rule for GPT and Llama tokenizers), so
  // token-sized policy defaults (windows, kernels, pages, chunks) are scaled by 4 on it.
  double positions_per_token() const { return vocab == 256 ? 4.0 : 1.0; }
};

struct LmLayerWeights {
  Vector attn_norm;
  MatrixRM wq, wk, wv, wo;  // PyTorch Linear layout: (out, in)
  Vector mlp_norm;
  MatrixRM w_gate, w_up, w_down;
};

struct LmWeights {
  LmConfig config;
  MatrixRM embed;  // (vocab, d_model)
  std::vector<LmLayerWeights> layers;
  Vector final_norm;
  MatrixRM lm_head;  // (vocab, d_model)
  std::size_t parameter_count() const;
};

LmWeights load_small_lm(const std::string& path);
// The same checks on a checkpoint already in memory; `path` names it in errors.
LmWeights parse_small_lm(std::vector<char> bytes, const std::string& path);
// The configuration in a checkpoint's header alone, without reading or checking the weights (to
// resolve a scenario's defaults, e.g. the positions per token, before the run loads the model;
// load_small_lm() is what checks the file). Throws std::runtime_error naming the file when it
// cannot be opened or its header is not a readable checkpoint header.
LmConfig read_small_lm_config(const std::string& path);
// The checkpoint committed with the project (models/small/kvsim-byte-lm.bin).
std::string default_small_lm_path();
// The previous one (models/small/kvsim-byte-lm-v1.bin: recipe v1, format 2, no start byte), kept
// loadable so that figures can be compared across the two (docs/small-model.md).
std::string previous_small_lm_path();

}  // namespace kvsim::models::lm
