"""Run benchmark items through a Copilot: one program per task, an engine, resume, progress.

Predictions go to an append-only JSONL file, one line per item, written and flushed the moment the
item finishes, by this process only (the single writer, whatever the engine), so an interrupted run
loses only the items that were in flight. A rerun reads the file, drops a torn last line, and skips
every item already there, except items whose failure was the service's, not the item's (the LLM
server went away, a Ray actor died: ``"retry": true``); those are asked again and the new line
supersedes the old one.

Engines answer items: :class:`LocalEngine` on threads sharing one Copilot, or
``copilot.suites.ray_engine.RayEngine`` on Ray actors that hold one Copilot each. Both take items
with ``program_key=<task>`` so the Copilot plans one program per task and reuses it (repairing per
item only when it fails there). The first item of each task is answered before any other item of
the task is started, so parallel workers never race to plan the same task.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from copilot.errors import CopilotError, LLMError
from copilot.suites.items import BenchDataError, BenchItem

# Failures of a service rather than of the item: a rerun asks these items again.
RETRY_ERRORS: tuple[type[CopilotError], ...] = (LLMError,)


class RunError(CopilotError):
    """The run cannot go on (predictions file not writable, no engine worker left, too many errors)."""


class Answerer(Protocol):
    """What the runner needs: :class:`copilot.api.Copilot` or anything with its ``ask``."""

    def ask(self, instruction: str, audio: Sequence[Any] = (), text: str | None = None,
            options: Sequence[str] | None = None, program_key: str | None = None) -> Any: ...


@dataclass(frozen=True)
class Job:
    """One item to answer with its program key; ``plans``: the first item of its task."""

    item: BenchItem
    key: str
    plans: bool = False


class Engine(Protocol):
    """Answers jobs somewhere; the runner starts jobs and writes the records ``poll`` hands back."""

    capacity: int  # jobs that may be in flight at once

    @property
    def in_flight(self) -> int: ...

    def start(self, job: Job) -> None: ...

    def poll(self) -> list[dict[str, Any]]:
        """Records of jobs that finished (or timed out, or ran out of retries); waits for at least one
        event, which may yield no record."""
        ...

    def status(self) -> dict[str, Any]:
        """Extra fields for the progress bar."""
        ...

    def close(self) -> None: ...


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


def finished_keys(records: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    """Items a rerun skips: those whose latest record is not marked for retry."""
    return {(r["task"], r["id"]) for r in latest_records(records) if not r.get("retry")}


_ANSWER_FIELDS = ("answer", "value", "ok", "error", "program_id", "from_cache", "attempts", "tokens")


def item_record(item: BenchItem, answer: Any | None, error: str | None, seconds: float,
                retry: bool = False) -> dict[str, Any]:
    """The predictions-file line for one item (``answer`` None when it failed before ``ask`` returned)."""
    record: dict[str, Any] = {
        "task": item.task, "id": item.item_id, "group": item.group, "metric": item.metric,
        "instruction": item.instruction, "label": item.label, "options": list(item.options),
        "letters": item.letters, "text": item.text, "source": item.source,
        "answer": None, "value": None, "ok": False, "error": error, "retry": retry, "program_id": None,
        "from_cache": False, "attempts": 0, "timings": {"item_s": round(seconds, 4)}, "tokens": {},
    }
    if answer is not None:
        data = answer.to_dict(with_trace=False)  # the one JSON form of an answer
        record.update({name: data[name] for name in _ANSWER_FIELDS})
        record["timings"].update(data["timings"])
    return record


def answer_item(answerer: Answerer, item: BenchItem, key: str) -> dict[str, Any]:
    """Ask one item and build its record; the same code on every engine, so results agree.

    Errors a user or the data can cause (``CopilotError``) are recorded on the item; anything else
    is a bug and propagates (the run stops; a rerun resumes).
    """
    t0 = time.perf_counter()
    try:
        result = answerer.ask(item.instruction, audio=item.load_audio(), text=item.text,
                              options=list(item.options) or None, program_key=key)
        return item_record(item, result, None, time.perf_counter() - t0)
    except CopilotError as exc:
        return item_record(item, None, f"{type(exc).__name__}: {exc}", time.perf_counter() - t0,
                           retry=isinstance(exc, RETRY_ERRORS))


def timeout_record(item: BenchItem, budget: float) -> dict[str, Any]:
    return item_record(item, None, f"timeout: the item took more than its budget of {budget:g} s "
                       "(--item-budget)", budget)


class LocalEngine:
    """Items on threads of this process sharing one answerer (tools and the LLM release the GIL).

    Each item runs on its own daemon thread, at most ``workers`` at a time. An item still running
    after ``item_budget`` seconds is recorded as a timeout and its thread abandoned (a Python thread
    cannot be stopped; a tool that hangs keeps its thread, not the run).
    """

    def __init__(self, answerer: Answerer, workers: int = 1, item_budget: float | None = None) -> None:
        if workers < 1:
            raise BenchDataError(f"--workers must be at least 1, got {workers}")
        self.answerer = answerer
        self.capacity = workers
        self.item_budget = item_budget
        self._finished: queue.Queue = queue.Queue()
        self._running: dict[int, tuple[Job, float]] = {}
        self._serial = 0

    @property
    def in_flight(self) -> int:
        return len(self._running)

    def start(self, job: Job) -> None:
        self._serial += 1
        deadline = time.monotonic() + self.item_budget if self.item_budget else float("inf")
        self._running[self._serial] = (job, deadline)
        threading.Thread(target=self._work, args=(self._serial, job), daemon=True,
                         name=f"bench-{self._serial}").start()

    def _work(self, serial: int, job: Job) -> None:
        try:
            self._finished.put((serial, answer_item(self.answerer, job.item, job.key), None))
        except BaseException as exc:  # handed to the runner's thread, which re-raises it
            self._finished.put((serial, None, exc))

    def poll(self) -> list[dict[str, Any]]:
        first_deadline = min(deadline for _, deadline in self._running.values())
        wait = None if first_deadline == float("inf") else max(0.0, first_deadline - time.monotonic())
        try:
            serial, record, exc = self._finished.get(timeout=wait)
        except queue.Empty:
            now = time.monotonic()
            late = [s for s, (_, deadline) in self._running.items() if deadline <= now]
            return [timeout_record(self._running.pop(s)[0].item, self.item_budget) for s in late]
        if self._running.pop(serial, None) is None:
            return []  # the answer of an item already recorded as a timeout
        if exc is not None:
            raise exc
        return [record]

    def status(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        return None


class PredictionsFile:
    """The single writer: appends one line per record, unbuffered, so each line is on disk (in the
    OS) when ``append`` returns. A write that fails (full disk) is cut back to the last whole line
    and ends the run with one line; everything written before stays."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = path.open("ab", buffering=0)
        except OSError as exc:
            raise RunError(f"cannot open the predictions file {path}: {exc.strerror or exc}") from exc
        self.written = 0

    def append(self, record: dict[str, Any]) -> None:
        data = memoryview((json.dumps(record, ensure_ascii=False, default=str) + "\n").encode())
        end = os.fstat(self._fh.fileno()).st_size
        try:
            while data:
                data = data[self._fh.write(data):]
        except OSError as exc:
            try:
                os.ftruncate(self._fh.fileno(), end)
            except OSError:
                pass  # read_predictions drops the torn line on the next run
            raise RunError(f"cannot append to {self.path}: {exc.strerror or exc}; the {self.written} item(s) "
                           "written by this run are kept: make room and rerun to resume") from exc
        self.written += 1

    def close(self) -> None:
        self._fh.close()


