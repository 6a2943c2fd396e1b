"""LLM calls per 100 items of a SAKURA-format run: what planning once per track and hop costs.

Builds a SAKURA-layout folder (``copilot.testing.bench_fixtures.build_sakura``: Gender tracks from
flite voices, Language tracks from espeak-ng, labels true by construction; every item words its
options in its own order) and runs it the way ``copilot bench sakura`` does: one real ``Copilot``
(the configured LLM, by default the embedded model), ``program_key=<track>/<hop>``, items in order,
per-item repair where a stored program fails. Every call the LLM gets is counted by kind:
``complete`` (plans, repairs, free-text option mapping) and ``score_options`` (letters scored by
log-probability: ``choose()`` inside programs for two-hop knowledge, and option mapping). Prints
per track and hop: items, accuracy, planning calls and scoring calls (each also per 100 items),
and the seconds spent in the LLM and in all.

    .venv/bin/python benchmarks/bench_sakura_calls.py [--items 50] [--out runs/sakura-calls]
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from copilot.api import Copilot  # noqa: E402
from copilot.suites.runner import read_predictions, run_items  # noqa: E402
from copilot.suites.sakura import sakura_items  # noqa: E402
from copilot.suites.scoring import score_task  # noqa: E402
from copilot.testing.bench_fixtures import build_sakura  # noqa: E402


class CallCounter:
    """Counts the LLM's calls by method and by the benchmark task that was being answered."""

    def __init__(self, llm) -> None:
        self.counts: collections.Counter = collections.Counter()
        self.task = "-"
        for method in ("complete", "score_options"):  # every ChatModel has both
            setattr(llm, method, self._counted(method, getattr(llm, method)))

    def _counted(self, method, inner):
        def call(*args, **kwargs):
            self.counts[(self.task, method)] += 1
            return inner(*args, **kwargs)
        return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50, help="audio files per track (each asked single and multi hop)")
    parser.add_argument("--out", type=Path, help="folder for the data and predictions (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sakura-") as tmp:
        root = args.out or Path(tmp)
        data = root / "sakura"
        if not (data / "Gender" / "metadata.json").exists():
            build_sakura(data, items=args.items)
        copilot = Copilot(store_programs=True, disk_cache=False)  # a fresh store: every track/hop is planned here
        counter = CallCounter(copilot.llm)
        items = sakura_items(data)
        predictions = root / "predictions.jsonl"
        predictions.unlink(missing_ok=True)
        by_task: dict[str, list] = collections.defaultdict(list)
        for item in items:
            by_task[item.task].append(item)
        for task, group in by_task.items():
            counter.task = task
            run_items(copilot, group, predictions, desc=task)
        records = read_predictions(predictions)
        print(f"\n{'track/hop':<18}{'items':>6}{'accuracy':>10}{'plan calls':>12}{'/100':>7}{'scoring':>9}{'/100':>7}"
              f"{'LLM s':>8}{'all s':>8}")
        totals = collections.Counter()
        for task, group in by_task.items():
            rows = [r for r in records if r["task"] == task]
            plan, score = counter.counts[(task, "complete")], counter.counts[(task, "score_options")]
            llm_s = sum(r["timings"].get("llm_s", 0.0) for r in rows)
            all_s = sum(r["timings"].get("item_s", 0.0) for r in rows)
            totals.update(items=len(group), plan=plan, score=score, llm_s=llm_s, all_s=all_s)
            print(f"{task:<18}{len(group):>6}{score_task(rows).score:>9.1f}%{plan:>12}{100 * plan / len(group):>7.1f}"
                  f"{score:>9}{100 * score / len(group):>7.1f}{llm_s:>8.1f}{all_s:>8.1f}")
        n = totals["items"]
        print(f"{'all':<18}{n:>6}{'':>10}{totals['plan']:>12}{100 * totals['plan'] / n:>7.1f}"
              f"{totals['score']:>9}{100 * totals['score'] / n:>7.1f}{totals['llm_s']:>8.1f}{totals['all_s']:>8.1f}")
        print("plan calls: generations (plans, repairs, free-text option mapping); scoring: letter "
              "log-probabilities (choose() for knowledge, option mapping)")


if __name__ == "__main__":
    main()
