"""The bridge between a sandboxed program and the tools: what the sandbox calls for each tool call.

The sandbox knows nothing about tools. It gets ``params`` (each tool's argument names, for the
worker's stubs) and a ``dispatch(name, args)`` callable. Dispatch checks the untrusted arguments,
maps audio handles to recordings, calls the tool inside the runtime that owns the models, and
names the backend that served each capability the tool uses, for the answer's record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from copilot.audio import Audio
from copilot.errors import CopilotError, ToolError
from copilot.sandbox.records import Served
from copilot.tools.arguments import validate_arguments
from copilot.tools.backends import Runtime, current_runtime, use_runtime
from copilot.tools.tool import Tool


class ToolBridge:
    """Serves one program run's tool calls against ``tools``, with ``audio`` as its inputs.

    ``runtime`` (default: the current one) owns the models and the result cache the tools use.
    """

    def __init__(self, tools: Mapping[str, Tool], audio: Mapping[str, Audio], runtime: Runtime | None = None) -> None:
        self.tools, self.audio = tools, audio
        self.runtime = runtime or current_runtime()
        self.params = {name: [p.name for p in t.params] for name, t in tools.items()}

    def __call__(self, name: str, args: dict[str, Any]) -> Served:
        """Run one call; a :class:`~copilot.errors.CopilotError` goes back to the program (or the user)."""
        tool = self.tools.get(name)
        if tool is None:
            raise ToolError(f"there is no tool {name!r}; the tools are {sorted(self.tools)}")
        checked = validate_arguments(tool, args, self.audio)
        with use_runtime(self.runtime):
            value = tool(**checked)
        backends = {}
        for capability in tool.uses:
            try:
                backends[capability] = self.runtime.resolve(capability).name
            except CopilotError:
                continue  # declared but not resolvable here: the tool did without it
        return Served(value, backends)
