"""``copilot bench report RUN_DIR``: one self-contained HTML page that shows a benchmark run.

Built from the run's ``predictions.jsonl`` and the same scoring as ``summary.md`` (deterministic
option matching; the LLM judge is not consulted here). Plots are inline SVG (``plots.py``), so the
file needs no network, no script and no plotting library to view, and it diffs as text. Program
texts come from each record's ``program`` field when the runner wrote one, else from the Copilot's
program cache (``<cache_dir>/programs``), matched by program id.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from statistics import median
from typing import Any

import click

from copilot.planner.store import program_id
from copilot.suites.items import BenchDataError
from copilot.suites.plots import SERIES_COLOURS, bar_chart, esc, histogram, stacked_chart
from copilot.suites.runner import latest_records, read_predictions
from copilot.suites.scoring import choice_verdict, needed_mapping
from copilot.suites.tables import dynamic_superb_report, sakura_report

OUTCOME_COLOURS = {"correct": "#2f8f5b", "wrong": "#d1495b", "abstained": "#7aa6c2", "unparseable": "#e9a03b",
                   "refused": "#9b6bb0", "error": "#6c757d"}
_NO_OPTION = ("abstained", "unparseable", "refused", "error")
_SAKURA_TASK = re.compile(r"^[^/]+/(single|multi)$")
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;color:#1d2430;margin:0 auto;max-width:1180px;padding:16px 24px 60px}
h1{font-size:24px}h2{margin-top:34px;border-bottom:1px solid #d9dee6;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
th,td{border-bottom:1px solid #e3e7ed;padding:4px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}pre{background:#f3f5f8;padding:10px;overflow-x:auto}
.legend span{margin-right:14px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.matrices{display:flex;flex-wrap:wrap;gap:10px 28px}.matrix td{text-align:center;min-width:34px}
.muted{color:#5b6472}.flag{color:#b02a37}svg text{font:11px system-ui,sans-serif;fill:#1d2430}
"""


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _anchor(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text)


# -- sections --------------------------------------------------------------------------------------
class _Html(str):
    """A table cell that is already HTML (a link), not text to escape."""


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        if isinstance(value, _Html):
            return f"<td>{value}</td>"
        if isinstance(value, (int, float)) or value is None:
            return f'<td class="n">{value if isinstance(value, int) else _fmt(value)}</td>'
        return f"<td>{esc(value)}</td>"

    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cell(c) for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _program_link(task: str) -> _Html:
    return _Html(f'<a href="#programs-{_anchor(task)}">program</a>')


def _outcome(record: Mapping[str, Any]) -> str:
    return choice_verdict(record).outcome


def confusion_matrix(records: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str], Counter]:
    """Gold options (rows) against predicted options plus the outcomes that chose none (columns)."""
    counts: Counter = Counter()
    gold_order: dict[str, None] = {}
    for record in records:
        verdict = choice_verdict(record)
        predicted = verdict.outcome if verdict.outcome in _NO_OPTION else verdict.prediction
        gold_order.setdefault(verdict.gold)
        counts[(verdict.gold, predicted)] += 1
    options = list(dict.fromkeys([*(o for r in records for o in r.get("options") or ()), *gold_order]))
    columns = options + [c for c in _NO_OPTION if any(k[1] == c for k in counts)]
    return options, columns, counts


