// protocols/aby3_spu/boolean.cpp — SPU's boolean circuits: MsbA2B's carry-only tree, A2B and
// B2AByPPA by a Kogge-Stone adder, eqz by a dealt mask and an AND-reduction, typed ANDs.
//
// Boolean shares use ABY3's replicated layout with XOR (aby3/boolean.cpp). Messages of values
// narrower than a word are packed to whole bytes per element (pack_bytes), as SPU sends them.
#include <stdexcept>

#include "protocols/aby3_spu/aby3_spu.h"
#include "protocols/boolean_words.h"

namespace kvsim::protocols {

namespace {
Ring width_mask(int width) { return width >= 64 ? ~static_cast<Ring>(0) : (static_cast<Ring>(1) << width) - 1; }
int bytes_of(int width) { return (width + 7) / 8; }
}  // namespace

sim::Task<std::vector<Share>> Aby3Spu::and_jobs(std::vector<AndJob> jobs, const char* tag) {
  // Each job: z_i = a_i b_i ^ a_i b_{i+1} ^ a_{i+1} b_i ^ (a zero share), a 3-out-of-3 XOR share
  // of a & b, sent to the previous party (the re-share) as bytes: job after job, element after
  // element, ceil(width / 8) bytes each, all jobs in one packed message.
  const std::size_t n = jobs.empty() ? 0 : static_cast<std::size_t>(jobs[0].a.size());
  bool data = true;
  std::size_t bytes = 0;
  for (const AndJob& j : jobs) {
    data = data && has_data(j.a) && has_data(j.b);
    bytes += n * static_cast<std::size_t>(bytes_of(j.width));
  }
  std::vector<std::vector<Ring>> z(jobs.size());
  std::vector<Ring> stream;  // one byte per entry
  if (data) {
    stream.reserve(bytes);
    for (std::size_t t = 0; t < jobs.size(); ++t) {
      const AndJob& j = jobs[t];
      const Ring mask = width_mask(j.width);
      z[t] = zero_share_xor(n);
      for (std::size_t i = 0; i < n; ++i) {
        z[t][i] = (z[t][i] ^ (j.a.s0[i] & j.b.s0[i]) ^ (j.a.s0[i] & j.b.s1[i]) ^ (j.a.s1[i] & j.b.s0[i])) & mask;
        for (int b = 0; b < bytes_of(j.width); ++b) stream.push_back((z[t][i] >> (8 * b)) & 0xff);
      }
    }
  }
  auto msgs = send_to(prev(), data ? pack_bytes(stream, 1) : std::vector<Ring>{}, bytes);
  auto srcs = recv_from(next());
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), tag);
  std::vector<Share> out;
  const std::vector<Ring> received = data ? unpack_bytes(got[0], bytes, 1) : std::vector<Ring>{};
  std::size_t at = 0;
  for (std::size_t t = 0; t < jobs.size(); ++t) {
    Share r{jobs[t].a.shape, {}, {}, !data};
    if (data) {
      const int nb = bytes_of(jobs[t].width);
      r.s1.assign(n, 0);
      for (std::size_t i = 0; i < n; ++i)
        for (int b = 0; b < nb; ++b) r.s1[i] |= received[at++] << (8 * b);
      r.s0 = std::move(z[t]);
    }
    out.push_back(std::move(r));
  }
  if (data) co_await ch_.charge_compute(0, 8.0 * static_cast<double>(n * jobs.size()));
  co_return out;
}

sim::Task<Share> Aby3Spu::do_and_bits(const Share& a, const Share& b) {
  std::vector<AndJob> jobs;
  jobs.push_back(AndJob{a, b, a.bits});
  std::vector<Share> r = co_await and_jobs(std::move(jobs), "and");
  co_return typed(std::move(r[0]), a.bits);
}

sim::Task<std::pair<Share, Share>> Aby3Spu::split_sum(const Share& x, const char* tag) {
  // M = (x_0 + x_1) ^ z0 at party 0 and z1, z2 at parties 1, 2 (z a 3-out-of-3 XOR zero share),
  // re-shared by one rotate (a word per party); N = x_2, component 2 (parties 1 and 2 hold it).
  const std::size_t n = static_cast<std::size_t>(x.size());
  const bool data = has_data(x);
  std::vector<Ring> m;
  if (data) {
    m = zero_share_xor(n);
    if (id() == 0)
      for (std::size_t i = 0; i < n; ++i) m[i] ^= x.s0[i] + x.s1[i];
  }
  Share M = co_await reshare(std::move(m), x.shape, !data, tag);
  Share N{x.shape, {}, {}, !data};
  if (data) {
    N.s0.assign(n, 0);
    N.s1.assign(n, 0);
    if (id() == 1) N.s1 = x.s1;
    if (id() == 2) N.s0 = x.s0;
  }
  co_return std::make_pair(std::move(M), std::move(N));
}

