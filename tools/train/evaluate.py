#!/usr/bin/python3
"""Measures the committed small model's quality and writes models/small/quality.toml.

Usage: /usr/bin/python3 tools/train/evaluate.py models/small/kvsim-byte-lm.bin models/small/quality.toml
Measures (fresh seed 777, disjoint from training): held-out bits per byte and perplexity per byte on
every 20th fortune (and jargon paragraph) at 512-byte windows, and on the held-out long documents
(every 10th page of Python's documentation) at 2,048-byte windows; exact-match passkey accuracy with
the full cache at 512, 1024, 2048 and 3072 bytes (natural haystacks, uniform needle depth, the first
question wording); key-value lookup and named-needle accuracy at 1024 and 2048. A model with a start
byte gets it first in every sequence, as it was trained.
"""
import math
import random
import sys

import torch
import torch.nn.functional as F

import model as M
import tasks


def answer_correct(net, text, span):
    start = net.cfg.start_byte
    if start is not None:
        text, span = bytes([start]) + text, (span[0] + 1, span[1] + 1)
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
    prefix = [] if net.cfg.start_byte is None else [net.cfg.start_byte]

    def bits_per_byte(windows):
        nll, count = 0.0, 0
        for w in windows:
            chunk = torch.tensor([prefix + list(w)])
            with torch.no_grad():
                logits = net(chunk[:, :-1])
            skip = len(prefix)  # the start byte is given, not predicted
            nll += F.cross_entropy(logits[0, skip:], chunk[0, 1 + skip:], reduction="sum").item()
            count += len(w) - 1
        return nll / count / math.log(2), math.exp(nll / count)

    fortunes = [heldout[s:s + 513] for s in range(0, min(len(heldout), 64 * 512) - 513, 512)]
    results["heldout_bits_per_byte"], results["heldout_ppl_per_byte"] = bits_per_byte(fortunes)
    docs = [d for d in tasks.load_documents()[1] if len(d) >= 2048][:16]
    results["heldout_docs_bits_per_byte"], _ = bits_per_byte([d[:2048] for d in docs])
    for length, n in ((512, 100), (1024, 100), (2048, 100), (3072, 50)):
        ok = sum(answer_correct(net, *tasks.passkey_episode(rng, heldout, length)) for _ in range(n))
        results[f"passkey_accuracy_{length}"] = ok / n
    for length in (1024, 2048):
        ok = sum(answer_correct(net, *tasks.kv_episode(rng, heldout, length)) for _ in range(100))
        results[f"kv_accuracy_{length}"] = ok / 100
    for length in (1024, 2048):
        ok = sum(answer_correct(net, *tasks.needles_episode(rng, heldout, length)) for _ in range(100))
        results[f"needles_accuracy_{length}"] = ok / 100
    with open(out, "w") as f:
        f.write("# Quality of models/small/kvsim-byte-lm.bin, measured by tools/train/evaluate.py (seed 777,\n")
        f.write("# held-out text: every 20th fortune / jargon paragraph, every 10th documentation page;\n")
        f.write("# natural-text haystacks).\n")
        for k, v in results.items():
            f.write(f"{k} = {v:.4f}\n")
    for k, v in results.items():
        print(f"{k} = {v:.4f}")


if __name__ == "__main__":
    main()
