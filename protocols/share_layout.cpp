// protocols/share_layout.cpp — see share_layout.h.
#include "protocols/share_layout.h"

namespace kvsim::protocols {

Share gather_cols(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t from, std::int64_t step, std::int64_t count) {
  Share out{Shape{rows, count}, {}, {}, a.cost_only};
  if (!has_data(a)) return out;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < count; ++c) {
      const auto i = static_cast<std::size_t>(r * cols + from + c * step);
      out.s0.push_back(a.s0[i]);
      if (!a.s1.empty()) out.s1.push_back(a.s1[i]);
    }
  return out;
}
Share broadcast_cols(const Share& a, std::int64_t rows, std::int64_t cols) {
  Share out{Shape{rows, cols}, {}, {}, a.cost_only};
  if (!has_data(a)) return out;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      out.s0.push_back(a.s0[static_cast<std::size_t>(r)]);
      if (!a.s1.empty()) out.s1.push_back(a.s1[static_cast<std::size_t>(r)]);
    }
  return out;
}
Share sum_cols(const Share& a, std::int64_t rows, std::int64_t cols) {
  Share out{Shape{rows, 1}, {}, {}, a.cost_only};
  if (!has_data(a)) return out;
  out.s0.assign(static_cast<std::size_t>(rows), 0);
  if (!a.s1.empty()) out.s1.assign(static_cast<std::size_t>(rows), 0);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      out.s0[static_cast<std::size_t>(r)] += a.s0[static_cast<std::size_t>(r * cols + c)];
      if (!a.s1.empty()) out.s1[static_cast<std::size_t>(r)] += a.s1[static_cast<std::size_t>(r * cols + c)];
    }
  return out;
}

Share take(const Share& a, const std::vector<std::int64_t>& idx, Shape shape) {
  Share out{std::move(shape), {}, {}, a.cost_only};
  if (!has_data(a)) return out;
  out.s0.reserve(idx.size());
  for (auto i : idx) out.s0.push_back(a.s0[static_cast<std::size_t>(i)]);
  if (!a.s1.empty()) {
    out.s1.reserve(idx.size());
    for (auto i : idx) out.s1.push_back(a.s1[static_cast<std::size_t>(i)]);
  }
  return out;
}

Share concat(const std::vector<const Share*>& parts, Shape shape) {
  Share out{std::move(shape), {}, {}, parts.front()->cost_only};
  if (!has_data(*parts.front())) return out;
  for (const Share* p : parts) {
    out.s0.insert(out.s0.end(), p->s0.begin(), p->s0.end());
    out.s1.insert(out.s1.end(), p->s1.begin(), p->s1.end());
  }
  return out;
}

Share rows_of(const Share& a, std::int64_t cols, std::int64_t r0, std::int64_t r1) {
  return take_lazy(a, [&] {
    std::vector<std::int64_t> idx;
    for (std::int64_t r = r0; r < r1; ++r)
      for (std::int64_t c = 0; c < cols; ++c) idx.push_back(r * cols + c);
    return idx;
  }, Shape{r1 - r0, cols});
}

Share sum_rows(const Share& a, std::int64_t rows, std::int64_t cols) {
  Share out = sum_cols(a, rows, cols);
  out.shape = Shape{rows};
  return out;
}

Share repeat_each(const Share& a, std::int64_t times) {
  Share out = broadcast_cols(a, a.size(), times);
  out.shape = Shape{a.size() * times};
  return out;
}

std::vector<std::int64_t> transpose_indices(std::int64_t rows, std::int64_t cols) {
  std::vector<std::int64_t> idx;
  idx.reserve(static_cast<std::size_t>(rows * cols));
  for (std::int64_t c = 0; c < cols; ++c)
    for (std::int64_t r = 0; r < rows; ++r) idx.push_back(r * cols + c);
  return idx;
}

Share exclusive_prefix_sum(const Share& a) {
  Share out = a;
  auto scan = [](std::vector<Ring>& v) {
    Ring run = 0;
    for (auto& x : v) {
      const Ring here = x;
      x = run;
      run += here;
    }
  };
  scan(out.s0);
  scan(out.s1);
  return out;
}

Share flat(Share s) {
  s.shape = Shape{s.size()};
  return s;
}

Share mul_public_tensor(const Share& a, const std::vector<double>& c, int frac_bits) {
  Share out = a;
  if (!has_data(a)) return out;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const Ring k = encode_fixed(c[i], frac_bits);
    out.s0[i] *= k;
    if (!out.s1.empty()) out.s1[i] *= k;
  }
  return out;
}

}  // namespace kvsim::protocols
