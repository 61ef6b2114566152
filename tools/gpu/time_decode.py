#!/usr/bin/python3
"""Time decode steps of a random-weight Llama-style model on an NVIDIA GPU; write a CSV that
`kvsim compare-gpu CSV --gpu PROFILE` compares with kvsim's prediction for that GPU.

Random weights time like real ones: the kernels, shapes and bytes moved are the same. Runs in
eager PyTorch (no CUDA graphs), fp16, batch 1, one query token, so compare with
`cuda_graphs = false`. Needs PyTorch with CUDA. Finishes in well under 5 minutes on an H100
with the defaults (7B shape, contexts 1K to 64K). Nothing in kvsim's build or tests needs it.

    /usr/bin/python3 tools/gpu/time_decode.py --out decode_h100.csv
    ./build/app/kvsim compare-gpu decode_h100.csv --gpu h100-80gb-sxm
"""
import argparse
import csv
import sys
import time

import torch
import torch.nn.functional as F


def rms_norm(x, w, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, pos, theta=10000.0):
    d = x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d))
    ang = pos[:, None].float() * inv[None, :]
    cos, sin = ang.cos().to(x.dtype), ang.sin().to(x.dtype)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class Model:
    def __init__(self, layers, hidden, heads, kv_heads, ffn, vocab, max_ctx, device, dtype):
        g = torch.Generator(device="cpu").manual_seed(0)
        hd = hidden // heads
        self.h, self.kv, self.hd = heads, kv_heads, hd

        def w(*shape):
            return (torch.randn(*shape, generator=g) * 0.02).to(device=device, dtype=dtype)

        self.emb = w(vocab, hidden)
        self.lm_head = w(vocab, hidden)
        self.norm = torch.ones(hidden, device=device, dtype=dtype)
        self.layers = []
        for _ in range(layers):
            self.layers.append(dict(
                n1=torch.ones(hidden, device=device, dtype=dtype), n2=torch.ones(hidden, device=device, dtype=dtype),
                qkv=w((heads + 2 * kv_heads) * hd, hidden), o=w(hidden, heads * hd),
                gate_up=w(2 * ffn, hidden), down=w(hidden, ffn),
                k=torch.zeros(1, kv_heads, max_ctx + 1, hd, device=device, dtype=dtype),
                v=torch.zeros(1, kv_heads, max_ctx + 1, hd, device=device, dtype=dtype)))

    @torch.inference_mode()
    def step(self, token, pos):
        x = F.embedding(token, self.emb)  # [1, 1, d]
        p = torch.tensor([pos], device=x.device)
        for L in self.layers:
            y = rms_norm(x, L["n1"])
            qkv = F.linear(y, L["qkv"])
            q, k, v = qkv.split([self.h * self.hd, self.kv * self.hd, self.kv * self.hd], dim=-1)
            q = rope(q.view(1, 1, self.h, self.hd), p).transpose(1, 2)
            k = rope(k.view(1, 1, self.kv, self.hd), p).transpose(1, 2)
            L["k"][:, :, pos:pos + 1] = k
            L["v"][:, :, pos:pos + 1] = v.view(1, 1, self.kv, self.hd).transpose(1, 2)
            kk, vv = L["k"][:, :, :pos + 1], L["v"][:, :, :pos + 1]
            if self.kv != self.h:
                kk = kk.repeat_interleave(self.h // self.kv, dim=1)
                vv = vv.repeat_interleave(self.h // self.kv, dim=1)
            a = F.scaled_dot_product_attention(q, kk, vv)
            x = x + F.linear(a.transpose(1, 2).reshape(1, 1, -1), L["o"])
            y = rms_norm(x, L["n2"])
            g, u = F.linear(y, L["gate_up"]).chunk(2, dim=-1)
            x = x + F.linear(F.silu(g) * u, L["down"])
        return F.linear(rms_norm(x, self.norm), self.lm_head)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=4096)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=32)
    ap.add_argument("--ffn", type=int, default=11008)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--contexts", default="1024,4096,16384,32768,65536")
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("time_decode.py: no CUDA device", file=sys.stderr)
        return 1
    contexts = [int(c) for c in args.contexts.split(",")]
    dev, dtype = "cuda", torch.float16
    t0 = time.time()
    m = Model(args.layers, args.hidden, args.heads, args.kv_heads, args.ffn, args.vocab, max(contexts), dev, dtype)
    token = torch.zeros(1, 1, dtype=torch.long, device=dev)
    name = torch.cuda.get_device_name(0)
    rows = []
    for ctx in contexts:
        for _ in range(3):  # warm-up
            m.step(token, ctx)
        torch.cuda.synchronize()
        times = []
        for _ in range(args.repeats):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            m.step(token, ctx)
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        times.sort()
        ms = times[len(times) // 2]
        rows.append(dict(gpu=name, layers=args.layers, hidden=args.hidden, heads=args.heads, kv_heads=args.kv_heads,
                         ffn=args.ffn, vocab=args.vocab, dtype="fp16", context=ctx, query_tokens=1, batch=1,
                         median_ms=f"{ms:.4f}", min_ms=f"{times[0]:.4f}"))
        print(f"context {ctx:>7}: {ms:8.3f} ms (min {times[0]:.3f})", flush=True)
    with open(args.out, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        wr.writeheader()
        wr.writerows(rows)
    print(f"wrote {args.out} in {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
