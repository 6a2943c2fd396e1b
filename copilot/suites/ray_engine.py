"""Items on Ray actors: each actor holds one Copilot, the driver writes the predictions.

An actor builds its answerer once (models load once per actor) and answers one item at a time;
the driver keeps ``per_actor`` items queued on each so none waits. When an actor plans a program
(the planner puts it in its program cache), the actor hands it back with the item's record and the
driver ships it to every other actor, and to actors started later, so each task is planned once
on the whole cluster. Results are the records :func:`copilot.suites.runner.answer_item` builds,
the same code as on the local engine.

An actor that dies (killed, out of memory, its node lost) is replaced while the restart budget
lasts; the items it held go to other actors, each item at most ``max_tries`` times, then it is
recorded as an error marked for retry. An item past ``item_budget`` has its actor killed (a hung
tool cannot be interrupted any other way) and is recorded as a timeout.
"""

from __future__ import annotations

import os
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import OutOfMemoryError, RayActorError, WorkerCrashedError

from copilot.errors import CopilotError
from copilot.suites.runner import Answerer, Job, RunError, answer_item, item_record, timeout_record

# How an actor's death shows in ray.get: killed, crashed, or killed by Ray's memory monitor.
ACTOR_LOST = (RayActorError, WorkerCrashedError, OutOfMemoryError)
START_TIMEOUT_S = 600.0
PROBE_TIMEOUT_S = 5.0


