"""One `isabench run` per run folder at a time: a second one says who holds the folder and stops.

The lock is an advisory flock on RUN/.lock, which the kernel releases when its process ends, however it ends (kill -9
included): a crashed run never leaves a stale lock behind. The file's text says who holds it, for the message.
"""
from __future__ import annotations

import os
import platform
import time
from contextlib import contextmanager
from pathlib import Path

from bench import safe_io

LOCK_FILE = ".lock"


class FolderBusy(RuntimeError):
    """Another process is running into this folder."""


@contextmanager
def locked(folder: Path, command: str):
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    with safe_io.open_append(folder / LOCK_FILE) as f:  # a link there is refused, never truncated through
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().decode(errors="replace").strip() or "another process"
            raise FolderBusy(f"{folder} is in use by another isabench run ({holder}); wait for it to finish, or "
                             "give this run another --out") from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()} on {platform.node()} since {time.strftime('%Y-%m-%d %H:%M:%S')}: {command}\n"
                .encode(errors="replace"))
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)
