"""``copilot doctor``'s set-up report: the install steps the Makefile timed, the first-use steps the
embedded LLM noted, and what each cache folder holds; run as ``python -m copilot`` as a user would."""

from __future__ import annotations

import os
import subprocess
import sys

from copilot.config import Settings
from copilot.doctor import setup_lines
from copilot.fileio import record_setup_step
from tests.conftest import ROOT


def test_setup_steps_timed_by_the_makefile_and_by_first_use_are_reported(tmp_path):
    environment, cache = tmp_path / "venv", tmp_path / "cache"
    log = environment / "setup-times.tsv"
    for seconds in ("0", "1.2"):  # the step run twice: the latest run counts
        subprocess.run(["bash", str(ROOT / "scripts/timed.sh"), str(log), "virtual environment", "sleep", seconds],
                       check=True)
    record_setup_step(cache, "computing the prompt prefix state (300 of 300 tokens)", 412.4)
    lines = setup_lines(Settings(cache_dir=cache), environment)
    install = [line for line in lines if line.startswith("  install: virtual environment: ")]
    assert len(install) == 1 and install[0].split(": ")[2].startswith(("1 s", "2 s"))
    assert any(line.startswith("  first use: computing the prompt prefix state (300 of 300 tokens): 412 s")
               for line in lines)
    empty = setup_lines(Settings(cache_dir=tmp_path / "none"), tmp_path / "none")
    assert empty[1] == "  none recorded (not installed by `make`?)"


def test_python_dash_m_copilot_doctor_says_what_the_cache_holds(tmp_path):
    states = tmp_path / "llm-prefix"
    states.mkdir()
    (states / "a.state").write_bytes(b"\0" * 3_000_000)
    (states / "a.sha256").write_text("stamp\n")
    (states / "b.partial.state").write_bytes(b"\0" * 1_000_000)
    env = dict(os.environ, COPILOT_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "copilot", "doctor"], env=env, capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "  llm-prefix/: the LLM's prompt-prefix states: 2 file(s), 4 MB (1 unfinished)" in done.stdout
    assert "Set-up steps (latest run of each):" in done.stdout
