"""The runner: predictions file, resume after a crash, program keys, threads and item errors."""

from __future__ import annotations

import json

import pytest

from copilot.errors import ToolError
from copilot.pools import load_pool
from copilot.suites.dynamic_superb import instance_items
from copilot.suites.items import AudioRef, BenchDataError, BenchItem
from copilot.suites.runner import read_predictions, run_items
from copilot.suites.scoring import score_tasks

from .fakes import FakeCopilot

POOL = {r.task: r for r in load_pool("dynamic_superb_phase1")}
TASKS = ["NoiseDetection_LJSpeech_MUSAN-Gaussian", "SpeechTextMatching_LJSpeech", "SpeakerVerification_VCTK"]


def items_of(root, tasks=TASKS):
    out = []
    for task in tasks:
        out += list(instance_items(POOL[task], root)[1])
    return out


def test_every_item_gets_one_flushed_line(instances, tmp_path):
    items = items_of(instances["parquet"])
    fake = FakeCopilot()
    stats = run_items(fake, items, tmp_path / "p.jsonl", progress=False)
    records = read_predictions(tmp_path / "p.jsonl")
    assert stats.answered == len(records) == len(items) == 12 and stats.skipped == 0
    assert sorted((r["task"], r["id"]) for r in records) == sorted(i.key for i in items)
    first = next(r for r in records if r["task"] == TASKS[0] and r["id"] == "0")
    assert first["answer"] == "clean" and first["program_id"] == f"p-{TASKS[0]}" and first["ok"]
    assert first["timings"]["item_s"] >= 0 and "total_s" in first["timings"]
    # Inputs reached the answerer: text for the text task, two recordings for verification.
    by_key = {c.program_key: c for c in fake.calls}
    assert by_key["SpeechTextMatching_LJSpeech"].text and by_key["SpeakerVerification_VCTK"].n_audio == 2
    assert by_key[TASKS[0]].options == ["clean", "noisy"]


def test_one_program_per_task_unless_planning_per_item(instances, tmp_path):
    items = items_of(instances["disk"])
    reuse = FakeCopilot()
    run_items(reuse, items, tmp_path / "a.jsonl", workers=3, progress=False)
    assert reuse.plans == {t: 1 for t in TASKS}
    assert sum(r["from_cache"] for r in read_predictions(tmp_path / "a.jsonl")) == len(items) - len(TASKS)
    per_item = FakeCopilot()
    run_items(per_item, items, tmp_path / "b.jsonl", reuse_programs=False, progress=False)
    assert len(per_item.plans) == len(items) and set(per_item.plans.values()) == {1}


def test_resume_after_a_crash_redoes_nothing(instances, tmp_path):
    items = items_of(instances["parquet"])
    path = tmp_path / "p.jsonl"
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_items(FakeCopilot(fail_after=5), items, path, workers=2, progress=False)
    kept = read_predictions(path)
    assert 1 <= len(kept) <= 5
    # A crash while writing leaves a torn line: it is cut off and that item is answered again.
    with path.open("a") as fh:
        fh.write('{"task": "' + items[len(kept)].task + '", "id": "' + items[len(kept)].item_id + '", "ans')
    again = FakeCopilot()
    stats = run_items(again, items, path, workers=2, progress=False)
    assert stats.skipped == len(kept) and stats.answered == len(items) - len(kept) == len(again.calls)
    records = read_predictions(path)
    assert sorted((r["task"], r["id"]) for r in records) == sorted(i.key for i in items)
    assert path.read_text().endswith("}\n")
    assert run_items(FakeCopilot(), items, path, progress=False).answered == 0


def test_a_damaged_line_in_the_middle_is_an_error(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"task": "t", "id": "0"}\nnot json\n{"task": "t", "id": "1"}\n')
    with pytest.raises(BenchDataError, match="p.jsonl:2"):
        read_predictions(path)


def test_workers_run_items_in_parallel_after_each_tasks_first_item(instances, tmp_path):
    items = items_of(instances["audiofolder"])
    fake = FakeCopilot(delay=0.05)
    stats = run_items(fake, items, tmp_path / "p.jsonl", workers=4, progress=False)
    assert stats.answered == len(items)
    calls = sorted(fake.calls, key=lambda c: c.start)
    overlapping = max(sum(c.start <= d.start < c.end for c in calls) for d in calls)
    assert overlapping >= 2
    for task in TASKS:
        mine = [c for c in calls if c.program_key == task]
        assert all(mine[0].end <= c.start for c in mine[1:]), f"{task}: items ran while its program was planned"


def test_item_errors_are_recorded_and_scored(tmp_path):
    def decide(instruction, audio, text, options):
        if "tool" in instruction:
            raise ToolError("speaker model crashed")
        return None if "empty" in instruction else options[0]

    good = AudioRef(path=str(tmp_path / "missing.wav"))
    items = [BenchItem("t", str(i), q, "yes", audio=(good,), options=("yes", "no")) for i, q in
             enumerate(["tool?", "empty?"])]
    (tmp_path / "missing.wav").write_bytes(b"")
    bad_audio = BenchItem("t", "2", "fine?", "yes", audio=(AudioRef(data=b"garbage"),), options=("yes", "no"))
    fake = FakeCopilot(decide)
    stats = run_items(fake, items + [bad_audio], tmp_path / "p.jsonl", progress=False)
    records = read_predictions(tmp_path / "p.jsonl")
    assert stats.errors == 3 and [r["ok"] for r in records] == [False, False, False]
    assert records[0]["error"].startswith("EmptyAudioError")  # a 0-byte file fails before ask
    assert records[2]["error"].startswith("NotAudioError")
    assert fake.calls == []
    (score,) = score_tasks(records)
    assert score.error_pct == pytest.approx(100.0) and score.score == 0.0


def test_tool_errors_inside_ask_are_recorded(instances, tmp_path):
    items = items_of(instances["parquet"], TASKS[:1])

    def decide(instruction, audio, text, options):
        raise ToolError("noise model unavailable")

    run_items(FakeCopilot(decide), items, tmp_path / "p.jsonl", progress=False)
    records = read_predictions(tmp_path / "p.jsonl")
    assert {r["error"] for r in records} == {"ToolError: noise model unavailable"}


def test_bad_worker_count(tmp_path):
    with pytest.raises(BenchDataError, match="at least 1"):
        run_items(FakeCopilot(), [], tmp_path / "p.jsonl", workers=0)


def test_records_are_json_lines_with_the_documented_fields(instances, tmp_path):
    run_items(FakeCopilot(), items_of(instances["parquet"], TASKS[:1]), tmp_path / "p.jsonl",
              progress=False)
    line = json.loads((tmp_path / "p.jsonl").read_text().splitlines()[0])
    assert {"task", "id", "group", "instruction", "label", "options", "answer", "value", "ok", "error",
            "program_id", "from_cache", "attempts", "timings", "tokens"} <= set(line)
