"""Run benchmark items through a Copilot: one program per task, threads, resume, progress.

Predictions go to an append-only JSONL file, one line per item, written and flushed the moment the
item finishes, so an interrupted run loses only the items that were in flight. A rerun reads the
file, drops a torn last line, and skips every item already there.

Planning: items pass ``program_key=<task>`` so the Copilot plans one program per task and reuses
it (repairing per item only when it fails there). The first item of each task runs on its own
before the task's other items are handed to the workers, so parallel workers never race to plan
the same task.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from copilot.errors import CopilotError
from copilot.suites.items import BenchDataError, BenchItem


class Answerer(Protocol):
    """What the runner needs: :class:`copilot.api.Copilot` or anything with its ``ask``."""

    def ask(self, instruction: str, audio: Sequence[Any] = (), text: str | None = None,
            options: Sequence[str] | None = None, program_key: str | None = None) -> Any: ...


@dataclass(frozen=True)
class RunStats:
    answered: int
    skipped: int
    errors: int
    seconds: float

    @property
    def items_per_s(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0


def read_predictions(path: str | Path) -> list[dict[str, Any]]:
    """Records of a predictions file; a torn last line (a crash mid-write) is cut off the file."""
    path = Path(path)
    if not path.is_file():
        return []
    raw = path.read_bytes()
    end = raw.rfind(b"\n") + 1
    if end < len(raw):
        with path.open("r+b") as fh:
            fh.truncate(end)
    records = []
    for number, line in enumerate(raw[:end].splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError as exc:
            raise BenchDataError(f"{path}:{number}: not a JSON prediction record ({exc})") from exc
    return records


def latest_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per item (the last written), in first-seen order."""
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        by_key[(record["task"], record["id"])] = record
    return list(by_key.values())


def item_record(item: BenchItem, answer: Any | None, error: str | None, seconds: float) -> dict[str, Any]:
    """The predictions-file line for one item (``answer`` None when it failed before ``ask`` returned)."""
    record: dict[str, Any] = {
        "task": item.task, "id": item.item_id, "group": item.group, "metric": item.metric,
        "instruction": item.instruction, "label": item.label, "options": list(item.options),
        "letters": item.letters, "text": item.text, "source": item.source,
        "answer": None, "value": None, "ok": False, "error": error, "program_id": None,
        "from_cache": False, "attempts": 0, "timings": {"item_s": round(seconds, 4)}, "tokens": {},
    }
    if answer is not None:
        record.update(answer=answer.answer, value=answer.value, ok=bool(answer.ok), error=answer.error,
                      program_id=answer.program_id, from_cache=bool(answer.from_cache),
                      attempts=answer.attempts, tokens=dict(answer.tokens))
        record["timings"].update(answer.timings)
    return record


class _Writer:
    """Appends records under a lock, one flushed line each, and ticks the progress bar."""

    def __init__(self, path: Path, bar: tqdm) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = path.open("a", encoding="utf-8")
        self.bar = bar
        self.lock = threading.Lock()
        self.answered = 0
        self.errors = 0

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        with self.lock:
            self.fh.write(line)
            self.fh.flush()
            self.answered += 1
            self.errors += not record["ok"]
            self.bar.update(1)
            self.bar.set_postfix(errors=self.errors, refresh=False)

    def close(self) -> None:
        self.fh.close()


def run_items(answerer: Answerer, items: Iterable[BenchItem], predictions: str | Path, *, workers: int = 1,
              reuse_programs: bool = True, total: int | None = None, progress: bool = True,
              desc: str = "bench") -> RunStats:
    """Answer every item not already in ``predictions``; returns what this call did.

    ``reuse_programs=False`` gives every item its own program key (per-item planning), for
    comparison. Errors a user or the data can cause (``CopilotError``) are recorded on the item;
    anything else is a bug and stops the run (a rerun resumes).
    """
    if workers < 1:
        raise BenchDataError(f"--workers must be at least 1, got {workers}")
    path = Path(predictions)
    done = {(r["task"], r["id"]) for r in read_predictions(path)}
    bar = tqdm(total=total, unit="item", desc=desc, disable=not progress, dynamic_ncols=True)
    writer = _Writer(path, bar)
    planned: set[str] = set()
    skipped = 0
    start = time.perf_counter()

    def answer(item: BenchItem, key: str) -> None:
        t0 = time.perf_counter()
        try:
            result = answerer.ask(item.instruction, audio=item.load_audio(), text=item.text,
                                  options=list(item.options) or None, program_key=key)
            record = item_record(item, result, None, time.perf_counter() - t0)
        except CopilotError as exc:
            record = item_record(item, None, f"{type(exc).__name__}: {exc}", time.perf_counter() - t0)
        writer.write(record)

    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bench") as pool:
            pending: set[Future] = set()
            for item in items:
                if item.key in done:
                    skipped += 1
                    if bar.total:
                        bar.total -= 1
                        bar.refresh()
                    continue
                key = item.task if reuse_programs else f"{item.task}#{item.item_id}"
                if reuse_programs and key not in planned:
                    planned.add(key)
                    answer(item, key)  # plans the task's program before its other items fan out
                    continue
                while len(pending) >= 2 * workers:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        future.result()
                pending.add(pool.submit(answer, item, key))
            for future in pending:
                future.result()
    finally:
        writer.close()
        bar.close()
    return RunStats(answered=writer.answered, skipped=skipped, errors=writer.errors,
                    seconds=time.perf_counter() - start)
