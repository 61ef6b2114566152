#!/usr/bin/python3
"""Dumps a kvsim KV trace (results/SCHEMA.md, "KV traces") from a model: per layer, the post-RoPE
queries and keys and the values of a prompt and its continuation, so kvsim's KV policies can run on
models it cannot execute (`kind = "kv-quality"` with `workload.trace`).

Two sources:
  --hf MODEL_DIR      a Hugging Face Llama/Mistral/Qwen2-style causal LM (needs transformers; a GPU
                      for long contexts). The sequence runs through the decoder in chunks of --chunk
                      tokens with a KV cache and PyTorch's scaled-dot-product attention (no T x T
                      matrix, no logits), which for a causal model equals incremental decoding; Q/K
                      are captured after apply_rotary_pos_emb, V from v_proj, and every chunk is
                      written to the file as it is computed.
  --small CHECKPOINT  kvsim's own small model (tools/train/model.py), for testing the format.

Tested (tests/tools/hf_trace_test.py) against a stand-in for transformers with the same names, since
Debian packages none: the chunked dump equals a whole-sequence forward at every position.

Memory, bounded at long context: on the GPU, the weights, the model's own KV cache for the whole
sequence and one chunk's activations; on the host, one chunk of one layer's Q/K/V plus one head's
slice of one layer while the digest is computed. The file itself is
n_layers x (n_heads + 2 n_kv_heads) x T x head_dim x 4 bytes (Llama-3.1-8B at 32K tokens: 25.8 GB).

Usage:
  dump_kv_trace.py --hf /models/llama-3.1-8b --text prompt.txt --prompt-tokens 32000 --decode 64 -o trace.h5
  dump_kv_trace.py --small models/small/kvsim-byte-lm.bin --text prompt.txt --prompt-tokens 1024 --decode 32 -o t.h5
The continuation is the text's own next tokens when the file is long enough, otherwise the model's
greedy output.
"""
import argparse
import hashlib
import os
import sys

import h5py
import numpy as np
import torch


class TraceWriter:
    """Writes a trace layer slice by layer slice; close() computes the digest from the file, one head
    at a time, in the order results/SCHEMA.md defines (the metadata line, then q, k, v per layer)."""

    def __init__(self, path, model_name, n_layers, n_heads, n_kv, head_dim, total, prompt_tokens):
        self.path, self.tmp = path, path + ".tmp"
        self.dims = (("n_layers", n_layers), ("n_heads", n_heads), ("n_kv_heads", n_kv), ("head_dim", head_dim),
                     ("prompt_length", prompt_tokens), ("decode_steps", total - prompt_tokens))
        self.model_name = model_name
        self.f = h5py.File(self.tmp, "w")
        self.f.attrs["format"] = "kvsim-kv-trace"
        self.f.attrs["version"] = np.uint64(2)
        self.f.attrs["model"] = model_name
        for name, value in self.dims:
            self.f.attrs[name] = np.uint64(value)
        for l in range(n_layers):
            g = self.f.create_group(f"layers/{l}")
            for name, heads in (("q", n_heads), ("k", n_kv), ("v", n_kv)):
                g.create_dataset(name, shape=(heads, total, head_dim), dtype="<f4")

    def write(self, layer, name, start, block):
        """block: (heads, rows, head_dim), the rows from position `start` on."""
        self.f[f"layers/{layer}/{name}"][:, start:start + block.shape[1], :] = np.asarray(block, dtype="<f4")

    def close(self):
        digest = hashlib.sha256((self.model_name + "\n" + " ".join(str(int(v)) for _, v in self.dims) + "\n").encode())
        for l in range(self.dims[0][1]):
            for name in ("q", "k", "v"):
                ds = self.f[f"layers/{l}/{name}"]
                for h in range(ds.shape[0]):  # (heads, T, d) row-major: head slices in order
                    digest.update(np.ascontiguousarray(ds[h], dtype="<f4").tobytes())
        self.f.attrs["sha256"] = digest.hexdigest()
        self.f.close()
        os.replace(self.tmp, self.path)


def from_small(args, tokens, prompt):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "train"))
    import model as M
    net = M.load_checkpoint(args.small)
    net.eval()
    with torch.no_grad():
        _, internals = net(torch.tensor([tokens]), want_internals=True)
    cfg = net.cfg
    w = TraceWriter(args.out, "kvsim-byte-lm", cfg.n_layers, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim, len(tokens), prompt)
    for l, inner in enumerate(internals):
        for name, t in zip(("q", "k", "v"), inner[:3]):
            w.write(l, name, 0, t[0].numpy())
    w.close()
    return cfg.n_layers


