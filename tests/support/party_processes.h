// tests/support/party_processes.h — runs `kvsim party` as separate processes on 127.0.0.1 (one
// per party, each on a free port) and collects each one's exit code and `key value` output, for
// the tests that compare TCP runs with simulated ones.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kvsim::testing {

// Ports for one test's parties. Why not bind(0) and release: between the release and the
// parties' own bind, a concurrent test (ctest -j) may be handed the same port, by its own bind(0)
// or as a connection's local port, and its parties then greet ours ("unexpected hello"). So the
// ports come from below the kernel's ephemeral range (32768 and up on Linux), where neither can
// happen, and each is leased to this test for two minutes by a file created exclusively in the
// temp folder (a lease left by a crashed test expires); a port is used only if it binds now.
inline std::vector<unsigned short> free_ports(int n) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "kvsim-test-ports";
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  std::uniform_int_distribution<int> pick(20000, 32767);
  boost::asio::io_context io;
  std::vector<unsigned short> ports;
  for (int tries = 0; static_cast<int>(ports.size()) < n; ++tries) {
    if (tries > 10000) throw std::runtime_error("free_ports: no free port in 20000-32767");
    const auto port = static_cast<unsigned short>(pick(rng));
    const fs::path lease = dir / std::to_string(port);
    const auto written = fs::last_write_time(lease, ec);
    if (!ec) {
      if (fs::file_time_type::clock::now() - written < std::chrono::minutes(2)) continue;  // another test's
      fs::remove(lease, ec);  // expired
    }
    const int fd = ::open(lease.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0) continue;  // taken a moment ago
    ::close(fd);
    boost::system::error_code bind_error;
    boost::asio::ip::tcp::acceptor probe(io);
    probe.open(boost::asio::ip::tcp::v4(), bind_error);
    if (!bind_error) probe.bind({boost::asio::ip::make_address("127.0.0.1"), port}, bind_error);
    if (bind_error) continue;  // in use outside the tests (the lease stays, so nobody retries it soon)
    ports.push_back(port);
  }
  return ports;
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
