// scenarios/data_location.cpp — see data_location.h.
#include "scenarios/data_location.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>

namespace kvsim::scenarios {

namespace fs = std::filesystem;

namespace {

// The file (executable or shared object) this code was loaded from.
fs::path code_file() {
  Dl_info info{};
  std::error_code ec;
  if (dladdr(reinterpret_cast<void*>(&installed_data_dir), &info) != 0 && info.dli_fname && *info.dli_fname) {
    fs::path p = fs::canonical(info.dli_fname, ec);
    if (!ec) return p;
  }
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  return ec ? fs::path() : exe;
}

}  // namespace

std::string installed_data_dir() {
  static const std::string dir = [] {
    const fs::path code = code_file();
    if (code.empty()) return std::string();
    // bin/kvsim -> ../share/kvsim; lib/python3/dist-packages/kvsim/_kvsim*.so -> ../../../../share/kvsim
    for (const char* up : {"../share/kvsim", "../../../../share/kvsim"}) {
      std::error_code ec;
      const fs::path candidate = (code.parent_path() / up).lexically_normal();
      if (fs::is_directory(candidate, ec) && fs::exists(candidate / "profiles", ec)) return candidate.string();
    }
    return std::string();
  }();
  return dir;
}

std::string data_file(const std::string& subpath, const std::string& built_in) {
  if (const char* d = std::getenv("KVSIM_DATA_DIR"); d && *d) return (fs::path(d) / subpath).string();
  const std::string installed = installed_data_dir();
  if (!installed.empty()) {
    std::error_code ec;
    const fs::path p = fs::path(installed) / subpath;
    if (fs::exists(p, ec)) return p.string();
  }
  return built_in;
}

}  // namespace kvsim::scenarios
