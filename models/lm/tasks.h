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
  // Positions of the needle: the sentence that holds the answer (the passkey's needle, the asked
  // fact), ascending; empty for held-out text.
  std::vector<int> needle;
  std::string kind;
};

// The episode as a model whose sequences begin with `start_byte` sees it: that byte first, every
// position one later. A negative start byte returns the episode unchanged.
Episode with_start_byte(Episode e, int start_byte);

enum class Filler { kClassic, kCorpus };

// The held-out text (bytes); throws std::runtime_error naming the directory when it is missing.
std::string load_heldout_corpus(const std::string& fortune_dir = "/usr/share/games/fortunes");
// The held-out long documents: every 10th page (sorted paths) of Python 3.11's documentation
// sources (Debian's python3.11-doc), ASCII only, joined by blank lines: natural text with
// long-range dependencies, the split tools/train/tasks.py load_documents() makes.
std::string load_heldout_documents(const std::string& dir = "/usr/share/doc/python3.11/html/_sources");

Episode passkey_episode(sim::Rng& rng, int length, Filler filler, const std::string& corpus, double depth = -1);
Episode kv_lookup_episode(sim::Rng& rng, int length, Filler filler, const std::string& corpus, int pairs = 4);
// Two to four named facts ("The room number of Vera is 40913.") at random depths, one asked for by
// name (tools/train/tasks.py needles_episode with its first wordings).
Episode needles_episode(sim::Rng& rng, int length, Filler filler, const std::string& corpus);
// A context of `length` bytes of held-out text followed by `continuation` bytes to predict.
Episode text_episode(sim::Rng& rng, int length, int continuation, const std::string& corpus);

}  // namespace kvsim::models::lm
