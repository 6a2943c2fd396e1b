"""What a planner run produces: the answer, and a trace of every attempt in the order it happened.

An attempt is one program version: the LLM call that wrote it (none for a stored program), the
program, its sandbox run (none when a check refused it before running), and how it ended. The
trace computes timings and token counts from its attempts, so there is one source for each figure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from copilot.errors import ErrorKind
from copilot.sandbox.records import SandboxResult, ToolCallRecord


@dataclass(frozen=True)
class Refusal:
    """Why a check turned a program down: the kind, the reason in words, and what goes back to the LLM."""

    kind: ErrorKind
    error: str
    feedback: str


@dataclass(frozen=True)
class LLMCall:
    purpose: str  # "plan" | "repair" | "fallback" (which tool) | "fresh" | "map_option"
    reply: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    seconds: float
    prefill_seconds: float
    temperature: float = 0.0


@dataclass(frozen=True)
class Attempt:
    """One program version and how it ended; ``failure`` is None for the one that answered."""

    program: str
    llm: LLMCall | None = None  # None: the program came from the store
    run: SandboxResult | None = None  # None: refused before running
    failure: ErrorKind | None = None
    error: str | None = None  # what went wrong, in words
    feedback: str | None = None  # what went back to the LLM, if anything
    note: str | None = None  # what the planner did besides (escalation, reuse from the library)

    @classmethod
    def refused(cls, program: str, llm: LLMCall | None, refusal: Refusal, run: SandboxResult | None = None,
                note: str | None = None) -> Attempt:
        return cls(program, llm, run, refusal.kind, refusal.error, refusal.feedback, note)

    @classmethod
    def answered(cls, program: str, llm: LLMCall | None, run: SandboxResult, note: str | None = None) -> Attempt:
        return cls(program, llm, run, note=note)

    @property
    def tool_calls(self) -> list[ToolCallRecord]:
        return list(self.run.tool_calls) if self.run else []

    def to_dict(self) -> dict[str, Any]:
        run = self.run
        return {
            "program": self.program, "failure": self.failure.value if self.failure else None, "error": self.error,
            "feedback": self.feedback, "note": self.note, "llm": asdict(self.llm) if self.llm else None,
            "run": None if run is None else {
                "ok": run.ok, "value": run.value, "stdout": run.stdout, "seconds": run.seconds,
                "error_kind": run.error_kind.value if run.error_kind else None, "error": run.error_message,
                "tool_calls": [asdict(c) for c in run.tool_calls], "isolation": list(run.isolation)},
        }


@dataclass
class Trace:
    """The attempts of one question in order, plus LLM calls made outside them (option mapping)."""

    attempts: list[Attempt] = field(default_factory=list)
    other_calls: list[LLMCall] = field(default_factory=list)

    @property
    def llm_calls(self) -> list[LLMCall]:
        return [a.llm for a in self.attempts if a.llm] + self.other_calls

    def timings(self, total_s: float, model_load_s: float, prefix_s: float = 0.0) -> dict[str, float]:
        calls = self.llm_calls
        llm_s = sum(c.seconds for c in calls)
        prefill_s = sum(c.prefill_seconds for c in calls)
        runs = [a.run for a in self.attempts if a.run]
        tool_s = sum(c.seconds for r in runs for c in r.tool_calls)
        run_s = sum(r.seconds for r in runs)
        return {"total_s": total_s, "llm_s": llm_s, "llm_prefill_s": prefill_s, "llm_decode_s": llm_s - prefill_s,
                "tools_s": tool_s, "sandbox_s": max(0.0, run_s - tool_s), "model_load_s": model_load_s,
                "llm_prefix_s": prefix_s}

    def tokens(self) -> dict[str, int]:
        calls = self.llm_calls
        return {"prompt": sum(c.prompt_tokens for c in calls), "completion": sum(c.completion_tokens for c in calls),
                "cached": sum(c.cached_tokens for c in calls), "llm_calls": len(calls)}

    def to_dict(self) -> dict[str, Any]:
        return {"attempts": [a.to_dict() for a in self.attempts],
                "other_llm_calls": [asdict(c) for c in self.other_calls]}


@dataclass(frozen=True)
class Answer:
    """The result of one question: the answer, the program that produced it and how it got there.

    ``caveats`` are what the user should know about the answer (no speech found, a tool's low
    reliability); ``source`` says where the program came from: "planned", "cache" (the same task
    before) or "library" (a paraphrase of ``source_instruction``). ``to_dict()`` is the one JSON
    form of an answer: ``copilot ask --json``, MCP, LangChain, the web UI and the benchmark records
    all use it; each tool call names the backend that served it.
    """

    answer: str | None
    value: Any
    ok: bool
    error: str | None
    program: str
    program_id: str
    source: str
    tool_calls: list[ToolCallRecord]
    timings: dict[str, float]
    tokens: dict[str, int]
    llm: dict[str, str] = field(default_factory=dict)  # {"backend": how it is reached, "model": its name}
    caveats: list[str] = field(default_factory=list)
    source_instruction: str | None = None
    signature: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    trace: Trace = field(default_factory=Trace)

    @property
    def from_cache(self) -> bool:
        return self.source != "planned"

    @property
    def attempts(self) -> int:
        return len(self.trace.attempts)

    def to_dict(self, with_trace: bool = True) -> dict[str, Any]:
        data = {
            "answer": self.answer, "value": self.value, "ok": self.ok, "error": self.error, "caveats": self.caveats,
            "program": self.program, "program_id": self.program_id, "source": self.source,
            "source_instruction": self.source_instruction, "from_cache": self.from_cache, "attempts": self.attempts,
            "llm": self.llm, "tool_calls": [asdict(c) for c in self.tool_calls], "timings": self.timings,
            "tokens": self.tokens, "signature": self.signature, "options": self.options,
        }
        if with_trace:
            data["trace"] = self.trace.to_dict()
        return data
