#!/usr/bin/python3
"""Dumps a kvsim KV trace (results/SCHEMA.md, "KV traces") from a model: per layer, the post-RoPE
queries and keys and the values of a prompt and its continuation, so kvsim's KV policies can run on
models it cannot execute (`kind = "kv-quality"` with `workload.trace`).

Two sources:
  --hf MODEL_DIR      a Hugging Face Llama/Mistral/Qwen2-style causal LM (needs transformers and a
                      GPU for long contexts; run where you have both). Q/K are captured after
                      apply_rotary_pos_emb, V from v_proj, in one causal forward over prompt +
                      continuation (identical to incremental decoding for a causal model).
  --small CHECKPOINT  kvsim's own small model (tools/train/model.py), for testing the format.

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


def write_trace(path, model_name, qs, ks, vs, prompt_tokens):
    layers = len(qs)
    n_heads, total, head_dim = qs[0].shape
    n_kv = ks[0].shape[0]
    dims = (("n_layers", layers), ("n_heads", n_heads), ("n_kv_heads", n_kv), ("head_dim", head_dim),
            ("prompt_length", prompt_tokens), ("decode_steps", total - prompt_tokens))
    # The integrity digest as results/SCHEMA.md defines it: the metadata line, then q, k, v per layer.
    digest = hashlib.sha256((model_name + "\n" + " ".join(str(int(v)) for _, v in dims) + "\n").encode())
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["format"] = "kvsim-kv-trace"
        f.attrs["version"] = np.uint64(2)
        f.attrs["model"] = model_name
        for name, value in dims:
            f.attrs[name] = np.uint64(value)
        for l in range(layers):
            g = f.create_group(f"layers/{l}")
            for name, t in (("q", qs[l]), ("k", ks[l]), ("v", vs[l])):
                data = np.ascontiguousarray(t, dtype="<f4")
                digest.update(data.tobytes())
                g.create_dataset(name, data=data)
        f.attrs["sha256"] = digest.hexdigest()
    os.replace(tmp, path)


def from_small(args, tokens):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "train"))
    import model as M
    net = M.load_checkpoint(args.small)
    net.eval()
    with torch.no_grad():
        _, internals = net(torch.tensor([tokens]), want_internals=True)
    qs = [inner[0][0].numpy() for inner in internals]
    ks = [inner[1][0].numpy() for inner in internals]
    vs = [inner[2][0].numpy() for inner in internals]
    return "kvsim-byte-lm", qs, ks, vs


def from_hf(args, text):
    import transformers
    tok = transformers.AutoTokenizer.from_pretrained(args.hf)
    model = transformers.AutoModelForCausalLM.from_pretrained(args.hf, torch_dtype=torch.float16, device_map="auto",
                                                              attn_implementation="eager")
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
    module = sys.modules[type(model.model.layers[0].self_attn).__module__]
    captured_qk, captured_v = [], []
    original = module.apply_rotary_pos_emb

    def recording(q, k, *a, **kw):
        q_rot, k_rot = original(q, k, *a, **kw)
        captured_qk.append((q_rot[0].float().cpu().numpy(), k_rot[0].float().cpu().numpy()))
        return q_rot, k_rot

    cfg = model.config
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    hooks = [layer.self_attn.v_proj.register_forward_hook(
        lambda mod, inp, out: captured_v.append(out[0].float().cpu().numpy().reshape(len(seq), -1, head_dim).transpose(1, 0, 2)))
        for layer in model.model.layers]
    module.apply_rotary_pos_emb = recording
    try:
        with torch.no_grad():
            model(torch.tensor([seq], device=model.device))
    finally:
        module.apply_rotary_pos_emb = original
        for h in hooks:
            h.remove()
    qs = [q for q, _ in captured_qk]
    ks = [k for _, k in captured_qk]
    return os.path.basename(args.hf.rstrip("/")), qs, ks, captured_v, len(prompt)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--hf")
    src.add_argument("--small")
    ap.add_argument("--text", required=True, help="a text file holding the prompt (and its continuation)")
    ap.add_argument("--prompt-tokens", type=int, required=True)
    ap.add_argument("--decode", type=int, default=32)
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    with open(args.text, "rb") as f:
        raw = f.read()
    if args.small:
        tokens = list(raw[:args.prompt_tokens + args.decode])
        if len(tokens) < args.prompt_tokens + args.decode:
            raise SystemExit("the text is shorter than --prompt-tokens + --decode bytes")
        name, qs, ks, vs = from_small(args, tokens)
        prompt = args.prompt_tokens
    else:
        name, qs, ks, vs, prompt = from_hf(args, raw.decode("utf-8", "replace"))
    write_trace(args.out, name, qs, ks, vs, prompt)
    print(f"wrote {args.out}: {len(qs)} layers, {qs[0].shape[1]} tokens ({prompt} prompt)")


if __name__ == "__main__":
    main()
