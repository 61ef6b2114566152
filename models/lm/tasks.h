// models/lm/tasks.h — the episodes kvsim measures KV policies on with its small model: passkey
// retrieval, key-value lookup in long filler, and plain held-out text; the same recipe as the
// training data (tools/train/tasks.py), generated from a seeded stream.
//
// Contract: an episode is a byte sequence with three marks: where the question begins (the end of
// the context), where the answer begins and where it ends. Lengths are exact (the context is
// filled to make the whole episode `length` bytes). The held-out corpus is every 20th entry of
// Debian's `fortunes` package (the same split the training script holds out); a missing package is
// an error that names it.
#pragma once

#include <string>
#include <vector>

#include "sim/random.h"

namespace kvsim::models::lm {

struct Episode {
  std::vector<int> tokens;
  int question_begin = 0;
  int answer_begin = 0;
  int answer_end = 0;
  std::vector<int> needle;  // positions of the context bytes the answer copies (ascending; empty for text)
  std::string kind;
};

// The episode as a model whose sequences begin with `start_byte` sees it: that byte first, every
// position one later. A negative start byte returns the episode unchanged.
Episode with_start_byte(Episode e, int start_byte);

enum class Filler { kClassic, kCorpus };

// The held-out text (bytes); throws std::runtime_error naming the directory when it is missing.
std::string load_heldout_corpus(const std::string& fortune_dir = "/usr/share/games/fortunes");

Episode passkey_episode(sim::Rng& rng, int length, Filler filler, const std::string& corpus, double depth = -1);
Episode kv_lookup_episode(sim::Rng& rng, int length, Filler filler, const std::string& corpus, int pairs = 4);
// A context of `length` bytes of held-out text followed by `continuation` bytes to predict.
Episode text_episode(sim::Rng& rng, int length, int continuation, const std::string& corpus);

}  // namespace kvsim::models::lm
