"""Scoring: option accuracy with unparseable and error shares, WER/CER/MAE, and the LLM judge."""

from __future__ import annotations

import pytest

from copilot.options import match_option
from copilot.suites.scoring import OptionJudge, choice_verdict, needed_mapping, score_task, score_tasks
from copilot.testing.llm import ScriptedLLM

LETTERS = {"a": "Male", "b": "Female"}


def rec(answer, label="(b) Female", ok=True, options=("Male", "Female"), letters=LETTERS, metric="accuracy",
        value=None, task="Gender/single", error=None):
    return {"task": task, "group": "Gender", "metric": metric, "instruction": "Gender? (a) Male (b) Female",
            "label": label, "options": list(options), "letters": letters, "answer": answer,
            "value": answer if value is None else value, "ok": ok, "error": error}


@pytest.mark.parametrize("answer", ["Female", "(b) Female", "b", "(B) female.", "The speaker is female."])
def test_equivalent_answers_are_correct(answer):
    verdict = choice_verdict(rec(answer))
    assert verdict.correct and verdict.prediction == "Female" and verdict.gold == "Female"


@pytest.mark.parametrize("answer,prediction", [("Male", "Male"), ("a", "Male"), ("no idea", None),
                                               ("male or female", None)])
def test_wrong_or_unparseable(answer, prediction):
    verdict = choice_verdict(rec(answer))
    assert not verdict.correct and verdict.prediction == prediction


def test_failed_or_refused_items_are_wrong_whatever_their_raw_value():
    """A refused program's raw value is the gold option here; scoring it would do the refused hop."""
    judge = OptionJudge(ScriptedLLM([]))  # raises if it is asked anything
    refused = rec(None, value="female", ok=False, error="ungrounded: the tool's labels are not the options")
    crashed = rec(None, value="female", ok=False, error="runtime: ZeroDivisionError")
    assert [(v.correct, v.prediction, v.outcome) for v in map(lambda r: choice_verdict(r, judge), [refused, crashed])] \
        == [(False, None, "refused"), (False, None, "error")]
    assert choice_verdict({**rec("Female"), "ok": False, "error": "timeout: budget"}).outcome == "error"
    score = score_task([refused, crashed, rec("Female"), rec("cannot tell")], judge)
    assert score.score == pytest.approx(25.0)
    assert (score.refused_pct, score.error_pct, score.abstained_pct, score.unparseable_pct) == (25.0, 25.0, 25.0, 0.0)


def test_failed_items_are_wrong_in_wer_and_mae():
    wer = score_task([rec("a b", label="a b", metric="wer", options=()),
                      rec(None, value="c d", label="c d", metric="wer", options=(), ok=False)])
    assert wer.score == pytest.approx(50.0)  # the failed item's raw value, though right, is not read
    mae = score_task([rec("2", label="2", metric="mae", options=()),
                      rec(None, value="6", label="6", metric="mae", options=(), ok=False)])
    assert mae.score == pytest.approx(2.0)  # 0 and the gold span (6 - 2) for the failed item


def test_answers_the_llm_mapped_from_a_raw_value_that_is_no_option_are_counted():
    assert needed_mapping(rec("Female", value="zero"))  # the level word of another task, made an option
    assert needed_mapping(rec("Female", value={"gender": "female"}))
    assert not needed_mapping(rec("Female", value="female"))
    assert not needed_mapping(rec("yes", value=True, options=("yes", "no"), letters={}))
    assert not needed_mapping(rec("cannot tell", value="cannot tell"))  # an abstention, no option chosen
    assert not needed_mapping(rec(None, value="zero", ok=False))
    assert score_task([rec("Female", value="zero"), rec("Female"), rec("Male", value="one")]).mapped == 2


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
    assert mae.score == pytest.approx((1.5 + 1.0) / 2)  # "far" costs the gold span, 2.0 - 1
    assert mae.unparseable_pct == pytest.approx(50.0)
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
