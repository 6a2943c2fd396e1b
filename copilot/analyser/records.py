"""What a derivation produces: the pool runs, the held-out score and the derivation itself.

Plain records, so the derivation (``derive.py``), the spec (``spec.py``) and the reports
(``report.py``) can all use them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from copilot.analyser.decompose import Decomposition
from copilot.analyser.llm_cache import LLMUsage
from copilot.analyser.matching import Match
from copilot.analyser.modularize import DerivedModule, Merge
from copilot.pools import TaskRecord


@dataclass(frozen=True)
class Coverage:
    """Which of a pool's tasks a spec covers (``spec.coverage`` scores them)."""

    tasks: tuple[str, ...]
    covered: tuple[str, ...]
    any_phrasing: tuple[str, ...]  # tasks with at least one program that needs only bound modules
    missing: dict[str, tuple[str, ...]]  # uncovered task -> its unbound modules ("" if not decomposed)

    @property
    def share(self) -> float:
        return len(self.covered) / len(self.tasks) if self.tasks else 0.0

    @property
    def any_phrasing_share(self) -> float:
        return len(self.any_phrasing) / len(self.tasks) if self.tasks else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"tasks": len(self.tasks), "covered": len(self.covered), "share": round(self.share, 4),
                "any_phrasing_covered": len(self.any_phrasing),
                "any_phrasing_share": round(self.any_phrasing_share, 4),
                "uncovered": {t: list(m) for t, m in self.missing.items()}}


@dataclass(frozen=True)
class PoolRun:
    """A pool's tasks and their decompositions."""

    name: str
    tasks: tuple[TaskRecord, ...]
    decompositions: tuple[Decomposition, ...]

    @property
    def failed(self) -> tuple[Decomposition, ...]:
        return tuple(d for d in self.decompositions if not d.calls)


@dataclass(frozen=True)
class HeldOut:
    """A pool the derivation never saw, scored against the derived spec."""

    run: PoolRun
    matches: dict[str, Match | None]  # its module name -> the derived module it matches
    in_spec: Coverage  # every module matches some derived module
    covered: Coverage  # ... and that module is bound to a tool


@dataclass(frozen=True)
class Derivation:
    run: PoolRun
    phrasings: int
    llm: str
    toolset: str | None
    modules: tuple[DerivedModule, ...]
    merges: tuple[Merge, ...]
    bindings: dict[str, Match | None]
    coverage: Coverage
    paper: dict[str, Match | None]  # the paper's 16 modules bound to the same toolset
    held_out: HeldOut | None
    usage: LLMUsage | None

    @property
    def bound(self) -> set[str]:
        return {name for name, b in self.bindings.items() if b is not None}
