"""Dynamic-SUPERB Phase 2: metrics against hand-computed values, and the whole command on small
instances built with ``datasets`` in the real layout (``test`` split, ``file``/``audio``/``audio2``/
``instruction``/``label`` columns, real Phase-2 instance names), answered by real tools.

The LLM is scripted: it writes one program per instance and plays the judge (YES when the response
names the label), so the test checks the plumbing and the arithmetic, not a model's judgement.
"""

from __future__ import annotations

import json
import re
import statistics

import pytest
from click.testing import CliRunner

from copilot.api import Copilot
from copilot.audio import load_audio
from copilot.options import normalise
from copilot.pools import load_pool
from copilot.suites import cli
from copilot.suites.dynamic_superb import load_instance
from copilot.suites.phase2 import PHASE2_POOL, select_phase2
from copilot.suites.phase2_metrics import Phase2Judge, score_instance
from copilot.suites.runner import read_predictions, run_items
from copilot.testing import bench_fixtures as fixtures
from copilot.testing import corpus
from copilot.testing.llm import ScriptedLLM

POOL = {r.task: r for r in load_pool(PHASE2_POOL)}
NOISE, VERIFY, ASR, L2, COUNT = ("NoiseDetection_LJSpeech_MUSAN-Gaussian", "SpeakerVerification_VCTK",
                                 "SuperbASR_LibriSpeech-TestClean", "L2EnglishAccuracy_speechocean762-Scoring",
                                 "HEARSpeakerCountIdentification_LibriCount-Fold1")
PROGRAMS = {  # a phrase of the instance's instruction -> the program the scripted LLM writes for it
    "noisy utterance":  # "clean" sorts before "noisy"; a program may not write the option words in
        'def main(audio, options):\n    return sorted(options)[0 if audio_properties(audio)["silence_ratio"] > 0 else 1]',
    "same speaker": 'def main(audio_1, audio_2):\n    return "yes" if same_speaker(audio_1, audio_2)["same"] else "no"',
    "Transcribe": 'def main(audio):\n    return transcribe(audio, language="en")["text"]',
    "pronunciation": 'def main(audio):\n    return round(audio_properties(audio)["duration_s"], 1)',
    "How many speakers": 'def main(audio):\n    return count_speakers(audio)["count"]',
}


def _record(label, answer, ok=True, instruction="Is it noisy? The answer could be clean or noisy."):
    return {"task": "t", "id": "0", "label": label, "answer": answer, "value": None, "ok": ok,
            "instruction": instruction}


def _wer(ref: str, hyp: str) -> tuple[int, int]:
    """Word edits and reference length, by the textbook dynamic programme (independent of jiwer)."""
    r, h = ref.split(), hyp.split()
    row = list(range(len(h) + 1))
    for i, word in enumerate(r, 1):
        prev, row[0] = row[0], i
        for j, other in enumerate(h, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (word != other))
    return row[-1], len(r)


def _clean(text: str) -> str:
    return " ".join(re.sub(r"[!-/:-@\[-`{-~]", "", text).lower().split())


def test_error_rates_bleu_and_pearson_match_hand_computed_values():
    wer = score_instance("word_error_rate", [_record("The cat sat.", "the cat sit"), _record("a b", None, ok=False)])
    assert wer.score == pytest.approx(100 * 3 / 5) and wer.unusable == 1  # 1 substitution + 2 deletions of 5
    assert score_instance("character_error_rate", [_record("abcd", "abed")]).score == pytest.approx(25.0)
    assert score_instance("phoneme_error_rate", [_record("dh ah k ae t", "dh ah k ae")]).score == pytest.approx(20.0)
    pos = score_instance("pos_estimation", [_record("DET NOUN VERB", "det NOUN VERB.")])
    assert pos.score == pytest.approx(100 / 3)  # tags keep their case: "det" is an error
    assert score_instance("sacre_bleu", [_record("the cat sat on the mat", "the cat sat on the mat")]).score == \
        pytest.approx(100.0)
    assert score_instance("sacre_bleu", [_record("the cat sat on the mat", "dogs run")]).score == pytest.approx(0.0)
    pairs = [("3", "score: 2"), ("5", "5"), ("8", "I would say 7.5"), ("9", "no idea")]
    pearson = score_instance("pearson_correlation_coefficient", [_record(g, a) for g, a in pairs])
    assert pearson.score == pytest.approx(statistics.correlation([3, 5, 8], [2, 5, 7.5]))
    assert pearson.unusable == 1
    unknown = score_instance("speaker_count", [_record("2", "2")])
    assert unknown.score is None and "not scored" in unknown.note


