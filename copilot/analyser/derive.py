"""``copilot toolset derive``: decompose a pool, merge its modules, bind them, and score coverage.

Also scores a derived spec on another pool (generalization): that pool's tasks are decomposed the same
way, independently, and each of their modules is matched to a derived module; a task counts as
covered when every module it needs matches a derived module that is bound to a tool.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from copilot.analyser.bind import bind_cards, bind_modules, paper_cards
from copilot.analyser.decompose import decompose_pool
from copilot.analyser.matching import Match, match_each
from copilot.analyser.modularize import MERGE, DerivedModule, ModuleGroup, group_calls, merge_modules
from copilot.analyser.records import Derivation, HeldOut, PoolRun
from copilot.analyser.report import render_report
from copilot.analyser.spec import coverage, spec_json, write_json
from copilot.errors import CopilotError
from copilot.llm.base import ChatModel
from copilot.pools import TaskRecord, select_tasks
from copilot.tools import Toolset


def decompose_tasks(llm: ChatModel, pool: str, tasks: Sequence[TaskRecord], phrasings: int,
                    progress: bool) -> PoolRun:
    with tqdm(total=len(tasks), desc=f"decompose {Path(pool).stem}", unit="task", disable=not progress,
              file=sys.stderr) as bar:
        decompositions = decompose_pool(llm, tasks, phrasings, bar)
    return PoolRun(Path(pool).stem, tuple(tasks), tuple(decompositions))


def score_held_out(llm: ChatModel, run: PoolRun, modules: Sequence[DerivedModule],
                   bindings: dict[str, Match | None]) -> HeldOut:
    """Match every module the held-out programs use to a derived module (by name, alias or meaning)."""
    alias = {a: m.name for m in modules for a in (m.name, *m.aliases)}
    groups = {name: ModuleGroup(name, uses) for name, uses in group_calls(run.decompositions).items()}
    pending = [g.card() for name, g in groups.items() if name not in alias]
    matches = {name: Match(alias[name], 1.0, "name") for name in groups if name in alias}
    matches.update(zip((c.name for c in pending), match_each(llm, pending, [m.card() for m in modules], MERGE)))
    resolve = {name: (m.target if m else None) for name, m in matches.items()}
    names = [t.task for t in run.tasks]
    in_spec = coverage(names, run.decompositions, resolve, {m.name for m in modules})
    bound = {name for name, b in bindings.items() if b is not None}
    return HeldOut(run, matches, in_spec, coverage(names, run.decompositions, resolve, bound))


def derive(llm: ChatModel, pool: str, *, phrasings: int = 3, task_names: Sequence[str] = (),
           toolset: Toolset | None = None, held_out: str | None = None, held_out_tasks: Sequence[str] = (),
           progress: bool = True) -> Derivation:
    """Run the whole derivation; ``llm`` is usually a :class:`CachedLLM` so reruns are free."""
    run = decompose_tasks(llm, pool, select_tasks(pool, task_names), phrasings, progress)
    if not any(d.calls for d in run.decompositions):
        raise CopilotError(f"no program for any task of {pool} could be parsed: is the LLM working?")
    say = tqdm.write if progress else (lambda _: None)
    say("merging modules…")
    modules, merges = merge_modules(llm, run.decompositions)
    say(f"binding {len(modules)} modules to toolset {toolset.name if toolset else '(none)'}…")
    bindings = bind_modules(llm, modules, toolset)
    resolve = {name: m.name for m in modules for name in (m.name, *m.aliases)}
    bound = {name for name, b in bindings.items() if b is not None}
    cov = coverage([t.task for t in run.tasks], run.decompositions, resolve, bound)
    paper = bind_cards(llm, paper_cards(), toolset)
    other = None
    if held_out:
        other_run = decompose_tasks(llm, held_out, select_tasks(held_out, held_out_tasks), phrasings, progress)
        say("matching held-out modules to the derived spec…")
        other = score_held_out(llm, other_run, modules, bindings)
    return Derivation(run, phrasings, llm.name, toolset.name if toolset else None, tuple(modules),
                      tuple(merges), bindings, cov, paper, other, getattr(llm, "usage", None))


def write(d: Derivation, pool: str, out: Path) -> list[Path]:
    """Write ``toolset.json``, ``derivation-report.md`` and ``decompositions.jsonl`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    spec, report, programs = out / "toolset.json", out / "derivation-report.md", out / "decompositions.jsonl"
    write_json(spec, spec_json(d, pool))
    report.write_text(render_report(d))
    runs = [d.run] + ([d.held_out.run] if d.held_out else [])
    with programs.open("w") as fh:
        for run in runs:
            for x in run.decompositions:
                fh.write(json.dumps({"pool": run.name, "task": x.task, "instruction": x.instruction,
                                     "program": x.program, "modules": [c.name for c in x.calls],
                                     "attempts": x.attempts, "error": x.error}, ensure_ascii=False) + "\n")
    return [spec, report, programs]
