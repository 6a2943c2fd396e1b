"""Answer quality of the planner on the planning evaluation set, per tool family and configuration.

Runs ``Copilot(**config).ask`` over the questions of ``benchmarks/planning_eval`` (answers true by
construction) and prints, per configuration, accuracy per family and for two-hop questions, LLM
calls, tokens and seconds per question. Several configurations run in one invocation, so their
figures come from the same machine state. Each configuration gets a fresh cache folder under
``--out`` (programs and tool results; only the LLM weights are shared), so no answer is served from
an earlier run; results go to ``--out/results.jsonl`` as they come, and a rerun with the same
``--out`` skips what is done.

    .venv/bin/python benchmarks/bench_planning.py --split test --limit 80 --out runs/planning
    .venv/bin/python benchmarks/bench_planning.py --configs default,retrieved --families language,gender
    .venv/bin/python benchmarks/bench_planning.py --configs default --config one-repair:max_repairs=1

A configuration is a set of ``Copilot`` keyword arguments: a name from ``CONFIGS`` or an ad-hoc
``--config name:key=value,...``; a new planner option becomes a new entry in ``CONFIGS``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from planning_eval.evalset import DATA, AudioBuilder, EvalSetError, Question, load

from copilot.api import Copilot
from copilot.config import load_settings
from copilot.errors import CopilotError

# Named configurations: Copilot keyword arguments. Add a planner option here under a new name.
CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "retrieved": {"retrieval": True},
    "no-repair": {"max_repairs": 0},
}


def parse_configs(names: str, extra: list[str]) -> dict[str, dict[str, Any]]:
    """Named configurations (``"default,retrieved"``) plus ad-hoc ones, each ``name:key=value,...``
    with values as JSON where they parse (``mine:retrieval=false,max_repairs=1``)."""
    out: dict[str, dict[str, Any]] = {}
    for name in filter(None, (n.strip() for n in names.split(","))):
        if name not in CONFIGS:
            raise SystemExit(f"error: unknown configuration {name!r}; named ones: {', '.join(CONFIGS)}")
        out[name] = dict(CONFIGS[name])
    for spec in extra:
        name, _, pairs = spec.partition(":")
        config: dict[str, Any] = {}
        for pair in filter(None, pairs.split(",")):
            key, eq, raw = pair.partition("=")
            if not eq:
                raise SystemExit(f"error: configuration {name!r}: expected key=value, got {pair!r}")
            try:
                config[key.strip()] = json.loads(raw)
            except json.JSONDecodeError:
                config[key.strip()] = raw.strip()
        out[name.strip()] = config
    return out


def select(questions: list[Question], args: argparse.Namespace) -> list[Question]:
    """The chosen subset, interleaved across families, tasks, items and phrasings, so that ``--limit``
    (or an interrupted run) leaves a sample stratified by family and task."""
    chosen = [q for q in questions if args.split == "all" or q.split == args.split]
    if args.families:
        chosen = [q for q in chosen if q.family in args.families]
    if args.tasks:
        chosen = [q for q in chosen if q.task in args.tasks]
    by_task: dict[str, list[Question]] = defaultdict(list)
    for q in chosen:
        by_task[q.task].append(q)
    rounds: list[list[Question]] = []
    for task_questions in by_task.values():
        for r, q in enumerate(_rotated(task_questions)[: args.per_task or None]):
            if r == len(rounds):
                rounds.append([])
            rounds[r].append(q)
    flat = [q for r in rounds for q in sorted(r, key=_family_rank(r))]
    return flat[: args.limit or None]


def _family_rank(questions: list[Question]):
    """Within one round, the first task of every family, then the second of every family...;
    so a prefix of a round (an interrupted run) still spans the families."""
    families = list(dict.fromkeys(q.family for q in questions))
    seen: dict[str, int] = defaultdict(int)
    rank = {}
    for q in questions:
        rank[q.id] = (seen[q.family], families.index(q.family))
        seen[q.family] += 1
    return lambda q: rank[q.id]


def _rotated(task_questions: list[Question]) -> list[Question]:
    """One task's questions ordered so that each run of consecutive ones spans its items, each item
    with a different phrasing: item i's phrasings start at the i-th."""
    phrasings = sorted({q.phrasing for q in task_questions})
    return sorted(task_questions, key=lambda q: ((phrasings.index(q.phrasing) - q.item) % len(phrasings), q.item))


