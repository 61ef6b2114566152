// models/lm/tasks.cpp — see tasks.h; wording mirrors tools/train/tasks.py.
#include "models/lm/tasks.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kvsim::models::lm {
namespace {

const std::string kClassic =
    "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. ";

std::string strip(const std::string& s) {
  const char* ws = " \t\n\r\v\f";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::string filler_text(sim::Rng& rng, Filler filler, const std::string& corpus, int length) {
  if (length <= 0) return "";
  if (filler == Filler::kClassic || corpus.size() < static_cast<std::size_t>(length) + 2) {
    std::string rep;
    while (static_cast<int>(rep.size()) < length + static_cast<int>(kClassic.size())) rep += kClassic;
    const auto start = sim::uniform_below(rng, kClassic.size());
    return rep.substr(start, length);
  }
  const auto start = sim::uniform_below(rng, corpus.size() - length - 1);
  return corpus.substr(start, length);
}

Episode finish(const std::string& text_before_answer, const std::string& answer, const std::string& tail,
               int question_begin, const char* kind) {
  Episode e;
  const std::string all = text_before_answer + answer + tail;
  e.tokens.assign(all.begin(), all.end());
  for (int& t : e.tokens) t &= 0xff;
  e.question_begin = question_begin;
  e.answer_begin = static_cast<int>(text_before_answer.size());
  e.answer_end = e.answer_begin + static_cast<int>(answer.size());
  e.kind = kind;
  return e;
}

// The facts at sorted random cuts of the body, then the question; the answer is facts[pick]'s
// value and the needle is that fact.
Episode facts_episode(sim::Rng& rng, const std::string& body, const std::vector<std::string>& facts, std::size_t pick,
                      const std::string& question, const std::string& answer, const char* kind) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < facts.size(); ++i) cuts.push_back(sim::uniform_below(rng, body.size() + 1));
  std::sort(cuts.begin(), cuts.end());
  std::string context;
  std::size_t prev = 0, fact_at = 0;
  for (std::size_t i = 0; i < facts.size(); ++i) {
    context += body.substr(prev, cuts[i] - prev);
    if (i == pick) fact_at = context.size();
    context += facts[i];
    prev = cuts[i];
  }
  context += body.substr(prev);
  Episode e = finish(context + question, answer, ".", static_cast<int>(context.size()), kind);
  for (std::size_t i = 0; i < facts[pick].size(); ++i) e.needle.push_back(static_cast<int>(fact_at + i));
  return e;
}

}  // namespace

std::string load_heldout_corpus(const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir))
    throw std::runtime_error(dir + ": held-out text missing; install Debian's `fortunes` package (tools/install-deps.sh)");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto ext = e.path().extension().string();
    if (e.is_regular_file() && !e.is_symlink() && ext != ".dat" && ext != ".u8") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> entries;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string s = ss.str();
    std::size_t pos = 0;
    while (pos <= s.size()) {
      auto next = s.find("\n%\n", pos);
      if (next == std::string::npos) next = s.size();
      std::string entry = strip(s.substr(pos, next - pos));
      entry.erase(std::remove_if(entry.begin(), entry.end(), [](char c) { return static_cast<unsigned char>(c) >= 128; }),
                  entry.end());
      if (!entry.empty()) entries.push_back(entry);
      pos = next + 3;
    }
  }
  std::string heldout;
  for (std::size_t i = 0; i < entries.size(); i += 20) heldout += (heldout.empty() ? "" : "\n\n") + entries[i];
  if (heldout.size() < 10000) throw std::runtime_error(dir + ": too little held-out text (is `fortunes` installed?)");
  return heldout;
}

std::string load_heldout_documents(const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir))
    throw std::runtime_error(dir + ": long documents missing; install Debian's `python3.11-doc` package (tools/install-deps.sh)");
  std::vector<std::string> paths;
  const std::string suffix = ".rst.txt";
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string p = e.path().string();
    if (e.is_regular_file() && p.size() > suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0)
      paths.push_back(p);
  }
  std::sort(paths.begin(), paths.end());  // as strings: Python's sorted() of the same paths
  std::string heldout;
  for (std::size_t i = 0; i < paths.size(); i += 10) {
    std::ifstream in(paths[i], std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string doc = ss.str();
    // Why bytes >= 128 go: every byte of a UTF-8 multibyte character is, so this is Python's
    // decode("utf-8", "ignore").encode("ascii", "ignore").
    doc.erase(std::remove_if(doc.begin(), doc.end(), [](char c) { return static_cast<unsigned char>(c) >= 128; }), doc.end());
    heldout += (heldout.empty() ? "" : "\n\n") + doc;
  }
  if (heldout.size() < 100000) throw std::runtime_error(dir + ": too little held-out documentation (is `python3.11-doc` installed?)");
  return heldout;
}

