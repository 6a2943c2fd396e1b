"""Coverage of a new pool without an LLM: each task takes the coverage of the analysed task it is most like.

``copilot toolset derive`` decomposed its pool and its held-out pool with the LLM, so for those tasks
the spec knows whether the bound tools serve them. A task of a new pool (Dynamic-SUPERB Phase 2) is
placed by embedding instead: its first ``PHRASINGS`` instructions are compared with every analysed
task's, the most similar analysed task (highest cosine over phrasing pairs) is its analogue, and it
counts as covered when the analogue is covered and the similarity reaches the threshold. Below the
threshold it has no analogue and counts as uncovered: the spec holds no evidence that it is served.

This is coarser than decomposing the task (it cannot see that a new task needs one more module than
its analogue), and says so in its report; it needs minutes of CPU instead of an LLM call per phrasing.

``THRESHOLD``: chosen on the 31 Phase-1 training-side tasks placed against the 55 Phase-1 instances
(agreement with the LLM decomposition's verdicts: 0.839 for every threshold from 0.50 to 0.55, 0.774
at 0.65, 0.710 at 0.75; the highest of the best was taken). That is no better than calling every
task covered (26 of 31 are), so it was checked on a second split it did not shape: the 47 Phase-1
instances with instructions, each placed leave-one-family-out against the other families and the
training side: agreement 0.851 at 0.55, against 0.809 for "all covered". A coarse signal, then.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from copilot import embeddings
from copilot.errors import CopilotError
from copilot.pools import TaskRecord, load_pool

PHRASINGS = 5
THRESHOLD = 0.55


@dataclass(frozen=True)
class Placement:
    task: str
    family: str
    analogue: str | None  # the most similar analysed task, None when the task has no instructions
    similarity: float
    covered: bool


def analysed(spec: Path) -> tuple[list[TaskRecord], dict[str, bool]]:
    """The tasks a spec's derivation decomposed (its pool and held-out pool) and whether each is covered."""
    path = spec / "toolset.json" if spec.is_dir() else spec
    try:
        raw = json.loads(path.read_text())
        covered = {task: bool(v["covered"]) for task, v in raw["tasks"].items()}
        records = [t for t in load_pool(raw["source"]["pool"]) if t.task in covered]
        held = raw.get("held_out")
        if held:
            missing = held["covered"]["uncovered"]
            for task in load_pool(held["pool"]):
                records.append(task)
                covered.setdefault(task.task, task.task not in missing)
    except OSError as exc:
        raise CopilotError(f"cannot read the toolset spec {path}: {exc.strerror}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise CopilotError(f"{path} is not a toolset spec written by `copilot toolset derive` ({exc})") from exc
    return records, covered


def place(tasks: Sequence[TaskRecord], reference: Sequence[TaskRecord], covered: Mapping[str, bool],
          threshold: float = THRESHOLD) -> list[Placement]:
    """Each task's analogue among ``reference`` (tasks with instructions only) and its coverage."""
    ref_texts = [(t.task, text) for t in reference for text in t.instructions[:PHRASINGS]]
    queries = [(t, text) for t in tasks for text in t.instructions[:PHRASINGS]]
    if not ref_texts or not queries:
        return [Placement(t.task, t.family, None, 0.0, False) for t in tasks]
    sims = embeddings.similarity([q for _, q in queries], [r for _, r in ref_texts])
    owners = np.array([name for name, _ in ref_texts])
    out = []
    for task in tasks:
        rows = [i for i, (t, _) in enumerate(queries) if t is task]
        if not rows:
            out.append(Placement(task.task, task.family, None, 0.0, False))
            continue
        best = sims[rows].max(axis=0)
        j = int(best.argmax())
        analogue, score = str(owners[j]), float(best[j])
        out.append(Placement(task.task, task.family, analogue, score, score >= threshold and covered[analogue]))
    return out


def agreement(placements: Sequence[Placement], truth: Mapping[str, bool]) -> float:
    """Share of tasks whose placed coverage equals the LLM decomposition's verdict."""
    return float(np.mean([p.covered == truth[p.task] for p in placements]))


def render(spec: str, pool: str, placements: Sequence[Placement], threshold: float) -> str:
    """Markdown: the share covered, the uncovered families, and every task's analogue."""
    placed = [p for p in placements if p.analogue]
    covered = [p for p in placed if p.covered]
    families: dict[str, list[Placement]] = {}
    for p in placed:
        if not p.covered:
            families.setdefault(p.family, []).append(p)
    lines = [f"# Coverage of {pool} by {spec} (nearest analysed task, no LLM)", "",
             f"- tasks with instructions: {len(placed)} of {len(placements)}",
             f"- covered: {len(covered)}/{len(placed)} = {100 * len(covered) / max(len(placed), 1):.1f} %",
             f"- threshold: cosine {threshold} (MiniLM, best pair of the first {PHRASINGS} phrasings)", "",
             "## Uncovered families (largest first)", "",
             "| Family | Instances | Nearest analysed task (similarity) | Why |", "|---|---|---|---|"]
    for family, members in sorted(families.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        p = max(members, key=lambda m: m.similarity)
        why = "analogue not covered" if p.similarity >= threshold else "no analogue"
        lines.append(f"| {family} | {len(members)} | {p.analogue} ({p.similarity:.2f}) | {why} |")
    lines += ["", "## Every task", "", "| Task | Analogue | Similarity | Covered |", "|---|---|---|---|"]
    lines += [f"| {p.task} | {p.analogue or '–'} | {p.similarity:.2f} | {'yes' if p.covered else 'no'} |"
              for p in placements]
    return "\n".join(lines) + "\n"
