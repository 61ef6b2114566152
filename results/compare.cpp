// results/compare.cpp — see compare.h.
#include "results/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <map>

namespace kvsim::results {

namespace {

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

bool agree(double a, double b, const Tolerance& t) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;  // equal infinities too
  return std::fabs(a - b) <= t.atol + t.rtol * std::max(std::fabs(a), std::fabs(b));
}

class Comparer {
 public:
  explicit Comparer(const Tolerance& t) : tol_(t) {}
  void number(const std::string& where, double a, double b) {
    if (!agree(a, b, tol_)) out_.push_back({where, num(a), num(b)});
  }
  void text(const std::string& where, const std::string& a, const std::string& b) {
    if (a != b) out_.push_back({where, a, b});
  }
  void only(const std::string& where, bool in_a) {
    out_.push_back({where + (in_a ? " (only in A)" : " (only in B)"), in_a ? "present" : "", in_a ? "" : "present"});
  }

  // Items of two lists matched by name: each present in one only is reported, each in both given
  // to `both`. A name may repeat (a table can hold a row twice): its k-th item in A is matched
  // with its k-th in B.
  template <class T, class Name, class Both>
  void by_name(const std::string& where, const std::vector<T>& a, const std::vector<T>& b, Name name, Both both) {
    std::map<std::string, std::deque<const T*>> in_b;
    for (const T& y : b) in_b[name(y)].push_back(&y);
    for (const T& x : a) {
      auto it = in_b.find(name(x));
      if (it == in_b.end() || it->second.empty()) { only(join(where, name(x)), true); continue; }
      both(x, *it->second.front());
      it->second.pop_front();
    }
    for (const auto& [n, left] : in_b)
      for (std::size_t i = 0; i < left.size(); ++i) only(join(where, n), false);
  }

  void run(const RunRecord& a, const RunRecord& b) {
    const std::string g = a.group;
    if (tol_.scenarios) text(g + " scenario_sha256", a.scenario_hash, b.scenario_hash);
    by_name(g + " metric", a.metrics, b.metrics, [](const Metric& m) { return m.name; }, [&](const Metric& x, const Metric& y) {
      number(g + " metric " + x.name, x.value, y.value);
      text(g + " metric " + x.name + " unit", x.unit, y.unit);
    });
    by_name(g + " series", a.series, b.series, [](const Series& s) { return s.name; }, [&](const Series& x, const Series& y) {
      if (x.values.size() != y.values.size()) {
        out_.push_back({g + " series " + x.name + " length", std::to_string(x.values.size()), std::to_string(y.values.size())});
        return;
      }
      for (std::size_t i = 0; i < x.values.size(); ++i) number(g + " series " + x.name + "[" + std::to_string(i) + "]", x.values[i], y.values[i]);
    });
    by_name(g + " timeline", a.timeline, b.timeline, [](const ResourceRow& r) { return r.resource; },
            [&](const ResourceRow& x, const ResourceRow& y) {
              const std::string w = g + " timeline " + x.resource;
              number(w + " spans", static_cast<double>(x.spans), static_cast<double>(y.spans));
              number(w + " busy_s", x.busy_s, y.busy_s);
              number(w + " bytes", static_cast<double>(x.bytes), static_cast<double>(y.bytes));
              number(w + " first_start_s", x.first_start_s, y.first_start_s);
              number(w + " last_end_s", x.last_end_s, y.last_end_s);
            });
  }

  void table(const ReproTable& a, const ReproTable& b) {
    const std::string t = "table " + a.reproduction + "/" + a.name;
    auto key = [](const ReproRow& r) { return r.row + " / " + r.metric; };
    by_name(t, a.rows, b.rows, key, [&](const ReproRow& x, const ReproRow& y) {
      number(t + " " + key(x) + " simulated", x.simulated, y.simulated);
      number(t + " " + key(x) + " paper", x.paper, y.paper);
    });
  }

  std::vector<Difference> take() { return std::move(out_); }
  static std::string join(const std::string& where, const std::string& name) {
    return where.empty() ? name : where + " " + name;
  }

 private:
  Tolerance tol_;
  std::vector<Difference> out_;
};

}  // namespace

std::vector<Difference> compare_results(const ResultFileData& a, const ResultFileData& b, const Tolerance& tol) {
  Comparer c(tol);
  auto index_of = [](const RunRecord& r) { return r.group; };
  c.by_name("", a.runs, b.runs, index_of, [&](const RunRecord& x, const RunRecord& y) { c.run(x, y); });
  c.by_name("failure", a.failures, b.failures, [](const FailureRecord& f) { return f.group; },
            [&](const FailureRecord& x, const FailureRecord& y) { c.text("failure " + x.group + " error", x.error, y.error); });
  c.by_name("table", a.tables, b.tables, [](const ReproTable& t) { return t.reproduction + "/" + t.name; },
            [&](const ReproTable& x, const ReproTable& y) { c.table(x, y); });
  return c.take();
}

}  // namespace kvsim::results
