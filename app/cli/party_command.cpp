// app/cli/party_command.cpp — `kvsim party`: one MPC party as its own process, talking to the
// others over TCP (protocols/tcp_network.h). The program is the same coroutine the simulated
// runs execute: `demo` (protocols/demo_program.h), `op` (one op at a benchmark shape,
// protocols/op_program.h) or `private-decode` (one private decode step of
// the small trained model, private_decode/run.h). Each party prints `key value` lines;
// with the same options every party's revealed digest and bytes equal the simulated run's
// (tests/protocols/tcp_test.cpp, tests/app/private_tcp_test.cpp).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <variant>

#include "app/cli/cli.h"
#include "app/cli/options.h"
#include "app/kinds/private_decode_options.h"
#include "models/lm/checkpoint.h"
#include "models/lm/small_lm.h"
#include "private_decode/prompt.h"
#include "private_decode/run.h"
#include "protocols/demo_program.h"
#include "protocols/op_program.h"
#include "protocols/protocol.h"
#include "protocols/tcp_network.h"

namespace kvsim::cli {
namespace {
// Sends std::cout into `to` while alive (restored on every exit path, exceptions included).
class RedirectCout {
 public:
  explicit RedirectCout(std::ostream& to) : old_(std::cout.rdbuf(to.rdbuf())) {}
  ~RedirectCout() { std::cout.rdbuf(old_); }
  RedirectCout(const RedirectCout&) = delete;
  RedirectCout& operator=(const RedirectCout&) = delete;

 private:
  std::streambuf* old_;
};
}  // namespace


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

// One op at a benchmark's shape (protocols/op_program.h): this party's wall time, bytes and
// rounds for the op alone.
protocols::OpSpec op_spec(const po::variables_map& vm) {
  protocols::OpSpec spec;
  spec.op = vm["op"].as<std::string>();
  spec.n = vm["n"].as<std::int64_t>();
  spec.m = vm["m"].as<std::int64_t>();
  spec.k = vm["k"].as<std::int64_t>();
  spec.classes = vm["classes"].as<std::int64_t>();
  spec.repeat = vm["repeat"].as<int>();
  return spec;
}

int run_op(protocols::Protocol& proto, boost::asio::io_context& io, const protocols::OpSpec& spec, int id,
           const std::string& family) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::function<double()> clock = [t0] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const protocols::OpResult r = protocols::run_task(io, protocols::op_program(proto, spec, clock));
  std::cout << "party " << id << " protocol " << family << " program op " << spec.op << "\n"
            << "op_seconds " << r.seconds << "\nop_first_seconds " << r.first_seconds << "\nop_bytes_sent " << r.op.bytes_sent << "\nop_rounds " << r.op.rounds
            << "\nop_offline_bytes " << r.offline_bytes << "\n";
  if (!r.revealed.empty()) {  // the first outputs (a dealer learns none)
    std::cout << "revealed";
    for (protocols::Ring v : r.revealed) std::cout << ' ' << v;
    std::cout << "\n";
  }
  return kExitOk;
}

// The private-decode method options, from the kind's binder: `--static-policy` is the [[method]]
// key `static_policy`, with its default, range and choices.
std::string option_name(const std::string& key) {
  std::string o = key;
  std::replace(o.begin(), o.end(), '_', '-');
  return o;
}

void add_method_options(po::options_description& opts) {
  const scenarios::Binder<runner::MethodOptions> binder = runner::method_options_binder();
  for (const scenarios::Field& f : binder.schema().fields()) {
    const std::string name = option_name(f.name), doc = "private-decode: " + f.doc;
    switch (f.type) {
      case scenarios::FieldType::kString: {
        const auto* d = std::get_if<std::string>(&f.default_value);
        opts.add_options()(name.c_str(), d ? po::value<std::string>()->default_value(*d) : po::value<std::string>(), doc.c_str());
        break;
      }
      case scenarios::FieldType::kInteger:
        opts.add_options()(name.c_str(), po::value<std::int64_t>()->default_value(std::get<std::int64_t>(f.default_value)), doc.c_str());
        break;
      case scenarios::FieldType::kFloat: {
        const double d = std::get<double>(f.default_value);
        char text[32];
        std::snprintf(text, sizeof text, "%g", d);
        opts.add_options()(name.c_str(), po::value<double>()->default_value(d, text), doc.c_str());
        break;
      }
      case scenarios::FieldType::kBool: {
        const bool d = std::get<bool>(f.default_value);
        opts.add_options()(name.c_str(), po::value<bool>()->default_value(d, d ? "true" : "false"), doc.c_str());
        break;
      }
      default:
        throw std::logic_error("kvsim party: no command-line form for method key '" + f.name + "'");
    }
  }
}

