"""A stand-in for the few parts of Hugging Face `transformers` that tools/trace/dump_kv_trace.py uses
(Debian packages no `transformers`), so its --hf path runs in the test suite on the CPU.

Contract: the names and call shapes the dump script relies on, as transformers 4.4x has them for
Llama-style models: AutoTokenizer / AutoModelForCausalLM.from_pretrained(dir, ...), a model with
`.config` (num_attention_heads, num_key_value_heads, hidden_size, head_dim), `.model.layers[i]
.self_attn.v_proj`, `.model(input_ids=, past_key_values=, use_cache=)`, `.generate(ids,
max_new_tokens=, do_sample=False)`, `.device`, and `DynamicCache`. The attention calls this module's
global `apply_rotary_pos_emb` at call time, as modeling_llama does, so patching the module's name
patches every layer. The model is a small Llama (RMSNorm, RoPE, grouped-query attention, SwiGLU)
with seeded random weights from `config.json` in the model directory; it computes in float32
whatever `torch_dtype` asks (PyTorch's CPU kernels lack some float16 ops). Not a model of
anything: only the interface and the causal arithmetic are real.
"""
import json
import math
import os

import torch
from torch import nn


class _Config:
    def __init__(self, d):
        self.vocab_size = d["vocab_size"]
        self.hidden_size = d["hidden_size"]
        self.num_hidden_layers = d["num_hidden_layers"]
        self.num_attention_heads = d["num_attention_heads"]
        self.num_key_value_heads = d.get("num_key_value_heads", d["num_attention_heads"])
        self.head_dim = d.get("head_dim", self.hidden_size // self.num_attention_heads)
        self.intermediate_size = d["intermediate_size"]
        self.rope_theta = d.get("rope_theta", 10000.0)
        self.seed = d.get("seed", 0)


def _read_config(path):
    with open(os.path.join(path, "config.json")) as f:
        return _Config(json.load(f))


class _Encoding:
    def __init__(self, ids):
        self.input_ids = ids


class _ByteTokenizer:
    """One token per UTF-8 byte (ids 0..255), plus nothing: enough for a prompt and its continuation."""

    def __call__(self, text, return_tensors=None):
        ids = list(text.encode("utf-8"))
        return _Encoding(torch.tensor([ids]) if return_tensors == "pt" else [ids])


class AutoTokenizer:
    @staticmethod
    def from_pretrained(path, **kwargs):
        return _ByteTokenizer()


class DynamicCache:
    """Per layer, the keys (after RoPE) and values of every position seen so far."""

    def __init__(self):
        self.keys, self.values = [], []

    def update(self, k, v, layer):
        if len(self.keys) <= layer:
            self.keys.append(k)
            self.values.append(v)
        else:
            self.keys[layer] = torch.cat([self.keys[layer], k], dim=2)
            self.values[layer] = torch.cat([self.values[layer], v], dim=2)
        return self.keys[layer], self.values[layer]

    def get_seq_length(self):
        return 0 if not self.keys else self.keys[0].shape[2]


def _rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin):
    """q: (batch, heads, rows, d), k: (batch, kv_heads, rows, d); cos, sin: (rows, d)."""
    return q * cos + _rotate_half(q) * sin, k * cos + _rotate_half(k) * sin


class _RMSNorm(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight


class _Attention(nn.Module):
    def __init__(self, cfg, layer):
        super().__init__()
        self.cfg, self.layer = cfg, layer
        h, kv, d = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        self.q_proj = nn.Linear(cfg.hidden_size, h * d, bias=False)
        self.k_proj = nn.Linear(cfg.hidden_size, kv * d, bias=False)
        self.v_proj = nn.Linear(cfg.hidden_size, kv * d, bias=False)
        self.o_proj = nn.Linear(h * d, cfg.hidden_size, bias=False)

    def forward(self, x, positions, cache):
        b, rows, _ = x.shape
        h, kv, d = self.cfg.num_attention_heads, self.cfg.num_key_value_heads, self.cfg.head_dim
        q = self.q_proj(x).view(b, rows, h, d).transpose(1, 2)
        k = self.k_proj(x).view(b, rows, kv, d).transpose(1, 2)
        v = self.v_proj(x).view(b, rows, kv, d).transpose(1, 2)
        inv = 1.0 / (self.cfg.rope_theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
        angles = positions[:, None].float() * inv[None, :]
        angles = torch.cat([angles, angles], dim=-1)
        q, k = apply_rotary_pos_emb(q, k, angles.cos(), angles.sin())  # looked up at call time
        if cache is not None:
            k, v = cache.update(k, v, self.layer)
        k = k.repeat_interleave(h // kv, dim=1)
        v = v.repeat_interleave(h // kv, dim=1)
        total = k.shape[2]
        # Causal: row i (absolute position positions[i]) sees keys 0..positions[i].
        mask = torch.arange(total)[None, :] <= positions[:, None]
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        scores = scores.masked_fill(~mask, float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, rows, h * d))


class _Layer(nn.Module):
    def __init__(self, cfg, layer):
        super().__init__()
        self.input_layernorm = _RMSNorm(cfg.hidden_size)
        self.self_attn = _Attention(cfg, layer)
        self.post_attention_layernorm = _RMSNorm(cfg.hidden_size)
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x, positions, cache):
        x = x + self.self_attn(self.input_layernorm(x), positions, cache)
        y = self.post_attention_layernorm(x)
        return x + self.down_proj(torch.nn.functional.silu(self.gate_proj(y)) * self.up_proj(y))


class _Output:
    def __init__(self, hidden):
        self.last_hidden_state = hidden


class _Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(_Layer(cfg, i) for i in range(cfg.num_hidden_layers))
        self.norm = _RMSNorm(cfg.hidden_size)

    def forward(self, input_ids, past_key_values=None, use_cache=True):
        start = past_key_values.get_seq_length() if past_key_values is not None else 0
        positions = torch.arange(start, start + input_ids.shape[1])
        x = self.embed_tokens(input_ids)
        for layer in self.layers:
            x = layer(x, positions, past_key_values if use_cache else None)
        return _Output(self.norm(x))


class _CausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.config = cfg
        self.model = _Decoder(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)

    @property
    def device(self):
        return self.lm_head.weight.device

    def generate(self, ids, max_new_tokens, do_sample=False):
        if do_sample:
            raise NotImplementedError("the stand-in decodes greedily only")
        with torch.no_grad():
            seq = ids
            for _ in range(max_new_tokens):
                logits = self.lm_head(self.model(input_ids=seq, use_cache=False).last_hidden_state[:, -1])
                seq = torch.cat([seq, logits.argmax(-1, keepdim=True)], dim=1)
        return seq


class AutoModelForCausalLM:
    @staticmethod
    def from_pretrained(path, torch_dtype=None, device_map=None, attn_implementation=None, **kwargs):
        cfg = _read_config(path)
        torch.manual_seed(cfg.seed)
        return _CausalLM(cfg)