def test_the_judge_uses_the_published_prompt_and_its_verdict_line(tmp_path):
    replies = ["The response says it is noisy. Result: YES", "It says clean, the label is noisy.\nResult: no",
               "I cannot tell."]
    llm = ScriptedLLM(replies)
    judge = Phase2Judge(llm, tmp_path / "j.jsonl")
    records = [_record("noisy", "Noisy."), _record("noisy", "it is noisy"), _record("noisy", "clean"),
               _record("noisy", "maybe"), _record("noisy", None, ok=False)]
    outcome = score_instance("llm_classification", records, judge)
    assert outcome.score == pytest.approx(40.0) and outcome.unusable == 2  # unparsed verdict and no answer
    assert len(llm.calls) == 3  # "Noisy." is the label itself: no call
    prompt = llm.calls[0][0].content
    assert prompt.startswith("You will be given a question, a corresponding correct answer(s)")
    assert prompt.endswith("Question: Is it noisy? The answer could be clean or noisy.\n"
                           "Ground Truth Answer: noisy\nModel's Response: it is noisy")
    again = score_instance("llm_classification", records, Phase2Judge(ScriptedLLM([]), tmp_path / "j.jsonl"))
    assert again == outcome  # every verdict from the cache file


def _rows():
    speech = corpus.librivox() + corpus.cards()
    asr = [fixtures.Row((u.path,), u.text, instruction="Transcribe the speech into text.") for u in speech[:3]]
    voices = [corpus.flite(" ".join(["Hello there."] * k), voice) for k, voice in ((1, "slt"), (3, "kal"))]
    l2 = [fixtures.Row((p,), f"{load_audio(p).duration:.1f}", instruction=POOL[L2].instructions[0])
          for p in (speech[0].path, *voices, speech[1].path)]
    count = [fixtures.Row((u.path,), "1", instruction="How many speakers are talking?") for u in speech[:2]]
    return {NOISE: fixtures.RECIPES[NOISE](4), VERIFY: fixtures.RECIPES[VERIFY](4), ASR: asr, L2: l2, COUNT: count}


@pytest.fixture(scope="module")
def phase2_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("ds2")
    formats = {NOISE: "disk", VERIFY: "audiofolder"}
    for name, rows in _rows().items():
        fixtures.write_instance(POOL[name], rows, root / name, formats.get(name, "parquet"))
    return root


def _llm(messages):
    """Plans by the instruction's phrase; judges YES when the response names the label."""
    prompt = messages[-1].content
    judged = re.search(r"Ground Truth Answer: (.*)\nModel's Response: (.*)$", prompt, re.S)
    if judged:
        return "Result: " + ("YES" if normalise(judged.group(1)) == normalise(judged.group(2)) else "NO")
    question = prompt.split("# Your task")[-1].lower()
    phrase = next(p for p in PROGRAMS if p.lower() in question)
    return f"```python\n{PROGRAMS[phrase]}\n```"


