"""The worked-example bank teaches the model: every example must be a valid program over real tools."""

from __future__ import annotations

import ast

import pytest

from copilot.planner.retrieval import load_examples
from copilot.sandbox.policy import compile_program
from copilot.tools import load_toolset

EXAMPLES = load_examples()


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


def test_examples_take_their_options_as_input_never_as_literals():
    for e in EXAMPLES:
        for option in e.options:
            assert f'"{option}"' not in e.program or option in ("yes", "no", "clean", "noisy", "presence", "absence",
                                                                 "spoofed", "authentic", "zero", "five", "ten",
                                                                 "fifteen"), (e.instruction, option)
