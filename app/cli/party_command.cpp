// app/cli/party_command.cpp — `kvsim party`: one MPC party as its own process, talking to the
// others over TCP (protocols/tcp_network.h). The program is the same coroutine the simulated
// runs execute: `demo` (protocols/demo_program.h) or `private-decode` (one private decode step of
// the small trained model, private_decode/run.h). Each party prints `key value` lines;
// with the same options every party's revealed digest and bytes equal the simulated run's
// (tests/protocols/tcp_test.cpp, tests/app/private_tcp_test.cpp).
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

#include "app/cli/cli.h"
#include "app/cli/options.h"
#include "private_decode/prompt.h"
#include "private_decode/run.h"
#include "models/lm/checkpoint.h"
#include "models/lm/small_lm.h"
#include "protocols/demo_program.h"
#include "protocols/protocol.h"
#include "protocols/tcp_network.h"

namespace kvsim::cli {

namespace po = boost::program_options;

namespace {

void print_comm(int id, const std::string& family, const protocols::CommStats& s) {
  std::cout << "party " << id << " protocol " << family << "\n"
            << "bytes_sent " << s.bytes_sent << "\nmessages " << s.messages << "\nrounds " << s.rounds << "\n";
}

int run_demo(protocols::Protocol& proto, boost::asio::io_context& io, const po::variables_map& vm, int id,
             const std::string& family) {
  protocols::DemoSpec spec;
  spec.n = vm["n"].as<std::int64_t>();
  const protocols::DemoResult r = protocols::run_task(io, protocols::demo_program(proto, spec));
  print_comm(id, family, r.stats);
  std::cout << "result_sha256 " << r.digest() << "\n";
  if (!r.product.empty()) {
    std::cout << "product[0..3]";
    for (std::size_t i = 0; i < std::min<std::size_t>(4, r.product.size()); ++i) std::cout << ' ' << protocols::decode_fixed(r.product[i]);
    std::cout << '\n';
  }
  return kExitOk;
}

private_decode::MpcSelection selection_of(const po::variables_map& vm, int context) {
  private_decode::MpcSelection s;
  s.method = vm["selection"].as<std::string>();
  const int budget = vm["budget"].as<int>();
  s.budget = budget > 0 ? budget : std::max(1, context / 10);
  s.static_eviction = vm["static-eviction"].as<bool>();
  s.static_policy = vm["static-policy"].as<std::string>();
  const auto& allowed = private_decode::static_policies();
  if (std::find(allowed.begin(), allowed.end(), s.static_policy) == allowed.end()) {
    std::string names;
    for (const auto& n : allowed) names += (names.empty() ? "" : ", ") + n;
    throw UsageError("--static-policy must be one of " + names + " (got '" + s.static_policy + "')");
  }
  s.static_keep = vm["static-keep"].as<double>();
  s.block = vm["block"].as<int>();
  s.n_init = vm["n-init"].as<int>();
  for (const char* m : {"full", "static", "dynamic-naive", "infllm", "mpcache"})
    if (s.method == m) return s;
  throw UsageError("--selection must be full, static, dynamic-naive, infllm or mpcache (got '" + s.method + "')");
}

// Every party loads the checkpoint and prefills the same seeded prompt: the other parties need
// only its shapes, and only party 0's values enter the computation (as secret inputs). All of it
// is local, so it runs before connecting: a bad option fails without waiting for the peers.
struct PreparedDecode {
  models::lm::LmWeights weights;
  std::unique_ptr<models::lm::SmallLm> lm;  // reads `weights`; the struct is never moved
  private_decode::SmallPrompt prompt;
  std::vector<std::vector<std::vector<std::int32_t>>> kept;
  private_decode::PrivateRun run;
};

std::unique_ptr<PreparedDecode> prepare_private_decode(const po::variables_map& vm, const std::string& family) {
  const int context = vm["context"].as<int>();
  if (context < 16) throw UsageError("--context must be at least 16");
  auto d = std::make_unique<PreparedDecode>();
  const std::string path = vm.count("checkpoint") ? vm["checkpoint"].as<std::string>() : models::lm::default_small_lm_path();
  d->weights = models::lm::load_small_lm(path);
  const int max_context = d->weights.config.max_context;
  if (context >= max_context) throw UsageError("--context must be below the model's context " + std::to_string(max_context));
  d->run.selection = selection_of(vm, context);
  d->lm = std::make_unique<models::lm::SmallLm>(d->weights);
  const std::uint64_t seed = vm["seed"].as<std::uint64_t>();
  d->prompt = private_decode::prefill_small_prompt(*d->lm, seed, context);
  d->run.arch = private_decode::private_arch(d->weights.config);
  d->run.context = context;
  d->run.family = family;
  d->run.seed = seed;
  private_decode::attach_small_prompt(d->run, *d->lm, d->prompt, d->kept);
  private_decode::check_private_run(d->run);
  return d;
}

int run_private_decode(protocols::Protocol& proto, boost::asio::io_context& io, const private_decode::PrivateRun& run, int id,
                       const std::string& family) {
  const auto t0 = std::chrono::steady_clock::now();
  const private_decode::PartyClock wall = [t0] {
    return static_cast<sim::Time>(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count()) * 1000;
  };
  const private_decode::PartyResult r = protocols::run_task(io, private_decode::private_decode_party(run, proto, wall));
  std::int64_t declared = 0;
  if (!r.declared.bytes.empty()) declared = static_cast<std::int64_t>(r.declared.bytes[static_cast<std::size_t>(id)]);
  if (id >= protocols::computing_parties_of(family)) declared += static_cast<std::int64_t>(r.declared.offline_bytes);  // the dealer
  std::cout << "party " << id << " protocol " << family << " program private-decode\n"
            << "step_bytes_sent " << static_cast<std::int64_t>(r.step.bytes) << "\nstep_rounds " << r.step.rounds
            << "\nstep_declared_bytes " << declared << "\nstep_wall_s " << r.step.seconds
            << "\nonce_bytes_sent " << static_cast<std::int64_t>(r.one_time.bytes) << "\nattended " << r.attended
            << "\nlogits_sha256 " << protocols::digest_hex(r.revealed) << "\n";
  if (!r.logits.empty()) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < r.logits.size(); ++i)
      if (r.logits[i] > r.logits[best]) best = i;
    std::cout << "next_token " << best << "\n";
  }
  return kExitOk;
}

}  // namespace