def from_hf(args, text):
    import transformers
    tok = transformers.AutoTokenizer.from_pretrained(args.hf)
    model = transformers.AutoModelForCausalLM.from_pretrained(args.hf, torch_dtype=torch.float16, device_map="auto",
                                                              attn_implementation="sdpa")
    model.eval()
    ids = tok(text, return_tensors="pt").input_ids[0].tolist()
    if len(ids) < args.prompt_tokens:
        raise SystemExit(f"the text has {len(ids)} tokens, fewer than --prompt-tokens {args.prompt_tokens}")
    prompt = ids[:args.prompt_tokens]
    rest = ids[args.prompt_tokens:args.prompt_tokens + args.decode]
    if len(rest) < args.decode:
        out = model.generate(torch.tensor([prompt], device=model.device), max_new_tokens=args.decode, do_sample=False)
        rest = out[0, len(prompt):].tolist()
    seq = prompt + rest
    cfg = model.config
    layers = model.model.layers
    n_layers, n_heads = len(layers), cfg.num_attention_heads
    n_kv = getattr(cfg, "num_key_value_heads", None) or n_heads
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // n_heads
    writer = TraceWriter(args.out, os.path.basename(args.hf.rstrip("/")), n_layers, n_heads, n_kv, head_dim, len(seq), len(prompt))
    module = sys.modules[type(layers[0].self_attn).__module__]
    original = module.apply_rotary_pos_emb
    state = {"calls": 0, "start": 0}

    # Why calls are counted: every decoder layer applies RoPE once per forward, in layer order.
    def recording(q, k, *a, **kw):
        q_rot, k_rot = original(q, k, *a, **kw)
        layer = state["calls"] % n_layers
        state["calls"] += 1
        writer.write(layer, "q", state["start"], q_rot[0].float().cpu().numpy())
        writer.write(layer, "k", state["start"], k_rot[0].float().cpu().numpy())
        return q_rot, k_rot

    def v_hook(layer):
        def hook(mod, inp, out):
            rows = out.shape[1]
            writer.write(layer, "v", state["start"], out[0].float().cpu().numpy().reshape(rows, n_kv, head_dim).transpose(1, 0, 2))
        return hook

    hooks = [layer.self_attn.v_proj.register_forward_hook(v_hook(i)) for i, layer in enumerate(layers)]
    module.apply_rotary_pos_emb = recording
    try:
        cache = transformers.DynamicCache()
        with torch.no_grad():
            for start in range(0, len(seq), args.chunk):
                state["start"] = start
                chunk = torch.tensor([seq[start:start + args.chunk]], device=model.device)
                model.model(input_ids=chunk, past_key_values=cache, use_cache=True)  # the decoder only: no logits
    finally:
        module.apply_rotary_pos_emb = original
        for h in hooks:
            h.remove()
    if state["calls"] != n_layers * ((len(seq) + args.chunk - 1) // args.chunk):
        raise SystemExit(f"captured {state['calls']} RoPE calls; expected one per layer and chunk "
                         "(a model whose attention does not call apply_rotary_pos_emb is not supported)")
    writer.close()
    return n_layers, len(prompt)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--hf")
    src.add_argument("--small")
    ap.add_argument("--text", required=True, help="a text file holding the prompt (and its continuation)")
    ap.add_argument("--prompt-tokens", type=int, required=True)
    ap.add_argument("--decode", type=int, default=32)
    ap.add_argument("--chunk", type=int, default=2048, help="--hf: tokens per forward (bounds activation memory)")
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    with open(args.text, "rb") as f:
        raw = f.read()
    if args.small:
        tokens = list(raw[:args.prompt_tokens + args.decode])
        if len(tokens) < args.prompt_tokens + args.decode:
            raise SystemExit("the text is shorter than --prompt-tokens + --decode bytes")
        layers, prompt = from_small(args, tokens, args.prompt_tokens), args.prompt_tokens
        total = len(tokens)
    else:
        layers, prompt = from_hf(args, raw.decode("utf-8", "replace"))
        total = None
    print(f"wrote {args.out}: {layers} layers, {prompt} prompt tokens" + (f", {total} in all" if total else ""))


if __name__ == "__main__":
    main()
