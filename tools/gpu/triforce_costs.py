#!/usr/bin/python3
"""Measure the cost terms of TriForce's released loop (the brief's section 6) with random weights at
the real shapes, and write two CSVs that kvsim compares with its prediction for the same shapes:

  --out FORWARDS.csv   forwards (the columns of time_decode.py plus `cuda_graphs` and `measurement`):
                       1. the retrieval level as a CUDA graph at q = 1, 7, 8 over a 4,103-slot cache
                          and at q = 17 over a 12,305-slot cache;
                       3. the eager full-cache forward at q = 1, 7, 8 (GPU time; its host issue time
                          goes to the host CSV).
                       `kvsim compare-gpu FORWARDS.csv --gpu PROFILE` prints kvsim beside each row.
  --host-out HOST.csv  host costs (measurement, value, unit):
                       2. one middle iteration op for op (draft graph, multinomial, .item(),
                          retrieval graph, rand, torch.tensor([1]) to the GPU, compare,
                          multinomial, .item()): its wall time less the two graphs' GPU time;
                       3. the eager full forward's host issue time;
                       4. the host cost of one eager op (F.linear, an elementwise add) and of a sync;
                       5. norm_logits + multinomial over (g + 1) x 32000, eager and in a graph;
                       6. DeepSpeed-style CPU attention (fp32 matmul, softmax, matmul; 32 heads x 128
                          x N tokens) in bytes of K and V per second, on one thread and on all.
                       `kvsim compare-stack HOST.csv` prints the stack and host profiles beside it.

Needs PyTorch; with CUDA for items 1-5 at full size (a 122K full cache needs about 77 GiB: an H100,
H200 or A100-80GB). `--device cpu --tiny` runs every measurement that needs no GPU on small shapes,
so the script is tested without one (tests/gpu_script_smoke.cmake); nothing else in kvsim needs it.

    /usr/bin/python3 tools/gpu/triforce_costs.py --out hardware/measurements/h200_forwards.csv \\
        --host-out hardware/measurements/h200_host.csv
"""
import argparse
import csv
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from time_decode import rms_norm  # noqa: E402  (the same layer math as the decode timer)


def rope(x, pos, theta=10000.0):
    """x [1, q, heads, d], pos [q]: rotary embedding of each position (time_decode's, for q > 1)."""
    d = x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d))
    ang = pos[:, None].float() * inv[None, :]
    cos, sin = ang.cos().to(x.dtype)[:, None, :], ang.sin().to(x.dtype)[:, None, :]
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


def attention(q, k, v):
    """Flash/SDPA where PyTorch has it (2.0+), else the explicit softmax(q k^T / sqrt(d)) v."""
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v)
    return torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / q.shape[-1] ** 0.5, dim=-1) @ v