int cmd_party(const Args& args) {
  po::options_description opts("kvsim party options");
  opts.add_options()
      ("id", po::value<int>()->required(), "this party's index in --peers")
      ("peers", po::value<std::string>()->required(), "host:port of every party, in party order")
      ("protocol", po::value<std::string>()->default_value("aby3"), "aby3 | semi2k (party 2 is the dealer) | plaintext")
      ("program", po::value<std::string>()->default_value("demo"), "demo | private-decode")
      ("seed", po::value<std::uint64_t>()->default_value(1), "seed of the pairwise keys and of the prompt (same at every party)")
      ("timeout-ms", po::value<int>()->default_value(30000), "connect and per-message timeout")
      ("n", po::value<std::int64_t>()->default_value(64), "demo: elements of the elementwise product")
      ("checkpoint", po::value<std::string>(), "private-decode: small-model checkpoint (default: models/small/kvsim-byte-lm.bin)")
      ("context", po::value<int>()->default_value(256), "private-decode: prompt tokens in the KV cache")
      ("selection", po::value<std::string>()->default_value("full"), "private-decode: full | static | dynamic-naive | infllm | mpcache")
      ("budget", po::value<int>()->default_value(0), "private-decode: tokens attended (0: a tenth of the context)")
      ("static-policy", po::value<std::string>()->default_value("streaming"), "private-decode, static: streaming | h2o | snapkv | tova")
      ("static-eviction", po::value<bool>()->default_value(true), "private-decode, mpcache: look-once static eviction (true/false)")
      ("static-keep", po::value<double>()->default_value(0.3), "private-decode, mpcache: share of the prompt static eviction keeps")
      ("block", po::value<int>()->default_value(128), "private-decode, infllm: block size")
      ("n-init", po::value<int>()->default_value(128), "private-decode, infllm: initial tokens");
  Parsed p = parse(args, opts, {}, "kvsim party --id I --peers host:port,host:port,... [--protocol aby3] [--program demo|private-decode] [--seed S]");
  if (p.help) return kExitOk;
  const std::string family = p.vm["protocol"].as<std::string>();
  const std::string program = p.vm["program"].as<std::string>();
  if (program != "demo" && program != "private-decode") throw UsageError("--program must be demo or private-decode (got '" + program + "')");
  if (program == "private-decode" && family == "plaintext") throw UsageError("--program private-decode needs aby3 or semi2k");
  std::vector<protocols::PeerAddress> peers;
  try {
    peers = protocols::parse_peers(p.vm["peers"].as<std::string>());
    if (static_cast<int>(peers.size()) != protocols::parties_of(family))
      throw std::invalid_argument(family + " needs " + std::to_string(protocols::parties_of(family)) + " peers, got " +
                                  std::to_string(peers.size()));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const int id = p.vm["id"].as<int>();
  if (id < 0 || id >= static_cast<int>(peers.size())) throw UsageError("--id must be between 0 and " + std::to_string(peers.size() - 1));
  std::unique_ptr<PreparedDecode> decode;
  if (program == "private-decode") decode = prepare_private_decode(p.vm, family);
  protocols::TcpOptions topt;
  topt.connect_timeout = topt.io_timeout = std::chrono::milliseconds(p.vm["timeout-ms"].as<int>());
  boost::asio::io_context io;
  protocols::TcpNetwork net(io, id, peers, topt);
  net.connect();
  const bool cost_only = false;
  auto proto = protocols::make_protocol(family, net.channel(), p.vm["seed"].as<std::uint64_t>(), protocols::kDefaultFracBits, cost_only);
  const int code = program == "demo" ? run_demo(*proto, io, p.vm, id, family) : run_private_decode(*proto, io, decode->run, id, family);
  net.flush();
  return code;
}

}  // namespace kvsim::cli
