"""Training and evaluation data for kvsim's small model: natural English text and synthetic
long-context retrieval episodes (passkey, key-value lookup).

Contract: every episode is a byte string plus the byte range of its answer; generation is a pure
function of a `random.Random` so that a seed reproduces the data exactly. The recipe (needle and
question wording, filler kinds) is mirrored by models/small_tasks.cpp, which builds the same kinds
of episodes for kvsim's own quality measurements; docs/small-model.md states the recipe.
"""
import glob
import gzip
import os
import random

# The classic passkey filler (Mohtashami & Jaggi 2023), used by Quest and TriForce's needle tests.
CLASSIC_FILLER = (b"The grass is green. The sky is blue. The sun is yellow. "
                  b"Here we go. There and back again. ")
FORTUNE_DIR = "/usr/share/games/fortunes"
JARGON_FILE = "/usr/share/doc/jargon-text/jargon.txt.gz"


def load_corpus():
    """Returns (train_text, heldout_text) as bytes. Every 20th fortune (and every 20th jargon
    paragraph) is held out; the split depends only on the package contents."""
    entries = []
    for path in sorted(glob.glob(os.path.join(FORTUNE_DIR, "*"))):
        if os.path.isdir(path) or path.endswith((".dat", ".u8")) or os.path.islink(path):
            continue
        with open(path, "rb") as f:
            entries += [e.strip() for e in f.read().split(b"\n%\n") if e.strip()]
    if os.path.exists(JARGON_FILE):
        with gzip.open(JARGON_FILE, "rb") as f:
            entries += [p.strip() for p in f.read().split(b"\n\n") if p.strip()]
    entries = [e.decode("latin-1").encode("ascii", "ignore") for e in entries]
    train = b"\n\n".join(e for i, e in enumerate(entries) if i % 20 != 0)
    heldout = b"\n\n".join(e for i, e in enumerate(entries) if i % 20 == 0)
    if len(train) < 100_000:
        raise SystemExit("corpus missing: install Debian's `fortunes` and `jargon-text` packages")
    return train, heldout


def filler(rng, corpus, length, classic_share=0.0):
    """Natural held-in text by default. The classic filler is available for evaluation only: its
    "The sky is blue" shares the byte suffix "ky is " with "The pass key is ", which a byte-level
    model must learn to tell apart, and training on it delayed retrieval past the time budget."""
    if corpus is None or rng.random() < classic_share:
        reps = length // len(CLASSIC_FILLER) + 2
        start = rng.randrange(len(CLASSIC_FILLER))
        return (CLASSIC_FILLER * reps)[start:start + length]
    start = rng.randrange(len(corpus) - length - 1)
    return corpus[start:start + length]


def passkey_episode(rng, corpus, length):
    key = b"%05d" % rng.randrange(100000)
    needle = b" The pass key is " + key + b". Remember it. " + key + b" is the pass key. "
    question = b"\nWhat is the pass key? The pass key is "
    tail = key + b"."
    body_len = max(0, length - len(needle) - len(question) - len(tail))
    body = filler(rng, corpus, body_len)
    depth = rng.randrange(body_len + 1)
    text = body[:depth] + needle + body[depth:] + question
    return text + tail, (len(text), len(text) + len(key))


def kv_episode(rng, corpus, length, pairs=4):
    letters = b"abcdefghijklmnopqrstuvwxyz"
    keys = []
    while len(keys) < pairs:
        k = bytes(rng.choice(letters) for _ in range(4))
        if k not in keys:
            keys.append(k)
    values = [b"%04d" % rng.randrange(10000) for _ in keys]
    facts = [b" The value of key " + k + b" is " + v + b". " for k, v in zip(keys, values)]
    pick = rng.randrange(pairs)
    question = b"\nWhat is the value of key " + keys[pick] + b"? The value of key " + keys[pick] + b" is "
    tail = values[pick] + b"."
    body_len = max(0, length - sum(map(len, facts)) - len(question) - len(tail))
    body = filler(rng, corpus, body_len)
    cuts = sorted(rng.randrange(body_len + 1) for _ in facts)
    text, prev = b"", 0
    for cut, fact in zip(cuts, facts):
        text += body[prev:cut] + fact
        prev = cut
    text += body[prev:] + question
    return text + tail, (len(text), len(text) + len(values[pick]))


def repeat_episode(rng, corpus, length):
    """A random string repeated at random places in natural text: its later copies can only be
    predicted by looking back (induction), which retrieval builds on. Returns the text and the
    spans of the repeated copies (the first occurrence is not predictable)."""
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789"
    m = rng.randint(8, 32)
    token = bytes(rng.choice(alphabet) for _ in range(m))
    copies = rng.randint(2, 4)
    body = filler(rng, corpus, max(0, length - copies * (m + 2)))
    cuts = sorted(rng.randrange(len(body) + 1) for _ in range(copies))
    text, prev, spans = b"", 0, []
    for i, cut in enumerate(cuts):
        text += body[prev:cut] + b" "
        if i > 0:
            spans.append((len(text), len(text) + m))
        text += token + b" "
        prev = cut
    text += body[prev:]
    return text[:length], [(a, b) for a, b in spans if b <= length]


def copy_episode(rng, length):
    """A random string repeated end to end (induction warm-up): everything after the first copy is
    predictable only by looking back. Returns the text and the span of the copies."""
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789"
    m = rng.randint(8, 32)
    token = bytes(rng.choice(alphabet) for _ in range(m)) + b" "
    text = (token * (length // len(token) + 2))[:length]
    return text, [(len(token), length)]
