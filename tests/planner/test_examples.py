"""The worked-example bank teaches the model: every example must be a valid program over real tools."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from copilot.audio import Audio
from copilot.planner.checks import before_run, first_refusal
from copilot.planner.question import Program, Question
from copilot.planner.retrieval import load_examples
from copilot.sandbox.policy import check_program
from copilot.tools import load_toolset

EXAMPLES = load_examples()
TOOLSET = load_toolset("speech")


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.instruction[:40] for e in EXAMPLES])
def test_example_is_policy_clean_and_calls_only_real_tools(example):
    assert check_program(example.program) == []
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


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.instruction[:40] for e in EXAMPLES])
def test_example_passes_the_gate_for_its_own_question(example):
    """The examples show only the shapes the gate accepts: evidence first, no answer words in code."""
    text = "cat" if "word" in example.params else "a short text" if "text" in example.params else None
    recordings = [Audio.from_array(np.full(1600, 0.1, np.float32), 16_000)] * \
        sum(p.startswith("audio") for p in example.params)
    question = Question.make(example.instruction, recordings, text, example.options or None, None, TOOLSET.version)
    assert question.signature.params == example.params
    assert first_refusal(before_run(TOOLSET), Program.parse(example.program), None, question) is None
