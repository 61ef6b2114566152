#!/usr/bin/python3
"""Measures the committed small model's quality and writes models/small/quality.toml.

Usage: /usr/bin/python3 tools/train/evaluate.py models/small/kvsim-byte-lm.bin models/small/quality.toml
Measures (fresh seed 777, disjoint from training): held-out bits per byte and perplexity per byte on
every 20th fortune (and jargon paragraph) at 512-byte windows; exact-match passkey accuracy with
the full cache at 512, 1024, 2048 and 3072 bytes (natural haystacks, uniform needle depth); key-value
lookup accuracy at 1024 and 2048.
"""
import math
import random
import sys

import torch
import torch.nn.functional as F

import model as M
import tasks


def answer_correct(net, text, span):
    x = torch.tensor([list(text)])
    with torch.no_grad():
        pred = net(x)[0].argmax(-1)
    a0, a1 = span
    return bytes(pred[a0 - 1:a1 - 1].tolist()) == text[a0:a1]


def main():
    ckpt, out = sys.argv[1], sys.argv[2]
    net = M.load_checkpoint(ckpt)
    net.eval()
    train, heldout = tasks.load_corpus()
    rng = random.Random(777)
    results = {}
    nll, count = 0.0, 0
    for start in range(0, min(len(heldout), 64 * 512) - 513, 512):
        chunk = torch.tensor([list(heldout[start:start + 513])])
        with torch.no_grad():
            logits = net(chunk[:, :-1])
        nll += F.cross_entropy(logits[0], chunk[0, 1:], reduction="sum").item()
        count += 512
    results["heldout_bits_per_byte"] = nll / count / math.log(2)
    results["heldout_ppl_per_byte"] = math.exp(nll / count)
    for length, n in ((512, 100), (1024, 100), (2048, 100), (3072, 50)):
        ok = sum(answer_correct(net, *tasks.passkey_episode(rng, heldout, length)) for _ in range(n))
        results[f"passkey_accuracy_{length}"] = ok / n
    for length in (1024, 2048):
        ok = sum(answer_correct(net, *tasks.kv_episode(rng, heldout, length)) for _ in range(100))
        results[f"kv_accuracy_{length}"] = ok / 100
    with open(out, "w") as f:
        f.write("# Quality of models/small/kvsim-byte-lm.bin, measured by tools/train/evaluate.py (seed 777,\n")
        f.write("# held-out text: every 20th fortune / jargon paragraph; natural-text haystacks).\n")
        for k, v in results.items():
            f.write(f"{k} = {v:.4f}\n")
    for k, v in results.items():
        print(f"{k} = {v:.4f}")


if __name__ == "__main__":
    main()