class _ItemActor:
    """One answerer in its own process; reports the programs its planner stored while answering."""

    def __init__(self, factory: Callable[[], Answerer]) -> None:
        started = time.perf_counter()
        self.error: str | None = None
        self.store = None
        try:
            self.answerer = factory()
            self.store = getattr(self.answerer, "store", None)  # a Copilot's ProgramStore
        except CopilotError as exc:  # bad settings: reported by the driver in one line
            self.error = f"{type(exc).__name__}: {exc}"
        self.load_s = time.perf_counter() - started

    def ready(self) -> dict[str, Any]:
        return {"error": self.error, "load_s": self.load_s, "pid": os.getpid(),
                "node": ray.get_runtime_context().get_node_id()}

    def learn(self, programs: dict[str, dict[str, Any]]) -> None:
        if self.store is not None:
            for entry in programs.values():
                self.store.adopt(entry)

    def answer(self, item, key: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        known = {e["key"] for e in self.store.entries()} if self.store is not None else set()
        record = answer_item(self.answerer, item, key)
        new = [e for e in self.store.entries() if e["key"] not in known] if self.store is not None else []
        return record, {e["key"]: e for e in new}


@dataclass
class _Slot:
    handle: Any
    ready_ref: Any
    ready: bool = False
    load_s: float = 0.0
    jobs: dict[Any, tuple[Job, float]] = field(default_factory=dict)  # object ref -> (job, deadline)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _probe(address: str) -> None:
    """Fail fast on a HOST:PORT nothing listens on (Ray itself waits minutes for a missing GCS)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise RunError(f"--ray-address {address}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_TIMEOUT_S).close()
    except OSError as exc:
        raise RunError(f"--ray-address {address}: no Ray cluster answers there ({exc.strerror or exc}); "
                       "start one with `ray start --head` or leave --ray-address out to run Ray here") from None


def connect(address: str | None) -> bool:
    """Join the cluster at ``address`` (None: start a local one); True if this call started Ray."""
    if ray.is_initialized():
        return False
    if address and address != "auto":
        _probe(address)
    try:
        ray.init(address=address or None, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", configure_logging=True)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError... for "not there"
        where = f"--ray-address {address}: cannot connect to a Ray cluster" if address else "cannot start Ray here"
        raise RunError(f"{where} ({_first_line(exc)})") from None
    return True


class RayEngine:
    """The engine protocol of :mod:`copilot.suites.runner` over a pool of Ray actors."""

    def __init__(self, factory: Callable[[], Answerer], *, address: str | None = None, actors: int | None = None,
                 actor_cpus: float = 1.0, actor_gpus: float = 0.0, item_budget: float | None = None,
                 max_tries: int = 3, per_actor: int = 2, max_restarts: int | None = None,
                 start_timeout: float = START_TIMEOUT_S) -> None:
        self._started_ray = connect(address)
        if actors is None:
            actors = max(1, int(ray.cluster_resources().get("CPU", 1) // (actor_cpus or 1)))
        if actors < 1:
            raise RunError(f"--actors must be at least 1, got {actors}")
        self._actor_class = ray.remote(_ItemActor).options(num_cpus=actor_cpus, num_gpus=actor_gpus)
        self._factory = ray.put(factory)
        self.item_budget = item_budget
        self.max_tries = max_tries
        self.per_actor = per_actor
        self.restarts_left = actors if max_restarts is None else max_restarts
        self.slots: list[_Slot] = []
        self.backlog: deque[Job] = deque()
        self.tries: dict[tuple[str, str], int] = {}
        self.programs: dict[str, dict[str, Any]] = {}
        self.load_times: list[float] = []
        self.deaths = 0
        for _ in range(actors):
            self._spawn()
        self._await_first(start_timeout, actor_cpus, actor_gpus)

    # -- the pool --------------------------------------------------------------------------
    def _spawn(self) -> None:
        handle = self._actor_class.remote(self._factory)
        self.slots.append(_Slot(handle, handle.ready.remote()))

    def _await_first(self, timeout: float, cpus: float, gpus: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(s.ready for s in self.slots):
            pending = [s.ready_ref for s in self.slots if not s.ready]
            if not pending:
                raise RunError("every Ray actor died while starting; see the Ray logs (/tmp/ray/session_latest/logs)")
            done, _ = ray.wait(pending, num_returns=1, timeout=max(0.0, deadline - time.monotonic()))
            if not done:
                self.close()
                raise RunError(f"no Ray actor started within {timeout:g} s: each asks for {cpus:g} CPU and "
                               f"{gpus:g} GPU; the cluster has {ray.cluster_resources()}")
            self._on_ready(done[0])

    def _on_ready(self, ref: Any) -> None:
        slot = next(s for s in self.slots if s.ready_ref is ref)
        try:
            info = ray.get(ref)
        except ACTOR_LOST as exc:
            self._lost(slot, exc)
            return
        if info["error"]:
            self.close()
            raise RunError(f"a Ray actor cannot build its Copilot: {info['error']}")
        slot.ready, slot.load_s = True, info["load_s"]
        self.load_times.append(info["load_s"])
        if self.programs:
            slot.handle.learn.remote(self.programs)

    def _lost(self, slot: _Slot, exc: BaseException) -> list[dict[str, Any]]:
        """An actor died: its items go back to the backlog (or run out of tries); start a new one."""
        self.slots.remove(slot)
        self.deaths += 1
        records = []
        for job, _ in slot.jobs.values():
            tries = self.tries.get(job.item.key, 0) + 1
            self.tries[job.item.key] = tries
            if tries >= self.max_tries:
                records.append(item_record(job.item, None, f"ActorDiedError: the Ray actor answering it died "
                                                           f"{tries} times (last: {_first_line(exc)})", 0.0, retry=True))
            else:
                self.backlog.appendleft(job)
        if self.restarts_left > 0:
            self.restarts_left -= 1
            self._spawn()
        elif not self.slots:
            raise RunError(f"every Ray actor died ({self.deaths} deaths, no restarts left; last: {_first_line(exc)}); "
                           "the predictions written so far are kept: rerun to resume")
        return records

    def _dispatch(self) -> None:
        while self.backlog:
            ready = [s for s in self.slots if s.ready and len(s.jobs) < self.per_actor]
            if not ready:
                return
            slot = min(ready, key=lambda s: len(s.jobs))
            job = self.backlog.popleft()
            deadline = time.monotonic() + self.item_budget if self.item_budget else float("inf")
            slot.jobs[slot.handle.answer.remote(job.item, job.key)] = (job, deadline)

    # -- the engine protocol ---------------------------------------------------------------
    @property
    def capacity(self) -> int:
        return max(1, len(self.slots)) * self.per_actor

    @property
    def in_flight(self) -> int:
        return len(self.backlog) + sum(len(s.jobs) for s in self.slots)

    def start(self, job: Job) -> None:
        self.backlog.append(job)
        self._dispatch()

    def poll(self) -> list[dict[str, Any]]:
        refs = [ref for s in self.slots for ref in s.jobs] + [s.ready_ref for s in self.slots if not s.ready]
        if not refs:
            raise RunError("no Ray actor is left to answer the remaining items; rerun to resume")
        deadlines = [deadline for s in self.slots for _, deadline in s.jobs.values()]
        first = min(deadlines, default=float("inf"))
        timeout = None if first == float("inf") else max(0.0, first - time.monotonic())
        done, _ = ray.wait(refs, num_returns=1, timeout=timeout)
        records = []
        for ref in done:
            slot = next((s for s in self.slots if ref in s.jobs or s.ready_ref is ref), None)
            if slot is None:
                continue
            if ref is slot.ready_ref and not slot.ready:
                self._on_ready(ref)
                continue
            job, _ = slot.jobs.pop(ref)
            self._restart_clock(slot)
            try:
                record, programs = ray.get(ref)
            except ACTOR_LOST as exc:
                slot.jobs[ref] = (job, 0.0)
                records += self._lost(slot, exc)
                continue
            records.append(record)
            if programs:
                self._share(programs, slot)
        records += self._expire()
        self._dispatch()
        return records

    def _restart_clock(self, slot: _Slot) -> None:
        """The actor's next item starts now: its budget counts from here, not from when it was queued."""
        if slot.jobs and self.item_budget:
            ref, (job, _) = next(iter(slot.jobs.items()))
            slot.jobs[ref] = (job, time.monotonic() + self.item_budget)

    def _share(self, programs: dict[str, dict[str, Any]], source: _Slot) -> None:
        self.programs.update(programs)
        for slot in self.slots:
            if slot is not source and slot.ready:
                slot.handle.learn.remote(programs)  # runs before any item sent to that actor later

    def _expire(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        records = []
        for slot in list(self.slots):
            # An actor answers its items in order: only the first one is running, so only it can be late.
            running = next(iter(slot.jobs.items()), None)
            if running is None or running[1][1] > now:
                continue
            records.append(timeout_record(slot.jobs.pop(running[0])[0].item, self.item_budget))
            ray.kill(slot.handle)  # the only way to stop a hung tool; its other items go elsewhere
            for job, _ in slot.jobs.values():
                self.backlog.appendleft(job)
            slot.jobs.clear()
            self.slots.remove(slot)
            self._spawn()
        return records

    def status(self) -> dict[str, Any]:
        return {"actors": sum(s.ready for s in self.slots)}

    def close(self) -> None:
        for slot in self.slots:
            ray.kill(slot.handle)
        self.slots.clear()
        if self._started_ray:
            ray.shutdown()
            self._started_ray = False
