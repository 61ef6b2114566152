// tests/support/committed_model.h — the committed small model (models/small/kvsim-byte-lm.bin),
// loaded once per test binary and shared by its tests (read-only).
#pragma once

#include "models/lm/checkpoint.h"

namespace kvsim::testing {

inline const models::lm::LmWeights& committed_small_lm() {
  static const models::lm::LmWeights w = models::lm::load_small_lm(models::lm::default_small_lm_path());
  return w;
}

}  // namespace kvsim::testing
