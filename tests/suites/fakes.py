"""A fake answerer with the ``Copilot.ask`` shape, for tests of the runner's mechanics.

It stands in for ``copilot.api.Copilot`` where the test is about resume, threads, program keys or
scoring; ``test_end_to_end.py`` runs the real Copilot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class FakeAnswer:
    answer: str | None
    value: Any
    ok: bool
    error: str | None
    program_id: str
    from_cache: bool
    attempts: int = 1
    tool_calls: list = field(default_factory=list)
    timings: dict = field(default_factory=lambda: {"total_s": 0.0})
    tokens: dict = field(default_factory=dict)

    def to_dict(self, with_trace: bool = True) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Call:
    instruction: str
    program_key: str | None
    n_audio: int
    text: str | None
    options: list[str] | None
    start: float
    end: float = 0.0


class FakeCopilot:
    """Answers with ``decide(instruction, audio, text, options)``; counts plans per program key.

    ``fail_after``: raise a non-Copilot error (a crash) on that call number, to test resume.
    """

    def __init__(self, decide: Callable[..., str | None] | None = None, delay: float = 0.0,
                 fail_after: int | None = None) -> None:
        self.decide = decide or (lambda instruction, audio, text, options: options[0] if options else "x")
        self.delay = delay
        self.fail_after = fail_after
        self.calls: list[Call] = []
        self.plans: dict[str, int] = {}
        self.lock = threading.Lock()

    def ask(self, instruction: str, audio: Sequence[Any] = (), text: str | None = None,
            options: Sequence[str] | None = None, program_key: str | None = None) -> FakeAnswer:
        call = Call(instruction, program_key, len(audio), text, None if options is None else list(options),
                    time.perf_counter())
        with self.lock:
            if self.fail_after is not None and len(self.calls) >= self.fail_after:
                raise RuntimeError("simulated crash")
            self.calls.append(call)
            key = program_key or instruction
            cached = key in self.plans
            self.plans[key] = self.plans.get(key, 0) + (not cached)
        time.sleep(self.delay)
        answer = self.decide(instruction, audio, text, call.options)
        call.end = time.perf_counter()
        return FakeAnswer(answer=answer, value=answer, ok=answer is not None,
                          error=None if answer is not None else "no answer", program_id=f"p-{key}",
                          from_cache=cached)
