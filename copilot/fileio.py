"""Cache files: atomic writes (a reader sees the old file or the new one, never half) and the log of
one-time set-up steps.

The temporary file is unique per call (mkstemp), so threads of one process (benchmark workers) and
concurrent processes never write into each other's temporary file.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A unique temporary path beside ``path``; renamed onto ``path`` when the block succeeds.

    For writers that need a file name rather than data (``sox``, ``espeak-ng -w``, ``sf.write``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp" + path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename it."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data) if isinstance(data, bytes) else tmp.write_text(data, encoding="utf-8")


SETUP_LOG = "setup-times.tsv"  # "step<TAB>seconds<TAB>when" per line: scripts/timed.sh and record_setup_step


def record_setup_step(folder: Path, step: str, seconds: float) -> None:
    """Note that a one-time set-up step (joining the weights, the prefix state) took ``seconds``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / SETUP_LOG, "a") as fh:
            fh.write(f"{step}\t{seconds:.1f}\t{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n")
    except OSError:
        pass  # a read-only cache loses the note, nothing else
