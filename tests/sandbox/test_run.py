"""run_program end to end: legitimate programs work, failures come back classified and actionable."""

from __future__ import annotations

import time

import pytest

from copilot.errors import ErrorKind
from copilot.sandbox.records import Limits
from copilot.sandbox.session import run_program
from copilot.tools import use_runtime
from copilot.tools.backends import Runtime
from copilot.tools.bridge import ToolBridge

from .conftest import TOOLS

FAST = Limits(cpu_s=2, wall_s=5, total_s=10, memory_mb=256)


def run(program: str, audio, limits: Limits = FAST, **inputs):
    return run_program(program, inputs or {"audio": "audio_1"}, ToolBridge(TOOLS, audio), limits)


def test_loops_comprehensions_formatting_and_helpers(audio, received):
    program = '''
def describe(seg):
    return f"{seg['start_s']:.1f}-{seg['end_s']:.1f}s"

def main(audio):
    segs = segments(audio, window_s=0.5)
    labels = [describe(s) for s in segs if s["start_s"] < 2]
    lengths = {i: s["end_s"] - s["start_s"] for i, s in enumerate(segs)}
    counts = {}
    for s in segs:
        key = "early" if s["start_s"] < 1 else "late"
        counts[key] = counts.get(key, 0)
        counts[key] += 1
    total = 0
    for start, end in [(s["start_s"], s["end_s"]) for s in segs]:
        total += end - start
    props = audio_properties(audio)
    print("segments:", len(segs))
    return {
        "labels": labels,
        "n": len(lengths),
        "counts": counts,
        "total": round(total, 3),
        "summary": "{} segments, {:.1f} s, rms {rms:.0f} dBFS".format(len(segs), props["duration_s"],
                                                                    rms=props["rms_dbfs"]),
        "pct": "%d%%" % 50,
        "sorted": sorted(segs, key=lambda s: -s["start_s"])[0]["start_s"],
    }
'''
    result = run(program, audio)
    assert result.ok, result.error_message
    assert result.value["labels"] == ["0.0-0.5s", "0.5-1.0s", "1.0-1.5s", "1.5-2.0s"]
    assert result.value["n"] == 6
    assert result.value["counts"] == {"early": 2, "late": 4}
    assert result.value["total"] == 3.0
    assert result.value["summary"] == "6 segments, 3.0 s, rms -13 dBFS"
    assert result.value["pct"] == "50%"
    assert result.value["sorted"] == 2.5
    assert result.stdout == "segments: 6\n"
    assert [c.name for c in result.tool_calls] == ["segments", "audio_properties"]
    assert result.tool_calls[0].args == {"audio": "audio_1", "window_s": 0.5}
    assert len(result.tool_calls[0].result) == 6 and result.tool_calls[0].error is None
    assert received == [("segments", {"audio": audio["audio_1"].sha256, "window_s": 0.5})]
    assert "network namespace" in " ".join(result.isolation) or "network not isolated" in " ".join(result.isolation)


def test_tool_errors_are_catchable_as_ToolError(audio):
    program = '''
def main(audio):
    out = []
    for reason in ["a", "b"]:
        try:
            refuse(reason)
        except ToolError as e:
            out.append(str(e))
    try:
        explode()
    except ToolError as e:
        out.append(str(e))
    try:
        audio_properties("/etc/passwd")
    except ToolError as e:
        out.append("path rejected" if "audio inputs" in str(e) else str(e))
    return out
'''
    result = run(program, audio)
    assert result.ok, result.error_message
    assert result.value == ["refused: a", "refused: b", "tool explode failed: RuntimeError: boom", "path rejected"]
    assert [c.error is not None for c in result.tool_calls] == [True, True, True, True]


def test_uncaught_tool_error_names_line_and_message(audio):
    program = 'def main(audio):\n    x = 1\n    return refuse("no model")\n'
    result = run(program, audio)
    assert result.error_kind is ErrorKind.RUNTIME and result.error_line == 3
    assert result.error_message.startswith("line 3: ToolError: refused: no model")
    assert 'return refuse("no model")' in result.error_message


def test_positional_keyword_and_bad_calls_to_stubs(audio):
    ok = run('def main(audio):\n    return [echo("ab", 2), echo(text="c"), echo("d", times=3)]\n', audio)
    assert ok.value == ["abab", "c", "ddd"]
    too_many = run('def main(audio):\n    return echo("a", 1, 2)\n', audio)
    assert too_many.error_kind is ErrorKind.RUNTIME and "TypeError: echo() takes 2 argument(s)" in too_many.error_message
    unknown = run('def main(audio):\n    return echo(text="a", path="/etc/passwd")\n', audio)
    assert unknown.error_kind is ErrorKind.RUNTIME and "unexpected argument(s) ['path']" in unknown.error_message


def test_runtime_error_reports_innermost_program_line(audio):
    program = 'def helper(d):\n    return d["missing"]\n\ndef main(audio):\n    return helper({})\n'
    result = run(program, audio)
    assert result.error_kind is ErrorKind.RUNTIME and result.error_line == 2
    assert "KeyError: 'missing'" in result.error_message