// The given options as a method table, checked against the same schema as a scenario's.
private_decode::MpcSelection selection_of(const po::variables_map& vm, int context) {
  const scenarios::Binder<runner::MethodOptions> binder = runner::method_options_binder();
  toml::table t;
  for (const scenarios::Field& f : binder.schema().fields()) {
    const std::string name = option_name(f.name);
    if (!vm.count(name)) continue;
    switch (f.type) {
      case scenarios::FieldType::kString: t.insert(f.name, vm[name].as<std::string>()); break;
      case scenarios::FieldType::kInteger: t.insert(f.name, vm[name].as<std::int64_t>()); break;
      case scenarios::FieldType::kFloat: t.insert(f.name, vm[name].as<double>()); break;
      case scenarios::FieldType::kBool: t.insert(f.name, vm[name].as<bool>()); break;
      default: break;
    }
  }
  std::string problems;
  for (const scenarios::Diagnostic& d : scenarios::validate_and_fill(t, binder.schema(), "command line"))
    problems += (problems.empty() ? "--" : "; --") + option_name(d.key) + ": " + d.message;
  if (!problems.empty()) throw UsageError(problems);
  try {
    return runner::selection_of(binder.read(t), context, 0.1);  // a tenth of the context, as the kind's workload default
  } catch (const std::invalid_argument& e) {
    throw UsageError("--cluster1: " + std::string(e.what()));
  }
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
  d->run.output = vm["output"].as<std::string>();
  if (d->run.output != "logits" && d->run.output != "argmax") throw UsageError("--output must be logits or argmax (got '" + d->run.output + "')");
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
  if (r.token >= 0) std::cout << "next_token " << r.token << "\n";  // --output argmax: computed under MPC
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
      ("protocol", po::value<std::string>()->default_value("aby3"), "aby3 | aby3-spu | semi2k (party 2 is the dealer) | plaintext")
      ("program", po::value<std::string>()->default_value("demo"), "demo | private-decode | op")
      ("seed", po::value<std::uint64_t>()->default_value(1), "seed of the pairwise keys and of the prompt (same at every party)")
      ("timeout-ms", po::value<int>()->default_value(30000), "connect and per-message timeout")
      ("n", po::value<std::int64_t>()->default_value(64), "demo: elements of the elementwise product; op: elements (matmul: columns of the right operand)")
      ("op", po::value<std::string>()->default_value("less-than"), "op: matmul | less-than | exp | equality | one-hot")
      ("m", po::value<std::int64_t>()->default_value(128), "op matmul: rows of the left operand")
      ("k", po::value<std::int64_t>()->default_value(768), "op matmul: inner dimension")
      ("classes", po::value<std::int64_t>()->default_value(1024), "op one-hot: classes")
      ("repeat", po::value<int>()->default_value(1), "op: runs of the op; the figures are the last run's (the steady state)")
      ("checkpoint", po::value<std::string>(), "private-decode: small-model checkpoint (default: models/small/kvsim-byte-lm.bin)")
      ("context", po::value<int>()->default_value(256), "private-decode: prompt tokens in the KV cache")
      ("output", po::value<std::string>()->default_value("logits"),
       "private-decode: logits (revealed) or argmax (the vocabulary argmax under MPC, only the token revealed)");
  add_method_options(opts);
  Parsed p = parse(args, opts, {}, "kvsim party --id I --peers host:port,host:port,... [--protocol aby3] [--program demo|private-decode|op] [--seed S]");
  if (p.help) return kExitOk;
  const std::string family = p.vm["protocol"].as<std::string>();
  const std::string program = p.vm["program"].as<std::string>();
  if (program != "demo" && program != "private-decode" && program != "op")
    throw UsageError("--program must be demo, private-decode or op (got '" + program + "')");
  protocols::OpSpec spec;
  if (program == "op") {
    spec = op_spec(p.vm);
    try {
      protocols::check_op(spec);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--program op: ") + e.what());
    }
  }
  if (program == "private-decode" && family == "plaintext") throw UsageError("--program private-decode needs aby3, aby3-spu or semi2k");
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
  // What a party prints is held back until every peer said goodbye: a party never reports a
  // result of a computation that failed at another party.
  std::ostringstream report;
  int code = 0;
  {
    const RedirectCout hold(report);
    code = program == "demo" ? run_demo(*proto, io, p.vm, id, family)
           : program == "op" ? run_op(*proto, io, spec, id, family)
                             : run_private_decode(*proto, io, decode->run, id, family);
    net.finish();
  }
  std::cout << report.str();
  return code;
}

}  // namespace kvsim::cli
