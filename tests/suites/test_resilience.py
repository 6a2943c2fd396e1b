"""Runs that are killed or starved: SIGKILL and resume, a full disk, the LLM server going away, a
tool that hangs. Every item must end recorded exactly once, with nothing already written lost.

The LLM is the real OpenAI backend talking to a local scripted chat server (``chat_server.py``);
programs run in the real sandbox over real tools on the bench fixtures.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from copilot.api import Copilot
from copilot.llm.remote import OpenAILLM
from copilot.sandbox.records import Limits
from copilot.suites.items import AudioRef, BenchItem
from copilot.suites.runner import RunError, latest_records, read_predictions, run_items
from copilot.testing import corpus
from copilot.testing.llm import ScriptedLLM

from .chat_server import TASKS, ChatServer, build_instance, items_of, slow_toolset, waiting_program
from .fakes import FakeCopilot

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 8
KILL_ROUNDS = 6


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return build_instance(tmp_path_factory.mktemp("resilience-data"), ITEMS)


def keys_of(records):
    return Counter((r["task"], r["id"]) for r in records)


def whole_lines(path: Path) -> bool:
    raw = path.read_bytes()
    return not raw or raw.endswith(b"\n")


def test_sigkill_at_random_points_then_resume_records_every_item_once(data, tmp_path):
    """Kill ``copilot bench`` (its whole process group) at random points, resume, repeat."""
    out = tmp_path / "out"
    path = out / "predictions.jsonl"
    rng = random.Random(16)
    all_keys = {item.key for item in items_of(data)}
    with ChatServer(delay=0.3) as server:  # planning takes a while, so some kills land in it
        env = dict(os.environ, PYTHONPATH=str(ROOT), COPILOT_LLM="openai", COPILOT_LLM_BASE_URL=server.url,
                   COPILOT_CACHE_DIR=str(tmp_path / "cache"), COPILOT_CONFIG=str(tmp_path / "none.toml"),
                   HF_DATASETS_CACHE=str(tmp_path / "hf"), OMP_NUM_THREADS="1")
        command = [sys.executable, "-c", "from copilot.cli import main; main()", "bench", "dynamic-superb",
                   "--tasks", ",".join(TASKS), "--data", str(data), "--out", str(out), "--no-progress",
                   "--plan-per-item"]  # every item plans: kills land in planning, tools, appends
        torn = kills = 0
        for _ in range(KILL_ROUNDS):
            before = path.read_bytes().count(b"\n") if path.exists() else 0
            proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            target, deadline = before + rng.randint(1, 2), time.monotonic() + 180
            while proc.poll() is None and time.monotonic() < deadline and \
                    (path.read_bytes().count(b"\n") if path.exists() else 0) < target:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.6))
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                kills += 1
            proc.wait()
            torn += not whole_lines(path)
            records = read_predictions(path)  # what the resume reads: a torn last line is dropped
            assert whole_lines(path) and max(keys_of(records).values()) == 1
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr[-2000:]
    records = read_predictions(path)
    assert kills >= KILL_ROUNDS - 1 and keys_of(records) == Counter(all_keys)
    assert all(r["ok"] for r in records)
    print(f"{kills} kills, {torn} torn last lines dropped, {len(records)} items each recorded once")


@pytest.fixture()
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs, or a skip saying why one cannot be mounted here."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_stops_with_one_line_and_loses_nothing(tiny_disk):
    wav = str(corpus.librivox()[0].path)
    items = [BenchItem("t", str(i), f"Is it speech? ({i}) " + "padding " * 60, "yes", audio=(AudioRef(path=wav),),
                       options=("yes", "no")) for i in range(40)]
    filler = tiny_disk / "filler"
    with filler.open("wb", buffering=0) as fh:  # fill the disk, then give back room for a few records only
        try:
            while True:
                fh.write(b"x" * 4096)
        except OSError:
            pass
    os.truncate(filler, filler.stat().st_size - 8192)
    path = tiny_disk / "predictions.jsonl"
    with pytest.raises(RunError) as failure:
        run_items(FakeCopilot(), items, path, progress=False)
    message = str(failure.value)
    assert "No space left on device" in message and "rerun to resume" in message and "\n" not in message
    assert whole_lines(path)
    kept = read_predictions(path)
    assert 3 <= len(kept) < len(items) and max(keys_of(kept).values()) == 1
    assert f"the {len(kept)} item(s) written" in message
    filler.unlink()
    stats = run_items(FakeCopilot(), items, path, progress=False)
    assert stats.skipped == len(kept) and stats.answered == len(items) - len(kept)
    assert keys_of(read_predictions(path)) == Counter(i.key for i in items)


def test_the_llm_server_going_away_records_errors_that_a_rerun_retries(data, tmp_path):
    items = items_of(data)[:6]
    path = tmp_path / "p.jsonl"
    server = ChatServer().start()

    def copilot():
        llm = OpenAILLM("scripted", base_url=server.url, retry_wait=0.01)
        return Copilot(llm=llm, retrieval=False, disk_cache=False, max_repairs=0)

    # Every item plans (per-item keys), so every item needs the server; it goes after 2 requests.
    first = copilot()
    stop_after = 2

    def items_then_stop():
        for n, item in enumerate(items):
            if n == stop_after:  # item 1 has had its reply: the server goes while it runs
                while server.requests < stop_after:
                    time.sleep(0.01)
                server.stop()
            yield item

    with pytest.raises(RunError, match=r"stopped after 2 failed items in a row .*LLMError.*rerun to resume"):
        run_items(first, items_then_stop(), path, reuse_programs=False, progress=False, stop_after_errors=2,
                  workers=1)
    records = read_predictions(path)
    assert [r["ok"] for r in records] == [True, True, False, False]
    assert all(r["retry"] and r["error"].startswith(f"LLMError: LLM scripted at {server.url}")
               and "cannot connect" in r["error"] for r in records[2:])
    # Going on (the default) records the rest as errors too.
    stats = run_items(first, items, path, reuse_programs=False, progress=False)
    assert stats.skipped == 2 and stats.answered == 4 and stats.errors == 4
    failed = {(r["task"], r["id"]) for r in read_predictions(path) if not r["ok"]}
    # The server comes back: a rerun asks exactly the failed items again, once each.
    server.start()
    try:
        before = server.requests
        stats = run_items(copilot(), items, path, reuse_programs=False, progress=False)
        assert stats.answered == len(failed) == 4 and server.requests - before == 4 and stats.errors == 0
    finally:
        server.stop()
    latest = latest_records(read_predictions(path))
    assert keys_of(latest) == Counter(i.key for i in items) and all(r["ok"] for r in latest)


def test_a_hanging_tool_is_bounded_and_the_item_recorded_as_a_timeout(tmp_path):
    toolset = slow_toolset(tmp_path / "slow")
    wav = str(corpus.librivox()[0].path)
    items = [BenchItem("t", str(i), f"Is it speech? {i}", "yes", audio=(AudioRef(path=wav),), options=("yes", "no"))
             for i in range(3)]
    llm = ScriptedLLM([waiting_program(1.5), waiting_program(120), waiting_program(0)])
    copilot = Copilot(llm=llm, toolset=toolset, retrieval=False, disk_cache=False, max_repairs=0,
                      limits=Limits(total_s=1.0))
    started = time.monotonic()
    run_items(copilot, items, tmp_path / "p.jsonl", reuse_programs=False, progress=False, item_budget=8.0)
    elapsed = time.monotonic() - started
    records = {r["id"]: r for r in read_predictions(tmp_path / "p.jsonl")}
    # A tool that stalls past the sandbox's total budget: the program run is a timeout.
    assert records["0"]["error"].startswith("timeout: the run took more than 1 s in total")
    # A tool that never returns: the item's budget ends it; the run goes on to the next item.
    assert records["1"]["error"].startswith("timeout: the item took more than its budget of 8 s")
    assert records["2"]["ok"] and records["2"]["answer"] == "yes"
    assert elapsed < 30
