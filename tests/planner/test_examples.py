"""The worked-example bank teaches the model: every example must be a valid program over real tools."""

from __future__ import annotations

import ast

import pytest

from copilot.planner.retrieval import load_examples
from copilot.sandbox.policy import check_program
from copilot.tools import load_toolset

EXAMPLES = load_examples()


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
    assert {e.params for e in EXAMPLES} >= {("audio",), ("audio_1", "audio_2"), ("audio", "word"), ("audio", "text")}
