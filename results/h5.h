// results/h5.h — a thin RAII layer over the HDF5 C API (internal to results/).
//
// Contract: every HDF5 failure becomes a ResultError naming the file and the object; handles are
// closed exactly once. HDF5's own error printing is switched off (we report instead).
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace kvsim::results {

class ResultError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace h5 {

class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close, const std::string& what);
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  void reset();

 private:
  hid_t id_ = -1;
  Closer close_ = nullptr;
};

// Why one lock: Debian's HDF5 is a serial build, not safe to call from two threads at once, and
// sweep workers read inputs (KV traces) while the sweep's thread writes finished points. Every
// entry point of results/ that touches HDF5 holds it (recursive: they call each other).
std::recursive_mutex& library_mutex();
using LibraryLock = std::lock_guard<std::recursive_mutex>;

void quiet_errors();
void check(herr_t status, const std::string& what);
Handle vlen_string_type();

void write_string_attr(hid_t obj, const std::string& name, const std::string& value);
void write_u64_attr(hid_t obj, const std::string& name, std::uint64_t value);
void write_double_attr(hid_t obj, const std::string& name, double value);
void write_string_array_attr(hid_t obj, const std::string& name, const std::vector<std::string>& values);
std::vector<std::string> read_string_array_attr(hid_t obj, const std::string& name);
double read_double_attr(hid_t obj, const std::string& name);
std::string read_string_attr(hid_t obj, const std::string& name);
std::uint64_t read_u64_attr(hid_t obj, const std::string& name);
bool has_attr(hid_t obj, const std::string& name);

Handle create_group(hid_t parent, const std::string& name);
Handle open_group(hid_t parent, const std::string& name);
std::vector<std::string> list_children(hid_t group);

void write_doubles(hid_t parent, const std::string& name, const std::vector<double>& values);
std::vector<double> read_doubles(hid_t parent, const std::string& name);

}  // namespace h5
}  // namespace kvsim::results