def _matrix_html(task: str, records: Sequence[Mapping[str, Any]]) -> str:
    rows, columns, counts = confusion_matrix(records)
    peak = max(counts.values())
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for gold in rows:
        cells = []
        for column in columns:
            n = counts.get((gold, column), 0)
            shade = 0.85 * n / peak
            colour = "47,143,91" if column == gold else "209,73,91"
            cells.append(f'<td style="background:rgba({colour},{shade:.2f})">{n or ""}</td>')
        body.append(f"<tr><th>{esc(gold)}</th>{''.join(cells)}</tr>")
    return (f'<div><h3 id="confusion-{_anchor(task)}">{esc(task)}</h3><table class="matrix"><thead><tr>'
            f'<th class="muted">gold \\ predicted</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


def load_programs(cache_dirs: Iterable[Path]) -> dict[str, str]:
    """Program id -> text, from program-cache folders (entries that do not parse are skipped)."""
    found: dict[str, str] = {}
    for folder in cache_dirs:
        for path in sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else ():
            try:
                program = json.loads(path.read_text())["program"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if isinstance(program, str):
                found[program_id(program)] = program
    return found


def _programs_section(records: Sequence[Mapping[str, Any]], programs: Mapping[str, str]) -> str:
    by_task: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in records:
        by_task[record["task"]].append(record)
    out = []
    for task, rows in by_task.items():
        out.append(f'<h3 id="programs-{_anchor(task)}">{esc(task)}</h3>')
        used = Counter(r.get("program_id") or "" for r in rows)
        for pid, n in used.most_common():
            mine = [r for r in rows if (r.get("program_id") or "") == pid]
            ran = sum(bool(r.get("ok")) for r in mine)
            mapped = [needed_mapping(r) for r in mine]
            right = sum(_outcome(r) == "correct" and not m for r, m in zip(mine, mapped))
            text = next((r["program"] for r in mine if isinstance(r.get("program"), str)), None) or programs.get(pid)
            title = f"program {pid}" if pid else "no program (failed before one was written)"
            flag = (f' <b class="flag">FLAGGED: {sum(mapped)} of its answers are options the LLM chose for raw '
                    "values that name none; those are not counted as its own</b>" if any(mapped) else "")
            out.append(f'<p id="program-{esc(pid or "none")}"><b>{esc(title)}</b>: {n} items, ran without error on '
                       f'{100 * ran / n:.0f}%, correct by its own values on {100 * right / n:.0f}%{flag}</p>')
            if pid:
                out.append(f"<pre>{esc(text)}</pre>" if text else
                           '<p class="muted">program text not in the records or the program cache</p>')
    return "".join(out)


def _timing_section(records: Sequence[Mapping[str, Any]]) -> str:
    seconds = [float((r.get("timings") or {}).get("item_s", 0.0)) for r in records]
    calls = [int((r.get("tokens") or {}).get("llm_calls", 0)) for r in records]
    by_task: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in records:
        by_task[record["task"]].append(record)
    rows = []
    for task, rows_ in by_task.items():
        s = sorted(float((r.get("timings") or {}).get("item_s", 0.0)) for r in rows_)
        rows.append([task, len(s), median(s), s[min(len(s) - 1, int(0.9 * len(s)))],
                     sum(int((r.get("tokens") or {}).get("llm_calls", 0)) for r in rows_),
                     sum(bool(r.get("from_cache")) for r in rows_)])
    return ("<h3>Seconds per item</h3>" + histogram(seconds, "s")
            + "<h3>LLM calls per item</h3>" + histogram(calls, "calls", integer=True)
            + _table(["Task", "n", "median s", "p90 s", "LLM calls", "program reused"],
                     [[r[0], r[1], r[2], r[3], r[4], r[5]] for r in rows]))


def _dynamic_superb(records: list[Mapping[str, Any]], pool: str) -> tuple[str, list[str]]:
    from copilot.pools import load_pool

    tasks = load_pool(pool)
    data = dynamic_superb_report(records, tasks).data
    published = data["published"]
    columns = published["per_task_columns"]
    baselines = {t.task: t.published for t in tasks}
    dims = data["dimensions"]
    dim_rows = [(d, [v["ours"], v.get("Speech-Copilot")] + [v.get(c) for c in columns]) for d, v in dims.items()]
    dim_rows.append((f"Average ({data['tasks_in_average']} tasks)",
                     [data["average"], published["average"]["Speech-Copilot"]] + [None] * len(columns)))
    scores = data["tasks"]
    accuracy = [s for s in scores if s["metric"] == "accuracy"]
    task_rows = [(s["task"], [s["score"]] + [baselines.get(s["task"], {}).get(c) for c in columns]) for s in accuracy]
    table = _table(["Task", "Dimension", "Metric", "n", "Ours", "Unparseable %", "Errors %", *columns, "Program"],
                   [[s["task"], s["group"], s["metric"], s["n"], s["score"], s["unparseable_pct"], s["error_pct"],
                     *[baselines.get(s["task"], {}).get(c) for c in columns],
                     _program_link(s["task"])] for s in scores])
    body = ("<h2>Accuracy per dimension</h2><p class='muted'>Ours: macro mean over the tasks run. Speech-Copilot: "
            "its paper's figure over all the dimension's instances; other columns: averaged over the same tasks "
            "as ours.</p>" + bar_chart(dim_rows, ["Ours", "Speech-Copilot (paper)", *columns])
            + "<h2>Accuracy per task</h2>"
            + bar_chart(task_rows, ["Ours", *columns], SERIES_COLOURS[:1] + SERIES_COLOURS[2:]) + table
            + "<h2>Published averages over all 55 instances</h2>"
            + bar_chart(sorted(((k, [v]) for k, v in published["average"].items()), key=lambda kv: -kv[1][0]),
                        ["accuracy"]) + f"<p class='muted'>Source: {esc(published['source'])}.</p>")
    return body, [s["task"] for s in scores]


def _sakura(records: list[Mapping[str, Any]]) -> tuple[str, list[str]]:
    data = sakura_report(records).data
    published = data["published"]
    by = {s["task"]: s for s in data["tasks"]}
    tracks = list(dict.fromkeys(s["group"] for s in data["tasks"]))
    track_rows = [(t, [by.get(f"{t}/single", {}).get("score"), by.get(f"{t}/multi", {}).get("score")]) for t in tracks]
    hop_rows = [("Ours", [data["average"]["single"], data["average"]["multi"]])]
    hop_rows += [(f"{name} (paper)", [published["single"][name], published["multi"][name]])
                 for name in published["single"]]
    table = _table(["Task", "Track", "n", "Accuracy %", "Unparseable %", "Errors %", "Program"],
                   [[s["task"], s["group"], s["n"], s["score"], s["unparseable_pct"], s["error_pct"],
                     _program_link(s["task"])] for s in data["tasks"]])
    body = ("<h2>Per track</h2>" + bar_chart(track_rows, ["single-hop", "multi-hop"]) + table
            + "<h2>Per hop, beside the paper's models</h2><p class='muted'>Ours: mean over the tracks run; the "
            "paper's figures average all four tracks.</p>" + bar_chart(hop_rows, ["single-hop", "multi-hop"])
            + f"<p class='muted'>Source: {esc(published['source'])}.</p>")
    return body, [s["task"] for s in data["tasks"]]


def build_report(run_dir: str | Path, pool: str | None = None, program_dirs: Iterable[Path] | None = None) -> str:
    """The HTML page for the predictions in ``run_dir`` (SAKURA or Dynamic-SUPERB, told by the task names)."""
    from copilot.suites.dynamic_superb import PHASE1_POOL

    run = Path(run_dir)
    predictions = run / "predictions.jsonl"
    if not predictions.is_file():
        raise BenchDataError(f"{predictions}: no such file (give the --out folder of a bench run)")
    raw = read_predictions(predictions)
    for number, record in enumerate(raw, 1):
        if not isinstance(record, dict) or not {"task", "id", "label"} <= record.keys():
            raise BenchDataError(f"{predictions}: record {number} is not a prediction (it needs task, id and label)")
    records = latest_records(raw)
    if not records:
        raise BenchDataError(f"{predictions}: no predictions yet")
    if program_dirs is None:
        from copilot.config import load_settings

        program_dirs = [load_settings().cache_dir / "programs"]
    sakura = all(_SAKURA_TASK.match(r["task"]) for r in records)
    written = json.loads((run / "summary.json").read_text()) if (run / "summary.json").is_file() else {}
    phase2 = written.get("benchmark") == "dynamic-superb-phase2"  # scored with the judge when it was written
    if phase2:
        body, tasks = phase2_html(written), list(dict.fromkeys(r["task"] for r in records))
    else:
        body, tasks = _sakura(records) if sakura else _dynamic_superb(records, pool or PHASE1_POOL)
    by_task: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in records:
        by_task[record["task"]].append(record)
    outcomes = [(t, Counter(_outcome(r) for r in by_task[t])) for t in tasks]
    classification = [t for t in tasks if by_task[t][0].get("metric", "accuracy") == "accuracy"
                      and any(r.get("options") for r in by_task[t])]
    overall = Counter(_outcome(r) for r in records)
    title = "SAKURA" if sakura else "Dynamic-SUPERB Phase 2" if phase2 else "Dynamic-SUPERB Phase 1"
    summary = (f"{len(records)} items in {len(tasks)} tasks from <code>{esc(predictions)}</code>: "
               + ", ".join(f"{k} {100 * overall[k] / len(records):.1f}%" for k in OUTCOME_COLOURS)
               + ". Scored by deterministic option matching (the LLM judge is not consulted here).")
    page = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title} run report</title>"
        f"<style>{_CSS}</style></head><body><h1>{title}: run report</h1><p>{summary}</p>",
        "<p>" + " · ".join(f'<a href="#{a}">{n}</a>' for a, n in [("outcomes", "outcomes"), ("confusion", "confusion"),
                                                                  ("timing", "latency"), ("programs", "programs")])
        + "</p>", body,
        "<h2 id='outcomes'>Outcomes per task (unparseable and error shares)</h2>",
        stacked_chart(outcomes, OUTCOME_COLOURS),
        "<h2 id='confusion'>Confusion matrices</h2><div class='matrices'>"
        + "".join(_matrix_html(t, by_task[t]) for t in classification) + "</div>",
        "<h2 id='timing'>Latency and LLM calls</h2>", _timing_section(records),
        "<h2 id='programs'>Programs per task</h2><p class='muted'>Each task's program(s), how many items each "
        "served, how often it ran, and how often its own value named the right option (an answer the LLM "
        "mapped from a value that names no option is the system's, not the program's).</p>",
        _programs_section(records, load_programs(program_dirs)), "</body></html>",
    ]
    return "\n".join(page)


