"""The toolset spec (``toolset.json``) and coverage: what a derivation writes and how it is scored.

Coverage of a pool is the share of its tasks whose modules are all bound to implemented tools. A
task's modules are those of every sampled phrasing of it, so one phrasing whose program needs an
unbound module makes the task uncovered; ``any_phrasing`` counts a task as covered when at least
one of its programs needs only bound modules. A task whose every decomposition failed is uncovered.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from copilot.analyser.bind import BIND
from copilot.analyser.decompose import Decomposition
from copilot.analyser.matching import Match
from copilot.analyser.modularize import MERGE, DerivedModule
from copilot.analyser.records import Coverage, Derivation
from copilot.errors import CopilotError
from copilot.pools import pool_path

SPEC_FORMAT = "speech-copilot/toolset-spec/1"


def coverage(tasks: Sequence[str], decompositions: Sequence[Decomposition], resolve: Mapping[str, str | None],
             bound: set[str]) -> Coverage:
    """Score tasks given where each module name resolves (a spec module, or None) and which of those
    are bound. ``resolve`` maps every module name the decompositions use."""
    programs: dict[str, list[set[str | None]]] = defaultdict(list)
    names: dict[str, set[str]] = defaultdict(set)
    for d in decompositions:
        if d.calls:
            programs[d.task].append({resolve[c.name] for c in d.calls})
            names[d.task].update(c.name for c in d.calls)
    ok = set(bound)
    covered, any_ok, missing = [], [], {}
    for task in tasks:
        progs = programs.get(task, [])
        if progs and all(p <= ok for p in progs):
            covered.append(task)
        else:
            missing[task] = tuple(sorted(n for n in names.get(task, ()) if resolve[n] not in ok)) or ("",)
        if any(p <= ok for p in progs):
            any_ok.append(task)
    return Coverage(tuple(tasks), tuple(covered), tuple(any_ok), missing)


def module_json(module: DerivedModule, binding: Match | None) -> dict[str, Any]:
    return {
        "name": module.name,
        "signature": module.signature,
        "params": list(module.params),
        "returns": module.returns,
        "description": module.description,
        "aliases": list(module.aliases),
        "task_count": len(module.tasks),
        "tasks": list(module.tasks),
        "examples": list(module.examples),
        "binding": None if binding is None else {"tool": binding.target, "score": round(binding.score, 3),
                                                 "method": binding.method},
    }


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def read_spec(path: Path) -> tuple[list[DerivedModule], dict[str, Match | None]]:
    """The modules and bindings of a written spec (a file, or a toolset folder holding one)."""
    path = path / "toolset.json" if path.is_dir() else path
    try:
        raw = json.loads(path.read_text())
        if raw.get("format") != SPEC_FORMAT:
            raise ValueError(f"format is {raw.get('format')!r}, expected {SPEC_FORMAT!r}")
        modules, bindings = [], {}
        for m in raw["modules"]:
            modules.append(DerivedModule(name=m["name"], params=tuple(m["params"]), returns=m["returns"],
                                         description=m["description"], aliases=tuple(m["aliases"]),
                                         tasks=tuple(m["tasks"]), examples=tuple(m["examples"])))
            b = m.get("binding")
            bindings[m["name"]] = Match(b["tool"], float(b["score"]), b["method"]) if b else None
    except OSError as exc:
        raise CopilotError(f"cannot read the toolset spec {path}: {exc.strerror}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise CopilotError(f"{path} is not a toolset spec written by `copilot toolset derive` ({exc})") from exc
    return modules, bindings


def spec_json(d: Derivation, pool: str) -> dict:
    """The spec as written to ``toolset.json``: deterministic (no times), so a rerun rewrites it unchanged."""
    resolve = {name: m.name for m in d.modules for name in (m.name, *m.aliases)}
    tasks = {}
    for t in d.run.tasks:
        used = sorted({resolve[c.name] for x in d.run.decompositions if x.task == t.task for c in x.calls})
        tasks[t.task] = {"modules": used, "covered": t.task in d.coverage.covered}
    data = {
        "format": SPEC_FORMAT,
        "generated_by": "copilot toolset derive",
        "source": {"pool": d.run.name, "pool_file": pool_path(pool).name, "tasks": len(d.run.tasks),
                   "phrasings_per_task": d.phrasings, "llm": d.llm, "bound_to": d.toolset},
        "thresholds": {"merge": vars(MERGE), "bind": vars(BIND)},
        "modules": [module_json(m, d.bindings.get(m.name)) for m in d.modules],
        "tasks": tasks,
        "coverage": d.coverage.to_json(),
    }
    if d.held_out:
        data["held_out"] = {"pool": d.held_out.run.name, "in_spec": d.held_out.in_spec.to_json(),
                            "covered": d.held_out.covered.to_json()}
    return data
