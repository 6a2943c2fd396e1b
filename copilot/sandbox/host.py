"""The sandbox's front door: a :class:`Sandbox` holds the limits and the ``sandbox`` setting, checks
what this machine gives a worker, and runs compiled programs.

The probe and the setting are host-side and may import anything; ``layers.py`` stays the worker's
stdlib-only kernel code.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import warnings
from collections.abc import Mapping

from copilot.errors import ConfigError, CopilotError
from copilot.sandbox.layers import strong_layers
from copilot.sandbox.policy import CompiledProgram
from copilot.sandbox.records import Limits, SandboxResult
from copilot.sandbox.session import NO_TOOLS, Dispatch, launch_worker, run_program

SETTINGS = ("warn", "strict")
_PROBE = ("import json, sys; sys.path.insert(0, sys.argv[1]); from copilot.sandbox.worker import isolate; "
          "print(json.dumps(isolate({'cpu_s': 5, 'memory_mb': 256, 'max_open_files': 16, 'max_file_bytes': 0}, [])))")
_PROBED: list[tuple[str, ...]] = []
_WARNED: list[bool] = []


class SandboxWarning(UserWarning):
    """Generated code runs with only the policy layer and rlimits between it and the machine."""


def probe() -> tuple[str, ...]:
    """What a worker gets here: the report of ``isolate()`` in a throwaway worker (cached)."""
    if not _PROBED:
        with tempfile.TemporaryDirectory(prefix="copilot-sandbox-probe-") as workdir:
            proc = launch_worker(_PROBE, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                stdout, stderr = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                stdout, stderr = proc.communicate()
        try:
            _PROBED.append(tuple(json.loads(stdout)))
        except ValueError:
            _PROBED.append((f"the probe worker failed: {(stderr.strip().splitlines() or ['?'])[-1]}",))
    return _PROBED[0]


class Sandbox:
    """Where generated programs run: ``check()`` once before the first, then ``run()`` each.

    ``setting`` is the ``sandbox`` setting: ``strict`` refuses to run programs when the kernel
    layers are missing; ``warn`` (the default) says so once, loudly, and runs them.
    """

    def __init__(self, limits: Limits | None = None, setting: str = "warn") -> None:
        self.limits = limits or Limits()
        self.setting = setting

    def check(self) -> None:
        """Apply the setting to what this machine gives a worker (``ConfigError`` for an unknown one)."""
        if self.setting not in SETTINGS:
            raise ConfigError(f"setting sandbox={self.setting!r} must be one of {', '.join(SETTINGS)}")
        strong, why = strong_layers(probe())
        if strong:
            return
        if self.setting == "strict":
            raise CopilotError(f"sandbox = \"strict\": refusing to run generated code here: {why} "
                               "(`copilot doctor` shows what this machine refuses)")
        if not _WARNED:
            _WARNED.append(True)
            warnings.warn(f"SANDBOX WEAK: {why}; generated code runs anyway (set sandbox = \"strict\" to refuse, "
                          "`copilot doctor` for details)", SandboxWarning, stacklevel=2)

    def run(self, compiled: str | CompiledProgram, inputs: Mapping[str, object],
            dispatch: Dispatch = NO_TOOLS) -> SandboxResult:
        """Run ``main(**inputs)`` of a program in a fresh worker, its tool calls served by ``dispatch``."""
        return run_program(compiled, inputs, dispatch, self.limits)
