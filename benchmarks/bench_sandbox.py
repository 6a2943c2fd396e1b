"""Sandbox overhead: a fresh worker per program, and the JSON pipe per tool call.

Prints the median wall time of (a) an empty program, (b) a program making 10 tool calls, and (c) the
same 10 tool calls made directly in this process, plus the overheads (a) and (b) - (c). Wall time
depends on machine load, so it also prints the CPU time the worker processes used per run.

    .venv/bin/python benchmarks/bench_sandbox.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import time

import numpy as np

from copilot.audio import Audio
from copilot.sandbox.session import run_program
from copilot.tools.arguments import validate_arguments
from copilot.tools.bridge import ToolBridge
from toolsets.speech.signal import audio_properties

EMPTY = "def main(audio):\n    return None\n"
TEN_CALLS = "def main(audio):\n    return [audio_properties(audio)['rms_dbfs'] for _ in range(10)]\n"


def _median_ms(action, repeats: int) -> float:
    action()  # warm-up: imports, caches, page cache
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _children_cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    audio = Audio.from_array(0.1 * rng.standard_normal(10 * 16_000).astype(np.float32), 16_000)
    handles = {"audio_1": audio}
    props = dataclasses.replace(audio_properties, cacheable=False)  # measure real calls, not cache hits
    tools = {"audio_properties": props}

    def sandboxed(program: str):
        def run() -> None:
            result = run_program(program, {"audio": "audio_1"}, ToolBridge(tools, handles))
            assert result.ok, result.error_message
        return run

    def direct() -> None:
        [props(**validate_arguments(props, {"audio": "audio_1"}, handles))["rms_dbfs"] for _ in range(10)]

    before = _children_cpu_ms()
    empty = _median_ms(sandboxed(EMPTY), args.repeats)
    worker_cpu = (_children_cpu_ms() - before) / (args.repeats + 1)
    ten = _median_ms(sandboxed(TEN_CALLS), args.repeats)
    plain = _median_ms(direct, args.repeats)
    print(f"median of {args.repeats} runs, 10 s of audio, tool = audio_properties (uncached)")
    print(f"  one tool call, in process          {plain / 10:8.2f} ms")
    print(f"  10 tool calls, in process          {plain:8.2f} ms")
    print(f"  empty program in the sandbox       {empty:8.2f} ms   (overhead {empty:.1f} ms; "
          f"worker CPU {worker_cpu:.1f} ms per run)")
    print(f"  10 tool calls in the sandbox       {ten:8.2f} ms   (overhead {ten - plain:.1f} ms, "
          f"{(ten - plain - empty) / 10:.2f} ms per call beyond start-up)")


if __name__ == "__main__":
    main()
