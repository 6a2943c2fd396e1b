"""Time each step of a fresh install, as a new user runs the README's two commands, and print the table.

In a clean folder: a fresh clone of this checkout (HEAD), `make install` (what `make demo` runs
before its question) into a new virtual environment, each step timed by the Makefile
(scripts/timed.sh), then the demo question in a fresh process with an empty cache folder (the
first use: joining the LLM's weights, computing the prompt prefix's state, loading the tools'
models), a second new question in another process, then `make install-test` (what `make test`
adds before running the suite).

What it does not measure from scratch, said in its output: Debian packages already installed on
this machine are not removed (their step is then a check only), and pip takes wheels from the
local package index and pip's own cache, where a llama-cpp-python wheel built earlier is reused
unless `--no-pip-cache` (then pip builds it from source, minutes on 2 cores).

    .venv/bin/python benchmarks/bench_setup.py [--no-pip-cache] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST = ("How many different people are speaking in this recording?", "examples/phone_call.flac")
SECOND = ("What language is spoken? The answer could be English, French or German.", "examples/french.flac")


def timed(command: list[str], cwd: Path, env: dict) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - started, done


def make_steps(log: Path, seen: int) -> list[tuple[str, float]]:
    """The steps the Makefile logged after the first ``seen`` lines."""
    rows = log.read_text().splitlines()[seen:] if log.is_file() else []
    return [(row.split("\t")[0], float(row.split("\t")[1])) for row in rows]


def question(clone: Path, env: dict, asked: tuple[str, str]) -> tuple[float, dict]:
    wall, done = timed([str(clone / ".venv/bin/copilot"), "ask", "--json", "-q", *asked], clone, env)
    return wall, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-pip-cache", action="store_true",
                        help="pip without its cache: builds llama-cpp-python from source")
    parser.add_argument("--keep", type=Path, help="work in DIR and leave it there (default: a temporary folder)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-setup-"))
    work.mkdir(parents=True, exist_ok=True)
    clone, cache = work / "speech-copilot", work / "cache"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "COPILOT_CACHE_DIR")}
    env["COPILOT_CACHE_DIR"] = str(cache)
    if args.no_pip_cache:
        env["PIP_NO_CACHE_DIR"] = "1"
    rows: list[tuple[str, float, str]] = []
    seconds, _ = timed(["git", "clone", "--quiet", str(ROOT), str(clone)], work, env)
    rows.append(("git clone", seconds, ""))

    log = clone / ".venv" / "setup-times.tsv"
    install, _ = timed(["make", "install"], clone, env)
    rows += [(f"  {step}", s, "") for step, s in make_steps(log, 0)]
    rows.append(("make install (what `make demo` installs)", install, "total"))

    walls = []
    for label, asked in (("first question (fresh cache)", FIRST), ("a second new question", SECOND)):
        wall, record = question(clone, env, asked)
        walls.append(wall)
        t = record.get("timings", {})
        detail = (f"answer {record.get('answer')!r}; model loads {t.get('model_load_s', 0):.0f} s, prefix "
                  f"{t.get('llm_prefix_s', 0):.0f} s, prefill {t.get('llm_prefill_s', 0):.0f} s, decode "
                  f"{t.get('llm_decode_s', 0):.0f} s, tools {t.get('tools_s', 0):.0f} s, "
                  f"start-up {wall - t.get('total_s', 0):.0f} s")
        rows.append((label, wall, detail))
    first_use = cache / "setup-times.tsv"
    rows += [(f"  first use: {row.split(chr(9))[0]}", float(row.split("\t")[1]), "")
             for row in (first_use.read_text().splitlines() if first_use.is_file() else [])]

    seen = len(log.read_text().splitlines())
    seconds, _ = timed(["make", "install-test"], clone, env)
    rows += [(f"  {step}", s, "") for step, s in make_steps(log, seen)]
    rows.append(("make install-test (what `make test` adds)", seconds, "total"))

    print(f"\nfresh install in {work} on {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f} at the "
          f"end; pip cache {'off' if args.no_pip_cache else 'on'}; Debian packages already here are only checked)")
    for step, s, detail in rows:
        print(f"  {step:<62} {s:7.1f} s  {detail}")
    print(f"make demo (install, then its question in a fresh cache): {install + walls[0]:.0f} s")


if __name__ == "__main__":
    main()
