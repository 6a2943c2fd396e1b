"""The real Copilot over a small instance: one planned program per task, repair only where it fails.

The LLM is scripted (its replies are programs over the real ``audio_properties`` tool); the
planner, sandbox, tool and scoring are the real ones.
"""

from __future__ import annotations

import pytest

from copilot.api import Copilot
from copilot.pools import load_pool
from copilot.suites.dynamic_superb import instance_items
from copilot.suites.runner import read_predictions, run_items
from copilot.suites.tables import dynamic_superb_report
from copilot.testing.llm import ScriptedLLM
from toolsets.speech.signal import audio_properties

POOL = {r.task: r for r in load_pool("dynamic_superb_phase1")}

NOISE_PROGRAM = '''```python
def main(audio, options):
    props = audio_properties(audio)
    return sorted(options)[0 if props["silence_ratio"] > 0 else 1]  # "clean" sorts before "noisy"
```'''
FRAGILE_PROGRAM = '''```python
def main(audio):
    props = audio_properties(audio)
    if props["duration_s"] < 1.0:
        raise ValueError("recording too short to judge")
    return "yes" if props["duration_s"] >= 1.0 else "no"
```'''
REPAIRED_PROGRAM = '''```python
def main(audio):
    return "yes" if audio_properties(audio)["duration_s"] >= 1.0 else "no"
```'''


def copilot_with(replies):
    llm = ScriptedLLM(replies)
    return Copilot(llm=llm, retrieval=False, disk_cache=False), llm


def test_one_program_serves_every_item(instances, tmp_path):
    record = POOL["NoiseDetection_LJSpeech_MUSAN-Gaussian"]
    copilot, llm = copilot_with([NOISE_PROGRAM])
    total, items = instance_items(record, instances["parquet"])
    items = list(items)
    stats = run_items(copilot, items, tmp_path / "p.jsonl", workers=2, total=total, progress=False)
    assert stats.answered == total == 4 and stats.errors == 0
    assert len(llm.calls) == 1
    records = {r["id"]: r for r in read_predictions(tmp_path / "p.jsonl")}
    assert len({r["program_id"] for r in records.values()}) == 1
    assert sum(not r["from_cache"] for r in records.values()) == 1
    # Each answer is what the program's rule gives on that item's audio, measured here directly.
    for item in items:
        props = audio_properties(item.load_audio()[0])
        assert records[item.item_id]["answer"] == ("clean" if props["silence_ratio"] > 0 else "noisy")
    report = dynamic_superb_report(records.values(), list(POOL.values()))
    right = sum(r["answer"] == r["label"] for r in records.values())
    assert report.data["tasks"][0]["score"] == pytest.approx(100 * right / 4)
    assert right >= 3  # noise-only padding leaves no silent frames; synthetic clean speech has pauses


def test_a_failing_item_is_repaired_without_replanning_the_others(instances, tmp_path):
    record = POOL["SpeechDetection_LJSpeech"]
    total, items = instance_items(record, instances["disk"])
    items = list(items)
    short = {i.item_id for i in items if i.load_audio()[0].duration < 1.0}
    assert short and len(short) < len(items)
    copilot, llm = copilot_with([FRAGILE_PROGRAM] + [REPAIRED_PROGRAM] * len(short))
    run_items(copilot, items, tmp_path / "p.jsonl", progress=False)
    records = {r["id"]: r for r in read_predictions(tmp_path / "p.jsonl")}
    # Long recordings keep the first program's "yes"; short ones get the repaired program's "no".
    assert {k: (r["ok"], r["answer"]) for k, r in records.items()} == \
        {i.item_id: (True, "no" if i.item_id in short else "yes") for i in items}
    assert {k for k, r in records.items() if r["attempts"] > 1} == short
    assert all(r["tokens"]["llm_calls"] == 0 for k, r in records.items() if k not in short and r["from_cache"])
    assert len(llm.calls) == 1 + len(short)