sim::Task<Share> Aby3Spu::ppa_add(const Share& m, const Share& n, const char* tag) {
  // Kogge-Stone: g = m & n, p = m ^ n; for spans 1 .. 32, g ^= p & (g << s), p &= p << s (both
  // ANDs at every level, SPU's PPA); the sum is m ^ n ^ (g << 1).
  std::vector<AndJob> first;
  first.push_back(AndJob{m, n, 64});
  std::vector<Share> g0 = co_await and_jobs(std::move(first), tag);
  Share g = std::move(g0[0]);
  Share p = xor_words(m, n);
  for (int s = 1; s < 64; s *= 2) {
    const Share gs = map_words(g, [s](Ring v) { return v << s; }), ps = map_words(p, [s](Ring v) { return v << s; });
    std::vector<AndJob> jobs;
    jobs.push_back(AndJob{p, gs, 64});
    jobs.push_back(AndJob{p, ps, 64});
    std::vector<Share> r = co_await and_jobs(std::move(jobs), tag);
    g = xor_words(g, r[0]);
    p = std::move(r[1]);
  }
  co_return xor_words(xor_words(m, n), map_words(g, [](Ring v) { return v << 1; }));
}

sim::Task<Share> Aby3Spu::do_to_boolean(const Share& a) {
  auto [m, n] = co_await split_sum(a, "a2b");
  Share sum = co_await ppa_add(m, n, "a2b");
  co_return typed(std::move(sum), 64);
}

sim::Task<Share> Aby3Spu::do_msb(const Share& a) {
  // MsbA2B: msb(M + N) = M_63 ^ N_63 ^ (the carry into bit 63). The carry comes from a tree
  // over bits 0..62, shifted up one place so that a zero generate fills position 0: level 0 is
  // g = M' & N' (a word); each level then combines adjacent pairs, G = G_hi ^ P_hi G_lo and
  // P = P_hi P_lo, the two ANDs of `pairs` bits sent as two packed byte strings (8 + 8, 4 + 4,
  // 2 + 2, then 1 + 1 bytes: SPU's halving widths, 36 bytes per element and party with the
  // rotate).
  auto [m, nn] = co_await split_sum(a, "msb");
  const Share ms = map_words(m, [](Ring v) { return v << 1; }), ns = map_words(nn, [](Ring v) { return v << 1; });
  std::vector<AndJob> first;
  first.push_back(AndJob{ms, ns, 64});
  std::vector<Share> g0 = co_await and_jobs(std::move(first), "msb");
  Share g = std::move(g0[0]);
  Share p = xor_words(ms, ns);
  for (int pairs = 32; pairs >= 1; pairs /= 2) {
    const Share g_lo = map_words(g, even_bits), g_hi = map_words(g, odd_bits);
    const Share p_lo = map_words(p, even_bits), p_hi = map_words(p, odd_bits);
    std::vector<AndJob> jobs;
    jobs.push_back(AndJob{p_hi, g_lo, pairs});
    jobs.push_back(AndJob{p_hi, p_lo, pairs});
    std::vector<Share> r = co_await and_jobs(std::move(jobs), "msb");
    g = xor_words(g_hi, r[0]);
    p = std::move(r[1]);
  }
  const Share top = map_words(xor_words(m, nn), [](Ring v) { return v >> 63; });
  co_return typed(xor_words(top, map_words(g, [](Ring v) { return v & 1; })), 1);
}

