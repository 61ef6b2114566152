// results/kv_trace.cpp — see kv_trace.h.
#include "results/kv_trace.h"

#include <filesystem>

#include "results/h5.h"
#include "results/sha256.h"

namespace kvsim::results {
namespace {

void write_floats(hid_t parent, const std::string& name, const std::vector<float>& data, int heads, int tokens, int d) {
  const hsize_t dims[3] = {static_cast<hsize_t>(heads), static_cast<hsize_t>(tokens), static_cast<hsize_t>(d)};
  if (data.size() != dims[0] * dims[1] * dims[2]) throw ResultError("kv trace: " + name + " has the wrong size");
  h5::Handle space(H5Screate_simple(3, dims, nullptr), H5Sclose, "create space for " + name);
  h5::Handle ds(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
                "create dataset " + name);
  h5::check(H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), "write " + name);
}

std::vector<float> read_floats(const std::string& path, hid_t parent, const std::string& name, int heads, int tokens, int d) {
  h5::Handle ds(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, path + ": open dataset " + name);
  h5::Handle space(H5Dget_space(ds), H5Sclose, path + ": space of " + name);
  hsize_t dims[3] = {0, 0, 0};
  if (H5Sget_simple_extent_ndims(space) != 3) throw ResultError(path + ": " + name + " must have 3 dimensions");
  H5Sget_simple_extent_dims(space, dims, nullptr);
  if (dims[0] != static_cast<hsize_t>(heads) || dims[1] != static_cast<hsize_t>(tokens) || dims[2] != static_cast<hsize_t>(d))
    throw ResultError(path + ": " + name + " has shape [" + std::to_string(dims[0]) + ", " + std::to_string(dims[1]) + ", " +
                      std::to_string(dims[2]) + "], expected [" + std::to_string(heads) + ", " + std::to_string(tokens) +
                      ", " + std::to_string(d) + "]");
  std::vector<float> out(dims[0] * dims[1] * dims[2]);
  h5::check(H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), path + ": read " + name);
  return out;
}

// The digest's definition (results/SCHEMA.md): the metadata as one text line, then every layer's
// q, k, v as little-endian float32 in row-major order.
std::string payload_digest(const KvTrace& t) {
  Sha256 h;
  h.update(t.model + "\n" + std::to_string(t.n_layers) + " " + std::to_string(t.n_heads) + " " + std::to_string(t.n_kv_heads) +
           " " + std::to_string(t.head_dim) + " " + std::to_string(t.prompt_length) + " " + std::to_string(t.decode_steps) + "\n");
  for (int l = 0; l < t.n_layers; ++l)
    for (const auto* data : {&t.q[static_cast<std::size_t>(l)], &t.k[static_cast<std::size_t>(l)], &t.v[static_cast<std::size_t>(l)]})
      h.update(data->data(), data->size() * sizeof(float));
  return h.hex();
}

constexpr std::uint64_t kVersion = 2;

void write_kv_trace_file(const std::string& path, const KvTrace& t) {
  h5::LibraryLock lock(h5::library_mutex());
  h5::quiet_errors();
  h5::Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "create " + path);
  h5::write_string_attr(file, "format", "kvsim-kv-trace");
  h5::write_u64_attr(file, "version", kVersion);
  h5::write_string_attr(file, "model", t.model);
  h5::write_u64_attr(file, "n_layers", t.n_layers);
  h5::write_u64_attr(file, "n_heads", t.n_heads);
  h5::write_u64_attr(file, "n_kv_heads", t.n_kv_heads);
  h5::write_u64_attr(file, "head_dim", t.head_dim);
  h5::write_u64_attr(file, "prompt_length", t.prompt_length);
  h5::write_u64_attr(file, "decode_steps", t.decode_steps);
  h5::Handle layers = h5::create_group(file, "layers");
  for (int l = 0; l < t.n_layers; ++l) {
    h5::Handle g = h5::create_group(layers, std::to_string(l));
    write_floats(g, "q", t.q[l], t.n_heads, t.tokens(), t.head_dim);
    write_floats(g, "k", t.k[l], t.n_kv_heads, t.tokens(), t.head_dim);
    write_floats(g, "v", t.v[l], t.n_kv_heads, t.tokens(), t.head_dim);
  }
  h5::write_string_attr(file, "sha256", payload_digest(t));
}

}  // namespace

void write_kv_trace(const std::string& path, const KvTrace& t) {
  // Written beside the target and renamed into place: a failure never leaves half a trace.
  const std::string tmp = path + ".tmp";
  write_kv_trace_file(tmp, t);
  std::filesystem::rename(tmp, path);
}


KvTrace read_kv_trace(const std::string& path) {
  h5::LibraryLock lock(h5::library_mutex());
  h5::quiet_errors();
  const hid_t raw = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (raw < 0) throw ResultError(path + ": cannot open the KV trace (missing or not HDF5)");
  h5::Handle file(raw, H5Fclose, "open " + path);
  if (!h5::has_attr(file, "format") || h5::read_string_attr(file, "format") != "kvsim-kv-trace")
    throw ResultError(path + ": not a kvsim KV trace (attribute format != \"kvsim-kv-trace\")");
  if (const auto v = h5::read_u64_attr(file, "version"); v != kVersion)
    throw ResultError(path + ": KV trace version " + std::to_string(v) + " is not read (this kvsim reads version " +
                      std::to_string(kVersion) + (v == 1 ? ", which carries a SHA-256 of the tensors" : "") +
                      "); write it again with tools/trace/dump_kv_trace.py");
  if (!h5::has_attr(file, "sha256")) throw ResultError(path + ": the KV trace has no sha256 attribute");
  const std::string stored = h5::read_string_attr(file, "sha256");
  KvTrace t;
  t.model = h5::read_string_attr(file, "model");
  auto dim = [&](const char* name) {
    const auto v = h5::read_u64_attr(file, name);
    if (v > (1u << 24)) throw ResultError(path + ": implausible " + name);
    return static_cast<int>(v);
  };
  t.n_layers = dim("n_layers");
  t.n_heads = dim("n_heads");
  t.n_kv_heads = dim("n_kv_heads");
  t.head_dim = dim("head_dim");
  t.prompt_length = dim("prompt_length");
  t.decode_steps = dim("decode_steps");
  if (t.n_kv_heads == 0 || t.n_heads % t.n_kv_heads != 0 || t.prompt_length == 0)
    throw ResultError(path + ": inconsistent head counts or empty prompt");
  h5::Handle layers = h5::open_group(file, "layers");
  for (int l = 0; l < t.n_layers; ++l) {
    h5::Handle g = h5::open_group(layers, std::to_string(l));
    t.q.push_back(read_floats(path, g, "q", t.n_heads, t.tokens(), t.head_dim));
    t.k.push_back(read_floats(path, g, "k", t.n_kv_heads, t.tokens(), t.head_dim));
    t.v.push_back(read_floats(path, g, "v", t.n_kv_heads, t.tokens(), t.head_dim));
  }
  if (const std::string actual = payload_digest(t); actual != stored)
    throw ResultError(path + ": SHA-256 of the trace is " + actual + " but its sha256 attribute says " + stored +
                      ": the KV trace is corrupted (write it again with tools/trace/dump_kv_trace.py)");
  return t;
}

}  // namespace kvsim::results
