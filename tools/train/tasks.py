"""Training and evaluation data for kvsim's small model: natural English text, long documents, and
synthetic long-context retrieval episodes (passkey, named needles, key-value lookup).

Contract: every episode is a byte string plus the byte range of its answer; generation is a pure
function of a `random.Random` so that a seed reproduces the data exactly. The recipe (needle and
question wording, filler kinds) is mirrored by models/lm/tasks.cpp, which builds the same kinds
of episodes for kvsim's own quality measurements (with each kind's first wording, so that every
checkpoint is measured on the same episodes); docs/small-model.md states the recipe.
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
# Long documents (recipe v2): the reStructuredText sources of Python 3.11's documentation, Debian's
# python3.11-doc. Names defined early in a page recur pages later: the long-range dependency the
# fortunes lack. One file is one document; every 10th file (sorted paths) is held out.
DOC_GLOB = "/usr/share/doc/python3.11/html/_sources/**/*.rst.txt"
START_BYTE = 2  # recipe v2: every sequence begins with STX, so that an attention sink can form

PASSKEY_QUESTIONS = [b"\nWhat is the pass key? The pass key is ", b"\nTell me the pass key. The pass key is ",
                     b"\nWhich number did the text ask you to remember? The pass key is ",
                     b"\nQuestion: what was the pass key? Answer: The pass key is "]
NAMES = [b"Anna", b"Boris", b"Chen", b"Dana", b"Emil", b"Farah", b"Goran", b"Hana", b"Ivan", b"Jonas", b"Kemal",
         b"Lena", b"Marta", b"Nils", b"Olga", b"Pavel", b"Quinn", b"Rosa", b"Sven", b"Tariq", b"Ugo", b"Vera",
         b"Wei", b"Ximena", b"Yusuf", b"Zoe"]
ATTRIBUTES = [b"secret number", b"room number", b"locker code", b"lucky number", b"badge number"]
NEEDLE_FACTS = [b" The {a} of {n} is {v}. ", b" Remember: the {a} of {n} is {v}. "]
NEEDLE_QUESTIONS = [b"\nWhat is the {a} of {n}? The {a} of {n} is ",
                    b"\nTell me the {a} of {n}. The {a} of {n} is ",
                    b"\nQuestion: what was {n}'s {a}? Answer: The {a} of {n} is "]
KV_QUESTIONS = [b"\nWhat is the value of key {k}? The value of key {k} is ",
                b"\nLook up key {k}. The value of key {k} is "]


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


def load_documents():
    """(train_docs, heldout_docs): lists of ASCII byte strings, one per documentation page."""
    paths = sorted(glob.glob(DOC_GLOB, recursive=True))
    docs = []
    for path in paths:
        with open(path, "rb") as f:
            docs.append(f.read().decode("utf-8", "ignore").encode("ascii", "ignore"))
    if len(docs) < 100:
        raise SystemExit("documents missing: install Debian's `python3.11-doc` package "
                         "(tools/install-deps.sh --with-training)")
    return ([d for i, d in enumerate(docs) if i % 10 != 0], [d for i, d in enumerate(docs) if i % 10 == 0])


class Text:
    """Where natural text comes from: the fortunes corpus alone (recipe v1) or, half the time, a
    window inside one long document (recipe v2; a document shorter than the window is followed by
    the next one)."""

    def __init__(self, corpus, docs=None):
        self.corpus, self.docs = corpus, docs
        if docs:
            self.joined = b"\n\n".join(docs)
            self.starts, at = [], 0
            for d in docs:
                self.starts.append(at)
                at += len(d) + 2

    def window(self, rng, length):
        if self.docs and rng.random() < 0.5:
            i = rng.randrange(len(self.docs))
            start = self.starts[i] + rng.randrange(max(1, len(self.docs[i]) - length))
            start = min(start, len(self.joined) - length - 1)
            return self.joined[start:start + length]
        start = rng.randrange(len(self.corpus) - length - 1)
        return self.corpus[start:start + length]


def filler(rng, corpus, length, classic_share=0.0):
    """Natural held-in text by default. The classic filler is available for evaluation only: its
    "The sky is blue" shares the byte suffix "ky is " with "The pass key is ", which a byte-level
    model must learn to tell apart, and training on it delayed retrieval past the time budget."""
    if corpus is None or rng.random() < classic_share:
        reps = length // len(CLASSIC_FILLER) + 2
        start = rng.randrange(len(CLASSIC_FILLER))
        return (CLASSIC_FILLER * reps)[start:start + length]
    if isinstance(corpus, Text):
        return corpus.window(rng, length)
    start = rng.randrange(len(corpus) - length - 1)
    return corpus[start:start + length]


def passkey_episode(rng, corpus, length, varied=False):
    key = b"%05d" % rng.randrange(100000)
    needle = b" The pass key is " + key + b". Remember it. " + key + b" is the pass key. "
    question = rng.choice(PASSKEY_QUESTIONS) if varied else PASSKEY_QUESTIONS[0]
    tail = key + b"."
    body_len = max(0, length - len(needle) - len(question) - len(tail))
    body = filler(rng, corpus, body_len)
    depth = rng.randrange(body_len + 1)
    text = body[:depth] + needle + body[depth:] + question
    return text + tail, (len(text), len(text) + len(key))


def place_facts(rng, body, facts, question, tail, answer_len):
    """The facts at sorted random cuts of the body, then the question and the tail (the answer,
    then "."); returns the text and the answer's span."""
    cuts = sorted(rng.randrange(len(body) + 1) for _ in facts)
    text, prev = b"", 0
    for cut, fact in zip(cuts, facts):
        text += body[prev:cut] + fact
        prev = cut
    text += body[prev:] + question
    return text + tail, (len(text), len(text) + answer_len)


def needles_episode(rng, corpus, length):
    """Two to four named facts ("The room number of Vera is 40913.") at random depths; one is asked
    for by name. Every fact has the question's form, so only the name tells them apart: the
    question's rows must find the name in the context, which is what a retrieval head does."""
    count = rng.randint(2, 4)
    names = rng.sample(NAMES, count)
    attribute = rng.choice(ATTRIBUTES)
    values = [b"%05d" % rng.randrange(100000) for _ in names]
    facts = [rng.choice(NEEDLE_FACTS).replace(b"{a}", attribute).replace(b"{n}", n).replace(b"{v}", v)
             for n, v in zip(names, values)]
    pick = rng.randrange(count)
    question = rng.choice(NEEDLE_QUESTIONS).replace(b"{a}", attribute).replace(b"{n}", names[pick])
    tail = values[pick] + b"."
    body_len = max(0, length - sum(map(len, facts)) - len(question) - len(tail))
    return place_facts(rng, filler(rng, corpus, body_len), facts, question, tail, len(values[pick]))


def kv_episode(rng, corpus, length, pairs=4, varied=False):
    letters = b"abcdefghijklmnopqrstuvwxyz"
    keys = []
    while len(keys) < pairs:
        k = bytes(rng.choice(letters) for _ in range(4))
        if k not in keys:
            keys.append(k)
    values = [b"%04d" % rng.randrange(10000) for _ in keys]
    facts = [b" The value of key " + k + b" is " + v + b". " for k, v in zip(keys, values)]
    pick = rng.randrange(pairs)
    question = (rng.choice(KV_QUESTIONS) if varied else KV_QUESTIONS[0]).replace(b"{k}", keys[pick])
    tail = values[pick] + b"."
    body_len = max(0, length - sum(map(len, facts)) - len(question) - len(tail))
    return place_facts(rng, filler(rng, corpus, body_len), facts, question, tail, len(values[pick]))


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