class Llama:
    """A random-weight Llama forward over q new tokens against a cache of `cache` slots."""

    def __init__(self, layers, hidden, heads, kv_heads, ffn, vocab, cache, device, dtype, seed=0):
        g = torch.Generator(device="cpu").manual_seed(seed)
        self.h, self.kv, self.hd = heads, kv_heads, hidden // heads

        def w(*shape):
            return (torch.randn(*shape, generator=g) * 0.02).to(device=device, dtype=dtype)

        self.emb, self.lm_head = w(vocab, hidden), w(vocab, hidden)
        self.norm = torch.ones(hidden, device=device, dtype=dtype)
        self.layers = [dict(n1=torch.ones(hidden, device=device, dtype=dtype), n2=torch.ones(hidden, device=device, dtype=dtype),
                            q=w(heads * self.hd, hidden), k=w(kv_heads * self.hd, hidden), v=w(kv_heads * self.hd, hidden),
                            o=w(hidden, heads * self.hd), gate=w(ffn, hidden), up=w(ffn, hidden), down=w(hidden, ffn),
                            kc=w(1, kv_heads, cache, self.hd), vc=w(1, kv_heads, cache, self.hd))
                       for _ in range(layers)]

    @torch.inference_mode()
    def forward(self, tokens, pos):
        """tokens [1, q]; attends over the whole cache (the retrieval cache's fixed slots)."""
        q_len = tokens.shape[1]
        x = F.embedding(tokens, self.emb)
        for L in self.layers:
            y = rms_norm(x, L["n1"])
            q = rope(F.linear(y, L["q"]).view(1, q_len, self.h, self.hd), pos).transpose(1, 2)
            k = rope(F.linear(y, L["k"]).view(1, q_len, self.kv, self.hd), pos).transpose(1, 2)
            v = F.linear(y, L["v"]).view(1, q_len, self.kv, self.hd).transpose(1, 2)
            L["kc"][:, :, -q_len:] = k  # the scratch slots of the tokens being verified
            L["vc"][:, :, -q_len:] = v
            kk, vv = L["kc"], L["vc"]
            if self.kv != self.h:
                kk = kk.repeat_interleave(self.h // self.kv, dim=1)
                vv = vv.repeat_interleave(self.h // self.kv, dim=1)
            a = attention(q, kk, vv)
            x = x + F.linear(a.transpose(1, 2).reshape(1, q_len, -1), L["o"])
            y = rms_norm(x, L["n2"])
            x = x + F.linear(F.silu(F.linear(y, L["gate"])) * F.linear(y, L["up"]), L["down"])
        return F.linear(rms_norm(x, self.norm), self.lm_head)


def norm_logits(logits, temperature=0.6, top_p=0.9):
    """TriForce's norm_logits: temperature, a top-p sort over the vocabulary per row, softmax."""
    logits = logits / temperature
    sorted_logits, idx = torch.sort(logits, descending=True, dim=-1)
    cum = torch.cumsum(F.softmax(sorted_logits, dim=-1), dim=-1)
    remove = cum > top_p
    remove[..., 1:] = remove[..., :-1].clone()
    remove[..., 0] = False
    logits = logits.masked_fill(remove.scatter(-1, idx, remove), float("-inf"))
    return F.softmax(logits, dim=-1)


class Graphed:
    """A callable captured once as a CUDA graph (static inputs), or run eagerly on the CPU."""

    def __init__(self, fn, example, cuda):
        self.fn, self.cuda, self.inp = fn, cuda, example.clone()
        if cuda:
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(2):
                    fn(self.inp)
            torch.cuda.current_stream().wait_stream(s)
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self.out = fn(self.inp)

    def __call__(self, x):
        if not self.cuda:
            return self.fn(x)
        self.inp.copy_(x)
        self.graph.replay()
        return self.out


def gpu_ms(fn, repeats, cuda):
    """Median GPU time of fn() (CUDA events), or wall time on the CPU."""
    for _ in range(2):
        fn()
    times = []
    for _ in range(repeats):
        if cuda:
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
        else:
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    return times[len(times) // 2]


def wall_ms(fn, repeats, cuda):
    """Median wall time of fn() including a final synchronization."""
    times = []
    for _ in range(repeats + 2):
        t = time.perf_counter()
        fn()
        if cuda:
            torch.cuda.synchronize()
        times.append((time.perf_counter() - t) * 1e3)
    times = sorted(times[2:])
    return times[len(times) // 2]


def issue_us(fn, n, cuda):
    """Host time per call of fn() issued n times without waiting (the GPU runs behind)."""
    fn()
    if cuda:
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    host = (time.perf_counter() - t) / n * 1e6
    if cuda:
        torch.cuda.synchronize()
    return host


def cpu_attention_gbps(tokens, heads, threads):
    torch.set_num_threads(threads)
    q = torch.randn(heads, 1, 128)
    k = torch.randn(heads, tokens, 128)
    v = torch.randn(heads, tokens, 128)

    def attend():
        w = torch.softmax(torch.matmul(q, k.transpose(1, 2)) / 128 ** 0.5, dim=-1)
        return torch.matmul(w, v)

    ms = wall_ms(attend, 5, False)
    return 2 * k.numel() * 4 / (ms * 1e-3) / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="forwards CSV (kvsim compare-gpu)")
    ap.add_argument("--host-out", required=True, help="host costs CSV (kvsim compare-stack)")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--tiny", action="store_true", help="small shapes (the CPU smoke test)")
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args()
    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        print("triforce_costs.py: no CUDA device (use --device cpu --tiny for the smoke test)", file=sys.stderr)
        return 1
    dev, dtype = args.device, torch.float16 if cuda else torch.float32
    torch.manual_seed(0)
    if args.tiny:
        target = dict(layers=2, hidden=256, heads=4, kv_heads=4, ffn=512, vocab=1000)
        draft = dict(layers=1, hidden=128, heads=2, kv_heads=2, ffn=256, vocab=1000)
        retrieval_caches, full_cache, attn_tokens = {1: 64, 7: 64, 8: 64, 17: 128}, 256, 4096
    else:
        target = dict(layers=32, hidden=4096, heads=32, kv_heads=32, ffn=11008, vocab=32000)  # Llama-2-7B
        draft = dict(layers=2, hidden=768, heads=12, kv_heads=12, ffn=3072, vocab=32000)  # JackFram 68M
        retrieval_caches, full_cache, attn_tokens = {1: 4103, 7: 4103, 8: 4103, 17: 12305}, 124928 + 8, 131072
    name = torch.cuda.get_device_name(0) if cuda else "cpu"
    forwards, host = [], []

    def forward_row(measurement, shape, cache, q, graphs, ms):
        forwards.append(dict(gpu=name, measurement=measurement, **shape, context=cache - q, query_tokens=q, batch=1,
                             cuda_graphs=int(graphs), dtype="fp16" if cuda else "fp32", median_ms=f"{ms:.4f}"))
        print(f"{measurement:>18} q={q:<3} cache={cache:<7}: {ms:9.3f} ms", flush=True)

    def host_row(measurement, value, unit, note=""):
        host.append(dict(device=name, measurement=measurement, value=f"{value:.4f}", unit=unit, note=note))
        print(f"{measurement:>28}: {value:10.3f} {unit} {note}", flush=True)

    # 1. The retrieval level as a graph (eager on the CPU).
    retrieval = {}
    for q, cache in retrieval_caches.items():
        m = Llama(**target, cache=cache, device=dev, dtype=dtype)
        toks = torch.zeros(1, q, dtype=torch.long, device=dev)
        pos = torch.arange(cache - q, cache, device=dev)
        g = Graphed(lambda t, m=m, pos=pos: norm_logits(m.forward(t, pos).float()), toks, cuda)
        forward_row("retrieval_graph", target, cache, q, cuda, gpu_ms(lambda: g(toks), args.repeats, cuda))
        if q == 7:
            retrieval = dict(model=m, graph=g, toks=toks)
        else:
            del m, g

    # 2. One middle iteration, op for op, and its host cost.
    dm = Llama(**draft, cache=256, device=dev, dtype=dtype)
    dtok = torch.zeros(1, 1, dtype=torch.long, device=dev)
    dpos = torch.arange(255, 256, device=dev)
    dg = Graphed(lambda t: norm_logits(dm.forward(t, dpos).float()), dtok, cuda)
    rg, rtoks = retrieval["graph"], retrieval["toks"]
    draft_gpu = gpu_ms(lambda: dg(dtok), args.repeats, cuda)
    retrieval_gpu = gpu_ms(lambda: rg(rtoks), args.repeats, cuda)

    def middle_iteration():
        p = dg(dtok)[0, -1]
        x = torch.multinomial(p, 1).item()
        rtoks[0, 1] = x
        phat = rg(rtoks)[0]
        r = torch.rand(1, device=dev)
        one = torch.tensor([1], device=dev)
        if r < torch.minimum(one, phat[0, x] / (p[x] + 1e-9)):
            torch.multinomial(phat[1], 1).item()
        else:
            torch.multinomial(phat[0], 1).item()

    iteration = wall_ms(middle_iteration, args.repeats, cuda)
    host_row("middle_iteration_wall_ms", iteration, "ms")
    host_row("middle_iteration_host_ms", iteration - draft_gpu - retrieval_gpu, "ms", "wall less the two graphs' GPU time")
    del retrieval

    # 3. The eager full-cache forward: GPU time and host issue time.
    full = Llama(**target, cache=full_cache, device=dev, dtype=dtype)
    for q in (1, 7, 8):
        toks = torch.zeros(1, q, dtype=torch.long, device=dev)
        pos = torch.arange(full_cache - q, full_cache, device=dev)
        forward_row("full_eager", target, full_cache, q, False, gpu_ms(lambda: full.forward(toks, pos), args.repeats, cuda))
        host_row(f"full_eager_issue_ms_q{q}", issue_us(lambda: full.forward(toks, pos), 3, cuda) / 1e3, "ms",
                 "host time to issue one forward")
    del full

    # 4. Per-op host cost and a sync.
    a, wt = torch.randn(1, 4096 if not args.tiny else 256, device=dev, dtype=dtype), None
    wt = torch.randn(a.shape[1], a.shape[1], device=dev, dtype=dtype)
    host_row("op_issue_us_linear", issue_us(lambda: F.linear(a, wt), 200, cuda), "us")
    host_row("op_issue_us_add", issue_us(lambda: a + a, 500, cuda), "us")
    t = torch.zeros(1, device=dev)
    host_row("sync_us_item", issue_us(lambda: (t + 1).item(), 200, cuda), "us", "an add then .item()")

    # 5. norm_logits + multinomial over (g + 1) x vocab, eager and graphed.
    for rows in (7, 17):
        logits = torch.randn(rows, target["vocab"], device=dev)
        eager = gpu_ms(lambda: torch.multinomial(norm_logits(logits), 1), args.repeats, cuda)
        host_row(f"norm_logits_eager_ms_{rows}", eager, "ms")
        if cuda:
            ng = Graphed(lambda x: norm_logits(x), logits, True)
            host_row(f"norm_logits_graph_ms_{rows}", gpu_ms(lambda: ng(logits), args.repeats, True), "ms")

    # 6. DeepSpeed-style CPU attention.
    heads = 4 if args.tiny else 32
    host_row("cpu_attention_gbps_1thread", cpu_attention_gbps(attn_tokens, heads, 1), "GB/s", "fp32 K+V read, one thread")
    threads = os.cpu_count() or 1
    host_row("cpu_attention_gbps_all", cpu_attention_gbps(attn_tokens, heads, threads), "GB/s", f"{threads} threads")

    for path, rows in ((args.out, forwards), (args.host_out, host)):
        with open(path, "w", newline="") as f:
            wr = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
            wr.writeheader()
            wr.writerows(rows)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
