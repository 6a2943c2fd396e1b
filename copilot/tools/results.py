"""The tool-result cache a :class:`~copilot.tools.backends.Runtime` owns: in memory, and on disk.

A key is the tool's name, a hash of its code (an upgrade never serves an older version's result),
the identity of each backend the tool uses (name plus where its weights come from, so pointing a
hub backend at another checkpoint is a different key) and the arguments with recordings replaced
by their content hash. Values are the JSON text the tool returned.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.errors import CopilotError
from copilot.fileio import atomic_write


@dataclass(frozen=True)
class Hit:
    value: Any


class ResultCache:
    """Tool results by key; ``folder=None`` keeps them in memory only."""

    def __init__(self, folder: Path | None, identity: Callable[[str], str]) -> None:
        self.folder = folder
        self._identity = identity  # capability -> identity of the backend configuration selects
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()

    def key(self, tool: str, uses: tuple[str, ...], arguments: dict[str, Any], code: str = "") -> str | None:
        """The cache key of one call, or None when it cannot be cached (the call will raise the real error)."""
        try:
            backends = [f"{cap}={self._identity(cap)}" for cap in uses]
            blob = json.dumps([tool, code, backends, arguments], sort_keys=True)
        except (CopilotError, TypeError):
            return None
        return f"{tool}/{hashlib.sha256(blob.encode()).hexdigest()[:32]}"

    def get(self, key: str) -> Hit | None:
        with self._lock:
            text = self._memory.get(key)
        if text is None and self.folder is not None:
            try:
                text = (self.folder / f"{key}.json").read_text()
                json.loads(text)
            except (OSError, ValueError):
                return None
            with self._lock:
                self._memory[key] = text
        return None if text is None else Hit(json.loads(text))

    def clear_memory(self) -> None:
        """Forget what this process holds (the disk copy stays): for timing tools without their cache."""
        with self._lock:
            self._memory.clear()

    def put(self, key: str, encoded: str) -> None:
        with self._lock:
            self._memory[key] = encoded
        if self.folder is not None:
            try:
                atomic_write(self.folder / f"{key}.json", encoded)
            except OSError:
                pass  # a read-only cache folder costs speed, not correctness
