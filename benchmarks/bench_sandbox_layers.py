"""What each kernel layer of the sandbox costs a worker, beside the cost of starting one.

Runs fresh ``python -I -S -B`` children (as the runner does) that apply the layers of
``copilot/sandbox/layers.py`` one by one, in the worker's order, and time each step; prints the
median of each step, their sum, and the median start-and-exit of a bare interpreter for scale.
The layers a step gets depend on who runs this (root, user namespace, no namespace: the mode is
printed); run it as each user to compare modes. With ``--baseline DIR`` (another checkout, e.g.
``git archive <commit> copilot | tar -x -C DIR``) it also times a whole worker start (import the
worker, ``isolate()``, exit) from this tree and from DIR, alternately, in the same run.

    .venv/bin/python benchmarks/bench_sandbox_layers.py [--repeats 30] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
CHILD = r'''
import json, sys, time
sys.path.insert(0, sys.argv[1])
t = [time.perf_counter()]
from copilot.sandbox import layers
steps = {}
def step(name, action):
    started = time.perf_counter()
    value = action()
    steps[name] = (time.perf_counter() - started) * 1000
    return value
steps["import layers"] = (time.perf_counter() - t[0]) * 1000
report = step("namespaces", layers.unshare_namespaces)
rules = step("seccomp: build the filter", layers.seccomp_filter)
report.append(step("empty root", lambda: layers.empty_root(layers.MOUNT_NAMESPACE in report)))
report.append(step("drop privileges", lambda: layers.drop_privileges(layers.USER_NAMESPACE in report)))
report.append(step("no_new_privs", layers.no_new_privs))
report.append(step("landlock", layers.landlock))
report.append(step("seccomp: load", lambda: layers.load_seccomp(rules)))
print(json.dumps({"mode": layers.mode(report), "steps": steps}))
'''
WORKER = ("import sys; sys.path.insert(0, sys.argv[1]); from copilot.sandbox.worker import isolate; "
          "isolate({'cpu_s': 5, 'memory_mb': 512, 'max_open_files': 16, 'max_file_bytes': 0}, [])")


def _run(command: list[str]) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        proc = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=True,
                              env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"})
        return (time.perf_counter() - started) * 1000, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--baseline", help="another checkout whose worker start to time beside this one")
    args = parser.parse_args()
    bare, layered, steps = [], [], {}
    workers: dict[str, list[float]] = {ROOT: [], **({args.baseline: []} if args.baseline else {})}
    for _ in range(args.repeats):
        for tree, times in workers.items():
            times.append(_run([sys.executable, "-I", "-S", "-B", "-c", WORKER, tree])[0])
        bare.append(_run([sys.executable, "-I", "-S", "-B", "-c", "pass"])[0])
        seconds, out = _run([sys.executable, "-I", "-S", "-B", "-c", CHILD, ROOT])
        layered.append(seconds)
        result = json.loads(out)
        for name, ms in result["steps"].items():
            steps.setdefault(name, []).append(ms)
    print(f"mode: {result['mode']}   ({args.repeats} runs, medians)")
    for name, values in steps.items():
        print(f"  {name:<28} {statistics.median(values):7.2f} ms")
    total = sum(statistics.median(v) for v in steps.values())
    print(f"  {'all layers':<28} {total:7.2f} ms")
    print(f"bare interpreter start+exit   {statistics.median(bare):7.2f} ms")
    print(f"layered child start+exit      {statistics.median(layered):7.2f} ms  "
          f"(ratio {statistics.median(layered) / statistics.median(bare):.2f})")
    for tree, times in workers.items():
        print(f"worker start, isolate, exit   {statistics.median(times):7.2f} ms  ({tree})")


if __name__ == "__main__":
    main()
