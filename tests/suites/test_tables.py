"""Summary tables: per task, per dimension or track, with the published results beside ours."""

from __future__ import annotations

import json

import pytest

from copilot.pools import load_pool
from copilot.suites.tables import PUBLISHED, dynamic_superb_report, markdown_table, sakura_report

POOL = load_pool("dynamic_superb_phase1")
BY_NAME = {r.task: r for r in POOL}


def rec(task, answer, label, options=("yes", "no"), group=None, letters=None, ok=True):
    return {"task": task, "id": answer + label, "group": group if group is not None else BY_NAME[task].dimension,
            "metric": "accuracy", "instruction": "?", "label": label, "options": list(options),
            "letters": letters or {}, "answer": answer, "value": answer, "ok": ok}


def test_markdown_table():
    assert markdown_table(["a", "b"], [[1.25, None], ["x", 3]]) == "| a | b |\n|---|---|\n| 1.2 | – |\n| x | 3 |"


def test_dynamic_superb_report_compares_like_with_like(tmp_path):
    records = [
        rec("SpeechDetection_LJSpeech", "yes", "yes"), rec("SpeechDetection_LJSpeech", "no", "yes"),
        rec("SpeechTextMatching_LJSpeech", "yes", "yes"), rec("SpeechTextMatching_LJSpeech", "maybe", "no"),
        rec("SpeakerVerification_VCTK", "no", "no"),
    ]
    report = dynamic_superb_report(records, POOL)
    data = report.data
    assert [t["task"] for t in data["tasks"]] == ["SpeechDetection_LJSpeech", "SpeechTextMatching_LJSpeech",
                                                  "SpeakerVerification_VCTK"]  # pool order
    content = data["dimensions"]["Content"]
    assert content["ours"] == pytest.approx(50.0) and content["tasks"] == 2
    assert content["Speech-Copilot"] == 90.7
    qwen = [BY_NAME[t].published["Qwen2-Audio-7B-Instruct"] for t in ("SpeechDetection_LJSpeech",
                                                                      "SpeechTextMatching_LJSpeech")]
    assert content["Qwen2-Audio-7B-Instruct"] == pytest.approx(sum(qwen) / 2)
    assert data["dimensions"]["Speaker"]["ours"] == 100.0
    assert data["average"] == pytest.approx((50 + 50 + 100) / 3)
    assert data["unparseable_pct"] == pytest.approx(20.0) and data["items"] == 5
    md = report.markdown
    assert "| Content | 2/11 | 50.0 | 90.7 |" in md
    assert "| Speech-Copilot | 72.4 |" in md and "| Qwen-Audio-Chat | 45.5 |" in md
    assert "unparseable answers 20.0%" in md
    md_path, json_path = report.write(tmp_path)
    assert md_path.read_text().startswith("# Dynamic-SUPERB Phase 1")
    assert json.loads(json_path.read_text())["tasks_in_average"] == 3


def test_the_summary_counts_refusals_abstentions_and_mapped_answers_apart():
    task = "SpeechDetection_LJSpeech"
    refused = {**rec(task, "x", "yes"), "answer": None, "value": "yes", "ok": False,
               "error": "ungrounded: no tool call succeeded"}
    records = [rec(task, "yes", "yes"), rec(task, "none", "yes"), refused, {**rec(task, "yes", "yes"), "value": 0.9},
               {**rec(task, "x", "no"), "answer": None, "ok": False, "error": "runtime: KeyError"}]
    report = dynamic_superb_report(records, POOL)
    assert report.data["tasks"][0]["score"] == pytest.approx(40.0)  # the refused raw "yes" is not scored
    assert "abstentions 20.0%, refusals 20.0%, program errors 20.0%" in report.markdown
    assert "mapped from a value that is no option: 1." in report.markdown


def test_sakura_report_puts_paper_results_beside_ours():
    letters = {"a": "Male", "b": "Female"}
    opts = ("Male", "Female")
    records = [rec("Gender/single", "Male", "(a) Male", opts, "Gender", letters),
               rec("Gender/single", "b", "(a) Male", opts, "Gender", letters),
               rec("Gender/multi", "(b)", "(b) Female", opts, "Gender", letters),
               rec("Language/single", "German", "(a) German", ("German", "Italian"), "Language",
                   {"a": "German", "b": "Italian"})]
    report = sakura_report(records)
    assert report.data["average"] == {"single": pytest.approx(75.0), "multi": pytest.approx(100.0)}
    md = report.markdown
    assert "| Gender | 50.0 | 100.0 | 3 |" in md and "| Language | 100.0 | – | 1 |" in md
    for name, single in PUBLISHED["sakura"]["single"].items():
        assert f"| {name} (paper) | {single:.1f} | {PUBLISHED['sakura']['multi'][name]:.1f} |" in md
    assert "Qwen2-Audio-Instruct (paper) | 81.2 | 49.1" in md