def run_items(answerer: Answerer, items: Iterable[BenchItem], predictions: str | Path, *, workers: int = 1,
              item_budget: float | None = None, **options: Any) -> RunStats:
    """Answer every item not already in ``predictions`` on threads of this process (see :func:`run_engine`)."""
    return run_engine(LocalEngine(answerer, workers, item_budget), items, predictions, **options)


def run_engine(engine: Engine, items: Iterable[BenchItem], predictions: str | Path, *,
               reuse_programs: bool = True, total: int | None = None, progress: bool = True,
               desc: str = "bench", stop_after_errors: int | None = None) -> RunStats:
    """Answer every item not already in ``predictions`` on ``engine``; returns what this call did.

    ``reuse_programs=False`` gives every item its own program key (per-item planning), for
    comparison. ``stop_after_errors``: after that many failed items in a row (the LLM server is
    gone), start no more items, write those in flight and stop with one line; a rerun resumes.
    """
    path = Path(predictions)
    done = finished_keys(read_predictions(path))
    out = PredictionsFile(path)
    bar = tqdm(total=total, unit="item", desc=desc, disable=not progress, dynamic_ncols=True)
    planned: set[str] = set()
    written: set[tuple[str, str]] = set()
    counts = {"answered": 0, "skipped": 0, "errors": 0, "in_a_row": 0}
    last_error: list[str] = []
    stopped = False
    start = time.perf_counter()

    def collect() -> None:
        for record in engine.poll():
            out.append(record)
            written.add((record["task"], record["id"]))
            counts["answered"] += 1
            failed = not record["ok"]
            counts["errors"] += failed
            counts["in_a_row"] = counts["in_a_row"] + 1 if failed else 0
            if failed:
                last_error[:] = [str(record["error"])]
            bar.update(1)
            bar.set_postfix(errors=counts["errors"], **engine.status(), refresh=False)

    def stopping() -> bool:
        return stop_after_errors is not None and counts["in_a_row"] >= stop_after_errors

    try:
        for item in items:
            if item.key in done:
                counts["skipped"] += 1
                if bar.total:
                    bar.total -= 1
                    bar.refresh()
                continue
            while engine.in_flight >= engine.capacity and not stopping():
                collect()
            if stopping():
                stopped = True
                break
            key = item.task if reuse_programs else f"{item.task}#{item.item_id}"
            plans = reuse_programs and key not in planned
            planned.add(key)
            engine.start(Job(item, key, plans))
            while plans and item.key not in written:  # the task's program exists before its items fan out
                collect()
        while engine.in_flight:
            collect()
    finally:
        out.close()
        bar.close()
    if stopped:
        raise RunError(f"stopped after {stop_after_errors} failed items in a row (--stop-after-errors); "
                       f"last: {last_error[0]}; rerun to resume")
    return RunStats(answered=counts["answered"], skipped=counts["skipped"], errors=counts["errors"],
                    seconds=time.perf_counter() - start)
