"""The derivation report (Markdown): the numbers first, then what needs implementing and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from copilot.analyser.bind import BIND
from copilot.analyser.matching import Match
from copilot.analyser.modularize import MERGE
from copilot.analyser.records import Coverage

if TYPE_CHECKING:
    from copilot.analyser.records import Derivation, HeldOut


def _pct(share: float) -> str:
    return f"{100 * share:.1f} %"


def _binding(b: Match | None) -> str:
    return "**needs implementation**" if b is None else f"`{b.target}` ({b.method}, {b.score:.2f})"


def _cov_line(label: str, c: Coverage) -> str:
    return (f"- {label}: **{len(c.covered)} / {len(c.tasks)} tasks = {_pct(c.share)}** "
            f"(at least one phrasing fully bound: {len(c.any_phrasing)} = {_pct(c.any_phrasing_share)})")


def _uncovered(c: Coverage) -> list[str]:
    rows = []
    for task, missing in c.missing.items():
        need = ", ".join(f"`{m}`" for m in missing if m) or "no program could be parsed"
        rows.append(f"- {task}: {need}")
    return rows or ["- none"]


def render_report(d: Derivation) -> str:
    bound = d.bound
    unbound = [m for m in d.modules if m.name not in bound]
    lines = [
        f"# Toolset derivation: {d.run.name}",
        "",
        "Written by `copilot toolset derive`; rerun it to regenerate (LLM replies are cached).",
        "",
        f"- pool: {d.run.name}, {len(d.run.tasks)} tasks, up to {d.phrasings} phrasings each "
        f"({len(d.run.decompositions)} programs, {len(d.run.failed)} failed to parse after retries)",
        f"- LLM: {d.llm}",
        f"- bound to toolset: {d.toolset or '(none)'}",
        f"- modules: **{len(d.modules)}** ({len(d.modules) - len(unbound)} bound, {len(unbound)} need "
        f"implementation), merged from {len(d.modules) + len(d.merges)} names",
        _cov_line(f"coverage on {d.run.name}", d.coverage),
    ]
    if d.held_out:
        h = d.held_out
        lines += [
            _cov_line(f"coverage on held-out {h.run.name} (never seen by the derivation)", h.covered),
            f"  - its modules all present in the derived spec, bound or not: {len(h.in_spec.covered)} / "
            f"{len(h.in_spec.tasks)} = {_pct(h.in_spec.share)}",
        ]
    if d.usage:
        u = d.usage
        lines.append(f"- LLM cost as recorded: {u.live_calls + u.cache_hits} calls, {u.prompt_tokens} prompt + "
                     f"{u.completion_tokens} completion tokens, {u.recorded_seconds:.0f} s of LLM time")
    lines += [
        f"- thresholds (cosine, MiniLM): merge auto {MERGE.auto} / ask {MERGE.ask} / margin {MERGE.margin}; "
        f"bind auto {BIND.auto} / ask {BIND.ask} / margin {BIND.margin}",
        "",
        "## Modules",
        "",
        "| module | signature | tasks | aliases | bound to |",
        "|---|---|---|---|---|",
    ]
    for m in d.modules:
        aliases = ", ".join(m.aliases) or "-"
        lines.append(f"| `{m.name}` | `{m.signature}` | {len(m.tasks)} | {aliases} | {_binding(d.bindings.get(m.name))} |")
    lines += ["", "## Needs implementation", ""]
    for m in unbound:
        lines.append(f"### `{m.signature}`")
        lines.append(f"{m.description}. Needed by {len(m.tasks)} task(s): {', '.join(m.tasks)}.")
        lines += [f"    {e}" for e in m.examples]
        lines.append("")
    if not unbound:
        lines += ["Every derived module is bound.", ""]
    lines += ["## Uncovered tasks", "", *_uncovered(d.coverage), ""]
    if d.held_out:
        lines += [f"## Uncovered held-out tasks ({d.held_out.run.name})", "", *_uncovered(d.held_out.covered), "",
                  "Held-out module -> derived module:", ""]
        lines += [f"- `{name}` -> " + (f"`{m.target}` ({m.method}, {m.score:.2f})" if m else "no match")
                  for name, m in sorted(d.held_out.matches.items())]
        lines.append("")
    lines += ["## Merges", ""]
    lines += [f"- `{m.name}` -> `{m.into}` ({m.method}, {m.score:.2f})" for m in d.merges] or ["- none"]
    lines += ["", "## The paper's 16 modules bound to the same toolset", ""]
    lines += [f"- `{name}` -> {_binding(b)}" for name, b in d.paper.items()]
    failed = d.run.failed + (d.held_out.run.failed if d.held_out else ())
    if failed:
        lines += ["", "## Programs that failed to parse", ""]
        lines += [f"- {x.task}: {x.error} ({x.instruction[:80]})" for x in failed]
    return "\n".join(lines) + "\n"


def render_coverage(spec: str, held: HeldOut) -> str:
    """The coverage report of a derived spec on another pool: what each task misses, what matched what."""
    lines = [f"# Coverage of {spec} on {held.run.name}", ""]
    lines += [f"- {t}: " + (", ".join(f"`{m}`" for m in miss if m) or "no program could be parsed")
              for t, miss in held.covered.missing.items()]
    lines += ["", *(f"- `{n}` -> {m.target if m else 'no match'}" for n, m in sorted(held.matches.items()))]
    return "\n".join(lines) + "\n"