def fresh_cache(out: Path, config: str) -> Path:
    """A per-run cache folder for one configuration (no programs, no tool results), sharing what is
    computed once per machine: the joined LLM weights, the kept prompt prefix, the embedding export."""
    folder = out / "cache" / config
    folder.mkdir(parents=True, exist_ok=True)
    for kept in ("assets", "llm-prefix", "embeddings"):
        shared = load_settings().cache_dir / kept
        shared.mkdir(parents=True, exist_ok=True)
        link = folder / kept
        if not link.exists():
            link.symlink_to(shared, target_is_directory=True)
    return folder


def ask(cp: Copilot, q: Question, builder: AudioBuilder) -> dict[str, Any]:
    started = time.perf_counter()
    row: dict[str, Any] = {"answer": None, "ok": False, "error": None, "attempts": 0, "from_cache": False,
                           "llm_calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "timings": {},
                           "program": ""}
    try:
        ans = cp.ask(q.instruction, audio=[builder.path(a) for a in q.audio], text=q.text,
                     options=list(q.options) if q.options else None)
        row.update(answer=ans.answer, ok=ans.ok, error=ans.error, attempts=ans.attempts,
                   from_cache=ans.from_cache, llm_calls=ans.tokens.get("llm_calls", 0),
                   prompt_tokens=ans.tokens.get("prompt", 0), completion_tokens=ans.tokens.get("completion", 0),
                   timings=ans.timings, program=ans.program)
    except CopilotError as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a planner crash is a result to count, not a reason to lose the run
        row["error"] = f"crash {type(exc).__name__}: {exc}"
    row["seconds"] = time.perf_counter() - started
    row["correct"] = q.is_correct(row["answer"])
    return row


def _key(config: str, q: Question) -> tuple[str, str, str, str]:
    return (config, q.id, q.instruction, json.dumps(q.answer))


def load_results(path: Path) -> dict[tuple, dict]:
    done = {}
    if path.exists():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                row = json.loads(line)
                done[(row["config"], row["id"], row["instruction"], json.dumps(row["expected"]))] = row
            except (json.JSONDecodeError, KeyError):
                print(f"{path}:{n}: unreadable result line skipped (it will be asked again)", file=sys.stderr)
    return done


def run(configs: dict[str, dict], questions: list[Question], builder: AudioBuilder, out: Path,
        llm: str | None) -> dict[tuple, dict]:
    results_path = out / "results.jsonl"
    done = load_results(results_path)
    for name, kwargs in configs.items():
        todo = [q for q in questions if _key(name, q) not in done]
        print(f"[{name}] {len(questions) - len(todo)} done before, {len(todo)} to ask; Copilot({kwargs})",
              flush=True)
        if not todo:
            continue
        cp = Copilot(**({"llm": llm} if llm else {}), cache_dir=fresh_cache(out, name), **kwargs)
        for i, q in enumerate(todo, 1):
            row = {"config": name, "id": q.id, "task": q.task, "family": q.family, "hops": q.hops,
                   "split": q.split, "phrasing": q.phrasing, "instruction": q.instruction,
                   "expected": q.answer, **ask(cp, q, builder)}
            done[_key(name, q)] = row
            with results_path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, default=str) + "\n")
            mark = "ok " if row["correct"] else "BAD"
            print(f"[{name} {i}/{len(todo)}] {mark} {row['seconds']:5.1f}s calls={row['llm_calls']} "
                  f"{q.id:28} answer={str(row['answer'])[:40]!r} expected={q.answer!r}"
                  + (f"  error={row['error'][:80]!r}" if row["error"] else ""), flush=True)
    return done


