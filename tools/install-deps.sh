#!/usr/bin/env bash
# install-deps.sh — installs every Debian 12 package kvsim needs to build, test and read results;
# with --with-training also what retraining the small model needs (docs/small-model.md: PyTorch,
# its BLAS, and the texts the recipes read).
# Contract: idempotent; installs only what is missing; needs root (or sudo) and Debian's apt.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libboost-dev libboost-program-options-dev libboost-system-dev
  libeigen3-dev
  libhdf5-dev hdf5-tools
  libtomlplusplus-dev
  libgtest-dev libgmock-dev googletest
  libbenchmark-dev
  libssl-dev zlib1g-dev
  clang libclang-rt-14-dev
  libopenmpi-dev openmpi-bin
  pybind11-dev python3-dev
  python3 python3-h5py python3-numpy python3-pandas python3-matplotlib
  fortunes python3.11-doc
)
training=(python3-torch libopenblas0-pthread jargon-text)
for arg in "$@"; do
  case "$arg" in
    --with-training) packages+=("${training[@]}") ;;
    *) echo "install-deps: unknown option '$arg' (only --with-training)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
