"""Benchmark throughput: items/s with one program per task against planning every item, or per engine.

Usage: ``python benchmarks/bench_throughput.py [--items 50] [--task NAME] [--workers 1] [--json out.json]``
       ``python benchmarks/bench_throughput.py --engines [--items 100] [--json out.json]``

Builds a small true-labelled Dynamic-SUPERB instance from the corpus (``copilot.testing.bench_fixtures``),
then runs it twice through one real ``Copilot()`` (the configured LLM, by default the embedded
one): once with ``program_key=<task>`` (one program planned, reused on every item, repaired per
item only where it fails) and once with a key per item (a plan for every item). Both runs start
after a warm-up question (model loading is not counted) and with empty tool-result caches, so
they differ only in planning. Prints items/s for each and their ratio, from the same process.

``--engines`` runs the instance on the local engine (one thread), then on Ray with 1 and with 2
actors (a local Ray cluster), all in one process, each from cold: a fresh Copilot per engine or
per actor, so each pays its own model load (shown apart: actor start-up, and the first item's
model loading). The LLM is scripted here, one fixed program over the real ``detect_speech`` tool
(Silero VAD), planned once per engine and shipped to the actors: the figures are the engines'
cost per item (sandbox, tool, scheduling, writing), not the LLM's.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import datasets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from copilot.api import Copilot  # noqa: E402
from copilot.pools import select_tasks  # noqa: E402
from copilot.suites.dynamic_superb import PHASE1_POOL, instance_items  # noqa: E402
from copilot.suites.runner import LocalEngine, read_predictions, run_engine, run_items  # noqa: E402
from copilot.suites.scoring import score_task  # noqa: E402
from copilot.testing import bench_fixtures as fixtures  # noqa: E402
from copilot.testing.llm import ScriptedLLM  # noqa: E402

VAD_TASK = "SpeechDetection_LJSpeech"
VAD_PROGRAM = '```python\ndef main(audio, options, question):\n    return "yes" if detect_speech(audio)["present"] else "no"\n```'


def run_mode(copilot: Copilot, root: Path, task: str, workers: int, reuse: bool, out: Path) -> dict:
    copilot.runtime.results.clear_memory()  # tool results from the previous mode must not help this one
    total, items = instance_items(select_tasks(PHASE1_POOL, task)[0], root)
    stats = run_items(copilot, items, out, workers=workers, total=total, reuse_programs=reuse,
                      desc="reuse" if reuse else "per-item")
    records = read_predictions(out)
    return {
        "items": stats.answered, "seconds": round(stats.seconds, 2), "items_per_s": round(stats.items_per_s, 4),
        "llm_calls": sum(r["tokens"].get("llm_calls", 0) for r in records),
        "programs": len({r["program_id"] for r in records if r["program_id"]}),
        "errors": stats.errors, "accuracy": round(score_task(records).score, 1),
    }


def scripted_copilot() -> Copilot:
    """A cold Copilot whose LLM replies with the fixed program (built inside each Ray actor too)."""
    return Copilot(llm=ScriptedLLM([VAD_PROGRAM] * 4), retrieval=False, disk_cache=False)


def run_engines(items: int) -> dict:
    """items/s on the local engine and on Ray with 1 and 2 actors, loads shown apart."""
    import ray

    from copilot.suites.ray_engine import RayEngine

    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
        root = Path(tmp)
        datasets.config.HF_DATASETS_CACHE = root / "hf-datasets"
        fixtures.build_dynamic_superb(root / "data", [VAD_TASK], items=items, fmt="parquet")
        _, rows = instance_items(select_tasks(PHASE1_POOL, VAD_TASK)[0], root / "data")
        rows = list(rows)
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        try:
            for name, actors in (("local", 0), ("ray-1", 1), ("ray-2", 2)):
                out = root / f"{name}.jsonl"
                started = time.perf_counter()
                if actors:
                    engine = RayEngine(scripted_copilot, actors=actors)
                    # start-up: each actor's process, imports and Copilot, all started at once
                    start_s = [round(s, 2) for s in engine.load_times]
                else:
                    engine = LocalEngine(scripted_copilot(), workers=1)
                    start_s = [round(time.perf_counter() - started, 2)]
                startup = time.perf_counter() - started
                try:
                    stats = run_engine(engine, rows, out, desc=name)
                finally:
                    engine.close()
                records = read_predictions(out)
                loads = sorted(r["timings"]["model_load_s"] for r in records if r["timings"].get("model_load_s"))
                results[name] = {
                    "actors": actors, "items": stats.answered, "errors": stats.errors,
                    "startup_s": round(startup, 2), "actor_start_s": start_s,
                    "model_load_s": [round(x, 2) for x in loads], "run_s": round(stats.seconds, 2),
                    "items_per_s": round(stats.items_per_s, 3),
                    "items_per_s_after_loads": round(stats.answered / max(1e-9, stats.seconds - max(loads, default=0)), 3),
                    "accuracy": round(score_task(records).score, 1),
                }
        finally:
            ray.shutdown()
    return results


def print_engines(results: dict, items: int) -> None:
    print(f"{'engine':<7} {'items':>5} {'start s':>8} {'model load s (per actor)':>26} {'run s':>7} "
          f"{'items/s':>8} {'items/s excl. load':>18} {'acc %':>6}")
    for name, row in results.items():
        print(f"{name:<7} {row['items']:>5} {row['startup_s']:>8.1f} {str(row['model_load_s']):>26} "
              f"{row['run_s']:>7.1f} {row['items_per_s']:>8.2f} {row['items_per_s_after_loads']:>18.2f} "
              f"{row['accuracy']:>6.1f}")
    base = results["local"]["items_per_s_after_loads"] or float("inf")
    print(f"{VAD_TASK}, {items} items; Ray 1 actor = {results['ray-1']['items_per_s_after_loads'] / base:.2f}x local, "
          f"2 actors = {results['ray-2']['items_per_s_after_loads'] / base:.2f}x local (after model loads)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50, help="Items in the instance (default 50).")
    parser.add_argument("--task", default="NoiseDetection_LJSpeech_MUSAN-Gaussian", choices=sorted(fixtures.RECIPES))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    parser.add_argument("--engines", action="store_true", help="Compare the local engine with Ray (1 and 2 "
                        "actors) instead of planning modes; --items defaults to 100.")
    args = parser.parse_args()
    if args.engines:
        items = args.items if "--items" in sys.argv else 100
        results = run_engines(items)
        print_engines(results, items)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
        return

    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        root = Path(tmp)
        datasets.config.HF_DATASETS_CACHE = root / "hf-datasets"  # the instance's Arrow cache goes with it
        fixtures.build_dynamic_superb(root / "data", [args.task], items=args.items, fmt="parquet")
        copilot = Copilot(disk_cache=False)
        _, warm_items = instance_items(select_tasks(PHASE1_POOL, args.task)[0], root / "data", limit=1)
        warm = next(warm_items)
        copilot.ask(warm.instruction, audio=warm.load_audio(), text=warm.text, options=list(warm.options),
                    program_key="warm-up")
        reuse = run_mode(copilot, root / "data", args.task, args.workers, True, root / "reuse.jsonl")
        per_item = run_mode(copilot, root / "data", args.task, args.workers, False, root / "per-item.jsonl")

    ratio = reuse["items_per_s"] / per_item["items_per_s"] if per_item["items_per_s"] else float("inf")
    result = {"task": args.task, "workers": args.workers, "llm": copilot.llm.name, "reuse": reuse,
              "per_item": per_item, "speedup": round(ratio, 2)}
    print(f"{'mode':<10} {'items':>5} {'seconds':>8} {'items/s':>8} {'LLM calls':>9} {'programs':>8} "
          f"{'errors':>6} {'acc %':>6}")
    for name, row in (("reuse", reuse), ("per-item", per_item)):
        print(f"{name:<10} {row['items']:>5} {row['seconds']:>8.1f} {row['items_per_s']:>8.3f} "
              f"{row['llm_calls']:>9} {row['programs']:>8} {row['errors']:>6} {row['accuracy']:>6.1f}")
    print(f"one program per task is {ratio:.1f}x the throughput of planning every item "
          f"({args.task}, {args.items} items, {args.workers} worker(s), LLM {copilot.llm.name})")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
