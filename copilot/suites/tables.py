"""Summary tables: our scores per task and per dimension or track, published results beside them.

Averages are macro means over tasks (each instance counts once), as in the Speech-Copilot and
Dynamic-SUPERB papers, and only over accuracy tasks. Per-instance baselines (from the pool) are
averaged over the same tasks we ran, so a partial run is still compared like with like; the
papers' headline averages cover all 55 instances and are shown as such.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

from copilot.pools import TaskRecord
from copilot.suites.scoring import OptionJudge, TaskScore, score_tasks

PUBLISHED: dict[str, Any] = json.loads(Path(__file__).with_name("published.json").read_text())


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return mean(present) if present else None


@dataclass(frozen=True)
class Report:
    markdown: str
    data: dict[str, Any] = field(default_factory=dict)

    def write(self, out_dir: str | Path) -> tuple[Path, Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        md, js = out / "summary.md", out / "summary.json"
        md.write_text(self.markdown + "\n")
        js.write_text(json.dumps(self.data, indent=2) + "\n")
        return md, js


def _overall(scores: list[TaskScore]) -> dict[str, float]:
    n = sum(s.n for s in scores)
    return {
        "items": n,
        "unparseable_pct": sum(s.unparseable_pct * s.n for s in scores) / n if n else 0.0,
        "error_pct": sum(s.error_pct * s.n for s in scores) / n if n else 0.0,
        "refused_pct": sum(s.refused_pct * s.n for s in scores) / n if n else 0.0,
        "abstained_pct": sum(s.abstained_pct * s.n for s in scores) / n if n else 0.0,
        "judged": sum(s.judged for s in scores),
        "mapped": sum(s.mapped for s in scores),
    }


def _footer(overall: Mapping[str, float], judge: OptionJudge | None) -> str:
    how = "deterministic option matching" + (" plus the LLM judge for unmatched answers" if judge else "")
    return (f"{overall['items']} items scored by {how}; every one without an answer counts as wrong: "
            f"unparseable answers {overall['unparseable_pct']:.1f}%, abstentions {overall['abstained_pct']:.1f}%, "
            f"refusals {overall['refused_pct']:.1f}%, program errors {overall['error_pct']:.1f}%"
            + (f", answers mapped by the judge {overall['judged']}" if judge else "")
            + f"; answers the planner's LLM mapped from a value that is no option: {overall['mapped']}.")


def dynamic_superb_report(records: Iterable[Mapping[str, Any]], tasks: Sequence[TaskRecord],
                          judge: OptionJudge | None = None) -> Report:
    """Per-task and per-dimension tables for Dynamic-SUPERB, with published baselines."""
    published = PUBLISHED["dynamic_superb_phase1"]
    columns = published["per_task_columns"]
    pool = {t.task: t for t in tasks}
    order = {t.task: i for i, t in enumerate(tasks)}
    scores = sorted(score_tasks(records, judge), key=lambda s: order.get(s.task, len(order)))
    task_rows = [[s.task, s.group, s.metric, s.n, s.score, s.unparseable_pct, s.error_pct]
                 + [pool[s.task].published.get(c) if s.task in pool else None for c in columns]
                 for s in scores]
    accuracy = [s for s in scores if s.metric == "accuracy"]
    dims = list(dict.fromkeys(s.group for s in accuracy))
    paper_dims = published["per_dimension"]["Speech-Copilot"]
    total_per_dim = {d: sum(t.dimension == d for t in tasks) for d in dims}
    dim_rows, dim_data = [], {}
    for dim in dims:
        members = [s for s in accuracy if s.group == dim]
        ours = _mean(s.score for s in members)
        baselines = [_mean(pool[s.task].published.get(c) for s in members if s.task in pool) for c in columns]
        dim_rows.append([dim, f"{len(members)}/{total_per_dim[dim]}", ours, paper_dims.get(dim)] + baselines)
        dim_data[dim] = {"tasks": len(members), "ours": ours, "Speech-Copilot": paper_dims.get(dim),
                         **dict(zip(columns, baselines))}
    ours_avg = _mean(s.score for s in accuracy)
    same_task_baselines = [_mean(pool[s.task].published.get(c) for s in accuracy if s.task in pool)
                           for c in columns]
    dim_rows.append([f"**Average** ({len(accuracy)} tasks)", f"{len(accuracy)}/{len(tasks)}", ours_avg,
                     published["average"]["Speech-Copilot"]] + same_task_baselines)
    overall = _overall(scores)
    markdown = "\n\n".join([
        "# Dynamic-SUPERB Phase 1",
        "## Per task (accuracy %; baselines per instance from the pool)",
        markdown_table(["Task", "Dimension", "Metric", "n", "Ours", "Unparseable %", "Errors %", *columns],
                       task_rows),
        "## Per dimension (macro mean over tasks; Speech-Copilot: its paper's figure over all the "
        "dimension's instances; other columns: averaged over the same tasks as ours)",
        markdown_table(["Dimension", "Tasks", "Ours", "Speech-Copilot", *columns], dim_rows),
        "## Published averages over all 55 instances",
        markdown_table(["System", "Accuracy %"], sorted(published["average"].items(), key=lambda kv: -kv[1])),
        _footer(overall, judge),
        f"Source: {published['source']}.",
    ])
    return Report(markdown, {
        "benchmark": "dynamic-superb-phase1", "tasks": [s.to_dict() for s in scores], "dimensions": dim_data,
        "average": ours_avg, "tasks_in_average": len(accuracy), **overall, "published": published,
    })


def sakura_report(records: Iterable[Mapping[str, Any]], judge: OptionJudge | None = None) -> Report:
    """Per-track single- and multi-hop accuracy, with the SAKURA paper's results beside ours."""
    published = PUBLISHED["sakura"]
    scores = score_tasks(records, judge)
    by = {s.task: s for s in scores}
    tracks = list(dict.fromkeys(s.group for s in scores))
    rows = []
    for track in tracks:
        single, multi = by.get(f"{track}/single"), by.get(f"{track}/multi")
        parts = [s for s in (single, multi) if s]
        rows.append([track, single and single.score, multi and multi.score, sum(s.n for s in parts),
                     _mean(s.unparseable_pct for s in parts), _mean(s.error_pct for s in parts)])
    averages = {hop: _mean(s.score for s in scores if s.task.endswith("/" + hop)) for hop in ("single", "multi")}
    rows.append(["**Ours, average**", averages["single"], averages["multi"], None, None, None])
    rows += [[f"{name} (paper)", published["single"][name], published["multi"][name], None, None, None]
             for name in published["single"]]
    overall = _overall(scores)
    markdown = "\n\n".join([
        "# SAKURA",
        markdown_table(["Track", "Single-hop %", "Multi-hop %", "n", "Unparseable %", "Errors %"], rows),
        _footer(overall, judge),
        f"Source: {published['source']}.",
    ])
    return Report(markdown, {"benchmark": "sakura", "tasks": [s.to_dict() for s in scores],
                             "average": averages, **overall, "published": published})
