"""Instruction pools: the task instructions the analyser derives toolsets from and benchmarks use.

A pool is a JSONL file in ``copilot/instructions/`` (shipped in the package) (or anywhere), one task per line::

    {"task": "BirdSoundDetection_Warblrb10k",   # unique name
     "dimension": "Audio",                       # grouping for reports (free text)
     "family": "BirdSoundDetection",
     "instructions": ["Detect whether ...", ...], # phrasings, most frequent first
     "labels": ["presence", "absence"],          # answer set ([] for open answers)
     "inputs": ["audio"],                        # "audio", "audio2", ... and/or "text"
     "metric": "accuracy",
     "note": "...", "source": "...",            # optional provenance
     "published": {"Speech-Copilot": 72.4}}      # optional published accuracies (%)

Unknown keys are kept in ``extra`` so a pool can carry more without a code change.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.errors import CopilotError

POOLS_DIR = Path(__file__).resolve().parent / "instructions"
_FIELDS = ("task", "dimension", "family", "instructions", "labels", "inputs", "metric", "note", "source",
           "published")


@dataclass(frozen=True)
class TaskRecord:
    task: str
    instructions: tuple[str, ...]
    labels: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ("audio",)
    dimension: str = ""
    family: str = ""
    metric: str = "accuracy"
    note: str = ""
    source: str = ""
    published: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def audio_inputs(self) -> tuple[str, ...]:
        return tuple(i for i in self.inputs if i.startswith("audio"))


def pool_path(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.is_file():
        return path
    candidate = POOLS_DIR / f"{name_or_path}.jsonl"
    if candidate.is_file():
        return candidate
    known = sorted(p.stem for p in POOLS_DIR.glob("*.jsonl"))
    raise CopilotError(f"no instruction pool {name_or_path!r}: give a JSONL path or one of {known}")


def load_pool(name_or_path: str | Path) -> list[TaskRecord]:
    """Read a pool by name (``dynamic_superb_phase1``) or path; errors name the bad line."""
    path = pool_path(name_or_path)
    records = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            extra = {k: v for k, v in raw.items() if k not in _FIELDS}
            records.append(TaskRecord(
                task=str(raw["task"]),
                instructions=tuple(raw.get("instructions") or ()),
                labels=tuple(str(x) for x in raw.get("labels") or ()),
                inputs=tuple(raw.get("inputs") or ("audio",)),
                dimension=raw.get("dimension", ""),
                family=raw.get("family", ""),
                metric=raw.get("metric", "accuracy"),
                note=raw.get("note") or "",
                source=raw.get("source") or "",
                published={k: float(v) for k, v in (raw.get("published") or {}).items()},
                extra=extra,
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise CopilotError(f"{path}:{number}: not a valid pool record ({exc})") from exc
    return records


def select_tasks(pool: str | Path, names: str | Sequence[str] = ()) -> list[TaskRecord]:
    """The records of ``pool`` named in ``names`` (a comma in a name separates two), in the order
    given; every task when no name, or ``all``, is given. An unknown name is an error that suggests
    the close ones."""
    records = load_pool(pool)
    wanted = [n.strip() for v in ([names] if isinstance(names, str) else names) for n in v.split(",") if n.strip()]
    if not wanted or [n.lower() for n in wanted] == ["all"]:
        return records
    by_name = {r.task: r for r in records}
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        hints = "".join(f"; for {n!r} did you mean {', '.join(close)}?" for n in unknown
                        if (close := difflib.get_close_matches(n, by_name, n=2)))
        raise CopilotError(f"pool {pool} has no task(s) {unknown}{hints}")
    return [by_name[n] for n in dict.fromkeys(wanted)]
