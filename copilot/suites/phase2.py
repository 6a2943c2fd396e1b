"""Dynamic-SUPERB Phase 2 (arXiv 2411.05361): the instance list, the report per domain and task type.

The pool ``copilot/instructions/dynamic_superb_phase2.jsonl`` holds the 231 instances of the final
evaluation list, from ``shared/data/dynamic_superb_phase2_tasks.jsonl`` (public sources only: each
record's ``source`` names the repository, path and commit; the metric table is
cyhuang-tw/speechlm_eval ``dynamic_superb/evaluation/task_metrics.py``@7181c58). Fields are renamed
to the pool's (``task`` = instance, ``family`` = the benchmark's task, ``dimension`` = domain:
speech, music or audio, ``metric`` = the metric function) and everything else is kept as it was.
100 instances carry their instructions; the rest have none offline (rows bring their own).

Rows are read by the Phase-1 loader (``dynamic_superb.load_instance``): every audio column of a row
(``audio``, ``audio2``, ...) is an input, since Phase-2 instructions name no input list. Scoring is
``phase2_metrics``; this module turns the scores into tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from statistics import mean
from typing import Any

from copilot.pools import TaskRecord, select_tasks
from copilot.suites.phase2_metrics import METRICS, Phase2Judge, score_instance
from copilot.suites.tables import Report, markdown_table

PHASE2_POOL = "dynamic_superb_phase2"
OFFICIAL_JUDGE = "GPT-4o"


def select_phase2(tasks: str, pool: str | Path = PHASE2_POOL) -> list[TaskRecord]:
    """``all``, comma-separated instance names, or a task-list file (one name a line, ``#`` comments)."""
    path = Path(tasks)
    if path.is_file():
        names = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
        tasks = ",".join(n for n in names if n)
    return select_tasks(pool, tasks)


def score_phase2(records: Iterable[Mapping[str, Any]], tasks: Sequence[TaskRecord],
                 judge: Phase2Judge | None = None) -> list[dict[str, Any]]:
    """One row per instance run (pool order): its metric's figure, unusable and error shares."""
    by_task: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        by_task.setdefault(record["task"], []).append(record)
    rows = []
    for task in tasks:
        mine = by_task.get(task.task)
        if not mine:
            continue
        outcome = score_instance(task.metric, mine, judge)
        metric = METRICS.get(task.metric)
        rows.append({
            "task": task.task, "domain": task.dimension, "task_type": task.extra.get("task_type", ""),
            "metric_fn": task.metric, "metric": metric.name if metric else "not scored",
            "higher_is_better": metric.higher_is_better if metric else None, "n": len(mine),
            "score": outcome.score, "unusable_pct": 100.0 * outcome.unusable / len(mine),
            "error_pct": 100.0 * sum(not r.get("ok", False) for r in mine) / len(mine), "note": outcome.note,
        })
    return rows


def aggregate(rows: Sequence[Mapping[str, Any]], key: str, tasks: Sequence[TaskRecord]) -> list[dict[str, Any]]:
    """Macro means per (``key`` value, metric) over the scored instances; mixed metrics never mix."""
    in_benchmark: dict[tuple[str, str], int] = {}
    for task in tasks:
        group = task.dimension if key == "domain" else task.extra.get("task_type", "")
        name = METRICS[task.metric].name if task.metric in METRICS else "not scored"
        in_benchmark[(group, name)] = in_benchmark.get((group, name), 0) + 1
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row[key], row["metric"]), []).append(row)
    out = []
    for (group, metric), members in sorted(groups.items()):
        scored = [m["score"] for m in members if m["score"] is not None]
        out.append({key: group, "metric": metric, "instances_scored": len(scored), "instances_run": len(members),
                    "instances_in_benchmark": in_benchmark.get((group, metric), 0),
                    "mean": mean(scored) if scored else None,
                    "unusable_pct": mean(m["unusable_pct"] for m in members)})
    return out


def phase2_report(records: Iterable[Mapping[str, Any]], tasks: Sequence[TaskRecord],
                  judge: Phase2Judge | None) -> Report:
    """Per-instance, per-domain and per-task-type tables under the benchmark's own metrics; ``tasks``
    is the whole pool, so each group shows how many of the benchmark's instances it covers."""
    rows = score_phase2(records, tasks, judge)
    domains, types = aggregate(rows, "domain", tasks), aggregate(rows, "task_type", tasks)
    judge_line = (f"Classification is scored by the benchmark's LLM judge prompt with **{judge.name}** as the "
                  f"judge (the official setting uses {OFFICIAL_JUDGE}; figures from another judge are not "
                  "directly comparable)." if judge else "No LLM judge: classification instances are not scored.")
    not_scored = [r["task"] for r in rows if r["score"] is None]

    def shown(value: float | None, metric: str) -> object:
        return f"{value:.3f}" if value is not None and metric == "Pearson r" else value

    def group_table(key: str, data: list[dict[str, Any]]) -> str:
        return markdown_table([key.replace("_", " ").capitalize(), "Metric", "Scored / run / in benchmark", "Mean",
                               "Unusable answers %"],
                              [[d[key], d["metric"], f"{d['instances_scored']}/{d['instances_run']}/"
                                f"{d['instances_in_benchmark']}", shown(d["mean"], d["metric"]), d["unusable_pct"]]
                               for d in data])

    markdown = "\n\n".join([
        "# Dynamic-SUPERB Phase 2",
        "## Per instance",
        markdown_table(["Instance", "Domain", "Type", "Metric", "n", "Score", "Unusable %", "Errors %", "Note"],
                       [[r["task"], r["domain"], r["task_type"], r["metric"], r["n"], shown(r["score"], r["metric"]),
                         r["unusable_pct"], r["error_pct"], r["note"]] for r in rows]),
        "## Per domain (macro mean over the instances scored, per metric)",
        group_table("domain", domains),
        "## Per task type",
        group_table("task_type", types),
        judge_line,
        "Unusable answers: no answer, no judge verdict, or (regression) no number in the answer. "
        f"Not scored (metric without a public definition, or no judge): {len(not_scored)} instance(s)"
        + (f": {', '.join(not_scored)}." if not_scored else "."),
        "Baselines: the Phase-2 data file records no published per-instance figures, so none are shown.",
    ])
    return Report(markdown, {"benchmark": "dynamic-superb-phase2", "judge": judge.name if judge else None,
                             "official_judge": OFFICIAL_JUDGE, "tasks": rows, "domains": domains,
                             "task_types": types, "items": sum(r["n"] for r in rows)})

