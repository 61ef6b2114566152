// models/architecture.cpp — zoo loading and derived quantities.
#include "models/architecture.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "scenarios/data_location.h"
#include "scenarios/scenario.h"

#ifndef KVSIM_MODEL_DIR
#define KVSIM_MODEL_DIR "models/zoo"
#endif

namespace kvsim::models {

namespace fs = std::filesystem;

std::int64_t Architecture::embedding_params() const {
  return vocab * hidden + (position == "learned" ? max_context * hidden : 0);
}

std::int64_t Architecture::lm_head_params() const { return tied_embeddings ? 0 : vocab * hidden; }

std::int64_t Architecture::attention_params_per_layer() const {
  const std::int64_t q = hidden * heads * head_dim, kv = 2 * hidden * kv_heads * head_dim;
  const std::int64_t o = heads * head_dim * hidden;
  std::int64_t b = 0;
  if (bias == "qkv" || bias == "all") b += (heads + 2 * kv_heads) * head_dim;
  if (bias == "all") b += hidden;
  return q + kv + o + b;
}

std::int64_t Architecture::mlp_params_per_layer() const {
  if (activation == "swiglu") return 3 * hidden * ffn + (bias == "all" ? 2 * ffn + hidden : 0);
  return 2 * hidden * ffn + (bias == "all" ? ffn + hidden : 0);
}

std::int64_t Architecture::norm_params_per_layer() const { return 2 * (norm == "layernorm" ? 2 * hidden : hidden); }

std::int64_t Architecture::layer_params() const {
  return attention_params_per_layer() + mlp_params_per_layer() + norm_params_per_layer();
}

std::int64_t Architecture::params() const {
  const std::int64_t final_norm = norm == "layernorm" ? 2 * hidden : hidden;
  return embedding_params() + layers * layer_params() + final_norm + lm_head_params();
}

namespace {
// Matmul weights of one layer (what a decode step multiplies by): q, k, v, o and the MLP.
double linear_weights_per_layer(const Architecture& a) {
  const double attn = static_cast<double>(a.hidden) * (a.heads + 2 * a.kv_heads) * a.head_dim +
                      static_cast<double>(a.heads) * a.head_dim * a.hidden;
  const double mlp = (a.activation == "swiglu" ? 3.0 : 2.0) * a.hidden * a.ffn;
  return attn + mlp;
}
}  // namespace

double Architecture::decode_flops(std::int64_t q, std::int64_t cached) const {
  const double linear = 2.0 * q * (layers * linear_weights_per_layer(*this) + static_cast<double>(vocab) * hidden);
  const double pairs = static_cast<double>(q) * cached + static_cast<double>(q) * (q + 1) / 2.0;
  return linear + 4.0 * pairs * heads * head_dim * layers;
}

double Architecture::decode_bytes(std::int64_t q, std::int64_t cached) const {
  const double weights = static_cast<double>(weight_bytes()) -
                         static_cast<double>(embedding_params()) * dtype_bytes +  // only q rows are read
                         (tied_embeddings ? static_cast<double>(vocab) * hidden * dtype_bytes : 0.0) +
                         static_cast<double>(q) * hidden * dtype_bytes;
  const double kv = static_cast<double>(cached + q) * kv_bytes_per_token();
  return weights + kv;
}

namespace {
scenarios::TableSchema arch_schema() {
  using scenarios::TableSchema;
  TableSchema s;
  s.string("description", "what this model is").required();
  for (const char* k : {"layers", "hidden", "heads", "kv_heads", "head_dim", "ffn", "vocab", "max_context"})
    s.integer(k, "architecture dimension").required().min(1);
  s.boolean("tied_embeddings", "LM head shares the embedding matrix").required();
  s.string("norm", "normalization").required().choices({"rmsnorm", "layernorm"});
  s.string("activation", "MLP activation").required().choices({"swiglu", "gelu", "silu"});
  s.string("position", "positional encoding").required().choices({"rope", "learned"});
  s.string("bias", "which projections have biases").required().choices({"none", "qkv", "all"});
  s.string("dtype", "weight and KV dtype").required().choices({"fp16", "bf16", "fp32"});
  return s;
}
}  // namespace

Architecture load_architecture(const std::string& path) {
  toml::table t = scenarios::load_tree(path);
  auto diags = scenarios::validate_and_fill(t, arch_schema(), path);
  Architecture a;
  a.name = fs::path(path).stem().string();
  if (diags.empty()) {
    a.description = scenarios::get_string(t, "description");
    a.layers = scenarios::get_integer(t, "layers");
    a.hidden = scenarios::get_integer(t, "hidden");
    a.heads = scenarios::get_integer(t, "heads");
    a.kv_heads = scenarios::get_integer(t, "kv_heads");
    a.head_dim = scenarios::get_integer(t, "head_dim");
    a.ffn = scenarios::get_integer(t, "ffn");
    a.vocab = scenarios::get_integer(t, "vocab");
    a.max_context = scenarios::get_integer(t, "max_context");
    a.tied_embeddings = scenarios::get_bool(t, "tied_embeddings");
    a.norm = scenarios::get_string(t, "norm");
    a.activation = scenarios::get_string(t, "activation");
    a.position = scenarios::get_string(t, "position");
    a.bias = scenarios::get_string(t, "bias");
    a.dtype = scenarios::get_string(t, "dtype");
    a.dtype_bytes = a.dtype == "fp32" ? 4 : 2;
    if (a.heads % a.kv_heads != 0)
      diags.push_back({path, "kv_heads", "heads (" + std::to_string(a.heads) + ") must be a multiple of kv_heads"});
  }
  if (!diags.empty()) throw scenarios::ScenarioError(std::move(diags));
  return a;
}

std::string Zoo::default_dir() {
  if (const char* d = std::getenv("KVSIM_MODEL_DIR")) return d;
  return scenarios::data_file("zoo", KVSIM_MODEL_DIR);
}

Zoo Zoo::load(const std::string& dir) {
  Zoo z;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw scenarios::ScenarioError({{dir, "(models)", "model folder does not exist"}});
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) if (e.path().extension() == ".toml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    Architecture a = load_architecture(f.string());
    z.archs_.emplace(a.name, std::move(a));
  }
  return z;
}

const Architecture& Zoo::get(const std::string& name, const std::string& where) const {
  auto it = archs_.find(name);
  if (it != archs_.end()) return it->second;
  std::string list, best;
  std::size_t best_d = SIZE_MAX;
  for (const auto& [n, _] : archs_) {
    list += (list.empty() ? "" : ", ") + n;
    const auto d = scenarios::edit_distance(name, n);
    if (d < best_d) { best_d = d; best = n; }
  }
  std::string msg = "no model '" + name + "' in the zoo (known: " + list + ")";
  if (best_d <= std::max<std::size_t>(2, best.size() / 3)) msg += "; did you mean '" + best + "'?";
  throw scenarios::ScenarioError({{where.empty() ? default_dir() : where, "model", msg}});
}

std::vector<std::string> Zoo::names() const {
  std::vector<std::string> out;
  for (const auto& [n, _] : archs_) out.push_back(n);
  return out;
}

}  // namespace kvsim::models
