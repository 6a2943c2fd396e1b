"""``copilot bench``: run, resume, report-only, and one-line errors for bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from copilot.suites import cli
from copilot.suites.runner import read_predictions
from copilot.testing.llm import ScriptedLLM

from .fakes import FakeCopilot

TASKS = "NoiseDetection_LJSpeech_MUSAN-Gaussian,SpeakerVerification_VCTK"


@pytest.fixture()
def fake(monkeypatch):
    made = []

    def make(settings=None, retrieval=True):
        made.append(FakeCopilot())
        return made[-1]

    monkeypatch.setattr(cli, "make_copilot", make)
    return made


def invoke(*args):
    return CliRunner().invoke(cli.bench, list(args), catch_exceptions=False)


def test_dynamic_superb_runs_resumes_and_reports(instances, tmp_path, fake):
    out = tmp_path / "out"
    args = ["dynamic-superb", "--tasks", TASKS, "--data", str(instances["parquet"]), "--out", str(out),
            "--limit", "3", "--workers", "2", "--no-progress"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    records = read_predictions(out / "predictions.jsonl")
    assert len(records) == 6 and fake[0].plans == {t: 1 for t in TASKS.split(",")}
    assert "| NoiseDetection_LJSpeech_MUSAN-Gaussian | Degradation | accuracy | 3 |" in result.output
    assert "Speech-Copilot" in result.output
    summary = json.loads((out / "summary.json").read_text())
    # The fake always answers the first option ("clean" / "yes"); the --limit sample holds both labels.
    for task in TASKS.split(","):
        mine = [r for r in records if r["task"] == task]
        assert len({r["label"] for r in mine}) == 2
        score = next(t["score"] for t in summary["tasks"] if t["task"] == task)
        assert round(score, 1) == round(100 * sum(r["label"] == r["options"][0] for r in mine) / 3, 1)
    again = invoke(*args[:-3], "--limit", "4", "--no-progress")
    assert again.exit_code == 0 and len(fake[1].calls) == 2  # only item 3 of each task is new
    assert len(read_predictions(out / "predictions.jsonl")) == 8


def test_report_only_runs_nothing_and_can_judge(instances, tmp_path, fake, monkeypatch):
    out = tmp_path / "out"
    invoke("dynamic-superb", "--tasks", TASKS, "--data", str(instances["disk"]), "--out", str(out),
           "--no-progress")
    lines = (out / "predictions.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first.update(answer="it sounds pretty clean to me, not noisy at all")  # an answer the rules cannot map
    (out / "predictions.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    plain = invoke("dynamic-superb", "--tasks", TASKS, "--data", str(instances["disk"]), "--out", str(out),
                   "--report-only")
    assert plain.exit_code == 0 and len(fake) == 1
    assert "unparseable answers 12.5%" in plain.output
    monkeypatch.setattr("copilot.llm.make_llm", lambda settings: ScriptedLLM(["clean"]))
    judged = invoke("dynamic-superb", "--tasks", TASKS, "--data", str(instances["disk"]), "--out", str(out),
                    "--report-only", "--judge")
    assert judged.exit_code == 0, judged.output
    assert "unparseable answers 0.0%" in judged.output and "mapped by the judge 1" in judged.output


def test_sakura_command(sakura_root, tmp_path, fake):
    out = tmp_path / "sakura-out"
    result = invoke("sakura", "--data", str(sakura_root), "--tracks", "Gender", "--hop", "single",
                    "--out", str(out), "--no-progress")
    assert result.exit_code == 0, result.output
    assert len(read_predictions(out / "predictions.jsonl")) == 4
    assert "| Gender |" in result.output and "GPT-4o Audio (paper) | 71.3 | 54.3" in result.output


@pytest.mark.parametrize("args,message", [
    (["dynamic-superb", "--tasks", "NoSuchTask"], "has no task(s) ['NoSuchTask']"),
    (["dynamic-superb", "--tasks", TASKS, "--data", "/nonexistent"], "no such folder"),
    (["sakura", "--data", "/nonexistent"], "no such SAKURA folder"),
])
def test_bad_input_is_one_line_not_a_traceback(args, message, tmp_path, fake):
    result = CliRunner().invoke(cli.bench, args + ["--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_missing_instances_are_skipped_and_named(instances, tmp_path, fake):
    args = ["dynamic-superb", "--tasks", TASKS + ",SpeechDetection_LibriSpeech-TestClean", "--data",
            str(instances["parquet"]), "--out", str(tmp_path / "o"), "--limit", "1", "--no-progress"]
    result = CliRunner().invoke(cli.bench, args)
    assert result.exit_code == 0
    assert f"skipping 1 of 3 instances not in {instances['parquet']}: SpeechDetection_LibriSpeech-TestClean" \
        in result.output
    only_missing = ["dynamic-superb", "--tasks", "SpeechDetection_LibriSpeech-TestClean", "--data",
                    str(instances["parquet"]), "--out", str(tmp_path / "p")]
    failed = CliRunner().invoke(cli.bench, only_missing)
    assert failed.exit_code == 1 and "no instance could be loaded" in failed.output
