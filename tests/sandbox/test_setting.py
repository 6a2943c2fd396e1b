"""The ``sandbox`` setting and ``copilot doctor``: what runs where the kernel layers are missing."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from copilot.api import Copilot
from copilot.audio import Audio
from copilot.cli import main
from copilot.config import Settings
from copilot.errors import ConfigError, CopilotError
from copilot.sandbox import host, layers
from copilot.testing.llm import ScriptedLLM

PROGRAM = "```python\ndef main(audio):\n    return 'yes' if audio_properties(audio)['duration_s'] > 0 else 'no'\n```"
# What a worker reports on a machine with no user namespaces, no Landlock and no libseccomp.
WEAK = ("no namespaces (unshare refused: Operation not permitted; with a user namespace: Operation not permitted)",
        "rlimit_cpu=30", "no chroot (refused: Operation not permitted)", "uid=1000 (not root: kept)",
        "no_new_privs", "no landlock (the kernel has none)", "no seccomp (libseccomp.so.2 not found)")


@pytest.fixture()
def weak_machine(monkeypatch):
    monkeypatch.setattr(host, "_PROBED", [WEAK])
    monkeypatch.setattr(host, "_WARNED", [])


def _ask(tmp_path, setting: str):
    copilot = Copilot(llm=ScriptedLLM([PROGRAM]), settings=Settings(cache_dir=tmp_path, disk_cache=False,
                                                                     sandbox=setting),
                      retrieval=False)
    t = np.arange(16_000) / 16_000
    tone = Audio.from_array(0.3 * np.sin(2 * np.pi * 220 * t), 16_000, source="tone.wav")
    return copilot.ask("Is anyone there? The answer could be yes or no.", [tone])


def test_this_machine_has_strong_layers():
    strong, why = layers.strong_layers(host.probe())
    assert strong, why
    assert layers.mode(host.probe()) in (layers.ROOT_MODE, layers.USER_NAMESPACE, layers.NO_NAMESPACE)


def test_strong_layers_reads_each_mode():
    assert layers.strong_layers(WEAK) == (False, "only the policy and the rlimits keep programs from files and "
                                                 "network")
    assert layers.strong_layers(WEAK[:-1] + ("seccomp: 90 calls refused (files, ...)",))[0]
    landlock_only = WEAK[:-2] + ("landlock abi 3: files",)
    assert layers.strong_layers(landlock_only) == (False, "only the policy and the rlimits keep programs from "
                                                          "network")


def test_strict_refuses_to_run_generated_code_on_a_weak_machine(tmp_path, weak_machine):
    with pytest.raises(CopilotError, match='sandbox = "strict": refusing to run generated code here'):
        _ask(tmp_path, "strict")


def test_default_warns_once_and_runs(tmp_path, weak_machine):
    with pytest.warns(host.SandboxWarning, match="SANDBOX WEAK"):
        assert _ask(tmp_path, "warn").answer == "yes"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _ask(tmp_path, "warn").answer == "yes"  # once per process, not per Copilot


def test_strict_runs_where_the_layers_hold(tmp_path):
    assert _ask(tmp_path, "strict").answer == "yes"


def test_unknown_setting_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="sandbox='loose' must be one of warn, strict"):
        _ask(tmp_path, "loose")


def test_doctor_reports_the_layers_of_this_machine(monkeypatch, tmp_path):
    monkeypatch.setenv("COPILOT_CACHE_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 0, result.output
    report = host.probe()
    assert f"Sandbox: {layers.mode(report)} mode; kernel layers keep programs from files and the network" \
        in result.output
    assert all(entry in result.output for entry in report)
    assert "Backends" in result.output and "LLM: local" in result.output and f"Cache: {tmp_path}" in result.output


def test_doctor_on_a_weak_machine_says_what_strict_would_do(monkeypatch, tmp_path, weak_machine):
    monkeypatch.setenv("COPILOT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("COPILOT_SANDBOX", "strict")
    result = CliRunner().invoke(main, ["doctor"])
    assert "only the policy and the rlimits keep programs from files and network" in result.output
    assert "setting sandbox = 'strict'  (generated code is refused)" in result.output
    assert "  - no seccomp (libseccomp.so.2 not found)" in result.output
