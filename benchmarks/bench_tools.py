"""Model load time and real-time factor of every tool in a toolset, on a 30 s recording.

Usage: ``python benchmarks/bench_tools.py [--runs 5] [--skip query_llm] [--json out.json]``

Each tool is called once to warm up (lazy imports), then ``--runs`` times; the table shows the time
to load the backends it uses (counted for the first tool that needs each one), the first call, the
median call, and the real-time factor RTF = median seconds / audio seconds. The audio is the
pyannote.audio sample (30 s, two speakers on the phone). Calls bypass the result cache. Arguments
other than audio get fixed, sensible values (see ``ARGUMENTS``); a second audio argument gets the
recording's second half, a list of recordings its two halves.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from copilot.audio import Audio, load_audio  # noqa: E402
from copilot.config import load_settings  # noqa: E402
from copilot.errors import CopilotError  # noqa: E402
from copilot.testing import corpus  # noqa: E402
from copilot.tools import Runtime, Tool, load_toolset, use_runtime  # noqa: E402

# Required non-audio arguments, by parameter name; then by type.
ARGUMENTS: dict[str, Any] = {"name": "telephone", "prompt": "Reply with the single word OK.",
                             "text": "hello", "word": "really", "language": "en",
                             "candidates": ["en", "fr"]}
BY_TYPE: dict[str, Any] = {"str": "speech", "int": 2, "float": 1.0, "bool": True, "list[str]": ["en", "fr"]}


def tool_arguments(tool: Tool, audio: Audio) -> dict[str, Any]:
    """Arguments for one benchmark call of ``tool`` on ``audio``."""
    half = audio.duration / 2
    halves = [audio.slice(0, half), audio.slice(half, audio.duration)]
    args: dict[str, Any] = {}
    first_audio = True
    for p in tool.params:
        if "Audio" in p.annotation:
            if p.annotation.startswith("list"):
                args[p.name] = halves
            else:
                args[p.name] = audio if first_audio else halves[1]
                first_audio = False
        elif p.required:
            if p.name in ARGUMENTS:
                args[p.name] = ARGUMENTS[p.name]
            else:
                kind = p.annotation.split("|")[0].strip()
                if kind not in BY_TYPE:
                    raise CopilotError(f"no benchmark value for {tool.name}({p.name}: {p.annotation})")
                args[p.name] = BY_TYPE[kind]
    return args


def bench_tool(tool: Tool, runtime: Runtime, audio: Audio, runs: int, loaded: set[str]) -> dict[str, Any]:
    row: dict[str, Any] = {"tool": tool.name, "uses": list(tool.uses)}
    try:
        row["backends"] = [f"{cap}={runtime.resolve(cap).name}" for cap in tool.uses]
        load_s = 0.0
        for cap in tool.uses:
            if cap not in loaded:
                start = time.perf_counter()
                runtime.get(cap)
                load_s += time.perf_counter() - start
                loaded.add(cap)
        row["load_s"] = load_s
        args = tool_arguments(tool, audio)
        times = []
        for _ in range(runs + 1):
            runtime.results.clear_memory()  # tools that call other tools must not hit their cache
            start = time.perf_counter()
            tool.func(**args)  # the undecorated function: no result cache
            times.append(time.perf_counter() - start)
        row["first_s"] = times[0]
        row["median_s"] = statistics.median(times[1:])
        row["rtf"] = row["median_s"] / audio.duration if tool.audio_params else None
    except CopilotError as exc:
        row["error"] = str(exc)
    return row


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'tool':<20} {'load s':>7} {'first s':>8} {'median s':>9} {'RTF':>7}  backends / error")
    for r in rows:
        if "error" in r:
            print(f"{r['tool']:<20} {'-':>7} {'-':>8} {'-':>9} {'-':>7}  unavailable: {r['error'][:120]}")
            continue
        rtf = f"{r['rtf']:.4f}" if r["rtf"] is not None else "n/a"
        print(f"{r['tool']:<20} {r['load_s']:7.2f} {r['first_s']:8.3f} {r['median_s']:9.3f} {rtf:>7}  "
              f"{', '.join(r['backends']) or 'signal processing'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toolset", default="speech")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool (after one warm-up)")
    parser.add_argument("--only", nargs="*", default=None, help="benchmark only these tools")
    parser.add_argument("--skip", nargs="*", default=[], help="tools to leave out (e.g. query_llm)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    ns = parser.parse_args(argv)

    audio = load_audio(corpus.pyannote_sample()[0])
    runtime = Runtime(load_settings(disk_cache=False))
    toolset = load_toolset(ns.toolset)
    chosen = [t for t in toolset if (ns.only is None or t.name in ns.only) and t.name not in ns.skip]
    print(f"{len(chosen)} tools on {audio.source} ({audio.duration:.1f} s), {ns.runs} runs each\n")
    rows: list[dict[str, Any]] = []
    loaded: set[str] = set()
    with use_runtime(runtime):
        for tool in chosen:
            rows.append(bench_tool(tool, runtime, audio, ns.runs, loaded))
            print(f"  {tool.name}: done", file=sys.stderr)
    print_table(rows)
    if ns.json:
        ns.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