Episode passkey_episode(sim::Rng& rng, int length, Filler filler, const std::string& corpus, double depth) {
  char key[8];
  std::snprintf(key, sizeof key, "%05d", static_cast<int>(sim::uniform_below(rng, 100000)));
  const std::string needle = std::string(" The pass key is ") + key + ". Remember it. " + key + " is the pass key. ";
  const std::string question = "\nWhat is the pass key? The pass key is ";
  const std::string tail = ".";
  const int body_len = std::max(0, length - static_cast<int>(needle.size() + question.size() + 5 + tail.size()));
  const std::string body = filler_text(rng, filler, corpus, body_len);
  const int at = depth >= 0 ? static_cast<int>(depth * body_len) : static_cast<int>(sim::uniform_below(rng, body_len + 1));
  const std::string context = body.substr(0, at) + needle + body.substr(at);
  Episode e = finish(context + question, key, tail, static_cast<int>(context.size()), "passkey");
  for (int i = 0; i < static_cast<int>(needle.size()); ++i) e.needle.push_back(at + i);
  return e;
}

Episode kv_lookup_episode(sim::Rng& rng, int length, Filler filler, const std::string& corpus, int pairs) {
  std::vector<std::string> keys, values, facts;
  while (static_cast<int>(keys.size()) < pairs) {
    std::string k;
    for (int i = 0; i < 4; ++i) k += static_cast<char>('a' + sim::uniform_below(rng, 26));
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  std::size_t facts_len = 0;
  for (const auto& k : keys) {
    char v[8];
    std::snprintf(v, sizeof v, "%04d", static_cast<int>(sim::uniform_below(rng, 10000)));
    values.emplace_back(v);
    facts.push_back(" The value of key " + k + " is " + v + ". ");
    facts_len += facts.back().size();
  }
  const auto pick = sim::uniform_below(rng, pairs);
  const std::string question = "\nWhat is the value of key " + keys[pick] + "? The value of key " + keys[pick] + " is ";
  const int body_len = std::max(0, length - static_cast<int>(facts_len + question.size() + 4 + 1));
  const std::string body = filler_text(rng, filler, corpus, body_len);
  return facts_episode(rng, body, facts, pick, question, values[pick], "kv");
}

Episode needles_episode(sim::Rng& rng, int length, Filler filler, const std::string& corpus) {
  static const std::vector<std::string> kNames = {"Anna", "Boris", "Chen",  "Dana", "Emil",  "Farah", "Goran", "Hana",  "Ivan",
                                                  "Jonas", "Kemal", "Lena", "Marta", "Nils", "Olga",  "Pavel", "Quinn", "Rosa",
                                                  "Sven", "Tariq", "Ugo",  "Vera",  "Wei",  "Ximena", "Yusuf", "Zoe"};
  static const std::vector<std::string> kAttributes = {"secret number", "room number", "locker code", "lucky number", "badge number"};
  const int count = 2 + static_cast<int>(sim::uniform_below(rng, 3));
  std::vector<std::string> names = kNames;
  for (int i = 0; i < count; ++i)  // a partial Fisher-Yates shuffle: `count` distinct names
    std::swap(names[i], names[i + sim::uniform_below(rng, names.size() - i)]);
  names.resize(count);
  const std::string& attribute = kAttributes[sim::uniform_below(rng, kAttributes.size())];
  std::vector<std::string> values, facts;
  std::size_t facts_len = 0;
  for (const auto& n : names) {
    char v[8];
    std::snprintf(v, sizeof v, "%05d", static_cast<int>(sim::uniform_below(rng, 100000)));
    values.emplace_back(v);
    facts.push_back(" The " + attribute + " of " + n + " is " + v + ". ");
    facts_len += facts.back().size();
  }
  const auto pick = sim::uniform_below(rng, count);
  const std::string question = "\nWhat is the " + attribute + " of " + names[pick] + "? The " + attribute + " of " + names[pick] + " is ";
  const int body_len = std::max(0, length - static_cast<int>(facts_len + question.size() + 6));
  const std::string body = filler_text(rng, filler, corpus, body_len);
  return facts_episode(rng, body, facts, pick, question, values[pick], "needles");
}

Episode text_episode(sim::Rng& rng, int length, int continuation, const std::string& corpus) {
  if (corpus.size() < static_cast<std::size_t>(length + continuation) + 2)
    throw std::runtime_error("text episode: the held-out corpus is shorter than the episode");
  const auto start = sim::uniform_below(rng, corpus.size() - length - continuation - 1);
  const std::string context = corpus.substr(start, length);
  return finish(context, corpus.substr(start + length, continuation), "", length, "text");
}

Episode with_start_byte(Episode e, int start_byte) {
  if (start_byte < 0) return e;
  e.tokens.insert(e.tokens.begin(), start_byte);
  ++e.question_begin, ++e.answer_begin, ++e.answer_end;
  for (int& p : e.needle) ++p;
  return e;
}

}  // namespace kvsim::models::lm
