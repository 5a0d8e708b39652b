"""The compiled tier's disk cache (isa/compiled.py decides where, and whether): one file `<key>.o` per program.

A file is MAGIC, the key (64 hex digits), the SHA-256 of the rest, then each of the program's objects (one per LLVM
module, isa/llvm_modules.py) as an 8-byte little-endian length and its bytes. A file that is unreadable, truncated,
corrupt (its checksum fails) or foreign (another key) reads as missing; a folder that cannot be written is skipped;
a file is replaced atomically. Neither ever stops a run.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

MAGIC = b"ISABENCH-COMPILED-2\n"


def read(folder: Path, key: str) -> list[bytes] | None:
    """The objects stored for `key`, or None when there is no sound file for it."""
    try:
        blob = (folder / f"{key}.o").read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + 64 + 32
    payload = blob[head:]
    if (len(blob) <= head or blob[: len(MAGIC)] != MAGIC or blob[len(MAGIC) : len(MAGIC) + 64] != key.encode()
            or hashlib.sha256(payload).digest() != blob[len(MAGIC) + 64 : head]):
        return None
    objects, at = [], 0
    while at + 8 <= len(payload):
        size = int.from_bytes(payload[at : at + 8], "little")
        objects.append(payload[at + 8 : at + 8 + size])
        at += 8 + size
    return objects if at == len(payload) and all(objects) else None


def write(folder: Path, key: str, objects: list[bytes]) -> None:
    payload = b"".join(len(obj).to_bytes(8, "little") + obj for obj in objects)
    blob = MAGIC + key.encode() + hashlib.sha256(payload).digest() + payload
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key[:16]}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, folder / f"{key}.o")  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
