"""Scoring: option accuracy with unparseable and error shares, WER/CER/MAE, and the LLM judge."""

from __future__ import annotations

import pytest

from copilot.suites.scoring import OptionJudge, choice_verdict, score_task, score_tasks
from copilot.testing.llm import ScriptedLLM
from copilot.options import match_option

LETTERS = {"a": "Male", "b": "Female"}


def rec(answer, label="(b) Female", ok=True, options=("Male", "Female"), letters=LETTERS, metric="accuracy",
        value=None, task="Gender/single"):
    return {"task": task, "group": "Gender", "metric": metric, "instruction": "Gender? (a) Male (b) Female",
            "label": label, "options": list(options), "letters": letters, "answer": answer,
            "value": answer if value is None else value, "ok": ok}


@pytest.mark.parametrize("answer", ["Female", "(b) Female", "b", "(B) female.", "The speaker is female."])
def test_equivalent_answers_are_correct(answer):
    verdict = choice_verdict(rec(answer))
    assert verdict.correct and verdict.prediction == "Female" and verdict.gold == "Female"


@pytest.mark.parametrize("answer,prediction", [("Male", "Male"), ("a", "Male"), ("no idea", None),
                                               ("male or female", None)])
def test_wrong_or_unparseable(answer, prediction):
    verdict = choice_verdict(rec(answer))
    assert not verdict.correct and verdict.prediction == prediction


def test_raw_value_is_scored_when_no_mapped_answer():
    assert choice_verdict(rec(None, value="female", ok=False)).correct
    assert choice_verdict(rec(None, value={"gender": "female"}, ok=False)).prediction is None


def test_open_labels_compare_normalised_text():
    assert choice_verdict(rec("Turn ON the lights!", label="turn on the lights", options=(), letters={})).correct
    assert not choice_verdict(rec("lights", label="turn on the lights", options=(), letters={})).correct


def test_accuracy_unparseable_and_error_shares():
    records = [rec("Female"), rec("(b)"), rec("Male"), rec("dunno"), rec(None, ok=False)]
    score = score_task(records)
    assert score.n == 5 and score.score == pytest.approx(40.0)
    assert score.unparseable_pct == pytest.approx(20.0) and score.error_pct == pytest.approx(20.0)


def test_wer_cer_and_mae():
    wer = score_task([rec("a b x d", label="a b c d", metric="wer", options=()),
                      rec(None, label="e f", metric="wer", options=(), ok=False)])
    assert wer.score == pytest.approx(100 * 3 / 6)  # one substitution + two deletions over six words
    cer = score_task([rec("abcd", label="abce", metric="cer", options=())])
    assert cer.score == pytest.approx(25.0)
    mae = score_task([rec("about 3.5 m", label="2.0", metric="mae", options=()),
                      rec("far", label="1", metric="mae", options=())])
    assert mae.score == pytest.approx(1.5) and mae.unparseable_pct == pytest.approx(50.0)
    with pytest.raises(ValueError, match="unknown metric"):
        score_task([rec("x", metric="bleu")])


def test_score_tasks_groups_by_task_in_order():
    scores = score_tasks([rec("Female", task="B"), rec("Male", task="A"), rec("Female", task="B")])
    assert [(s.task, s.n, s.score) for s in scores] == [("B", 2, 100.0), ("A", 1, 0.0)]


def test_judge_maps_only_unmatched_answers_and_caches(tmp_path):
    cache = tmp_path / "judgements.jsonl"
    llm = ScriptedLLM(["Female", "NONE"])
    judge = OptionJudge(llm, cache)
    records = [rec("Female"), rec("a woman is talking"), rec("hmm"), rec("a woman is talking")]
    score = score_task(records, judge)
    assert len(llm.calls) == 2  # "Female" matched deterministically; the repeated answer hit the cache
    prompt = llm.calls[0][0].content
    assert "a woman is talking" in prompt and "- Male\n- Female" in prompt
    assert score.score == pytest.approx(75.0) and score.judged == 2 and score.unparseable_pct == pytest.approx(25.0)
    again = OptionJudge(ScriptedLLM([]), cache)  # would raise if it asked the LLM
    assert again("Gender? (a) Male (b) Female", ["Male", "Female"], "a woman is talking") == "Female"
    assert again("Gender? (a) Male (b) Female", ["Male", "Female"], "hmm") is None


@pytest.mark.parametrize(("answer", "expected"), [
    ("(b)", "Female"), ("b) Female", "Female"), ("b.", "Female"), ("B", "Female"), ("a: Male", "Male"),
    ("a female voice", "Female"),  # the article "a" is not the letter (a)
    ("male or female", None),  # both named: "male" is not only a part of "female" here
    ("a woman", None),
])
def test_option_letters_and_overlapping_options(answer, expected):
    assert match_option(answer, ["Male", "Female"], LETTERS) == expected
