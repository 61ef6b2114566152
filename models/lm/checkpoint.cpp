// models/lm/checkpoint.cpp — see checkpoint.h; the format is specified in models/small/FORMAT.md.
#include "models/lm/checkpoint.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "results/sha256.h"
#include "scenarios/data_location.h"

namespace kvsim::models::lm {
namespace {

constexpr std::uint32_t kCheckpointVersion = 3;  // 2 is read too: the same without the start byte
constexpr std::uint32_t kNoStartByte = 0xFFFFFFFFu;

static_assert(std::endian::native == std::endian::little, "the checkpoint loader assumes a little-endian host");

class Reader {
 public:
  Reader(std::string path, std::vector<char> bytes) : path_(std::move(path)), bytes_(std::move(bytes)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(path_ + ": byte " + std::to_string(pos_) + ": " + what);
  }
  void read(void* out, std::size_t n) {
    if (bytes_.size() - pos_ < n) fail("file ends early (truncated checkpoint)");
    std::memcpy(out, bytes_.data() + pos_, n);
    pos_ += n;
  }
  std::uint32_t u32() { std::uint32_t v; read(&v, 4); return v; }
  float f32() { float v; read(&v, 4); return v; }
  std::string str(std::size_t n) {
    if (n > 256) fail("tensor name longer than 256 bytes");
    std::string s(n, '\0');
    read(s.data(), n);
    return s;
  }
  bool at_end() const { return pos_ == bytes_.size(); }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  std::string digest_of_rest() const { return results::sha256_hex(bytes_.data() + pos_, bytes_.size() - pos_); }

  // Reads one named tensor and checks it against the expected name and shape.
  MatrixRM tensor(const std::string& name, int rows, int cols) {
    const std::string got = str(u32());
    if (got != name) fail("expected tensor '" + name + "', found '" + got + "'");
    const std::uint32_t ndim = u32();
    const std::uint32_t want_ndim = cols < 0 ? 1 : 2;
    if (ndim != want_ndim) fail("tensor '" + name + "' has " + std::to_string(ndim) + " dimensions, expected " + std::to_string(want_ndim));
    std::uint32_t d0 = u32();
    std::uint32_t d1 = ndim == 2 ? u32() : 1;
    const int want_cols = cols < 0 ? 1 : cols;
    if (d0 != static_cast<std::uint32_t>(rows) || d1 != static_cast<std::uint32_t>(want_cols))
      fail("tensor '" + name + "' has shape " + std::to_string(d0) + "x" + std::to_string(d1) + ", expected " +
           std::to_string(rows) + "x" + std::to_string(want_cols));
    // Why the size is checked before the matrix exists: the header's dimensions are outside
    // input, and a forged one would otherwise ask for terabytes before the read could fail.
    const std::size_t n_bytes = sizeof(float) * static_cast<std::size_t>(rows) * static_cast<std::size_t>(want_cols);
    if (n_bytes > remaining()) fail("tensor '" + name + "' needs " + std::to_string(n_bytes) + " bytes but the file has " +
                                    std::to_string(remaining()) + " left (truncated checkpoint)");
    MatrixRM m(rows, want_cols);
    read(m.data(), n_bytes);
    if (!m.allFinite()) fail("tensor '" + name + "' holds a non-finite value");
    return m;
  }

