"""Benchmark throughput: items/s with one program per task against planning every item.

Usage: ``python benchmarks/bench_throughput.py [--items 50] [--task NAME] [--workers 1] [--json out.json]``

Builds a small true-labelled Dynamic-SUPERB instance from the corpus (``copilot.testing.bench_fixtures``),
then runs it twice through one real ``Copilot()`` (the configured LLM, by default the embedded
one): once with ``program_key=<task>`` (one program planned, reused on every item, repaired per
item only where it fails) and once with a key per item (a plan for every item). Both runs start
after a warm-up question (model loading is not counted) and with empty tool-result caches, so
they differ only in planning. Prints items/s for each and their ratio, from the same process.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import datasets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from copilot.api import Copilot  # noqa: E402
from copilot.suites.dynamic_superb import instance_items, select_tasks  # noqa: E402
from copilot.suites.runner import read_predictions, run_items  # noqa: E402
from copilot.suites.scoring import score_task  # noqa: E402
from copilot.testing import bench_fixtures as fixtures  # noqa: E402


def run_mode(copilot: Copilot, root: Path, task: str, workers: int, reuse: bool, out: Path) -> dict:
    copilot.runtime.memory_cache.clear()  # tool results from the previous mode must not help this one
    total, items = instance_items(select_tasks(task)[0], root)
    stats = run_items(copilot, items, out, workers=workers, total=total, reuse_programs=reuse,
                      desc="reuse" if reuse else "per-item")
    records = read_predictions(out)
    return {
        "items": stats.answered, "seconds": round(stats.seconds, 2), "items_per_s": round(stats.items_per_s, 4),
        "llm_calls": sum(r["tokens"].get("llm_calls", 0) for r in records),
        "programs": len({r["program_id"] for r in records if r["program_id"]}),
        "errors": stats.errors, "accuracy": round(score_task(records).score, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50, help="Items in the instance (default 50).")
    parser.add_argument("--task", default="NoiseDetection_LJSpeech_MUSAN-Gaussian", choices=sorted(fixtures.RECIPES))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        root = Path(tmp)
        datasets.config.HF_DATASETS_CACHE = root / "hf-datasets"  # the instance's Arrow cache goes with it
        fixtures.build_dynamic_superb(root / "data", [args.task], items=args.items, fmt="parquet")
        copilot = Copilot(disk_cache=False)
        _, warm_items = instance_items(select_tasks(args.task)[0], root / "data", limit=1)
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