def test_allowed_modules_are_curated_copies(audio):
    program = '''
import json
import math
import re
import statistics
from statistics import median

def main(audio):
    words = re.findall(r"[a-z]+", "the cat, the hat")
    fit = statistics.linear_regression([1, 2, 3], [2, 4, 6])
    return [math.floor(math.pi * 100), words, median([3, 1, 2]), json.loads(json.dumps({"a": [1]})),
            fit.slope, re.sub(r"(\\w+)", lambda m: m.group(1).upper(), "ab cd")]
'''
    result = run(program, audio)
    assert result.ok, result.error_message
    assert result.value == [314, ["the", "cat", "the", "hat"], 2, {"a": [1]}, 2.0, "AB CD"]
    missing = run('import re\ndef main(audio):\n    return re.sys\n', audio)
    assert missing.error_kind is ErrorKind.RUNTIME
    assert "module 're' in the sandbox has no attribute 'sys'" in missing.error_message


def test_bad_results_are_classified(audio):
    assert run("def main(audio):\n    return {1, 2}\n", audio).error_kind is ErrorKind.BAD_RESULT
    nan = run("def main(audio):\n    return float('nan')\n", audio)
    assert nan.error_kind is ErrorKind.BAD_RESULT and "JSON" in nan.error_message
    big = run("def main(audio):\n    return 'x' * 2_000_000\n", audio)
    assert big.error_kind is ErrorKind.BAD_RESULT and "limit" in big.error_message


def test_missing_entry_and_syntax_error(audio):
    missing = run("def helper():\n    return 1\n", audio)
    assert missing.error_kind is ErrorKind.RUNTIME and "no function main()" in missing.error_message
    syntax = run("def main(audio):\n    return (1,\n", audio)
    assert syntax.error_kind is ErrorKind.SYNTAX and syntax.error_line is not None
    assert syntax.error_message.startswith("the program does not parse:\nLine ")


def test_print_output_is_capped_with_a_note(audio):
    limits = Limits(cpu_s=2, wall_s=5, memory_mb=256, max_output_bytes=100)
    result = run("def main(audio):\n    for i in range(1000):\n        print('line', i)\n    return 1\n", audio, limits)
    assert result.ok and result.value == 1
    assert result.stdout.startswith("line 0\nline 1\n")
    assert len(result.stdout.encode()) <= 100 + 128
    assert "[output truncated" in result.stdout


def test_tool_time_is_not_charged_to_the_program_wall_clock(audio):
    limits = Limits(cpu_s=2, wall_s=1.0, total_s=10, memory_mb=256)
    result = run("def main(audio):\n    return sum(nap(0.4) for i in range(4))\n", audio, limits)
    assert result.ok, result.error_message
    assert result.seconds > 1.5 and sum(c.seconds for c in result.tool_calls) > 1.5


def test_total_budget_counts_tool_time(audio):
    limits = Limits(cpu_s=2, wall_s=5, total_s=1.0, memory_mb=256)
    started = time.monotonic()
    result = run("def main(audio):\n    return [nap(0.4) for i in range(10)]\n", audio, limits)
    assert result.error_kind is ErrorKind.TIMEOUT and "in total" in result.error_message
    assert time.monotonic() - started < 3


def test_wall_clock_deadline_kills_worker(audio):
    limits = Limits(cpu_s=30, wall_s=1.0, memory_mb=256)
    started = time.monotonic()
    result = run("def main(audio):\n    while True:\n        pass\n", audio, limits)
    assert result.error_kind is ErrorKind.TIMEOUT and "wall-clock" in result.error_message
    assert time.monotonic() - started < 3


def test_tool_call_budget(audio):
    limits = Limits(cpu_s=2, wall_s=5, memory_mb=256, max_tool_calls=5)
    result = run("def main(audio):\n    return [echo('x') for i in range(6)]\n", audio, limits)
    assert result.error_kind is ErrorKind.RUNTIME and "more than 5 tool calls" in result.error_message
    assert len(result.tool_calls) == 6 and result.tool_calls[-1].error


def test_tools_run_in_the_callers_runtime(audio, monkeypatch):
    runtime = Runtime()
    looked_up: list[str] = []
    lookup = runtime.results.get
    monkeypatch.setattr(runtime.results, "get", lambda key: looked_up.append(key) or lookup(key))
    with use_runtime(runtime):
        result = run_program("def main(audio):\n    return audio_properties(audio)['duration_s']\n",
                             {"audio": "audio_1"}, ToolBridge(TOOLS, audio), FAST)
    assert result.value == 3.0
    assert [key.split("/")[0] for key in looked_up] == ["audio_properties"]  # that runtime's result cache


def test_no_state_survives_between_runs(audio):
    program = "import math\nseen = []\ndef main(audio):\n    seen.append(1)\n    return len(seen)\n"
    assert [run(program, audio).value for _ in range(2)] == [1, 1]


def test_inputs_must_be_json(audio):
    with pytest.raises(TypeError, match="inputs must be JSON"):
        run_program("def main(x):\n    return x\n", {"x": object()}, ToolBridge(TOOLS, audio), FAST)


def test_print_to_a_file_object_is_a_policy_violation(audio):
    result = run("def main(audio):\n    print('x', file=echo)\n    return 1\n", audio)
    assert result.error_kind is ErrorKind.POLICY and result.error_line == 2
    assert "print(file=...)" in result.error_message
