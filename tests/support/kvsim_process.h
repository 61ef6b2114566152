// tests/support/kvsim_process.h — runs a shell command (or the kvsim executable under test) and
// returns its exit code with stdout and stderr together, for the end-to-end CLI tests.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace kvsim::testing {

struct Outcome {
  int code;         // the exit code, or -1 when the command did not exit normally
  std::string out;  // stdout and stderr together
};

inline Outcome run_shell(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return Outcome{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

#ifdef KVSIM_BINARY
// `kvsim ARGS` (the binary this build made).
inline Outcome kvsim(const std::string& args) { return run_shell(std::string(KVSIM_BINARY) + " " + args); }
#endif

}  // namespace kvsim::testing
