"""A disk cache in front of a chat model, so a derivation reruns instantly and resumes after a crash.

Each reply is one small JSON file named by the hash of (model name, messages, sampling options) and
written atomically as soon as the call returns: an interrupted run loses at most the call in flight.
The entry keeps what the original call cost, so a rerun from cache can still report it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from copilot.fileio import atomic_write
from copilot.llm.base import ChatModel, Completion, Message


@dataclass
class LLMUsage:
    """Calls made through the cache: live ones, hits, and the recorded cost of all of them."""

    live_calls: int = 0
    cache_hits: int = 0
    live_seconds: float = 0.0
    prompt_tokens: int = 0  # over all calls, live or cached, as first recorded
    completion_tokens: int = 0
    recorded_seconds: float = 0.0

    def add(self, completion: Completion, hit: bool) -> None:
        if hit:
            self.cache_hits += 1
        else:
            self.live_calls += 1
            self.live_seconds += completion.seconds
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.recorded_seconds += completion.seconds


class CachedLLM(ChatModel):
    """Wraps any :class:`ChatModel`; same interface, plus ``usage``."""

    def __init__(self, llm: ChatModel, folder: Path | None) -> None:
        self.llm = llm
        self.folder = folder
        self.name, self.backend = llm.name, llm.backend
        self.usage = LLMUsage()

    def key(self, messages: Sequence[Message], max_tokens: int, temperature: float, stop: Sequence[str]) -> str:
        blob = json.dumps({"model": self.llm.name, "messages": [[m.role, m.content] for m in messages],
                           "max_tokens": max_tokens, "temperature": temperature, "stop": list(stop)})
        return hashlib.sha256(blob.encode()).hexdigest()

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] = ()) -> Completion:
        key = self.key(messages, max_tokens, temperature, stop)
        cached = self._read(key)
        if cached is not None:
            self.usage.add(cached, hit=True)
            return cached
        completion = self.llm.complete(messages, max_tokens=max_tokens, temperature=temperature, stop=stop)
        self._write(key, completion)
        self.usage.add(completion, hit=False)
        return completion

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / f"{key}.json"

    def _read(self, key: str) -> Completion | None:
        if self.folder is None:
            return None
        try:
            raw = json.loads(self._path(key).read_text())
            known = {f.name for f in dataclasses.fields(Completion)}
            return Completion(**{k: v for k, v in raw.items() if k in known})
        except (OSError, ValueError, TypeError):
            return None  # missing or damaged: ask the model again

    def _write(self, key: str, completion: Completion) -> None:
        if self.folder is None:
            return
        atomic_write(self._path(key), json.dumps(dataclasses.asdict(completion)))
