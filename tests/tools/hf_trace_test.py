#!/usr/bin/python3
"""Runs tools/trace/dump_kv_trace.py's --hf path on a stand-in for Hugging Face transformers
(tests/tools/fake_transformers: a small random Llama with grouped-query attention) and checks the
trace against the same model's Q/K/V from one whole-sequence forward: the chunked, cached,
streamed dump must write every position of every layer and head where the schema puts it, for a
continuation read from the text and for one the model generates; then kvsim runs a policy on it.

Usage: hf_trace_test.py KVSIM SRC WORKDIR   (needs Debian's python3-torch and python3-h5py)
"""
import json
import os
import subprocess
import sys

import h5py
import numpy as np

try:
    import torch
except ImportError:  # CI installs no PyTorch (tools/install-deps.sh --with-training does)
    print("python3-torch is not installed: skipped")
    sys.exit(0)

kvsim, src, work = sys.argv[1:4]
fake = os.path.join(src, "tests", "tools", "fake_transformers")
sys.path.insert(0, fake)
import transformers  # noqa: E402  (the stand-in)

os.makedirs(work, exist_ok=True)
model_dir = os.path.join(work, "tiny-llama")
os.makedirs(model_dir, exist_ok=True)
config = {"vocab_size": 256, "hidden_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4,
          "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 128, "seed": 5}
with open(os.path.join(model_dir, "config.json"), "w") as f:
    json.dump(config, f)
LAYERS, HEADS, KV, D = (config[k] for k in ("num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim"))
dump = os.path.join(src, "tools", "trace", "dump_kv_trace.py")
env = dict(os.environ, PYTHONPATH=fake)


def reference(seq):
    """Q (after RoPE), K (after RoPE) and V of every layer from one forward over the whole sequence."""
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir)
    captured = {}
    original = transformers.apply_rotary_pos_emb
    calls = {"n": 0}

    def recording(q, k, *a):
        q_rot, k_rot = original(q, k, *a)
        captured[(calls["n"], "q")], captured[(calls["n"], "k")] = q_rot[0].numpy(), k_rot[0].numpy()
        calls["n"] += 1
        return q_rot, k_rot

    hooks = []
    for i, layer in enumerate(model.model.layers):
        def hook(mod, inp, out, i=i):
            rows = out.shape[1]
            captured[(i, "v")] = out[0].numpy().reshape(rows, KV, D).transpose(1, 0, 2)
        hooks.append(layer.self_attn.v_proj.register_forward_hook(hook))
    transformers.apply_rotary_pos_emb = recording
    try:
        with torch.no_grad():
            model.model(input_ids=torch.tensor([seq]), use_cache=False)
    finally:
        transformers.apply_rotary_pos_emb = original
        for h in hooks:
            h.remove()
    return captured


def check(name, text, prompt, decode, chunk, expect_generated):
    text_path = os.path.join(work, name + ".txt")
    with open(text_path, "w") as f:
        f.write(text)
    out = os.path.join(work, name + ".h5")
    subprocess.run([sys.executable, dump, "--hf", model_dir, "--text", text_path, "--prompt-tokens", str(prompt),
                    "--decode", str(decode), "--chunk", str(chunk), "-o", out], check=True, env=env)
    ids = list(text.encode("utf-8"))
    seq = ids[:prompt + decode]
    if expect_generated:
        model = transformers.AutoModelForCausalLM.from_pretrained(model_dir)
        seq = model.generate(torch.tensor([ids[:prompt]]), max_new_tokens=decode)[0].tolist()
    ref = reference(seq)
    with h5py.File(out, "r") as f:
        assert f.attrs["format"] == "kvsim-kv-trace", f.attrs["format"]
        assert (int(f.attrs["n_layers"]), int(f.attrs["n_heads"]), int(f.attrs["n_kv_heads"])) == (LAYERS, HEADS, KV)
        assert int(f.attrs["prompt_length"]) == prompt and int(f.attrs["decode_steps"]) == decode, dict(f.attrs)
        for layer in range(LAYERS):
            for part, heads in (("q", HEADS), ("k", KV), ("v", KV)):
                got = f[f"layers/{layer}/{part}"][...]
                want = ref[(layer, part)]
                assert got.shape == (heads, prompt + decode, D), (part, got.shape)
                err = float(np.abs(got - want).max())
                assert err < 1e-4, f"{name}: layer {layer} {part} differs from the whole-sequence forward by {err}"
    scenario = out + ".toml"
    with open(scenario, "w") as f:
        f.write(f'kind = "kv-quality"\n[policy]\nname = "quest"\nbudget = 64\n[workload]\ntrace = "{out}"\n')
    result = subprocess.run([kvsim, "run", scenario, "-o", out + ".result.h5"], check=True, capture_output=True,
                            text=True)
    assert "attention_recall" in result.stdout, result.stdout
    print(f"{name}: {prompt} prompt + {decode} decode tokens in chunks of {chunk}: trace equals the whole forward")


filler = "The grass is green. The sky is blue. The pass key is 24680. Here we go. " * 8
# The continuation read from the text; chunks that split the prompt and the continuation unevenly.
check("from_text", filler, prompt=300, decode=24, chunk=128, expect_generated=False)
# A text exactly as long as the prompt: the model's greedy output is the continuation.
check("generated", filler[:200], prompt=200, decode=10, chunk=64, expect_generated=True)
# A text shorter than the prompt is refused with the counts.
short = os.path.join(work, "short.txt")
with open(short, "w") as f:
    f.write("too short")
r = subprocess.run([sys.executable, dump, "--hf", model_dir, "--text", short, "--prompt-tokens", "100", "-o",
                    os.path.join(work, "short.h5")], env=env, capture_output=True, text=True)
assert r.returncode != 0 and "fewer than --prompt-tokens 100" in r.stderr, r.stderr
print("ok")
