"""The small Llama-style byte-level language model kvsim trains and ships (PyTorch side).

Contract: `TinyLlama` is the reference implementation of the architecture that the C++ runtime in
models/small_lm.{h,cpp} executes; `save_checkpoint`/`load_checkpoint` read and write the format in
models/small/FORMAT.md. Both sides must agree bit for bit on layout and to float tolerance on
results (tests/models/small_lm_fixture_test.cpp checks the C++ side against a fixture written here).

Architecture: byte vocabulary (256), RMSNorm (pre-norm), rotary position embedding on q and k
(rotate-half convention, as Hugging Face Llama), grouped-query attention, SwiGLU MLP, untied LM head.
"""
import hashlib
import io
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

MAGIC = b"KVSIMLM1"
FORMAT_VERSION = 3  # 2: a SHA-256 of the payload follows the version; 3: a start byte (models/small/FORMAT.md)
READ_VERSIONS = (2, 3)
NO_START = 0xFFFFFFFF  # version 3's start-byte field when sequences begin without one


class Config:
    def __init__(self, vocab=256, d_model=128, n_layers=4, n_heads=4, n_kv_heads=2, head_dim=32,
                 ffn_hidden=352, max_context=2048, rope_base=10000.0, norm_eps=1e-5, start_byte=None):
        self.vocab, self.d_model, self.n_layers = vocab, d_model, n_layers
        self.n_heads, self.n_kv_heads, self.head_dim = n_heads, n_kv_heads, head_dim
        self.ffn_hidden, self.max_context = ffn_hidden, max_context
        self.rope_base, self.norm_eps = rope_base, norm_eps
        self.start_byte = start_byte  # every sequence begins with this byte (None: no start byte)

    def ints(self):
        return [self.vocab, self.d_model, self.n_layers, self.n_heads, self.n_kv_heads,
                self.head_dim, self.ffn_hidden, self.max_context]


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg, length, positions=None):
    """cos/sin of the rotary angles: (T, half) for positions 0..T-1, or (B, 1, T, half) for explicit
    per-row positions (B, T) — training skips positions to show long distances in short rows."""
    half = cfg.head_dim // 2
    inv_freq = 1.0 / (cfg.rope_base ** (torch.arange(0, half, dtype=torch.float32) * 2.0 / cfg.head_dim))
    if positions is None:
        angles = torch.outer(torch.arange(length, dtype=torch.float32), inv_freq)   # (T, half)
    else:
        angles = (positions.to(torch.float32)[..., None] * inv_freq).unsqueeze(1)  # (B, 1, T, half)
    return torch.cos(angles), torch.sin(angles)


def apply_rope(x, cos, sin):
    # x: (B, H, T, D); rotate-half: [x1, x2] -> [x1 cos - x2 sin, x2 cos + x1 sin]
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d, hd = cfg.d_model, cfg.head_dim
        self.attn_norm = RMSNorm(d, cfg.norm_eps)
        self.wq = nn.Linear(d, cfg.n_heads * hd, bias=False)
        self.wk = nn.Linear(d, cfg.n_kv_heads * hd, bias=False)
        self.wv = nn.Linear(d, cfg.n_kv_heads * hd, bias=False)
        self.wo = nn.Linear(cfg.n_heads * hd, d, bias=False)
        self.mlp_norm = RMSNorm(d, cfg.norm_eps)
        self.w_gate = nn.Linear(d, cfg.ffn_hidden, bias=False)
        self.w_up = nn.Linear(d, cfg.ffn_hidden, bias=False)
        self.w_down = nn.Linear(cfg.ffn_hidden, d, bias=False)

    def forward(self, x, cos, sin, mask, want_attention=False):
        cfg = self.cfg
        B, T, _ = x.shape
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, cfg.n_heads, cfg.head_dim).transpose(1, 2)
        k = self.wk(h).view(B, T, cfg.n_kv_heads, cfg.head_dim).transpose(1, 2)
        v = self.wv(h).view(B, T, cfg.n_kv_heads, cfg.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        group = cfg.n_heads // cfg.n_kv_heads
        k_rep = k.repeat_interleave(group, dim=1)
        v_rep = v.repeat_interleave(group, dim=1)
        scores = (q @ k_rep.transpose(-1, -2)) / math.sqrt(cfg.head_dim) + mask
        probs = torch.softmax(scores.float(), dim=-1)
        out = (probs @ v_rep).transpose(1, 2).reshape(B, T, cfg.n_heads * cfg.head_dim)
        x = x + self.wo(out)
        h = self.mlp_norm(x)
        x = x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))
        return x, (q, k, v, probs if want_attention else None)