@pytest.mark.slow
def test_phase2_command_runs_every_metric_kind_end_to_end(phase2_root, tmp_path, monkeypatch):
    llm = ScriptedLLM([_llm] * 40)
    monkeypatch.setattr(cli, "make_copilot", lambda settings=None, retrieval=False:
                        Copilot(llm=llm, retrieval=False, disk_cache=False))
    task_list = tmp_path / "tasks.txt"
    task_list.write_text(f"# a task-list file\n{NOISE}\n{VERIFY}\n{ASR}\n{L2}\n{COUNT}\n")
    out = tmp_path / "out"
    args = ["dynamic-superb-phase2", "--tasks", str(task_list), "--data", str(phase2_root), "--out", str(out)]
    result = CliRunner().invoke(cli.bench, [*args, "--no-progress"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    records = read_predictions(out / "predictions.jsonl")
    plans = [c for c in llm.calls if "Ground Truth Answer:" not in c[-1].content]
    assert len(plans) == 5 and len(records) == 4 + 4 + 3 + 4 + 2  # one program per instance
    by = {t: [r for r in records if r["task"] == t] for t in (NOISE, VERIFY, ASR, L2, COUNT)}
    asked = {(r["instruction"], r["label"], str(r["answer"])) for r in by[NOISE] + by[VERIFY]
             if normalise(str(r["answer"])) != normalise(r["label"])}
    assert len(llm.calls) - len(plans) == len(asked)  # the judge saw each distinct wrong-looking answer once
    assert all(r["ok"] for r in records), records
    scores = {t["task"]: t for t in json.loads((out / "summary.json").read_text())["tasks"]}
    for task in (NOISE, VERIFY):
        right = sum(normalise(str(r["answer"])) == normalise(r["label"]) for r in by[task])
        assert scores[task]["score"] == pytest.approx(100 * right / 4)
    assert scores[VERIFY]["score"] >= 75  # two flite voices vs one: the real verifier tells them apart
    edits = [_wer(_clean(r["label"]), _clean(str(r["answer"]))) for r in by[ASR]]
    assert scores[ASR]["score"] == pytest.approx(100 * sum(e for e, _ in edits) / sum(n for _, n in edits))
    assert scores[ASR]["score"] < 30  # clean read speech
    gold = [float(r["label"]) for r in by[L2]]
    assert scores[L2]["score"] == pytest.approx(statistics.correlation(gold, [float(r["answer"]) for r in by[L2]]))
    assert scores[COUNT]["score"] is None and scores[COUNT]["metric"] == "not scored"
    summary = json.loads((out / "summary.json").read_text())
    assert {(d["domain"], d["metric"]) for d in summary["domains"]} >= {("speech", "judge accuracy %"),
                                                                        ("speech", "WER %")}
    assert "**scripted** as the judge" in result.output and "GPT-4o" in result.output
    page = (out / "report.html").read_text()
    assert "Dynamic-SUPERB Phase 2: run report" in page and "WER % per domain and task type" in page
    monkeypatch.setattr("copilot.llm.make_llm", lambda settings: ScriptedLLM([]))
    again = CliRunner().invoke(cli.bench, [*args, "--report-only"], catch_exceptions=False)
    assert again.exit_code == 0, again.output  # the judge's verdicts come from its cache file


def test_task_lists_limits_and_every_audio_column(phase2_root, tmp_path):
    listed = tmp_path / "list.txt"
    listed.write_text(f"{VERIFY}  # pairs\n\n{NOISE}\n")
    assert [r.task for r in select_phase2(str(listed))] == [VERIFY, NOISE]
    instance = load_instance(POOL[VERIFY], phase2_root, limit=2)
    items = list(instance.items)
    assert len({i.label for i in items}) == 2 and all(len(i.audio) == 2 for i in items)
    assert len(select_phase2("all")) == 231


def test_the_hub_path_reads_a_mirror_in_the_hub_cache_layout(phase2_root, tmp_path, monkeypatch):
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    snapshot = cache / f"datasets--DynamicSuperb--{NOISE}" / "snapshots" / "0123abcd"
    fixtures.write_instance(POOL[NOISE], fixtures.RECIPES[NOISE](4), snapshot, "parquet")
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("0123abcd")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    from_hub = load_instance(POOL[NOISE], "hf")
    local = load_instance(POOL[NOISE], cache)  # --data DIR also takes a hub cache folder
    assert from_hub.total == local.total == 4
    assert [i.label for i in from_hub.items] == [i.label for i in local.items] == ["clean", "noisy"] * 2


@pytest.mark.slow
def test_phase2_coverage_places_tasks_by_their_nearest_analysed_task(tmp_path):
    from copilot.analyser import cli as toolset_cli

    report = tmp_path / "coverage.md"
    result = CliRunner().invoke(toolset_cli.toolset, [
        "coverage", "toolsets/speech", PHASE2_POOL, "--by-embedding", "--report", str(report),
        "--tasks", "SpeechDetection_LibriSpeech-TestClean,MARBLEGenreClassification_MTG-Genre-Fold1,"
        "SuperbASR_LibriSpeech-TestClean"])
    assert result.exit_code == 0, result.output
    assert "covered (nearest analysed task): 1/2 tasks with instructions (1 without instructions" in result.output
    rows = {line.split(" | ")[0].lstrip("| "): line for line in report.read_text().splitlines()}
    # A Phase-1 task asked again finds a Phase-1 speech-detection task; music genre has no analogue.
    assert "| SpeechDetection_" in rows["SpeechDetection_LibriSpeech-TestClean"]
    assert rows["SpeechDetection_LibriSpeech-TestClean"].endswith("| yes |")
    assert rows["MARBLEGenreClassification_MTG-Genre-Fold1"].endswith("| no |")
    assert "| MARBLEGenreClassification | 1 |" in report.read_text()


def test_long_recordings_run_whole(tmp_path):
    """About 7 % of Phase-2 files exceed 30 s: a 40 s row reaches the program whole."""
    speech = [u.path for u in corpus.librivox() + corpus.cards()]
    long = corpus.concat(speech * (1 + int(40 / sum(load_audio(p).duration for p in speech))), gap_s=0.3)
    duration = load_audio(long).duration
    assert duration > 40
    fixtures.write_instance(POOL[L2], [fixtures.Row((long,), f"{duration:.1f}", instruction=POOL[L2].instructions[0])],
                            tmp_path / L2, "parquet")
    llm = ScriptedLLM([f"```python\n{PROGRAMS['pronunciation']}\n```"])
    items = list(load_instance(POOL[L2], tmp_path).items)
    run_items(Copilot(llm=llm, retrieval=False, disk_cache=False), items, tmp_path / "p.jsonl", progress=False)
    (record,) = read_predictions(tmp_path / "p.jsonl")
    assert record["ok"] and float(record["answer"]) == pytest.approx(duration, abs=0.1)
