#!/usr/bin/python3
"""Seals a 0/1 accept/reject trace for kvsim (acceptance trace format version 2), in place or to OUT.

A sealed trace starts with `kvsim-acceptance-trace 2 sha256=<hex>`, the SHA-256 of every byte after
that line (models/speculative/acceptance.h). A file that is already sealed is checked instead: its
digest is verified and it is left unchanged (re-sealing an edited file: remove the first line).
The outcomes themselves are checked (0 or 1, '#' starts a comment) before anything is written.

Usage: /usr/bin/python3 tools/trace/seal_acceptance_trace.py TRACE [OUT]
"""
import hashlib
import os
import sys

TAG = b"kvsim-acceptance-trace 2 sha256="


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    src = argv[1]
    dst = argv[2] if len(argv) == 3 else src
    with open(src, "rb") as f:
        data = f.read()
    if data.startswith(TAG):
        first, _, body = data.partition(b"\n")
        if hashlib.sha256(body).hexdigest().encode() != first[len(TAG):]:
            print(f"{src}: sealed, but the digest does not match: corrupted or edited after sealing", file=sys.stderr)
            return 1
        print(f"{src}: already sealed, digest verified")
        return 0
    for lineno, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        for word in line.split("#", 1)[0].split():
            if word not in ("0", "1"):
                print(f"{src}:{lineno}: expected 0 (rejected) or 1 (accepted), found '{word}'", file=sys.stderr)
                return 1
    digest = hashlib.sha256(data).hexdigest()
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(TAG + digest.encode() + b"\n" + data)
    os.replace(tmp, dst)
    print(f"{dst}: sealed, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
