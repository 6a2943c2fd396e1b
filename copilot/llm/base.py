"""The one small interface every LLM backend implements, and the record of each call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Completion:
    """One LLM call: the reply plus what it cost."""

    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    # Prompt tokens served from a reused prefix (llama.cpp KV cache), when the backend knows.
    cached_tokens: int = 0
    # Time to the first token (prompt processing), when the backend streams; 0 when unknown.
    prefill_seconds: float = 0.0


class ChatModel(Protocol):
    """What the planner, the analyser and ``query_llm`` need from an LLM."""

    name: str

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] = ()) -> Completion: ...