def write_report(run_dir: str | Path, html_file: str | Path | None = None, pool: str | None = None) -> Path:
    """Write ``report.html`` (or ``html_file``) for a run folder and return its path.

    The bench commands call this when a run finishes and print the path.
    """
    out = Path(html_file) if html_file else Path(run_dir) / "report.html"
    page = build_report(run_dir, pool)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise BenchDataError(f"cannot write the report to {out}: {exc}") from exc
    return out


@click.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the page (default: RUN_DIR/report.html).")
@click.option("--pool", default=None, help="Instruction pool of a Dynamic-SUPERB run (default: Phase 1).")
def report(run_dir: Path, html_file: Path | None, pool: str | None) -> None:
    """Write one self-contained HTML page for a bench run: accuracy beside the published baselines,
    confusion matrices, unparseable and error shares, latency, LLM calls and the programs.

    \b
    Example:
      copilot bench report runs/ds --html runs/ds/report.html
    """
    from copilot.errors import CopilotError

    try:
        path = write_report(run_dir, html_file, pool)
    except CopilotError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(path))


def phase2_html(data: Mapping[str, Any]) -> str:
    """The HTML report's body for a Phase-2 run, from its ``summary.json`` (judge verdicts included)."""
    parts = []
    for metric in dict.fromkeys(d["metric"] for d in data["domains"] if d["mean"] is not None):
        rows = [(d["domain"], [d["mean"]]) for d in data["domains"] if d["metric"] == metric]
        rows += [(f"type: {d['task_type']}", [d["mean"]]) for d in data["task_types"] if d["metric"] == metric]
        pearson = metric == "Pearson r"
        parts.append(f"<h2>{esc(metric)} per domain and task type</h2>"
                     + bar_chart(rows, [metric], top=1.0 if pearson else 100.0, unit="" if pearson else "%"))
    judge = data.get("judge")
    parts.append("<h2>Per instance</h2><p class='muted'>"
                 + esc(f"Classification judged by {judge} (official: {data['official_judge']})." if judge else
                       "No judge: classification not scored.") + "</p>"
                 + _table(["Instance", "Domain", "Type", "Metric", "n", "Score", "Unusable %", "Errors %", "Program"],
                          [[r["task"], r["domain"], r["task_type"], r["metric"], r["n"], r["score"],
                            r["unusable_pct"], r["error_pct"], _program_link(r["task"])] for r in data["tasks"]]))
    return "".join(parts)
