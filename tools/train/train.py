#!/usr/bin/python3
"""Trains kvsim's small byte-level Llama-style model (see model.py) and writes its checkpoint.

Usage (Debian's interpreter; `tools/install-deps.sh --with-training` installs what it needs):
    /usr/bin/python3 tools/train/train.py --recipe v2 --pose --rope-base 500000 --final-steps 150 --out stage1.bin
    /usr/bin/python3 tools/train/train.py --recipe v2 --resume stage1.bin --final-steps 150 --lr 5e-4 \
        --seed 20261127 --out models/small/kvsim-byte-lm.bin                # one more stage
These two commands made the committed checkpoint (docs/small-model.md). With --recipe v1 (the
default) they made the previous one, models/small/kvsim-byte-lm-v1.bin (then written in format 2,
without the start-byte field); without --pose and with the default RoPE base the script
reproduces the recipes before it.

Recipe v1: batches of repeated random strings only until the model copies them (90% of copied bytes
right over 10 steps; so that induction heads form: with the mixture from the start, retrieval had
not appeared after 600 steps); then 55% passkey episodes, 10% key-value lookup episodes, 20%
repeated random strings in text (induction practice), 15% plain text, haystacks of natural text
(--passkey-share rescales the other three); answer bytes and repeated copies weigh 3x in the loss
(--answer-weight). The context follows a curriculum 128 -> 256 -> 512 -> 1024 -> 2048 that
advances when the running training passkey accuracy reaches 0.8; at 2048 it trains --final-steps
more steps with a cosine learning-rate decay to 10%. With --pose the curriculum stops computing at
512 bytes and skips positions instead (see CURRICULUM_POSE), --pose-steps at its last stage, then
--final-steps at 2048; the decay spans both. A resumed stage trains --final-steps at 2048 only.
Recipe v2 keeps the warm-up and curriculum and changes the data (MIX_V2): every row begins with
tasks.START_BYTE; 35% passkey, 25% named needles (two to four "The room number of Vera is 40913."
facts, one asked for by name), 10% key-value lookup, 15% repeats, 15% plain text; every question
worded one of several ways; natural text half from fortunes and jargon, half from windows of long
documents (Python 3.11's documentation sources, every 10th page held out).
Batches hold 4,096 tokens (at least 2 rows). Everything random derives from --seed; torch runs
one thread with deterministic kernels, so the same seed and the same package versions give the
same checkpoint.
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

# Curricula of (row length, positional span). The full one computes every row at its length. The
# PoSE one (Zhu et al. 2023) stops computing at 512: one random cut per row skips positions so
# that the row's relative distances cover the span, which shows long distances at a quarter of
# the attention cost and with four times as many retrieval episodes per step.
CURRICULUM_FULL = [(128, 128), (256, 256), (512, 512), (1024, 1024), (2048, 2048)]
CURRICULUM_POSE = [(128, 128), (256, 256), (512, 512), (512, 1024), (512, 2048)]
FINAL_LENGTH = 2048
TOKENS_PER_STEP = 4096
WARMUP_MAX_STEPS = 1500  # induction warm-up: repeated random strings only until copying works
POSE_STEPS = 300  # PoSE curriculum: steps at its last stage once reached
FINAL_STEPS = 500  # steps at the full length, the tail of the learning-rate decay


def skipped_positions(rng, length, span):
    """Positions 0..length-1 with one random jump of up to span - length at a random cut."""
    pos = torch.arange(length)
    if span > length:
        cut = rng.randrange(1, length)
        pos[cut:] += rng.randrange(span - length + 1)
    return pos


# Recipe v2's mixture (shares of rows): named needles join the passkey, every question is worded
# one of several ways, text comes half from long documents, and every row starts with START_BYTE.
MIX_V2 = [("passkey", 0.35), ("needles", 0.25), ("kv", 0.10), ("repeat", 0.15), ("text", 0.15)]


def pick_kind(r, passkey_share, recipe):
    if recipe == "v2":
        for kind, share in MIX_V2:
            if r < share:
                return kind
            r -= share
        return "text"
    rest = (1.0 - passkey_share) / 0.45  # key-value, repeats and plain text keep their 10:20:15 ratio
    if r < passkey_share:
        return "passkey"
    if r < passkey_share + 0.10 * rest:
        return "kv"
    return "repeat" if r < 1.0 - 0.15 * rest else "text"  # (0.55 / 0.65 / 0.85 exactly by default)


def make_batch(rng, corpus, length, pos_span, batch, warmup=False, passkey_share=0.55, answer_weight=3.0,
               recipe="v1"):
    rows, weights, kinds, spans, positions = [], [], [], [], []
    varied = recipe == "v2"
    start = [tasks.START_BYTE] if recipe == "v2" else []
    n = length + 1 - len(start)  # bytes of each row's episode
    for _ in range(batch):
        extra = []
        r = rng.random()  # drawn in the warm-up too: v1's random stream stays the committed recipe's
        kind = "copy" if warmup else pick_kind(r, passkey_share, recipe)
        span = (0, 0)
        if kind == "copy":
            text, extra = tasks.copy_episode(rng, n)
        elif kind == "passkey":
            text, span = tasks.passkey_episode(rng, corpus, n, varied=varied)
        elif kind == "needles":
            text, span = tasks.needles_episode(rng, corpus, n)
        elif kind == "kv":
            text, span = tasks.kv_episode(rng, corpus, n, varied=varied)
        elif kind == "repeat":
            text, extra = tasks.repeat_episode(rng, corpus, n)
        elif recipe == "v2":
            text = tasks.filler(rng, corpus, n)
        else:
            begin = rng.randrange(len(corpus) - n - 1)
            text = corpus[begin:begin + n]
        text = bytes(start) + text[-n:].ljust(n, b" ")
        shift = len(start)
        span = (span[0] + shift, span[1] + shift) if span[1] > span[0] else span
        extra = [(a + shift, b + shift) for a, b in extra]
        w = torch.ones(length)
        # Target index t predicts byte t+1; a byte at j is predicted at position j-1.
        for a0, a1 in [span] + extra:
            if a1 > a0:
                w[a0 - 1:a1 - 1] = answer_weight
        a0, a1 = span
        rows.append(list(text))
        weights.append(w)
        kinds.append(kind)
        spans.append((a0 - 1, a1 - 1))
        positions.append(skipped_positions(rng, length, pos_span))
    data = torch.tensor(rows, dtype=torch.long)
    return data[:, :-1], data[:, 1:], torch.stack(weights), kinds, spans, torch.stack(positions)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=4000, help="upper bound on all steps")
    ap.add_argument("--minutes", type=float, default=180.0, help="safety cap; a capped run is not the recipe's")
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--resume", help="continue from this checkpoint at the full length (no warm-up, no curriculum)")
    ap.add_argument("--pose", action="store_true", help="PoSE curriculum (positions skipped in 512-byte rows)")
    ap.add_argument("--pose-steps", type=int, default=POSE_STEPS, help="with --pose: steps at its last stage")
    ap.add_argument("--final-steps", type=int, default=FINAL_STEPS, help="steps at the full length")
    ap.add_argument("--passkey-share", type=float, default=0.55, help="share of passkey rows")
    ap.add_argument("--rope-base", type=float, default=10000.0,
                    help="RoPE base of a new model (a resumed one keeps its checkpoint's)")
    ap.add_argument("--answer-weight", type=float, default=3.0, help="loss weight of answer and copied bytes")
    ap.add_argument("--recipe", choices=["v1", "v2"], default="v1",
                    help="v1: the previous checkpoint's data; v2: start byte, named needles, varied questions, "
                         "long documents (docs/small-model.md)")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)  # one thread: deterministic, and the recipe's time is CPU time
    rng = random.Random(args.seed)
    corpus, _ = tasks.load_corpus()
    if args.recipe == "v2":
        corpus = tasks.Text(corpus, tasks.load_documents()[0])
    cfg = M.Config(rope_base=args.rope_base, start_byte=tasks.START_BYTE if args.recipe == "v2" else None)
    net = M.load_checkpoint(args.resume) if args.resume else M.TinyLlama(cfg)
    print(f"parameters: {sum(p.numel() for p in net.parameters()):,}", flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.01)

    # The tail (the last curriculum stage, then the full length) decays the learning rate to 10%.
    stage, recent, step, tail_step = 0, [], 0, 0
    curriculum = CURRICULUM_POSE if args.pose else CURRICULUM_FULL
    pose_steps = args.pose_steps if args.pose and not args.resume else 0
    tail = pose_steps + args.final_steps
    warming, copy_recent = not args.resume, []
    if args.resume:
        stage = len(curriculum) - 1
    t0 = time.time()
    budget = args.minutes * 60
    while step < args.steps:
        if time.time() - t0 > budget:
            print(f"WARNING: stopped by --minutes at step {step}; not the reproducible recipe", flush=True)
            break
        if stage == len(curriculum) - 1:
            tail_step += 1
            if tail_step > tail:
                break
            decay = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * tail_step / tail))
        else:
            decay = 1.0
        length, pos_span = curriculum[stage] if tail_step <= pose_steps else (FINAL_LENGTH, FINAL_LENGTH)
        if tail_step == pose_steps + 1:
            print(f"full length {FINAL_LENGTH} at step {step}", flush=True)
            if pose_steps:
                M.save_checkpoint(net, args.out + ".before-full")  # what the short rows alone taught
        batch = max(2, TOKENS_PER_STEP // length)
        x, y, w, kinds, spans, positions = make_batch(rng, corpus, length, pos_span, batch, warmup=warming,
                                                     passkey_share=args.passkey_share,
                                                     answer_weight=args.answer_weight, recipe=args.recipe)
        elapsed = time.time() - t0
        warm = 1.0 if args.resume else min(1.0, (step + 1) / 100)
        for g in opt.param_groups:
            g["lr"] = args.lr * warm * decay
        logits = net(x, positions=positions)
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
            print(f"step {step} t={elapsed/60:.1f}min len={length} span={pos_span} loss={loss.item():.3f} "
                  f"passkey_acc={acc:.2f}", flush=True)
        if stage + 1 < len(curriculum) and len(recent) >= 48 and acc >= 0.8:
            stage += 1
            recent = []
            print(f"curriculum -> {curriculum[stage]} at step {step}", flush=True)
            M.save_checkpoint(net, args.out)
        if step % 100 == 0:
            M.save_checkpoint(net, args.out)
        step += 1
    M.save_checkpoint(net, args.out)
    print(f"done: {step} steps, {(time.time()-t0)/60:.1f} min, {time.process_time()/60:.1f} CPU min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
