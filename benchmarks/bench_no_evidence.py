"""Abstention rate per tool on the no-evidence probe set, before and after, in one run.

The probes (copilot/testing/no_evidence.py, its "check" split: thresholds were chosen on "tune")
ask speech tools about tones, noises, chords, alert sounds and animal calls, and sound and music
tools about absent dogs, birds and instruments in speech, tones and noise. Each result is
"abstained" (no speech / no music / none / not present), "caveat" (low reliability with a note),
"refused" (a ToolError) or "answered" (a bare label: the failure this measures).

"after" is this checkout; "before" is the same probes with ``toolsets/`` taken from an earlier
revision (default 16b7d71, the last one before tools checked for evidence), run in a subprocess.

    PYTHONPATH=$PWD python benchmarks/bench_no_evidence.py [--before REV]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("language", "gender", "emotion", "accent", "prosody", "transcription", "events", "music")
OUTCOMES = ("abstained", "caveat", "refused", "answered")


def run_probes() -> dict[str, Counter]:
    """Outcome counts per tool, with whichever ``toolsets`` package this interpreter imports."""
    from copilot.config import Settings, load_settings
    from copilot.errors import CopilotError, ToolError
    from copilot.testing import no_evidence
    from copilot.tools import Runtime, use_runtime

    tools = {}
    for module in MODULES:
        loaded = importlib.import_module(f"toolsets.speech.{module}")
        tools |= {name: getattr(loaded, name) for name in dir(loaded) if callable(getattr(loaded, name))}
    settings = dataclasses.replace(Settings(), cache_dir=load_settings().cache_dir, disk_cache=False)
    counts: dict[str, Counter] = defaultdict(Counter)
    with use_runtime(Runtime(settings)):
        for probe in no_evidence.probes():
            try:
                result = tools[probe.tool](probe.audio, **probe.arguments)
            except ToolError:
                counts[probe.tool]["refused"] += 1
                continue
            except CopilotError as exc:  # a backend that cannot run here (the hub accent model)
                counts[probe.tool][f"error: {type(exc).__name__}"] += 1
                continue
            counts[probe.tool][no_evidence.outcome(result)] += 1
    return counts


def _in_subprocess(toolsets_from: str | None) -> dict[str, dict[str, int]]:
    """run_probes() in a fresh interpreter, with toolsets/ from a git revision when one is given."""
    with tempfile.TemporaryDirectory() as tmp:
        path = [str(ROOT)]
        if toolsets_from:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", toolsets_from, "toolsets"],
                                     check=True, capture_output=True).stdout
            with tarfile.open(fileobj=BytesIO(archive)) as tar:
                tar.extractall(tmp, filter="data")
            path.insert(0, tmp)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        out = subprocess.run([sys.executable, __file__, "--probe-only"], env=env, check=True,
                             capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="16b7d71", help="revision whose toolsets/ is 'before'")
    parser.add_argument("--probe-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe_only:
        print(json.dumps(run_probes()))
        return
    runs = {"before": _in_subprocess(args.before), "after": _in_subprocess(None)}
    print(f"no-evidence probes (check split); before = toolsets/ at {args.before}, after = this checkout")
    print(f"{'tool':<18} {'':>6} " + " ".join(f"{o:>9}" for o in OUTCOMES) + "  other   abstain+caveat")
    totals = {name: Counter() for name in runs}
    for tool in sorted(set(runs["before"]) | set(runs["after"])):
        for name, counts in runs.items():
            c = Counter(counts.get(tool, {}))
            totals[name] += c
            other = sum(v for k, v in c.items() if k not in OUTCOMES)
            n = sum(c.values())
            rate = (c["abstained"] + c["caveat"]) / n if n else 0.0
            print(f"{tool:<18} {name:>6} " + " ".join(f"{c[o]:>9}" for o in OUTCOMES) + f"  {other:>5}   {rate:6.1%}")
    for name, c in totals.items():
        n = sum(c.values())
        print(f"{'all':<18} {name:>6} " + " ".join(f"{c[o]:>9}" for o in OUTCOMES) +
              f"  {n - sum(c[o] for o in OUTCOMES):>5}   {(c['abstained'] + c['caveat']) / n:6.1%}")


if __name__ == "__main__":
    main()
