"""The worked-example bank teaches the model: every example must be a valid program over real tools."""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest
import tomllib

from benchmarks.planning_eval import evalset
from copilot.audio import Audio
from copilot.options import normalise
from copilot.planner.checks import before_run, first_refusal
from copilot.planner.question import Program, Question
from copilot.planner.retrieval import Example, load_examples
from copilot.sandbox.policy import compile_program
from copilot.tools import load_toolset

EXAMPLES = load_examples()
TOOLSET = load_toolset("speech")


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.instruction[:40] for e in EXAMPLES])
def test_example_is_policy_clean_and_calls_only_real_tools(example):
    assert compile_program(example.program).errors == ()
    tools = load_toolset("speech").tools
    main = next(n for n in ast.parse(example.program).body if isinstance(n, ast.FunctionDef) and n.name == "main")
    assert tuple(a.arg for a in main.args.args) == example.params
    tree = ast.parse(example.program)
    local = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    local |= {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    called = {n.func.id for n in ast.walk(tree)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)} - local
    builtins = {"len", "sum", "min", "max", "sorted", "abs", "round", "str", "int", "float", "range", "any",
                "all", "enumerate", "zip", "list", "dict", "set", "isinstance", "print"}
    assert called - builtins <= set(tools), f"unknown tools: {called - builtins - set(tools)}"
    assert example.tools_used(set(tools)), "an example must show at least one tool"


def test_examples_cover_every_input_signature():
    inputs = {tuple(p for p in e.params if p not in ("options", "question")) for e in EXAMPLES}
    assert inputs >= {("audio",), ("audio_1", "audio_2"), ("audio", "word"), ("audio", "text")}
    assert {"options" in e.params for e in EXAMPLES} == {True, False}  # multiple choice and open answers


def _literal_problems(example) -> list[str]:
    """Every string literal of the program, checked: none is one of the options unless it is a branch
    of ``A if <tool result> else B`` over exactly the two options (a measured boolean read as the
    question's two words); no list, tuple or set of string literals (a candidate list written in)."""
    options = {normalise(o) for o in example.options}
    tree = ast.parse(example.program)
    binary = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.IfExp) and all(isinstance(b, ast.Constant) for b in (node.body, node.orelse)):
            pair = {normalise(str(node.body.value)), normalise(str(node.orelse.value))}
            if pair == options and len(options) == 2:
                binary |= {id(node.body), id(node.orelse)}
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in binary \
                and normalise(node.value) in options:
            problems.append(f"option {node.value!r} written as a literal")
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and node.elts and \
                all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            problems.append(f"a list of literals {[e.value for e in node.elts]}")
    return problems


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.instruction[:40] for e in EXAMPLES])
def test_examples_take_their_options_as_input_never_as_literals(example):
    assert _literal_problems(example) == [], example.instruction


def test_the_literal_check_catches_written_in_options():
    def problems(program: str, options=("Male", "Female")) -> list[str]:
        return _literal_problems(Example("?", options, ("audio", "options", "question"), program))

    head = "def main(audio, options, question):\n    "
    assert problems(head + 'return speaker_gender(audio, candidates=options)["label"]') == []
    assert problems(head + 'return "yes" if detect_speech(audio)["present"] else "no"', ("yes", "no")) == []
    assert problems(head + 'return speaker_gender(audio, candidates=options)["label"] or "Male"')
    assert problems(head + 'return speaker_gender(audio, candidates=["man", "woman"])["label"]')
    assert problems(head + 'return "yes" if detect_speech(audio)["present"] else "no"', ("yes", "no", "maybe"))


_OPTIONS_PART = re.compile(r"\s*(?:the answer could be|answer\b|choose(?: from)? \{|\{options\}|\{choices\}|\(a\)).*$",
                           re.IGNORECASE | re.DOTALL)


def question_words(text: str) -> set[str]:
    """The words of a question without its option list (shared boilerplate is not a shared task)."""
    return set(re.findall(r"[a-z0-9']+", _OPTIONS_PART.sub("", text).lower()))


def test_no_example_repeats_a_test_phrasing_of_the_planning_eval():
    """Token Jaccard < 0.6 between each example's question and every test phrasing's: the planning
    eval's test split measures planning, not recall of a worked example."""
    tasks = tomllib.loads(evalset.DATA.read_text(encoding="utf-8"))["task"]
    phrasings = [p["text"] for task in tasks for p in task["phrasings"] if p["split"] == "test"]
    assert len(phrasings) >= 2 * len(tasks)
    for example in EXAMPLES:
        mine = question_words(example.instruction)
        for phrasing in phrasings:
            theirs = question_words(phrasing)
            assert len(mine & theirs) / len(mine | theirs) < 0.6, (example.instruction, phrasing)
    assert question_words("Was it recorded in a reverberant room? Choose from {options}.") == \
        question_words("Was it recorded in a reverberant room? (a) clean (b) reverberant") == \
        {"was", "it", "recorded", "in", "a", "reverberant", "room"}
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.instruction[:40] for e in EXAMPLES])
def test_example_passes_the_gate_for_its_own_question(example):
    """The examples show only the shapes the gate accepts: evidence first, no answer words in code."""
    text = "cat" if "word" in example.params else "a short text" if "text" in example.params else None
    recordings = [Audio.from_array(np.full(1600, 0.1, np.float32), 16_000)] * \
        sum(p.startswith("audio") for p in example.params)
    question = Question.make(example.instruction, recordings, text, example.options or None, None, TOOLSET.version)
    assert question.signature.params == example.params
    assert first_refusal(before_run(TOOLSET), Program.parse(example.program), None, question) is None
