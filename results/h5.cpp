// results/h5.cpp — HDF5 helpers.
#include "results/h5.h"

namespace kvsim::results::h5 {

Handle::Handle(hid_t id, Closer close, const std::string& what) : id_(id), close_(close) {
  if (id < 0) throw ResultError("HDF5: cannot " + what);
}

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) { reset(); id_ = o.id_; close_ = o.close_; o.id_ = -1; }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && close_) close_(id_);
  id_ = -1;
}

std::recursive_mutex& library_mutex() {
  static std::recursive_mutex m;
  return m;
}

void quiet_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

void check(herr_t status, const std::string& what) {
  if (status < 0) throw ResultError("HDF5: cannot " + what);
}

Handle vlen_string_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose, "create string type");
  check(H5Tset_size(t, H5T_VARIABLE), "size string type");
  check(H5Tset_cset(t, H5T_CSET_UTF8), "set string charset");
  return t;
}

void write_string_attr(hid_t obj, const std::string& name, const std::string& value) {
  Handle type = vlen_string_type();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create scalar space");
  Handle attr(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              "create attribute " + name);
  const char* p = value.c_str();
  check(H5Awrite(attr, type, &p), "write attribute " + name);
}

void write_u64_attr(hid_t obj, const std::string& name, std::uint64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create scalar space");
  Handle attr(H5Acreate2(obj, name.c_str(), H5T_STD_U64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              "create attribute " + name);
  check(H5Awrite(attr, H5T_NATIVE_UINT64, &value), "write attribute " + name);
}

void write_double_attr(hid_t obj, const std::string& name, double value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create scalar space");
  Handle attr(H5Acreate2(obj, name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              "create attribute " + name);
  check(H5Awrite(attr, H5T_NATIVE_DOUBLE, &value), "write attribute " + name);
}

void write_string_array_attr(hid_t obj, const std::string& name, const std::vector<std::string>& values) {
  Handle type = vlen_string_type();
  const hsize_t dims[1] = {values.size()};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "create space for attribute " + name);
  Handle attr(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              "create attribute " + name);
  std::vector<const char*> p;
  for (const auto& v : values) p.push_back(v.c_str());
  if (!p.empty()) check(H5Awrite(attr, type, p.data()), "write attribute " + name);
}

std::vector<std::string> read_string_array_attr(hid_t obj, const std::string& name) {
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "open attribute " + name);
  Handle ftype(H5Aget_type(attr), H5Tclose, "get type of attribute " + name);
  Handle space(H5Aget_space(attr), H5Sclose, "get space of attribute " + name);
  if (H5Tget_class(ftype) != H5T_STRING || H5Tis_variable_str(ftype) <= 0 || H5Sget_simple_extent_ndims(space) != 1)
    throw ResultError("attribute " + name + " is not a list of strings");
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<char*> p(static_cast<std::size_t>(n < 0 ? 0 : n), nullptr);
  std::vector<std::string> out;
  if (p.empty()) return out;
  Handle type = vlen_string_type();
  check(H5Aread(attr, type, p.data()), "read attribute " + name);
  for (char* s : p) { out.emplace_back(s ? s : ""); H5free_memory(s); }
  return out;
}

namespace {
// Why checked before reading: H5Aread fills as many elements as the attribute holds, so an array
// attribute where a scalar belongs would overflow the one value it is read into.
void require_one_value(hid_t attr, hid_t ftype, H5T_class_t want, const std::string& name, const char* what,
                       H5T_class_t also = H5T_NO_CLASS) {
  Handle space(H5Aget_space(attr), H5Sclose, "get space of attribute " + name);
  const H5T_class_t c = H5Tget_class(ftype);
  if (H5Sget_simple_extent_npoints(space) != 1 || (c != want && (also == H5T_NO_CLASS || c != also)))
    throw ResultError("attribute " + name + " is not a single " + what);
}
}  // namespace

double read_double_attr(hid_t obj, const std::string& name) {
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "open attribute " + name);
  Handle ftype(H5Aget_type(attr), H5Tclose, "get type of attribute " + name);
  require_one_value(attr, ftype, H5T_FLOAT, name, "number", H5T_INTEGER);
  double v = 0;
  check(H5Aread(attr, H5T_NATIVE_DOUBLE, &v), "read attribute " + name);
  return v;
}

bool has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

std::string read_string_attr(hid_t obj, const std::string& name) {
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "open attribute " + name);
  Handle ftype(H5Aget_type(attr), H5Tclose, "get type of attribute " + name);
  require_one_value(attr, ftype, H5T_STRING, name, "string");
  if (H5Tis_variable_str(ftype) > 0) {
    Handle type = vlen_string_type();
    char* p = nullptr;
    check(H5Aread(attr, type, &p), "read attribute " + name);
    std::string s = p ? p : "";
    H5free_memory(p);
    return s;
  }
  const std::size_t n = H5Tget_size(ftype);
  std::string s(n, '\0');
  Handle mtype(H5Tcopy(ftype), H5Tclose, "copy type");
  check(H5Aread(attr, mtype, s.data()), "read attribute " + name);
  s.resize(s.find('\0') == std::string::npos ? n : s.find('\0'));
  return s;
}

std::uint64_t read_u64_attr(hid_t obj, const std::string& name) {
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "open attribute " + name);
  Handle ftype(H5Aget_type(attr), H5Tclose, "get type of attribute " + name);
  require_one_value(attr, ftype, H5T_INTEGER, name, "integer");
  std::uint64_t v = 0;
  check(H5Aread(attr, H5T_NATIVE_UINT64, &v), "read attribute " + name);
  return v;
}

Handle create_group(hid_t parent, const std::string& name) {
  return Handle(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                "create group " + name);
}

Handle open_group(hid_t parent, const std::string& name) {
  return Handle(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose, "open group " + name);
}

std::vector<std::string> list_children(hid_t group) {
  std::vector<std::string> names;
  H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr,
             [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
               static_cast<std::vector<std::string>*>(data)->emplace_back(name);
               return 0;
             },
             &names);
  return names;
}

void write_doubles(hid_t parent, const std::string& name, const std::vector<double>& values) {
  const hsize_t dims[1] = {values.size()};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "create space for " + name);
  Handle ds(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose, "create dataset " + name);
  if (!values.empty())
    check(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "write " + name);
}

std::vector<double> read_doubles(hid_t parent, const std::string& name) {
  Handle ds(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, "open dataset " + name);
  Handle space(H5Dget_space(ds), H5Sclose, "get space of " + name);
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<double> v(static_cast<std::size_t>(n < 0 ? 0 : n));
  if (!v.empty()) check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "read " + name);
  return v;
}

}  // namespace kvsim::results::h5
