"""The sandbox's public records: limits going in, a result record coming out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from copilot.errors import ErrorKind


@dataclass(frozen=True)
class Limits:
    """Resource limits for one program run.

    Time is counted three ways: ``cpu_s`` is CPU time of the worker (an OS limit); ``wall_s`` is the
    wall-clock time the worker spends on its own, *excluding* time the host spends inside tool calls
    (models may take many seconds on CPU); ``total_s`` caps everything, tool calls included. A tool call
    is never interrupted: the total budget is checked when it returns.
    """

    cpu_s: float = 30.0
    wall_s: float = 60.0
    total_s: float = 600.0
    memory_mb: int = 512
    max_output_bytes: int = 64_000
    max_result_bytes: int = 1_000_000
    max_call_bytes: int = 1_000_000
    max_tool_calls: int = 1_000
    max_open_files: int = 16
    max_file_bytes: int = 0

    def __post_init__(self) -> None:
        for name in ("cpu_s", "wall_s", "total_s", "memory_mb", "max_output_bytes", "max_result_bytes",
                     "max_call_bytes", "max_open_files"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")
        if self.max_tool_calls < 0 or self.max_file_bytes < 0:
            raise ValueError("Limits.max_tool_calls and Limits.max_file_bytes cannot be negative")


@dataclass(frozen=True)
class ToolCallRecord:
    """One tool call as the program made it: arguments as sent, and the JSON result or the error text."""

    name: str
    args: Any
    result: Any = None
    error: str | None = None
    seconds: float = 0.0
    backends: dict[str, str] = field(default_factory=dict)  # capability -> the backend that served it


@dataclass(frozen=True)
class Served:
    """What a dispatch gives back for one tool call: the JSON result, and the backend that served
    each capability the tool uses (the sandbox only records them)."""

    value: Any
    backends: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SandboxResult:
    """What one program run produced. ``error_message`` names the line and the rule or exception."""

    ok: bool
    value: Any = None
    stdout: str = ""
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    seconds: float = 0.0
    error_kind: ErrorKind | None = None
    error_message: str | None = None
    error_line: int | None = None
    isolation: tuple[str, ...] = ()  # what the worker applied (and what the OS refused), for the trace