def summarise(configs: list[str], questions: list[Question], done: dict[tuple, dict]) -> None:
    rows = {c: [done[_key(c, q)] for q in questions if _key(c, q) in done] for c in configs}
    groups: dict[str, list[str]] = defaultdict(list)
    for q in questions:
        groups[q.family].append(q.id)
        groups[f"{q.hops}-hop"].append(q.id)
    width = max(12, *(len(c) for c in configs))
    print(f"\nAccuracy (correct/asked) on {len(questions)} questions")
    print(f"{'family':18}" + "".join(f"{c:>{width + 8}}" for c in configs))
    for group in [*sorted(g for g in groups if "-hop" not in g), "1-hop", "2-hop", "all"]:
        ids = {q.id for q in questions} if group == "all" else set(groups.get(group, ()))
        cells = []
        for c in configs:
            rs = [r for r in rows[c] if r["id"] in ids]
            right = sum(r["correct"] for r in rs)
            cells.append(f"{right:>3}/{len(rs):<3} {100 * right / len(rs) if rs else 0:5.1f}%".rjust(width + 8))
        print(f"{group:18}" + "".join(cells))
    print("\nPer question (median; mean in brackets)")
    for label, field in (("seconds", "seconds"), ("LLM calls", "llm_calls"),
                         ("prompt tokens", "prompt_tokens"), ("completion tokens", "completion_tokens")):
        cells = []
        for c in configs:
            values = [r[field] for r in rows[c]]
            cells.append(f"{statistics.median(values):.1f} ({statistics.fmean(values):.1f})" if values else "-")
        print(f"{label:18}" + "".join(f"{cell:>{width + 8}}" for cell in cells))
    for c in configs:
        errors = sum(1 for r in rows[c] if r["error"])
        cached = sum(1 for r in rows[c] if r["from_cache"])
        print(f"[{c}] {errors} questions ended in an error, {cached} answered from the program cache of this run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="questions file (TOML)")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="test")
    parser.add_argument("--families", type=lambda s: s.split(","), help="comma-separated families")
    parser.add_argument("--tasks", type=lambda s: s.split(","), help="comma-separated task ids")
    parser.add_argument("--per-task", type=int, default=0, help="at most N questions per task")
    parser.add_argument("--limit", type=int, default=0, help="at most N questions, stratified across tasks")
    parser.add_argument("--configs", default="default", help="comma-separated named configurations (CONFIGS)")
    parser.add_argument("--config", action="append", default=[], metavar="NAME:KEY=VALUE,...",
                        help="an ad-hoc configuration of Copilot keyword arguments (repeatable)")
    parser.add_argument("--llm", default=None, help="LLM backend for every configuration (default: settings)")
    parser.add_argument("--out", type=Path, default=Path("runs/planning"), help="results and per-config caches")
    parser.add_argument("--summary", action="store_true", help="only print the summary of results so far")
    parser.add_argument("--build-only", action="store_true", help="only build the selection's audio")
    args = parser.parse_args()
    try:
        questions, recipes = load(args.data)
    except EvalSetError as exc:
        raise SystemExit(f"error: {exc}") from None
    configs = parse_configs(args.configs, args.config)
    chosen = select(questions, args)
    if not chosen:
        raise SystemExit("error: no question matches the selection")
    if args.build_only:
        builder = AudioBuilder(recipes)
        try:
            paths = {builder.path(a) for q in chosen for a in q.audio}
        except CopilotError as exc:
            raise SystemExit(f"error: {exc}") from None
        print(f"{len(paths)} recordings for {len(chosen)} questions are built")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    if args.summary:
        done = load_results(args.out / "results.jsonl")
    else:
        try:
            done = run(configs, chosen, AudioBuilder(recipes), args.out, args.llm)
        except CopilotError as exc:
            raise SystemExit(f"error: {exc}") from None
    summarise(list(configs), chosen, done)


if __name__ == "__main__":
    main()
