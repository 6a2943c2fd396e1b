"""The hostile corpus: every program ends in its expected failure class, in bounded time, host unharmed.

Each ``hostile/*.py.txt`` file (data, not code: ruff and pytest skip it) starts with
``# expect: KIND``, ``# category: ...`` and ``# about: ...``. ``@CANARY@`` in a program is replaced
by a path that must never come to exist.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from copilot.errors import ErrorKind
from copilot.sandbox.records import Limits
from copilot.sandbox.session import run_program
from copilot.tools.bridge import ToolBridge

from .conftest import TOOLS

HOSTILE = sorted((Path(__file__).parent / "hostile").glob("*.py.txt"))
SECRET = "sk-test-canary-3f9c2a7be1d04c55"
LIMITS = Limits(cpu_s=1, wall_s=3, total_s=6, memory_mb=256, max_output_bytes=10_000, max_tool_calls=100)


def _header(path: Path) -> dict[str, str]:
    fields = {}
    for line in path.read_text().splitlines():
        if not line.startswith("# "):
            break
        key, _, value = line[2:].partition(": ")
        fields[key] = value
    return fields


def test_corpus_covers_every_category():
    headers = [_header(p) for p in HOSTILE]
    assert len(HOSTILE) >= 40
    categories = {h["category"] for h in headers}
    assert categories == {"escape", "dos", "exfiltration", "tool-arguments"}
    assert {h["expect"] for h in headers} >= {"POLICY", "RUNTIME", "TIMEOUT", "MEMORY", "BAD_RESULT"}


@pytest.fixture()
def host_secret(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    return SECRET


@pytest.mark.parametrize("path", HOSTILE, ids=[p.name.removesuffix(".py.txt") for p in HOSTILE])
def test_hostile_program_is_contained(path, audio, tmp_path, host_secret, received):
    header = _header(path)
    canary = tmp_path / "canary"
    program = path.read_text().replace("@CANARY@", str(canary))
    started = time.monotonic()
    result = run_program(program, {"audio": "audio_1"}, ToolBridge(TOOLS, audio), LIMITS)
    elapsed = time.monotonic() - started

    assert not result.ok, f"{path.name} succeeded: {result.value!r}"
    assert result.error_kind is ErrorKind[header["expect"]], result.error_message
    assert result.error_message and len(result.error_message) < 5_000
    assert elapsed < LIMITS.total_s + 2
    assert not canary.exists()
    trace = json.dumps([result.value, result.stdout, result.error_message,
                        [(c.name, c.args, c.result, c.error) for c in result.tool_calls]], default=str)
    assert host_secret not in trace
    assert "root:" not in trace  # no line of /etc/passwd
    assert all(isinstance(args["audio"], str) and len(args["audio"]) == 64
               for name, args in received if "audio" in args)  # tools only ever saw host-made audio
    assert len(result.stdout.encode()) <= LIMITS.max_output_bytes + 256
    os.kill(os.getpid(), 0)  # the host is alive


def test_host_still_serves_programs_after_the_corpus(audio):
    result = run_program("def main(audio):\n    return echo('still here')\n", {"audio": "audio_1"}, ToolBridge(TOOLS, audio),
                         LIMITS)
    assert result.ok and result.value == "still here"
