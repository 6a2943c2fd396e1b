"""compile_program: the compile-time rules, their messages (which go back to the LLM), and what stays legal."""

from __future__ import annotations

import pytest

from copilot.errors import ErrorKind
from copilot.sandbox.policy import MAX_SOURCE_CHARS, compile_program
from copilot.sandbox.records import Limits
from copilot.sandbox.session import run_program


def problems(program: str) -> list[str]:
    return list(compile_program(program).errors)


@pytest.mark.parametrize(("program", "expected"), [
    ("import os\n", 'Line 1: import of "os" is not allowed'),
    ("import re.enum\n", 'Line 1: import of "re.enum" is not allowed'),
    ("from . import x\n", 'Line 1: import of "." is not allowed'),
    ("from math import _sqrt\n", 'Line 1: "_sqrt" cannot be imported from math'),
    ("x = 1\ny = x.__class__\n", 'Line 2: "__class__" is an invalid attribute name'),
    ("def f():\n    return getattr(f, '__code__')\n", 'Line 2: getattr() with "__code__" is not allowed'),
    ("x = hasattr(1, '_x')\n", 'Line 1: hasattr() with "_x" is not allowed'),
    ("x = open('/etc/passwd')\n", 'Line 1: "open" is not allowed: file access'),
    ("x = vars()\n", 'Line 1: "vars" is not allowed: introspection'),
    ("f = eval\n", 'Line 1: "eval" is not allowed: dynamic code'),
    ("class A:\n    pass\n", "Line 1: class definitions are not allowed"),
    ("try:\n    pass\nexcept* ValueError:\n    pass\n", "Line 1: TryStar statements are not allowed."),
    ("def f(o):\n    o.x += 1\n", "Line 2: Augmented assignment of attributes is not allowed."),
    ("def f(d, g):\n    d[g()] += 1\n", "Line 2: Augmented assignment of object items"),
])
def test_rule_and_line_are_named(program, expected):
    found = problems(program)
    assert found and found[0].startswith(expected), found


@pytest.mark.parametrize("program", [
    "def main(type, input):\n    id = 3\n    return [type, input, id]\n",  # forbidden names, but bound here
    "from math import sqrt, pi\nimport statistics as st\ndef main():\n    return sqrt(pi) + st.mean([1])\n",
    "def main(xs):\n    return sorted(xs, key=lambda x: -x)[:2]\n",
    "def main():\n    counts = {}\n    counts['a'] = 0\n    counts['a'] += 1\n    return counts\n",
    "def main():\n    try:\n        return 1 / 0\n    except ZeroDivisionError as e:\n        return str(e)\n",
    "def main():\n    return getattr('abc', 'upper')()\n",
])
def test_legitimate_constructs_pass(program):
    assert problems(program) == []


def test_augmented_item_assignment_keeps_its_meaning():
    program = '''
def main():
    d = {"a": 1, "k": [1]}
    key = "a"
    d[key] += 2
    d["k"] += [2]
    grid = {"x": {"y": 10}}
    grid["x"]["y"] -= 3
    xs = [5, 6]
    xs[0] *= 4
    segs = [{"speaker": "A"}]
    tally = {"A": 0}
    tally[segs[0]["speaker"]] += 1
    return [d, grid, xs, tally]
'''
    result = run_program(program, {}, limits=Limits(cpu_s=2, wall_s=5, memory_mb=256))
    assert result.ok, result.error_message
    assert result.value == [{"a": 3, "k": [1, 2]}, {"x": {"y": 7}}, [20, 6], {"A": 1}]


def test_syntax_errors_are_their_own_kind():
    compiled = compile_program("def main(:\n    pass\n")
    assert compiled.kind == "SYNTAX" and compiled.line == 1 and compiled.code is None
    assert compiled.errors[0].startswith("Line 1: SyntaxError:")
    assert compile_program("x = '\0'\n").kind == "SYNTAX"  # a NUL inside the source


def test_oversized_and_overnested_programs_are_refused_without_crashing():
    assert problems("x = 1\n" * (MAX_SOURCE_CHARS // 6 + 1))[0].startswith("Line 1: the program has")
    deep = compile_program("x = " + "+".join(["1"] * 50_000) + "\n")
    assert deep.code is None and deep.kind in ("SYNTAX", "POLICY")


def test_policy_errors_never_start_a_worker():
    result = run_program("import os\ndef main():\n    return 1\n", {})
    assert result.error_kind is ErrorKind.POLICY and result.error_line == 1 and result.isolation == ()
    assert result.error_message.startswith("the program breaks the sandbox policy:\nLine 1: import of \"os\"")


def test_modules_to_preload_are_collected():
    compiled = compile_program("import math\nfrom statistics import mean\ndef main():\n    return 1\n")
    assert compiled.modules == ("math", "statistics")
