"""The Ray engine against a real local Ray cluster (2 CPUs on 127.0.0.1).

Actors build real Copilots from settings, as ``copilot bench --engine ray`` does, whose LLM is the
OpenAI backend talking to a local scripted chat server; programs run in the real sandbox over the
real ``audio_properties`` tool on the bench fixtures. (Retrieval is off: its embedding model would
cost each new actor seconds and is not what these tests are about.)
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import ray

from copilot.api import Copilot
from copilot.config import load_settings
from copilot.suites.items import AudioRef, BenchItem
from copilot.suites.ray_engine import RayEngine
from copilot.suites.runner import LocalEngine, read_predictions, run_engine
from copilot.testing import corpus

from .chat_server import TASKS, ChatServer, build_instance, items_of, slow_toolset, waiting_program

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 6


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return build_instance(tmp_path_factory.mktemp("ray-data"), ITEMS)


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             object_store_memory=100 * 2**20)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def server():
    with ChatServer() as running:
        yield running


def copilot_factory(server, cache: Path):
    settings = load_settings(llm="openai", llm_base_url=server.url, cache_dir=cache, disk_cache=False)
    return functools.partial(Copilot, settings=settings, retrieval=False)


@pytest.fixture()
def factory(server, tmp_path):
    return copilot_factory(server, tmp_path / "cache")


def comparable(records):
    """Records without the timings, keyed by item: what must not depend on the engine."""
    return {(r["task"], r["id"]): {k: v for k, v in r.items() if k != "timings"} for r in records}


def assert_each_once(records, keys):
    assert Counter((r["task"], r["id"]) for r in records) == Counter(set(keys))


@pytest.fixture(scope="module")
def local_records(data, server, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "p.jsonl"
    before = server.requests
    run_engine(LocalEngine(copilot_factory(server, out.parent / "cache")(), workers=2), items_of(data), out,
               progress=False)
    assert server.requests - before == len(TASKS)  # one plan per task
    return comparable(read_predictions(out))


def test_predictions_equal_the_local_engine_and_each_task_is_planned_once(cluster, data, server, factory,
                                                                          local_records, tmp_path):
    engine = RayEngine(factory, actors=2)
    try:
        before = server.requests
        stats = run_engine(engine, items_of(data), tmp_path / "p.jsonl", progress=False)
        assert server.requests - before == len(TASKS)  # planned on one actor, shipped to the other
        assert len(engine.load_times) == 2
    finally:
        engine.close()
    records = read_predictions(tmp_path / "p.jsonl")
    assert stats.answered == len(records) == len(TASKS) * ITEMS and stats.errors == 0
    assert comparable(records) == local_records
    assert sum(r["from_cache"] for r in records) == len(records) - len(TASKS)
    # The program's rule really ran: clean items have silent frames in this fixture, noisy ones none.
    noise = [r for r in records if r["task"] == TASKS[1]]
    assert sum(r["answer"] == r["label"] for r in noise) >= ITEMS - 1


def test_a_killed_actor_loses_and_duplicates_nothing(cluster, data, factory, local_records, tmp_path):
    engine = RayEngine(factory, actors=2)
    victim = engine.slots[0]

    def items():
        for n, item in enumerate(items_of(data)):
            if n == ITEMS + 2:  # mid-run, with items queued on both actors
                assert victim.jobs, "the victim holds items when it is killed"
                ray.kill(victim.handle)
            yield item

    try:
        stats = run_engine(engine, items(), tmp_path / "p.jsonl", progress=False)
        assert engine.deaths == 1 and len(engine.slots) == 2  # a replacement was started
    finally:
        engine.close()
    records = read_predictions(tmp_path / "p.jsonl")
    assert_each_once(records, local_records)
    assert stats.errors == 0 and comparable(records) == local_records


def test_resume_after_the_driver_is_interrupted(cluster, data, factory, local_records, tmp_path):
    path = tmp_path / "p.jsonl"

    def interrupted():
        for n, item in enumerate(items_of(data)):
            if n == ITEMS + 3:
                raise KeyboardInterrupt
            yield item

    engine = RayEngine(factory, actors=2)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_engine(engine, interrupted(), path, progress=False)
    finally:
        engine.close()
    kept = read_predictions(path)
    assert 1 <= len(kept) <= ITEMS + 3
    engine = RayEngine(factory, actors=2)
    try:
        stats = run_engine(engine, items_of(data), path, progress=False)
    finally:
        engine.close()
    assert stats.skipped == len(kept) and stats.answered == len(local_records) - len(kept)
    records = read_predictions(path)
    assert_each_once(records, local_records)
    # The rerun's actors plan the interrupted task's program again (from_cache, tokens differ): the
    # same program, so the same answers.
    outcome = ("answer", "value", "ok", "error", "program_id")
    assert {k: [r[f] for f in outcome] for k, r in comparable(records).items()} == \
        {k: [r[f] for f in outcome] for k, r in local_records.items()}


def test_an_address_where_no_cluster_runs_gives_one_line(data, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), COPILOT_CACHE_DIR=str(tmp_path / "cache"),
               HF_DATASETS_CACHE=str(tmp_path / "hf"))
    done = subprocess.run(
        [sys.executable, "-c", "from copilot.cli import main; main()", "bench", "dynamic-superb",
         "--tasks", TASKS[0], "--data", str(data), "--out", str(tmp_path / "out"), "--engine", "ray",
         "--ray-address", "127.0.0.1:1"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: --ray-address 127.0.0.1:1: no Ray cluster answers there (Connection refused); start one with "
        "`ray start --head` or leave --ray-address out to run Ray here"]


def test_copilot_bench_runs_on_ray(cluster, data, server, local_records, tmp_path, monkeypatch):
    """The command itself: settings resolved on the driver and shipped, the same predictions."""
    from click.testing import CliRunner

    from copilot.suites import cli

    for name, value in {"LLM": "openai", "LLM_BASE_URL": server.url, "CACHE_DIR": str(tmp_path / "cache"),
                        "DISK_CACHE": "false", "CONFIG": str(tmp_path / "none.toml")}.items():
        monkeypatch.setenv(f"COPILOT_{name}", value)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.bench, [
        "dynamic-superb", "--tasks", ",".join(TASKS), "--data", str(data), "--out", str(out), "--engine", "ray",
        "--actors", "2", "--no-progress"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert comparable(read_predictions(out / "predictions.jsonl")) == local_records
    assert f"| {TASKS[0]} |" in result.output


def test_an_item_past_its_budget_has_its_actor_replaced_and_is_recorded_as_a_timeout(cluster, tmp_path):
    """A tool that hangs on an actor: the actor is killed at the item's budget, a fresh one goes on."""
    toolset = slow_toolset(tmp_path / "slow")
    wav = str(corpus.librivox()[0].path)
    items = [BenchItem("t", str(i), f"Is it speech? {'hang' if i == 0 else 'fine'} {i}", "yes",
                       audio=(AudioRef(path=wav),), options=("yes", "no")) for i in range(3)]
    with ChatServer(reply=lambda prompt: waiting_program(120 if "hang" in prompt else 0)) as hanging:
        settings = load_settings(llm="openai", llm_base_url=hanging.url, cache_dir=tmp_path / "cache",
                                 disk_cache=False)
        factory = functools.partial(Copilot, settings=settings, toolset=toolset, retrieval=False, max_repairs=0)
        engine = RayEngine(factory, actors=1, item_budget=4.0)
        try:
            run_engine(engine, items, tmp_path / "p.jsonl", reuse_programs=False, progress=False)
            assert engine.deaths == 0 and len(engine.slots) == 1  # replaced, not counted as a death
        finally:
            engine.close()
    records = {r["id"]: r for r in read_predictions(tmp_path / "p.jsonl")}
    assert records["0"]["error"].startswith("timeout: the item took more than its budget of 4 s")
    assert [records[i]["ok"] for i in "12"] == [True, True] and records["1"]["answer"] == "yes"
