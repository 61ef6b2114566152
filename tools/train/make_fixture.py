#!/usr/bin/python3
"""Writes the reference fixture the C++ runtime is checked against (tests/data/small_lm_fixture.h5):
the committed checkpoint's logits and attention probabilities from this PyTorch implementation.

Usage: /usr/bin/python3 tools/train/make_fixture.py models/small/kvsim-byte-lm.bin tests/data/small_lm_fixture.h5
Layout: /tokens int32 [T]; /logits float32 [T, vocab]; /attention float32 [layers, heads, T, T];
attribute checkpoint_sha256 (the fixture belongs to exactly that checkpoint).
"""
import hashlib
import sys

import h5py
import numpy as np
import torch

import model as M


def main():
    ckpt, out = sys.argv[1], sys.argv[2]
    net = M.load_checkpoint(ckpt)
    net.eval()
    text = b"The pass key is 24680. Remember it. Here we go. What is the pass key? The pass key is 2"
    tokens = torch.tensor([list(text)])
    with torch.no_grad():
        logits, internals = net(tokens, want_internals=True)
    attention = torch.stack([inner[3][0] for inner in internals])  # [layers, heads, T, T]
    with open(ckpt, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with h5py.File(out, "w") as f:
        f.create_dataset("tokens", data=np.array(list(text), dtype=np.int32))
        f.create_dataset("logits", data=logits[0].numpy().astype(np.float32))
        f.create_dataset("attention", data=attention.numpy().astype(np.float32))
        f.attrs["checkpoint_sha256"] = digest
    print(f"wrote {out}: {len(text)} tokens, checkpoint sha256 {digest[:16]}")


if __name__ == "__main__":
    main()
