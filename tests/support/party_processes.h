// tests/support/party_processes.h — runs `kvsim party` as separate processes on 127.0.0.1 (one
// per party, each on a free port) and collects each one's exit code and `key value` output, for
// the tests that compare TCP runs with simulated ones.
#pragma once

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace kvsim::testing {

inline std::vector<unsigned short> free_ports(int n) {
  boost::asio::io_context io;
  std::vector<boost::asio::ip::tcp::acceptor> hold;
  std::vector<unsigned short> ports;
  for (int i = 0; i < n; ++i) {
    hold.emplace_back(io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    ports.push_back(hold.back().local_endpoint().port());
  }
  return ports;  // released here; the parties bind them right after
}

inline std::string peers_arg(const std::vector<unsigned short>& ports) {
  std::string s;
  for (auto p : ports) s += (s.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(p);
  return s;
}

// "key value..." lines -> map (the value is the rest of the line).
inline std::map<std::string, std::string> parse_output(const std::string& text) {
  std::map<std::string, std::string> kv;
  std::istringstream in(text);
  std::string key, value;
  while (in >> key && std::getline(in, value)) kv[key] = value.substr(value.find_first_not_of(' '));
  return kv;
}

struct PartyRun {
  int code;
  std::string out;  // stdout and stderr
};

// `binary party --id I --peers PEERS[I] <args>` for every I, concurrently; waits for all. A party
// still running `deadline_s` seconds after the start is killed and reported with code -9 (a hang
// is a failure the caller sees, never a test that waits forever).
inline std::vector<PartyRun> run_parties_with(const std::string& binary, const std::vector<std::string>& peers,
                                              const std::vector<std::string>& args, const std::string& tag,
                                              double deadline_s = 240) {
  const int parties = static_cast<int>(peers.size());
  std::vector<std::pair<pid_t, std::string>> procs;
  for (int i = 0; i < parties; ++i) {
    const std::string out = ::testing::TempDir() + "/party" + std::to_string(i) + "_" + tag + ".out";
    std::vector<std::string> argv_s = {binary, "party", "--id", std::to_string(i), "--peers", peers[static_cast<std::size_t>(i)]};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      FILE* f = std::freopen(out.c_str(), "w", stdout);
      (void)f;
      dup2(fileno(stdout), 2);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    procs.emplace_back(pid, out);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(deadline_s);
  std::vector<PartyRun> runs;
  for (auto& [pid, out] : procs) {
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::stringstream text;
    text << std::ifstream(out).rdbuf();
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
    runs.push_back({code, text.str()});
  }
  return runs;
}

// The same, every party with the same peer list of free ports.
inline std::vector<PartyRun> run_parties(const std::string& binary, int parties, const std::vector<std::string>& args,
                                         const std::string& tag) {
  return run_parties_with(binary, std::vector<std::string>(static_cast<std::size_t>(parties), peers_arg(free_ports(parties))),
                          args, tag);
}

}  // namespace kvsim::testing
