"""``copilot toolset derive`` and ``copilot toolset coverage``; wired into ``copilot.cli``."""

from __future__ import annotations

import time
from pathlib import Path

import click

from copilot.analyser import nearest
from copilot.analyser.derive import decompose_tasks, derive, score_held_out, write
from copilot.analyser.llm_cache import CachedLLM
from copilot.analyser.report import render_coverage
from copilot.analyser.spec import read_spec
from copilot.cli_flags import add_verbosity, llm_options, show_progress
from copilot.config import load_settings
from copilot.errors import CopilotError
from copilot.llm import make_llm
from copilot.pools import select_tasks
from copilot.tools import load_toolset


def _llm(llm_flags: dict, no_cache: bool) -> CachedLLM:
    settings = load_settings(**llm_flags)
    folder = None if no_cache else settings.cache_dir / "analyser-llm"
    return CachedLLM(make_llm(settings), folder)


def _tasks(values: tuple[str, ...]) -> list[str]:
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


def _usage_line(llm: CachedLLM, started: float) -> str:
    u = llm.usage
    return (f"LLM: {u.live_calls} calls made, {u.cache_hits} from cache; "
            f"{u.prompt_tokens}+{u.completion_tokens} tokens recorded; wall time {time.perf_counter() - started:.0f} s")


_llm_options = [
    click.option("--phrasings", default=3, show_default=True, type=click.IntRange(1, 50),
                 help="Phrasings sampled per task (the pool lists the most frequent first)."),
    click.option("--tasks", "task_values", multiple=True, help="Only these tasks (comma-separated or repeated)."),
    click.option("--no-cache", is_flag=True, help="Do not read or write the on-disk LLM reply cache."),
]


def _with_llm_options(f):
    for option in reversed(_llm_options):
        f = option(f)
    return llm_options(f)


toolset = click.Group("toolset", help="Derive a toolset spec from an instruction pool and score its coverage.\n\n"
                      "Example: copilot toolset derive dynamic_superb_phase1 --out my-toolset")


@toolset.command("derive")
@click.argument("pool")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for toolset.json, derivation-report.md and decompositions.jsonl.")
@click.option("--bind-to", default=None,
              help="Toolset whose tools the modules bind to (default: the --out folder if it holds tools).")
@click.option("--held-out", default=None, help="A second pool, never derived from, to measure generalization.")
@_with_llm_options
def derive_command(pool: str, out_dir: Path, bind_to: str | None, held_out: str | None, llm_flags: dict,
                   phrasings: int, task_values: tuple[str, ...], no_cache: bool) -> None:
    """Derive a toolset spec from POOL (a pool name or a JSONL file).

    \b
    Example:
      copilot toolset derive dynamic_superb_phase1 --out my-toolset --bind-to speech \\
          --held-out dynamic_superb_phase1_train --llm openai --llm-model gpt-4o-mini
    """
    started = time.perf_counter()
    target = load_toolset(bind_to) if bind_to else _tools_in(out_dir)
    llm = _llm(llm_flags, no_cache)
    result = derive(llm, pool, phrasings=phrasings, task_names=_tasks(task_values), toolset=target,
                    held_out=held_out, progress=show_progress())
    for path in write(result, pool, out_dir):
        click.echo(f"wrote {path}")
    click.echo(f"{len(result.modules)} modules, {len(result.bound)} bound; coverage "
               f"{len(result.coverage.covered)}/{len(result.coverage.tasks)} = {100 * result.coverage.share:.1f} %")
    if result.held_out:
        c = result.held_out.covered
        click.echo(f"held-out {result.held_out.run.name}: {len(c.covered)}/{len(c.tasks)} = {100 * c.share:.1f} %")
    click.echo(_usage_line(llm, started))


def _tools_in(folder: Path):
    """The toolset in the output folder, when it has tools to bind to; else no binding."""
    if not folder.is_dir() or not any(folder.glob("*.py")):
        return None
    found = load_toolset(folder)
    return found if len(found) else None


@toolset.command("coverage")
@click.argument("spec", type=click.Path(exists=True, path_type=Path))
@click.argument("pool")
@click.option("--report", "report_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the uncovered tasks and module matches here (Markdown).")
@click.option("--by-embedding", is_flag=True, help="No LLM: each task of POOL takes the coverage of the analysed "
              "task whose instructions are most like its own (copilot/analyser/nearest.py).")
@_with_llm_options
def coverage_command(spec: Path, pool: str, report_path: Path | None, by_embedding: bool, llm_flags: dict,
                     phrasings: int, task_values: tuple[str, ...], no_cache: bool) -> None:
    """Score a derived SPEC (toolset.json or its folder) on POOL: decompose POOL, match its modules.

    \b
    Examples:
      copilot toolset coverage toolsets/speech dynamic_superb_phase1_train --report coverage.md
      copilot toolset coverage toolsets/speech dynamic_superb_phase2 --by-embedding --report phase2.md
    """
    if by_embedding:
        reference, covered = nearest.analysed(spec)
        placements = nearest.place(select_tasks(pool, _tasks(task_values)), reference, covered)
        placed = [p for p in placements if p.analogue]
        click.echo(f"covered (nearest analysed task): {sum(p.covered for p in placed)}/{len(placed)} tasks with "
                   f"instructions ({len(placements) - len(placed)} without instructions not placed)")
        if report_path:
            report_path.write_text(nearest.render(str(spec), pool, placements, nearest.THRESHOLD))
            click.echo(f"wrote {report_path}")
        return
    started = time.perf_counter()
    modules, bindings = read_spec(spec)
    if not modules:
        raise CopilotError(f"{spec} lists no modules")
    llm = _llm(llm_flags, no_cache)
    run = decompose_tasks(llm, pool, select_tasks(pool, _tasks(task_values)), phrasings, show_progress())
    held = score_held_out(llm, run, modules, bindings)
    for label, c in (("modules in the spec", held.in_spec), ("covered by bound modules", held.covered)):
        click.echo(f"{label}: {len(c.covered)}/{len(c.tasks)} tasks = {100 * c.share:.1f} %")
    if report_path:
        report_path.write_text(render_coverage(str(spec), held))
        click.echo(f"wrote {report_path}")
    click.echo(_usage_line(llm, started))


add_verbosity(toolset)  # -q also turns the progress bar off
