"""The host never trusts the worker: a compromised or broken worker yields a classified failure."""

from __future__ import annotations

import time

import pytest

from copilot.errors import ErrorKind
from copilot.sandbox import session as session_module
from copilot.sandbox.records import Limits
from copilot.sandbox.session import run_program

LIMITS = Limits(cpu_s=2, wall_s=2, total_s=4, memory_mb=256)
# A stand-in worker: argv is [-c, package root, fd_in, fd_out], as for the real one.
PRELUDE = "import os, struct, sys, time\nfd = int(sys.argv[3])\n"
SEND = "def send(b):\n    os.write(fd, struct.pack('>I', len(b)) + b)\n"


def run_with_worker(monkeypatch, script: str):
    monkeypatch.setattr(session_module, "BOOTSTRAP", PRELUDE + SEND + script)
    started = time.monotonic()
    result = run_program("def main():\n    return 1\n", {}, limits=LIMITS)
    return result, time.monotonic() - started


@pytest.mark.parametrize(("script", "kind", "words"), [
    ("import signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", ErrorKind.CRASH, "SIGSEGV"),
    ("sys.exit(3)\n", ErrorKind.CRASH, "status 3"),
    ("os.write(fd, struct.pack('>I', 4_000_000_000))\ntime.sleep(10)\n", ErrorKind.BAD_RESULT, "4000000000 bytes"),
    ("send(b'[' * 200_000 + b']' * 200_000)\ntime.sleep(10)\n", ErrorKind.BAD_RESULT, "not strict JSON"),
    ("send(b'{\"op\": \"done\", \"value\": NaN}')\ntime.sleep(10)\n", ErrorKind.BAD_RESULT, "not strict JSON"),
    ("send(b'[1, 2]')\ntime.sleep(10)\n", ErrorKind.CRASH, "protocol"),
    ("send(b'{\"op\": \"error\", \"kind\": \"NOPE\", \"message\": 5}')\ntime.sleep(10)\n", ErrorKind.CRASH,
     "(no message)"),
    ("raise MemoryError\n", ErrorKind.MEMORY, "ran out of memory"),
])
def test_broken_worker_is_classified(monkeypatch, script, kind, words):
    result, elapsed = run_with_worker(monkeypatch, script)
    assert result.error_kind is kind and words in result.error_message, result.error_message
    assert elapsed < 2


def test_whole_process_group_is_killed_at_the_deadline(monkeypatch, tmp_path):
    pids = tmp_path / "pids"
    result, elapsed = run_with_worker(
        monkeypatch, f"child = os.fork()\nopen({str(pids)!r}, 'a').write(str(os.getpid()) + '\\n')\ntime.sleep(60)\n")
    assert result.error_kind is ErrorKind.TIMEOUT and elapsed < LIMITS.wall_s + 2
    pid_list = [int(pid) for pid in pids.read_text().split()]
    assert len(pid_list) == 2
    for pid in pid_list:
        assert _dead(pid), f"process {pid} survived"


def _dead(pid: int, within_s: float = 3.0) -> bool:
    """Gone, or a zombie waiting for a reaper (the orphaned child is no longer ours to reap).

    SIGKILL is delivered at once but a loaded machine may take a moment to tear the process down,
    so this polls briefly instead of reading /proc once.
    """
    deadline = time.monotonic() + within_s
    while True:
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except FileNotFoundError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def test_output_flood_from_a_worker_is_capped(monkeypatch):
    result, _ = run_with_worker(monkeypatch, "os.write(1, b'x' * 5_000_000)\nsend(b'{\"op\": \"done\", \"value\": 1}')\n")
    assert result.ok and result.value == 1
    assert len(result.stdout) < LIMITS.max_output_bytes + 300 and "bytes dropped" in result.stdout
