"""The two-hop knowledge set is well-formed and split by template (no LLM runs here)."""

from __future__ import annotations

import pytest
import tomllib

from benchmarks.planning_eval.evalset import EvalSetError
from benchmarks.planning_eval.twohop import ATTRIBUTES, DATA, load
from toolsets.speech.emotion import CLASSES


def test_size_coverage_and_split_by_template():
    questions = load()
    assert len(questions) >= 120
    for split in ("tune", "report"):
        assert {q.attribute for q in questions if q.split == split} == set(ATTRIBUTES)
        assert sum(q.split == split for q in questions) >= 60
    splits_of = {}
    for q in questions:
        splits_of.setdefault(q.template, set()).add(q.split)
    assert all(len(s) == 1 for s in splits_of.values())
    # Findings are what the tools report.
    assert {q.finding for q in questions if q.attribute == "gender"} == {"male", "female"}
    assert {q.finding for q in questions if q.attribute == "emotion"} <= set(CLASSES)
    # The answer is not always in one position.
    assert len({q.options.index(q.answer) for q in questions}) >= 3


def test_every_template_says_why_its_answers_are_true():
    templates = tomllib.loads(DATA.read_text(encoding="utf-8"))["template"]
    assert all(t["basis"].split(":")[0] in {"definition", "convention", "source", "construction"} for t in templates)


def test_an_answer_outside_its_options_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[template]]\nid = "t"\nattribute = "gender"\nsplit = "tune"\nquestion = "Q?"\n'
                   'items = [{ finding = "male", options = ["king", "queen"], answer = "prince" }]\n')
    with pytest.raises(EvalSetError, match="template t item 0"):
        load(bad)
