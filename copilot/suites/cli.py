"""``copilot bench dynamic-superb`` and ``copilot bench sakura``: run, resume and report.

Both commands append to ``<out>/predictions.jsonl`` (rerun the same command to resume), then score
every finished item of the selected tasks and write ``<out>/summary.md`` and ``summary.json``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from copilot.cli_flags import llm_options
from copilot.errors import CopilotError
from copilot.pools import TaskRecord, load_pool, select_tasks
from copilot.suites.dynamic_superb import PHASE1_POOL, load_instance
from copilot.suites.items import BenchDataError, MissingInstanceError
from copilot.suites.phase2 import PHASE2_POOL, phase2_report, select_phase2
from copilot.suites.phase2_metrics import Phase2Judge
from copilot.suites.report import report, write_report
from copilot.suites.runner import Answerer, Engine, LocalEngine, latest_records, read_predictions, run_engine
from copilot.suites.sakura import HOPS, sakura_items
from copilot.suites.scoring import OptionJudge
from copilot.suites.tables import Report, dynamic_superb_report, sakura_report


def make_copilot(settings=None, retrieval: bool = False) -> Answerer:
    """The answerer the commands use: one Copilot from the settings (config file, COPILOT_* env, flags)."""
    from copilot.api import Copilot

    return Copilot(settings=settings, retrieval=retrieval)


@contextlib.contextmanager
def _engine(engine: str, workers: int, item_budget: float | None, ray_address: str | None, actors: int | None,
            actor_cpus: float, actor_gpus: float, retrieval: bool,
            llm_flags: dict) -> Iterator[tuple[Engine, Answerer | None]]:
    """The engine of one command, and the local Copilot (None on Ray: the actors hold theirs).

    Ray actors get the driver's settings, resolved here, so every node runs with the same LLM
    and backends whatever its own environment says.
    """
    from copilot.config import load_settings

    settings = load_settings(**llm_flags)
    if engine == "local":
        copilot = make_copilot(settings, retrieval)
        yield LocalEngine(copilot, workers, item_budget), copilot
        return
    from copilot.suites.ray_engine import RayEngine

    factory = functools.partial(make_copilot, settings, retrieval)
    on_ray = RayEngine(factory, address=ray_address, actors=actors, actor_cpus=actor_cpus, actor_gpus=actor_gpus,
                       item_budget=item_budget)
    try:
        yield on_ray, None
    finally:
        on_ray.close()


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """A CopilotError ends the command with one line, also when this group runs on its own."""
    try:
        yield
    except CopilotError as exc:
        raise click.ClickException(str(exc)) from exc


def _quiet_datasets() -> None:
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()


_OPTION_JUDGE = click.option("--judge", is_flag=True, help="Ask the LLM which option an answer means when the "
                             "deterministic matching finds none (prompt: copilot/suites/prompts/judge.md).")


def _common(func, judge_option=_OPTION_JUDGE):
    options = [
        click.option("--limit", type=click.IntRange(min=1), help="At most N items per task (per track and hop). "
                     "A seeded sample (the same on every run) spread evenly over the labels, not the first N "
                     "rows, which many sources (and SAKURA's metadata) sort by label."),
        click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Items answered in parallel (threads sharing one Copilot)."),
        *([judge_option] if judge_option else []),
        click.option("--plan-per-item", is_flag=True, help="Plan a program for every item instead of "
                     "one per task (slower; for comparison)."),
        click.option("--retrieval", is_flag=True, help="Show the LLM only the tools and examples most like each "
                     "task (default: the static prompt, whose prefix the embedded model keeps)."),
        click.option("--report-only", is_flag=True, help="Score what is in the predictions file; run nothing."),
        click.option("--no-progress", is_flag=True, help="No progress bar."),
        click.option("--item-budget", type=click.FloatRange(min=0, min_open=True), default=900.0, show_default=True,
                     help="Seconds one item may take (planning, repairs, tools); past it the item is recorded "
                          "as a timeout."),
        click.option("--stop-after-errors", type=click.IntRange(min=1), help="Stop (a rerun resumes) after N "
                     "failed items in a row, e.g. when the LLM server is gone; default: go on."),
        click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                     help="local: threads in this process (--workers); ray: actors on a Ray cluster, "
                          "one Copilot each (docs/cluster.md)."),
        click.option("--ray-address", help="Ray cluster to join: auto, HOST:6379 or ray://HOST:10001 "
                     "(default: start Ray on this machine)."),
        click.option("--actors", type=click.IntRange(min=1), help="Ray actors (default: cluster CPUs / "
                     "--actor-cpus)."),
        click.option("--actor-cpus", type=click.FloatRange(min=0), default=1.0, show_default=True,
                     help="CPUs each Ray actor reserves."),
        click.option("--actor-gpus", type=click.FloatRange(min=0), default=0.0, show_default=True,
                     help="GPUs each Ray actor reserves (fractions share a GPU)."),
    ]
    for option in reversed(options):
        func = option(func)
    return llm_options(func)


def _finish(summary: Report, out: Path, pool: str | None = None) -> None:
    md, _ = summary.write(out)
    click.echo(summary.markdown)
    html = write_report(out, pool=pool)
    click.echo(f"\nwrote {md}, {md.with_suffix('.json')} and {html}", err=True)


@click.group("bench")
def bench() -> None:
    """Run benchmarks (Dynamic-SUPERB Phase 1 and Phase 2, SAKURA) and compare with published results.

    Example: copilot bench dynamic-superb --data hf --tasks all --out runs/ds
    (Phase 2: copilot bench dynamic-superb-phase2 --data hf --tasks all --out runs/ds2)
    """


bench.add_command(report)


@bench.command("dynamic-superb")
@click.option("--tasks", default="all", show_default=True,
              help="Comma-separated instance names from the pool, or 'all'.")
@click.option("--data", default="hf", show_default=True,
              help="'hf' (DynamicSuperb/<task> from the hub) or a folder of local copies <DIR>/<task>/ "
                   "(save_to_disk, parquet or audiofolder).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("bench-out/dynamic-superb"), show_default=True)
@click.option("--pool", default=PHASE1_POOL, show_default=True, help="Instruction pool with the task list.")
@_common
def dynamic_superb(tasks: str, data: str, out: Path, pool: str, limit: int | None, judge: bool,
                   plan_per_item: bool, report_only: bool, no_progress: bool, **run) -> None:
    """Dynamic-SUPERB: one program per task, reused on every item; accuracy per task and dimension.

    \b
    Examples:
      copilot bench dynamic-superb --data /data/dynamic-superb --limit 50 --workers 2 --out runs/ds
      copilot bench dynamic-superb --data /data/dynamic-superb --engine ray --ray-address auto --actors 8
    """
    with _user_errors():
        _quiet_datasets()
        selected = select_tasks(pool, tasks)
        records, copilot = _predict(selected, data, out, limit, plan_per_item, report_only, no_progress, run)
        if not records:
            raise BenchDataError(f"{out / 'predictions.jsonl'}: no predictions for the selected tasks yet")
        _finish(dynamic_superb_report(records, load_pool(pool), _judge(judge, copilot, out, run["llm_flags"])), out,
                pool)


def _predict(selected: list, data: str, out: Path, limit: int | None, plan_per_item: bool, report_only: bool,
             no_progress: bool, run: dict) -> tuple[list[dict], Any]:
    """Run the instances not yet in ``out/predictions.jsonl`` (unless ``report_only``); their latest
    records, and the Copilot that ran them (None when nothing ran)."""
    if data != "hf" and not Path(data).is_dir():
        raise BenchDataError(f"--data {data}: no such folder (use 'hf' for the hub)")
    out.mkdir(parents=True, exist_ok=True)
    predictions = out / "predictions.jsonl"
    copilot = None
    if not report_only:
        with _engine(**_engine_options(run)) as (engine, copilot):
            _run_instances(engine, selected, data, predictions, limit=limit, reuse_programs=not plan_per_item,
                           progress=not no_progress, stop_after_errors=run["stop_after_errors"])
    wanted = {r.task for r in selected}
    return [r for r in latest_records(read_predictions(predictions)) if r["task"] in wanted], copilot


def _engine_options(run: dict) -> dict:
    return {k: run[k] for k in ("engine", "workers", "item_budget", "ray_address", "actors", "actor_cpus",
                                "actor_gpus", "retrieval", "llm_flags")}


def _run_instances(engine: Engine, selected: list[TaskRecord], data: str, predictions: Path, *, limit: int | None,
                   **options) -> None:
    """Open every selected instance, report what cannot run (in one line each) before anything
    runs, then run the rest in turn."""
    ready, missing = [], []
    for record in selected:
        try:
            instance = load_instance(record, data, limit)
        except MissingInstanceError:
            missing.append(record.task)
            continue
        except BenchDataError as exc:
            click.echo(f"skipping {record.task}: {exc}", err=True)
            continue
        if instance.data_errors:
            click.echo(instance.describe_errors(), err=True)
        ready.append(instance)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        click.echo(f"skipping {len(missing)} of {len(selected)} instances not in {data}: {shown}", err=True)
    if not ready:
        raise BenchDataError(f"no instance could be loaded from {data}")
    for instance in ready:
        run_engine(engine, instance.items, predictions, total=instance.total, desc=instance.task, **options)


def _phase2_judge_options(func):
    for option in reversed([
        click.option("--judge-llm", help="Backend of the classification judge (local, openai, langchain:...); "
                     "default: the LLM the run uses, the embedded model unless --llm says otherwise. The official "
                     "setting is openai with --judge-model gpt-4o."),
        click.option("--judge-model", help="Model name of the judge on an openai-style server."),
        click.option("--judge-base-url", help="Base URL of the judge's OpenAI-compatible server."),
    ]):
        func = option(func)
    return func


@bench.command("dynamic-superb-phase2")
@click.option("--tasks", default="all", show_default=True,
              help="'all' (the 231 instances), comma-separated instance names, or a file with one name a line.")
@click.option("--data", default="hf", show_default=True,
              help="'hf' (DynamicSuperb/<instance> from the hub) or a folder of local copies: <DIR>/<instance>/ "
                   "(save_to_disk, parquet or audiofolder) or a hub cache (<DIR>/datasets--DynamicSuperb--<instance>).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("bench-out/dynamic-superb-phase2"), show_default=True)
@click.option("--pool", default=PHASE2_POOL, show_default=True, help="Pool with the Phase-2 instance list.")
@functools.partial(_common, judge_option=_phase2_judge_options)
def dynamic_superb_phase2(tasks: str, data: str, out: Path, pool: str, limit: int | None, judge_llm: str | None,
                          judge_model: str | None, judge_base_url: str | None, plan_per_item: bool,
                          report_only: bool, no_progress: bool, **run) -> None:
    """Dynamic-SUPERB Phase 2: one program per instance; each instance scored by its benchmark metric
    (LLM-judged accuracy, WER/CER/PER, BLEU, Pearson; others reported as not scored), per domain and type.

    \b
    Examples:
      copilot bench dynamic-superb-phase2 --tasks SuperbASR_LibriSpeech-TestClean --limit 50 --out runs/p2
      copilot bench dynamic-superb-phase2 --data /data/ds2 --tasks my-tasks.txt --judge-llm openai --judge-model gpt-4o
    """
    with _user_errors():
        _quiet_datasets()
        selected = select_phase2(tasks, pool)
        records, copilot = _predict(selected, data, out, limit, plan_per_item, report_only, no_progress, run)
        if not records:
            raise BenchDataError(f"{out / 'predictions.jsonl'}: no predictions for the selected instances yet")
        given = {"llm": judge_llm, "llm_model": judge_model, "llm_base_url": judge_base_url}
        judge_flags = {k: v for k, v in given.items() if v}
        reuse = copilot is not None and hasattr(copilot, "llm") and not judge_flags
        llm = copilot.llm if reuse else _make_llm({**run["llm_flags"], **judge_flags})
        judge = Phase2Judge(llm, out / "phase2-judgements.jsonl")
        _finish(phase2_report(records, load_pool(pool), judge), out, pool)


@bench.command("sakura")
@click.option("--data", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="SAKURA folder with <Track>/metadata.json and <Track>/audio/.")
@click.option("--tracks", default="", help="Comma-separated tracks (Gender, Language, Emotion, Animal); "
              "default: every track found.")
@click.option("--hop", type=click.Choice(["single", "multi", "both"]), default="both", show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("bench-out/sakura"), show_default=True)
@_common
def sakura(data: Path, tracks: str, hop: str, out: Path, limit: int | None, judge: bool,
           plan_per_item: bool, report_only: bool, no_progress: bool, **run) -> None:
    """SAKURA: single- and multi-hop attribute questions; accuracy per track beside the paper's models.

    \b
    Example:
      copilot bench sakura --data /data/sakura --tracks Gender,Language --hop both --out runs/sakura
    """
    with _user_errors():
        hops = HOPS if hop == "both" else (hop,)
        items = sakura_items(data, [t.strip() for t in tracks.split(",") if t.strip()] or None, hops, limit)
        out.mkdir(parents=True, exist_ok=True)
        predictions = out / "predictions.jsonl"
        copilot = None
        if not report_only:
            with _engine(**_engine_options(run)) as (engine, copilot):
                run_engine(engine, items, predictions, total=len(items), desc="sakura",
                           reuse_programs=not plan_per_item, progress=not no_progress,
                           stop_after_errors=run["stop_after_errors"])
        wanted = {item.key for item in items}
        records = [r for r in latest_records(read_predictions(predictions)) if (r["task"], r["id"]) in wanted]
        if not records:
            raise BenchDataError(f"{predictions}: no predictions for the selected tracks yet")
        _finish(sakura_report(records, _judge(judge, copilot, out, run["llm_flags"])), out)


def _judge(enabled: bool, copilot: Answerer | None, out: Path, llm_flags: dict) -> OptionJudge | None:
    """The LLM judge over the Copilot's own LLM (or the configured one in --report-only mode)."""
    if not enabled:
        return None
    llm = copilot.llm if copilot is not None and hasattr(copilot, "llm") else _make_llm(llm_flags)
    return OptionJudge(llm, out / "judgements.jsonl")


def _make_llm(llm_flags: dict):
    from copilot.config import load_settings
    from copilot.llm import make_llm

    return make_llm(load_settings(**llm_flags))