 private:
  std::string path_;
  std::vector<char> bytes_;
  std::size_t pos_ = 0;
};

// The header: magic and version 8 + 4 bytes, the digest 32, the configuration 40 and the start byte 4.
constexpr std::size_t kHeaderBytes = 88;

// The magic and the version (version 1 refused with the command that upgrades it).
std::uint32_t read_preamble(Reader& r, const std::string& path) {
  char magic[8];
  r.read(magic, 8);
  if (std::memcmp(magic, "KVSIMLM1", 8) != 0) r.fail("not a kvsim small-model checkpoint (bad magic)");
  const std::uint32_t version = r.u32();
  if (version == 1)
    r.fail("format version 1 carries no SHA-256 of its weights and is no longer read; upgrade it with "
           "`/usr/bin/python3 tools/train/upgrade_checkpoint.py " + path + "` (or retrain with tools/train/train.py)");
  if (version != 2 && version != kCheckpointVersion) r.fail("unsupported format version " + std::to_string(version));
  return version;
}

// The configuration that follows the digest, with its plausibility checks.
LmConfig read_config(Reader& r, std::uint32_t version) {
  LmConfig c;
  int* ints[] = {&c.vocab, &c.d_model, &c.n_layers, &c.n_heads, &c.n_kv_heads, &c.head_dim, &c.ffn_hidden, &c.max_context};
  for (int* field : ints) {
    const std::uint32_t v = r.u32();
    if (v == 0 || v > (1u << 20)) r.fail("implausible configuration value " + std::to_string(v));
    *field = static_cast<int>(v);
  }
  c.rope_base = r.f32();
  c.norm_eps = r.f32();
  if (version >= 3) {
    const std::uint32_t start = r.u32();
    if (start != kNoStartByte && start >= static_cast<std::uint32_t>(c.vocab))
      r.fail("start byte " + std::to_string(start) + " is outside the vocabulary of " + std::to_string(c.vocab));
    c.start_byte = start == kNoStartByte ? -1 : static_cast<int>(start);
  }
  if (c.n_heads % c.n_kv_heads != 0 || c.head_dim % 2 != 0) r.fail("inconsistent head configuration");
  // Why bounded: the projections' shapes are n_heads * head_dim rows, computed in int below.
  if (static_cast<std::uint64_t>(c.n_heads) * static_cast<std::uint64_t>(c.head_dim) > (1u << 20))
    r.fail("implausible configuration: n_heads * head_dim = " +
           std::to_string(static_cast<std::uint64_t>(c.n_heads) * static_cast<std::uint64_t>(c.head_dim)) + " exceeds 2^20");
  return c;
}

Vector as_vector(const MatrixRM& m) { return Eigen::Map<const Vector>(m.data(), m.size()); }

}  // namespace

std::size_t LmWeights::parameter_count() const {
  std::size_t n = embed.size() + final_norm.size() + lm_head.size();
  for (const auto& l : layers)
    n += l.attn_norm.size() + l.wq.size() + l.wk.size() + l.wv.size() + l.wo.size() + l.mlp_norm.size() +
         l.w_gate.size() + l.w_up.size() + l.w_down.size();
  return n;
}

LmWeights load_small_lm(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the small-model checkpoint");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_small_lm(std::move(bytes), path);
}

LmWeights parse_small_lm(std::vector<char> bytes, const std::string& path) {
  Reader r(path, std::move(bytes));
  const std::uint32_t version = read_preamble(r, path);
  // Why the digest is checked before anything else is parsed: a flipped bit in a weight is a
  // valid float, so no later check could notice it.
  std::uint8_t digest[32];
  r.read(digest, sizeof digest);
  const std::string stored = results::to_hex(digest, sizeof digest);
  const std::string actual = r.digest_of_rest();
  if (stored != actual)
    r.fail("SHA-256 of the weights is " + actual + " but the header says " + stored +
           ": the checkpoint is corrupted (copy it again, or restore it with git checkout)");
  LmWeights w;
  w.config = read_config(r, version);
  const LmConfig& c = w.config;
  const std::uint32_t count = r.u32();
  if (count != static_cast<std::uint32_t>(3 + 9 * c.n_layers)) r.fail("tensor count does not match the layer count");
  const int hd = c.head_dim;
  w.embed = r.tensor("embed.weight", c.vocab, c.d_model);
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    LmLayerWeights layer;
    layer.attn_norm = as_vector(r.tensor(p + "attn_norm.weight", c.d_model, -1));
    layer.wq = r.tensor(p + "wq.weight", c.n_heads * hd, c.d_model);
    layer.wk = r.tensor(p + "wk.weight", c.n_kv_heads * hd, c.d_model);
    layer.wv = r.tensor(p + "wv.weight", c.n_kv_heads * hd, c.d_model);
    layer.wo = r.tensor(p + "wo.weight", c.d_model, c.n_heads * hd);
    layer.mlp_norm = as_vector(r.tensor(p + "mlp_norm.weight", c.d_model, -1));
    layer.w_gate = r.tensor(p + "w_gate.weight", c.ffn_hidden, c.d_model);
    layer.w_up = r.tensor(p + "w_up.weight", c.ffn_hidden, c.d_model);
    layer.w_down = r.tensor(p + "w_down.weight", c.d_model, c.ffn_hidden);
    w.layers.push_back(std::move(layer));
  }
  w.final_norm = as_vector(r.tensor("final_norm.weight", c.d_model, -1));
  w.lm_head = r.tensor("lm_head.weight", c.vocab, c.d_model);
  if (!r.at_end()) r.fail("trailing bytes after the last tensor");
  return w;
}

LmConfig read_small_lm_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the small-model checkpoint");
  std::vector<char> header(kHeaderBytes);
  in.read(header.data(), static_cast<std::streamsize>(header.size()));
  header.resize(static_cast<std::size_t>(in.gcount()));
  Reader r(path, std::move(header));
  const std::uint32_t version = read_preamble(r, path);
  std::uint8_t digest[32];
  r.read(digest, sizeof digest);  // not checked: the weights it covers are not read here
  return read_config(r, version);
}

std::string default_small_lm_path() { return scenarios::data_file("small/kvsim-byte-lm.bin", KVSIM_SMALL_LM_PATH); }

std::string previous_small_lm_path() {
  return scenarios::data_file("small/kvsim-byte-lm-v1.bin", std::filesystem::path(KVSIM_SMALL_LM_PATH).replace_filename("kvsim-byte-lm-v1.bin").string());
}

}  // namespace kvsim::models::lm