class TinyLlama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab, cfg.d_model)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layers)])
        self.final_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.d_model, cfg.vocab, bias=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, tokens, want_internals=False, positions=None):
        T = tokens.shape[1]
        cos, sin = rope_tables(self.cfg, T, positions)
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = self.embed(tokens)
        internals = []
        for block in self.blocks:
            x, inner = block(x, cos, sin, mask, want_internals)
            if want_internals:
                internals.append(inner)
        logits = self.lm_head(self.final_norm(x))
        return (logits, internals) if want_internals else logits


def tensor_order(cfg):
    """Names in file order; the C++ loader checks each name and shape."""
    names = [("embed.weight", (cfg.vocab, cfg.d_model))]
    hd = cfg.head_dim
    for l in range(cfg.n_layers):
        p = f"blocks.{l}."
        names += [(p + "attn_norm.weight", (cfg.d_model,)),
                  (p + "wq.weight", (cfg.n_heads * hd, cfg.d_model)),
                  (p + "wk.weight", (cfg.n_kv_heads * hd, cfg.d_model)),
                  (p + "wv.weight", (cfg.n_kv_heads * hd, cfg.d_model)),
                  (p + "wo.weight", (cfg.d_model, cfg.n_heads * hd)),
                  (p + "mlp_norm.weight", (cfg.d_model,)),
                  (p + "w_gate.weight", (cfg.ffn_hidden, cfg.d_model)),
                  (p + "w_up.weight", (cfg.ffn_hidden, cfg.d_model)),
                  (p + "w_down.weight", (cfg.d_model, cfg.ffn_hidden))]
    names += [("final_norm.weight", (cfg.d_model,)), ("lm_head.weight", (cfg.vocab, cfg.d_model))]
    return names


def seal_checkpoint(payload):
    """The whole file for a payload (configuration onwards): magic, version, SHA-256, payload."""
    return MAGIC + struct.pack("<I", FORMAT_VERSION) + hashlib.sha256(payload).digest() + payload


def save_checkpoint(model, path):
    cfg = model.cfg
    state = model.state_dict()
    f = io.BytesIO()
    f.write(struct.pack("<8I", *cfg.ints()))
    f.write(struct.pack("<2f", cfg.rope_base, cfg.norm_eps))
    f.write(struct.pack("<I", NO_START if cfg.start_byte is None else cfg.start_byte))
    names = tensor_order(cfg)
    f.write(struct.pack("<I", len(names)))
    for name, shape in names:
        t = state[name].detach().to(torch.float32).contiguous()
        assert tuple(t.shape) == shape, (name, t.shape, shape)
        encoded = name.encode()
        f.write(struct.pack("<I", len(encoded)))
        f.write(encoded)
        f.write(struct.pack("<I", len(shape)))
        f.write(struct.pack(f"<{len(shape)}I", *shape))
        f.write(t.numpy().astype("<f4").tobytes())
    tmp = path + ".tmp"
    with open(tmp, "wb") as out:
        out.write(seal_checkpoint(f.getvalue()))
    os.replace(tmp, path)


def load_checkpoint(path):
    import numpy as np
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == MAGIC, "not a kvsim small-LM checkpoint"
    off = 8
    (version,) = struct.unpack_from("<I", data, off); off += 4
    if version not in READ_VERSIONS:
        raise ValueError(f"{path}: checkpoint format version {version}; this tool reads {READ_VERSIONS} "
                         "(upgrade with tools/train/upgrade_checkpoint.py)")
    digest = data[off:off + 32]; off += 32
    if hashlib.sha256(data[off:]).digest() != digest:
        raise ValueError(f"{path}: SHA-256 of the weights does not match the header: the checkpoint is corrupted")
    ints = struct.unpack_from("<8I", data, off); off += 32
    rope_base, norm_eps = struct.unpack_from("<2f", data, off); off += 8
    start = None
    if version >= 3:
        (start,) = struct.unpack_from("<I", data, off); off += 4
        start = None if start == NO_START else start
    cfg = Config(*ints, rope_base=rope_base, norm_eps=norm_eps, start_byte=start)
    model = TinyLlama(cfg)
    state = {}
    (count,) = struct.unpack_from("<I", data, off); off += 4
    for _ in range(count):
        (n,) = struct.unpack_from("<I", data, off); off += 4
        name = data[off:off + n].decode(); off += n
        (nd,) = struct.unpack_from("<I", data, off); off += 4
        shape = struct.unpack_from(f"<{nd}I", data, off); off += 4 * nd
        size = int(np.prod(shape))
        arr = np.frombuffer(data, dtype="<f4", count=size, offset=off).reshape(shape)
        off += 4 * size
        state[name] = torch.from_numpy(arr.copy())
    model.load_state_dict(state)
    return model
