#!/usr/bin/python3
"""Upgrades a kvsim small-model checkpoint from format version 1 to 2 in place (or to OUT).

Version 2 (models/small/FORMAT.md) inserts, after the version, the SHA-256 of everything that
follows; the weights are copied byte for byte. Needs no PyTorch: it works on the bytes. Refuses a
file that is not version 1, and a version-1 file whose tensor records do not end exactly at the end
of the file (a truncated or padded checkpoint cannot be sealed as if it were sound).

Usage: /usr/bin/python3 tools/train/upgrade_checkpoint.py CHECKPOINT [OUT]
"""
import hashlib
import os
import struct
import sys

MAGIC = b"KVSIMLM1"


def records_end(data, off):
    """Offset just past the last tensor record of a version-1 payload starting at `off`."""
    off += 32 + 8  # configuration: 8 x u32, 2 x f32
    (count,) = struct.unpack_from("<I", data, off)
    off += 4
    for _ in range(count):
        (n,) = struct.unpack_from("<I", data, off)
        off += 4 + n
        (rank,) = struct.unpack_from("<I", data, off)
        dims = struct.unpack_from(f"<{rank}I", data, off + 4)
        off += 4 + 4 * rank
        size = 1
        for d in dims:
            size *= d
        off += 4 * size
    return off


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    src = argv[1]
    dst = argv[2] if len(argv) == 3 else src
    with open(src, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC:
        print(f"{src}: not a kvsim small-model checkpoint (bad magic)", file=sys.stderr)
        return 1
    (version,) = struct.unpack_from("<I", data, 8)
    if version != 1:
        print(f"{src}: format version {version}; only version 1 is upgraded", file=sys.stderr)
        return 1
    payload = data[12:]
    try:
        end = records_end(data, 12)
    except struct.error:
        end = -1
    if end != len(data):
        print(f"{src}: the tensor records do not end at the end of the file: truncated or damaged, not upgraded",
              file=sys.stderr)
        return 1
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(MAGIC + struct.pack("<I", 2) + hashlib.sha256(payload).digest() + payload)
    os.replace(tmp, dst)
    print(f"{dst}: format version 2, sha256 {hashlib.sha256(payload).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
