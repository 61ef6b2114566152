// tests/fuzz/h5_mutator.cpp — see h5_mutator.h.
#include "tests/fuzz/h5_mutator.h"

#include <hdf5.h>

#include <vector>

namespace kvsim::fuzz {
namespace {

struct Objects {
  std::vector<std::string> datasets, groups;
  std::vector<std::pair<std::string, std::string>> attributes;  // object, attribute
};

herr_t collect_attr(hid_t, const char* name, const H5A_info_t*, void* op) {
  auto* pair = static_cast<std::pair<Objects*, std::string>*>(op);
  pair->first->attributes.emplace_back(pair->second, name);
  return 0;
}

herr_t collect(hid_t root, const char* name, const H5O_info_t* info, void* op) {
  auto* objects = static_cast<Objects*>(op);
  std::pair<Objects*, std::string> ctx(objects, name);
  const hid_t obj = H5Oopen(root, name, H5P_DEFAULT);
  if (obj >= 0) {
    H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_NATIVE, nullptr, collect_attr, &ctx);
    H5Oclose(obj);
  }
  if (info->type == H5O_TYPE_DATASET) objects->datasets.push_back(name);
  if (info->type == H5O_TYPE_GROUP) objects->groups.push_back(name);
  return 0;
}

// A new scalar or small-array value of a type the input picks, as attribute or dataset.
hid_t pick_type(FuzzInput& in, std::size_t* string_size) {
  *string_size = 0;
  switch (in.below(5)) {
    case 0: return H5Tcopy(H5T_NATIVE_UINT64);
    case 1: return H5Tcopy(H5T_NATIVE_INT32);
    case 2: return H5Tcopy(H5T_NATIVE_DOUBLE);
    case 3: return H5Tcopy(H5T_NATIVE_FLOAT);
    default: {
      const hid_t t = H5Tcopy(H5T_C_S1);
      *string_size = 1 + in.below(70);
      H5Tset_size(t, *string_size);
      return t;
    }
  }
}

hid_t pick_space(FuzzInput& in) {
  const int rank = static_cast<int>(in.below(4));
  if (rank == 0) return H5Screate(H5S_SCALAR);
  hsize_t dims[3];
  for (int i = 0; i < rank; ++i) dims[i] = in.below(6);
  return H5Screate_simple(rank, dims, nullptr);
}

std::vector<unsigned char> fill(FuzzInput& in, hid_t type, hid_t space) {
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<unsigned char> bytes(static_cast<std::size_t>(n > 0 ? n : 0) * H5Tget_size(type) + 8);
  for (auto& b : bytes) b = in.byte();
  return bytes;
}

void set_attribute(hid_t file, const std::string& object, const std::string& name, FuzzInput& in) {
  const hid_t obj = H5Oopen(file, object.c_str(), H5P_DEFAULT);
  if (obj < 0) return;
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  std::size_t string_size = 0;
  const hid_t type = pick_type(in, &string_size);
  const hid_t space = pick_space(in);
  const hid_t a = H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
  if (a >= 0) {
    const auto bytes = fill(in, type, space);
    H5Awrite(a, type, bytes.data());
    H5Aclose(a);
  }
  H5Sclose(space);
  H5Tclose(type);
  H5Oclose(obj);
}

void set_dataset(hid_t file, const std::string& name, FuzzInput& in) {
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) > 0) H5Ldelete(file, name.c_str(), H5P_DEFAULT);
  std::size_t string_size = 0;
  const hid_t type = pick_type(in, &string_size);
  const hid_t space = pick_space(in);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t d = H5Dcreate2(file, name.c_str(), type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  if (d >= 0) {
    const auto bytes = fill(in, type, space);
    H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
    H5Dclose(d);
  }
  H5Pclose(lcpl);
  H5Sclose(space);
  H5Tclose(type);
}

// One byte of a numeric dataset changed in place (same type and shape).
void nudge_dataset(hid_t file, const std::string& name, FuzzInput& in) {
  const hid_t d = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  if (d < 0) return;
  const hid_t type = H5Dget_type(d);
  const hid_t space = H5Dget_space(d);
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  const std::size_t width = H5Tget_size(type);
  // Plain numbers only: a flipped byte inside a compound row could land in a variable-length
  // string's pointer, which would crash libhdf5 on the mutator's own write, not kvsim's reader.
  const H5T_class_t c = H5Tget_class(type);
  if ((c == H5T_INTEGER || c == H5T_FLOAT) && n > 0 && n < (1 << 20)) {
    std::vector<unsigned char> bytes(static_cast<std::size_t>(n) * width);
    if (H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) >= 0) {
      bytes[in.below(bytes.size())] ^= static_cast<unsigned char>(1 + in.byte() % 255);
      H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
    }
  }
  H5Sclose(space);
  H5Tclose(type);
  H5Dclose(d);
}

template <class T>
const T& pick(const std::vector<T>& v, FuzzInput& in) { return v[in.below(v.size())]; }

}  // namespace

void mutate_h5(const std::string& path, FuzzInput& in) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (file < 0) return;
  const int count = static_cast<int>(in.below(7));
  for (int i = 0; i < count; ++i) {
    Objects o;  // the visit starts at the root, named "."
    H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_NATIVE, collect, &o, H5O_INFO_BASIC);
    switch (in.below(6)) {
      case 0:
        if (!o.attributes.empty()) {
          const auto& [obj, name] = pick(o.attributes, in);
          H5Adelete_by_name(file, obj.c_str(), name.c_str(), H5P_DEFAULT);
        }
        break;
      case 1:
        if (!o.attributes.empty()) {
          const auto chosen = pick(o.attributes, in);
          set_attribute(file, chosen.first, chosen.second, in);
        }
        break;
      case 2:
        if (!o.datasets.empty()) H5Ldelete(file, pick(o.datasets, in).c_str(), H5P_DEFAULT);
        break;
      case 3:
        if (!o.datasets.empty()) set_dataset(file, pick(o.datasets, in), in);
        break;
      case 4:
        if (!o.datasets.empty()) nudge_dataset(file, pick(o.datasets, in), in);
        break;
      default:
        set_dataset(file, pick(o.groups, in) + "/" + in.text(6), in);
        break;
    }
  }
  H5Fclose(file);
}

}  // namespace kvsim::fuzz
