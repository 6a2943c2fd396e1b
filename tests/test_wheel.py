"""What `pip install` gives a user who never sees the checkout: the sdist and the wheel built from it
(build isolation, as a user's pip does), installed into a folder of its own and run from elsewhere.
The installed package must list its tools and load the Phase-1 pool and the shipped toolset spec."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

# Data files that commands read at run time, and so must be inside the wheel.
SHIPPED = ["copilot/instructions/dynamic_superb_phase1.jsonl", "copilot/instructions/dynamic_superb_phase1_train.jsonl",
           "toolsets/speech/toolset.json", "toolsets/speech/decompositions.jsonl", "copilot/planner/examples.jsonl",
           "copilot/planner/prompts/system.md", "copilot/analyser/paper_modules.json", "copilot/suites/published.json"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # the files a fresh clone has (tracked, or new and not ignored)
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)], check=True,
                   capture_output=True, timeout=900)
    wheel = next(dist.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [f for f in SHIPPED if f not in names]
    assert not missing, f"the wheel lacks {missing}"
    target = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    return target


def _run(target: Path, *command: str) -> str:
    """Run with the installed package first on the path (its dependencies come from this environment)."""
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run(command, cwd=target.parent, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_installed_command_runs(installed):
    assert "Commands:" in _run(installed, str(installed / "bin" / "copilot"), "--help")
    listing = _run(installed, str(installed / "bin" / "copilot"), "tools")
    assert f"({installed / 'toolsets' / 'speech'})" in listing and "transcribe" in listing


def test_the_installed_package_loads_its_pool_and_spec(installed):
    script = ("import copilot, json\n"
              "from copilot.pools import load_pool\n"
              "from copilot.analyser.spec import read_spec\n"
              "from copilot.tools.toolset import TOOLSETS_DIR\n"
              "modules, bindings = read_spec(TOOLSETS_DIR / 'speech')\n"
              "print(json.dumps([copilot.__file__, len(load_pool('dynamic_superb_phase1')), len(modules)]))")
    where, tasks, modules = json.loads(_run(installed, sys.executable, "-c", script))
    assert Path(where).is_relative_to(installed)
    assert tasks > 40 and modules > 10
