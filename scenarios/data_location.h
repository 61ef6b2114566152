// scenarios/data_location.h — where kvsim's data files are (hardware profiles, the model zoo, the
// small model's checkpoint, the shipped scenarios), in a build tree and once installed.
//
// Contract: data_file(subpath, built_in) returns, in order: $KVSIM_DATA_DIR/subpath when that
// variable is set; <prefix>/share/kvsim/subpath when the code running was installed under
// <prefix> (the kvsim executable in <prefix>/bin, or the Python module in
// <prefix>/lib/python3/dist-packages/kvsim) and that path exists; else `built_in`, the path in
// the source tree compiled into the build. The per-folder variables the libraries already honour
// (KVSIM_HARDWARE_DIR, KVSIM_MODEL_DIR, KVSIM_SCENARIO_DIR) still come first where they apply.
#pragma once

#include <string>

namespace kvsim::scenarios {

std::string data_file(const std::string& subpath, const std::string& built_in);

// <prefix>/share/kvsim of the installed code running, or "" when it runs from a build tree.
std::string installed_data_dir();

}  // namespace kvsim::scenarios
