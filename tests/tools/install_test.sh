#!/usr/bin/env bash
# tests/tools/install_test.sh — `cmake --install` into a fresh prefix, then use only what it put
# there: the installed kvsim reads the installed data, find_package(kvsim) builds a program
# against the exported targets, `import kvsim` works from the prefix, and `cpack -G DEB` makes a
# package with the same files.
# usage: install_test.sh BUILD_DIR WORK_DIR PYTHON_MODULE(ON|OFF)
set -euo pipefail
build=$1; work=$2; python=$3
rm -rf "$work"; mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log"

# The installed binary finds the installed data, not the source tree's.
"$prefix/bin/kvsim" list hardware > "$work/hardware.txt"
grep -q "profiles in $prefix/share/kvsim/profiles" "$work/hardware.txt" || { echo "FAIL: data not relocated"; tail -2 "$work/hardware.txt"; exit 1; }
"$prefix/bin/kvsim" run "$prefix/share/kvsim/scenarios/examples/lan-wan-exchange.toml" -o "$work/run.h5" > /dev/null 2>&1
[ -f "$prefix/share/kvsim/small/kvsim-byte-lm.bin" ] || { echo "FAIL: no small model installed"; exit 1; }

# find_package(kvsim) and the exported targets.
mkdir -p "$work/consumer"
cat > "$work/consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(consumer CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(kvsim 0.1 REQUIRED)
add_executable(consumer main.cpp)
target_link_libraries(consumer PRIVATE kvsim::kvsim_results)
CMAKE
cat > "$work/consumer/main.cpp" <<'CPP'
#include <iostream>
#include "results/reader.h"
#include "results/tidy.h"
int main(int, char** argv) {
  const auto data = kvsim::results::read_results(argv[1]);
  kvsim::results::write_csv(std::cout, kvsim::results::tidy_table(data.runs));
}
CPP
cmake -S "$work/consumer" -B "$work/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" > "$work/consumer.log"
cmake --build "$work/consumer/build" >> "$work/consumer.log"
"$work/consumer/build/consumer" "$work/run.h5" | grep -q "^run-0000,0," || { echo "FAIL: the consumer did not read the run"; exit 1; }

if [ "$python" = ON ]; then
  PYTHONPATH="$prefix/lib/python3/dist-packages" /usr/bin/python3 - "$prefix" <<'PY'
import sys
import kvsim
prefix = sys.argv[1]
assert kvsim._kvsim.data_dir() == prefix + "/share/kvsim", kvsim._kvsim.data_dir()
df = kvsim.run(prefix + "/share/kvsim/scenarios/examples/lan-wan-exchange.toml")
assert len(df) == 1 and df["makespan"][0] > 0
PY
fi

# The Debian package holds the same tree under /usr.
(cd "$build" && cpack -G DEB -B "$work/deb" > "$work/cpack.log")
deb=$(ls "$work"/deb/*.deb)
dpkg-deb -c "$deb" > "$work/deb.txt"
for f in ./usr/bin/kvsim ./usr/share/kvsim/profiles/ ./usr/lib/cmake/kvsim/kvsimConfig.cmake ./usr/include/kvsim/results/tidy.h; do
  grep -q " $f" "$work/deb.txt" || { echo "FAIL: $f not in $deb"; exit 1; }
done
echo "PASS: installed to $prefix, consumer built, package $(basename "$deb")"
