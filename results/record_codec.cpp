// results/record_codec.cpp — see record_codec.h.
#include "results/record_codec.h"

#include <cstdint>
#include <cstring>

#include "results/h5.h"

namespace kvsim::results {

namespace {

constexpr char kTag[8] = {'K', 'V', 'R', 'U', 'N', '0', '0', '1'};

class Writer {
 public:
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void real(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    u64(bits);
  }
  void text(const std::string& s) {
    u64(s.size());
    out_ += s;
  }
  void raw(const char* p, std::size_t n) { out_.append(p, n); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::uint64_t u64() {
    need(8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return v;
  }
  double real() {
    const std::uint64_t bits = u64();
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }
  std::string text() {
    const std::uint64_t n = u64();
    need(n);
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // A count of items each at least `min_bytes` long: checked against what is left, so a corrupt
  // count cannot make the caller allocate without bound.
  std::size_t count(std::size_t min_bytes) {
    const std::uint64_t n = u64();
    if (n > (in_.size() - pos_) / min_bytes) throw ResultError("run record: a count exceeds the bytes left");
    return static_cast<std::size_t>(n);
  }
  void expect_tag() {
    need(sizeof kTag);
    if (std::memcmp(in_.data() + pos_, kTag, sizeof kTag) != 0) throw ResultError("run record: not a kvsim run record");
    pos_ += sizeof kTag;
  }
  void expect_end() const {
    if (pos_ != in_.size()) throw ResultError("run record: " + std::to_string(in_.size() - pos_) + " bytes past its end");
  }

 private:
  void need(std::uint64_t n) const {
    if (n > in_.size() - pos_) throw ResultError("run record: truncated");
  }
  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string encode_run(const RunRecord& r) {
  Writer w;
  w.raw(kTag, sizeof kTag);
  for (const std::string* s : {&r.group, &r.name, &r.kind, &r.scenario_file, &r.scenario_text, &r.scenario_hash, &r.sweep_label})
    w.text(*s);
  w.u64(r.seed);
  w.u64(r.sweep_index);
  w.real(r.wall_time_s);
  w.u64(r.sweep_values.size());
  for (const auto& [k, v] : r.sweep_values) { w.text(k); w.text(v); }
  w.u64(r.metrics.size());
  for (const Metric& m : r.metrics) { w.text(m.name); w.real(m.value); w.text(m.unit); }
  w.u64(r.series.size());
  for (const Series& s : r.series) {
    w.text(s.name);
    w.text(s.unit);
    w.u64(s.values.size());
    for (double v : s.values) w.real(v);
  }
  w.u64(r.timeline.size());
  for (const ResourceRow& t : r.timeline) {
    w.text(t.resource);
    w.u64(t.spans);
    w.real(t.busy_s);
    w.u64(t.bytes);
    w.real(t.first_start_s);
    w.real(t.last_end_s);
  }
  return w.take();
}

RunRecord decode_run(std::string_view bytes) {
  Reader in(bytes);
  in.expect_tag();
  RunRecord r;
  for (std::string* s : {&r.group, &r.name, &r.kind, &r.scenario_file, &r.scenario_text, &r.scenario_hash, &r.sweep_label})
    *s = in.text();
  r.seed = in.u64();
  r.sweep_index = in.u64();
  r.wall_time_s = in.real();
  for (std::size_t n = in.count(16); n > 0; --n) {
    std::string k = in.text();
    r.sweep_values.emplace_back(std::move(k), in.text());
  }
  for (std::size_t n = in.count(24); n > 0; --n) {
    Metric m;
    m.name = in.text();
    m.value = in.real();
    m.unit = in.text();
    r.metrics.push_back(std::move(m));
  }
  for (std::size_t n = in.count(24); n > 0; --n) {
    Series s;
    s.name = in.text();
    s.unit = in.text();
    for (std::size_t k = in.count(8); k > 0; --k) s.values.push_back(in.real());
    r.series.push_back(std::move(s));
  }
  for (std::size_t n = in.count(48); n > 0; --n) {
    ResourceRow t;
    t.resource = in.text();
    t.spans = in.u64();
    t.busy_s = in.real();
    t.bytes = in.u64();
    t.first_start_s = in.real();
    t.last_end_s = in.real();
    r.timeline.push_back(std::move(t));
  }
  in.expect_end();
  return r;
}

}  // namespace kvsim::results