sim::Task<Share> Aby3Spu::do_eqz(const Share& a) {
  // Party 0 draws r and sends party 2 alpha = x_1 + r with the third component of r's XOR
  // sharing (the others from the streams it shares with parties 1 and 2); party 2 forms
  // c = x_2 + x_0 + alpha = x + r and sends c with that component to party 1. x == 0 iff
  // c == r: NOT(c ^ r), with c XORed into component 2 (parties 1 and 2), is AND-reduced over
  // 64 bits in 6 rounds of 4, 2, 1, 1, 1, 1 bytes. The result is typed 8-bit, as SPU's.
  const std::size_t n = static_cast<std::size_t>(a.size());
  const bool data = has_data(a);
  Share z{a.shape, {}, {}, !data};
  if (id() == 0) {
    std::vector<Ring> msg;
    if (data) {
      const std::vector<Ring> r = prg_own_.next(n);
      z.s0 = prg_prev_.next(n);  // beta0, shared with party 2
      z.s1 = prg_next_.next(n);  // beta1, shared with party 1
      msg.resize(2 * n);
      for (std::size_t i = 0; i < n; ++i) {
        msg[i] = a.s1[i] + r[i];
        msg[n + i] = r[i] ^ z.s0[i] ^ z.s1[i];
      }
    }
    auto msgs = send_to(2, msg, 2 * n * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "eqz");
  } else if (id() == 2) {
    auto none = send_nothing();
    auto from = recv_from(0);
    auto got = co_await ch_.exchange(std::move(none), std::move(from), "eqz");
    std::vector<Ring> msg;
    if (data) {
      msg.resize(2 * n);
      z.s1 = prg_next_.next(n);  // beta0
      z.s0.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        const Ring c = a.s0[i] + a.s1[i] + got[0][i];
        msg[i] = c;
        msg[n + i] = got[0][n + i];
        z.s0[i] = ~(got[0][n + i] ^ c);  // beta2 ^ c, negated
      }
    }
    auto msgs = send_to(1, msg, 2 * n * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "eqz");
  } else {
    auto none = send_nothing();
    auto from = recv_from(2);
    auto got = co_await ch_.exchange(std::move(none), std::move(from), "eqz");
    if (data) {
      z.s0 = prg_prev_.next(n);  // beta1
      z.s1.resize(n);
      for (std::size_t i = 0; i < n; ++i) z.s1[i] = ~(got[0][n + i] ^ got[0][i]);
    }
  }
  for (int width = 32; width >= 1; width /= 2) {
    const Ring mask = width_mask(width);
    const Share hi = map_words(z, [width, mask](Ring v) { return (v >> width) & mask; });
    const Share lo = map_words(z, [mask](Ring v) { return v & mask; });
    std::vector<AndJob> jobs;
    jobs.push_back(AndJob{hi, lo, width});
    std::vector<Share> r = co_await and_jobs(std::move(jobs), "eqz");
    z = std::move(r[0]);
  }
  co_return typed(std::move(z), 8);
}

sim::Task<Share> Aby3Spu::b2a_by_ppa(const Share& b) {
  // B2AByPPA: y1 (parties 0, 1) and y2 (parties 1, 2) from the pairwise streams; party 1
  // XOR-shares s = -(y1 + y2), the adder forms y0 = x + s as bits, and y0 is opened to its two
  // holders (party 0 gets component 2 from party 1, party 2 gets component 1 from party 0).
  const std::size_t n = static_cast<std::size_t>(b.size());
  const bool data = has_data(b);
  std::vector<Ring> y1, y2, s;
  if (data) {
    if (id() == 0) y1 = prg_next_.next(n);
    if (id() == 1) {
      y1 = prg_prev_.next(n);
      y2 = prg_next_.next(n);
      s.resize(n);
      for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<Ring>(0) - y1[i] - y2[i];
    }
    if (id() == 2) y2 = prg_prev_.next(n);
  }
  Share bs = co_await share_from(1, id() == 1 && data ? &s : nullptr, b.shape, true, "b2a");
  Share words = b;
  words.bits = 0;
  Share sum = co_await ppa_add(words, bs, "b2a");
  std::vector<Outgoing> msgs;
  std::vector<int> srcs;
  if (id() == 0) {
    msgs = send_to(2, data ? sum.s1 : std::vector<Ring>{}, n * 8);
    srcs = recv_from(1);
  } else if (id() == 1) {
    msgs = send_to(0, data ? sum.s1 : std::vector<Ring>{}, n * 8);
  } else {
    srcs = recv_from(0);
  }
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "b2a");
  Share out{b.shape, {}, {}, !data};
  if (!data) co_return out;
  if (id() == 1) {
    out.s0 = std::move(y1);
    out.s1 = std::move(y2);
    co_return out;
  }
  std::vector<Ring> y0(n);
  for (std::size_t i = 0; i < n; ++i) y0[i] = sum.s0[i] ^ sum.s1[i] ^ got[0][i];
  if (id() == 0) {
    out.s0 = std::move(y0);
    out.s1 = std::move(y1);
  } else {
    out.s0 = std::move(y2);
    out.s1 = std::move(y0);
  }
  co_return out;
}

}  // namespace kvsim::protocols
