#!/usr/bin/python3
"""Trains kvsim's small byte-level Llama-style model (see model.py) and writes its checkpoint.

Usage (Debian's interpreter, with python3-torch, libopenblas0-pthread, fortunes, jargon-text), the
two stages that made the committed checkpoint (docs/small-model.md):
    /usr/bin/python3 tools/train/train.py --out stage1.bin
    /usr/bin/python3 tools/train/train.py --resume stage1.bin --final-steps 400 --lr 1e-3 \
        --seed 20261127 --out models/small/kvsim-byte-lm.bin

Recipe (docs/small-model.md): batches of repeated random strings only until the model copies them
(90% of copied bytes right over 10 steps; so that induction heads form: with the mixture from the
start, retrieval had not appeared after 600 steps); then 55% passkey episodes, 10% key-value lookup episodes, 20% repeated
random strings in text (induction practice), 15% plain text, haystacks of natural text;
answer bytes (and repeated copies) weigh 3x in the loss; the context length follows a curriculum 128 -> 256 -> 512 -> 1024
-> 2048 that advances when the running training passkey accuracy reaches 0.8; at 2048 it trains
FINAL_STEPS more steps with a cosine learning-rate decay. Batches hold 4,096 tokens (at least 2 rows).
Everything random derives from --seed; torch runs single-process with deterministic kernels, so the
same seed and the same package versions give the same checkpoint.
"""
import argparse
import math
import random
import sys
import time

import torch
import torch.nn.functional as F

import model as M
import tasks

CURRICULUM = [128, 256, 512, 1024, 2048]
TOKENS_PER_STEP = 4096
WARMUP_MAX_STEPS = 1500  # induction warm-up: repeated random strings only until copying works
FINAL_STEPS = 500  # steps at the final length, with the learning rate decaying to 10%


def make_batch(rng, corpus, length, batch, warmup=False):
    rows, weights, kinds, spans = [], [], [], []
    for _ in range(batch):
        r = rng.random()
        extra = []
        if warmup:
            text, extra = tasks.copy_episode(rng, length + 1)
            span, kind = (0, 0), "copy"
        elif r < 0.55:
            text, span, kind = *tasks.passkey_episode(rng, corpus, length + 1), "passkey"
        elif r < 0.65:
            text, span, kind = *tasks.kv_episode(rng, corpus, length + 1), "kv"
        elif r < 0.85:
            text, extra = tasks.repeat_episode(rng, corpus, length + 1)
            span, kind = (0, 0), "repeat"
        else:
            start = rng.randrange(len(corpus) - length - 2)
            text, span, kind = corpus[start:start + length + 1], (0, 0), "text"
        text = text[-(length + 1):].ljust(length + 1, b" ")
        w = torch.ones(length)
        # Target index t predicts byte t+1; a byte at j is predicted at position j-1.
        for a0, a1 in [span] + extra:
            if a1 > a0:
                w[a0 - 1:a1 - 1] = 3.0
        a0, a1 = span
        rows.append(list(text))
        weights.append(w)
        kinds.append(kind)
        spans.append((a0 - 1, a1 - 1))
    data = torch.tensor(rows, dtype=torch.long)
    return data[:, :-1], data[:, 1:], torch.stack(weights), kinds, spans


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=4000, help="upper bound; training ends FINAL_STEPS after reaching 2048")
    ap.add_argument("--minutes", type=float, default=60.0, help="safety cap; a capped run is not the recipe's")
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--resume", help="continue from this checkpoint at the final length (no warm-up)")
    ap.add_argument("--final-steps", type=int, default=FINAL_STEPS, help="steps at the final length")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(args.seed)
    corpus, _ = tasks.load_corpus()
    cfg = M.Config()
    net = M.load_checkpoint(args.resume) if args.resume else M.TinyLlama(cfg)
    print(f"parameters: {sum(p.numel() for p in net.parameters()):,}", flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.01)

    stage, recent, step, final_step = 0, [], 0, 0
    warming, copy_recent = not args.resume, []
    if args.resume:
        stage = len(CURRICULUM) - 1
    t0 = time.time()
    budget = args.minutes * 60
    while step < args.steps:
        if time.time() - t0 > budget:
            print(f"WARNING: stopped by --minutes at step {step}; not the reproducible recipe", flush=True)
            break
        length = CURRICULUM[stage]
        batch = max(2, TOKENS_PER_STEP // length)
        x, y, w, kinds, spans = make_batch(rng, corpus, length, batch, warmup=warming)
        elapsed = time.time() - t0
        warm = 1.0 if args.resume else min(1.0, (step + 1) / 100)
        if stage == len(CURRICULUM) - 1:
            final_step += 1
            if final_step > args.final_steps:
                break
            decay = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * final_step / args.final_steps))
        else:
            decay = 1.0
        for g in opt.param_groups:
            g["lr"] = args.lr * warm * decay
        logits = net(x)
        loss_per = F.cross_entropy(logits.reshape(-1, cfg.vocab), y.reshape(-1), reduction="none")
        loss = (loss_per * w.reshape(-1)).sum() / w.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            pred = logits.argmax(-1)
            if warming:
                hit = ((pred == y) & (w > 1)).sum().item() / max(1, (w > 1).sum().item())
                copy_recent = (copy_recent + [hit])[-10:]
                if (len(copy_recent) == 10 and sum(copy_recent) / 10 >= 0.9) or step + 1 >= WARMUP_MAX_STEPS:
                    warming = False
                    print(f"warm-up done at step {step}: copy accuracy {sum(copy_recent) / 10:.2f}", flush=True)
            for i, kind in enumerate(kinds):
                if kind == "passkey":
                    s0, s1 = spans[i]
                    recent.append(bool((pred[i, s0:s1] == y[i, s0:s1]).all()))
        recent = recent[-64:]
        acc = sum(recent) / max(1, len(recent))
        if step % 20 == 0:
            print(f"step {step} t={elapsed/60:.1f}min len={length} loss={loss.item():.3f} "
                  f"passkey_acc={acc:.2f}", flush=True)
        if stage + 1 < len(CURRICULUM) and len(recent) >= 48 and acc >= 0.8:
            stage += 1
            recent = []
            print(f"curriculum -> {CURRICULUM[stage]} at step {step}", flush=True)
            M.save_checkpoint(net, args.out)
        if step % 100 == 0:
            M.save_checkpoint(net, args.out)
        step += 1
    M.save_checkpoint(net, args.out)
    print(f"done: {step} steps, {(time.time()-t0)/60:.1f} min, final length {CURRICULUM[stage]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
