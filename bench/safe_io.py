"""Every file the harness writes goes through here: nothing is ever written through a symbolic link.

A run folder can hold files somebody else put there. A link at RUN/records.jsonl, RUN/.lock or RUN/plots/x.png would
make a plain open() write into whatever it points to, so:
- files that are appended to or locked (records.jsonl, .lock, records.rejected.jsonl) are opened with O_NOFOLLOW and a
  link there is refused with a message that names it;
- whole files (meta.json, summary.csv, the reports, the figures) are written to a temporary file created exclusively
  (O_EXCL, unpredictable name) in the same folder and renamed over the target: a rename replaces a link, never
  follows it, and a reader sees the old file or the whole new one. A failed write (a full disk) removes its
  temporary file and re-raises;
- a folder the harness writes into (plots/) must not be a link either.
The run folder itself may be a link (results/ on another disk is a choice, not an attack): only paths inside it are
checked.
"""
from __future__ import annotations

import errno
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: mkstemp makes 0600 files, and a run's tables should be as readable as any file the user makes


class LinkRefused(OSError):
    """A path the harness would write is a symbolic link."""

    def __init__(self, path: str | Path):
        super().__init__(errno.ELOOP, f"{path} is a symbolic link; isabench never writes through one (remove the "
                                      "link, or choose another --out)")
        self.path = Path(path)

    def __str__(self) -> str:
        return self.strerror


def refuse_link(path: str | Path) -> None:
    if os.path.islink(path):
        raise LinkRefused(path)


def open_append(path: str | Path):
    """`path` opened for reading and appending (created if missing), as a binary file; a link is refused."""
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP or os.path.islink(path):
            raise LinkRefused(path) from None
        raise
    return os.fdopen(fd, "a+b", buffering=0)  # unbuffered: what write() did not put on disk, close() never retries


def make_folder(path: str | Path) -> Path:
    """mkdir -p, refusing a link where the folder itself should be."""
    path = Path(path)
    refuse_link(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def replacing(path: str | Path):
    """A binary file to write `path`'s new content into; on a clean exit it replaces `path` whole (a link there
    included, never followed). On any error the temporary file is removed and `path` is left as it was."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o666 & ~_UMASK)
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Replace `path` with `text` whole: readers never see half a file, and a link at `path` is replaced."""
    with replacing(path) as f:
        f.write(text.encode("utf-8") if isinstance(text, str) else text)


def save_figure(fig, path: str | Path, **kwargs) -> Path:
    """matplotlib's savefig, made safe: it writes to a file object we opened, never to a path it would follow."""
    path = Path(path)
    with replacing(path) as f:
        fig.savefig(f, format=path.suffix.lstrip("."), **kwargs)
    return path
