"""The speech tools as LangChain ``StructuredTool``s, for an agent a user already has.

    from copilot.integrations.langchain import speech_tools
    tools = speech_tools()                       # every speech tool, plus ``ask`` (Copilot.ask)
    model = my_chat_model.bind_tools(tools)      # any LangChain / LangGraph tool-calling loop

Names, descriptions and argument schemas are the tool framework's own (through
:class:`~copilot.integrations.host.ToolHost`); audio arguments are local file paths checked as the
CLI checks them; results are JSON text. A user error (a bad path, a bad argument) comes back to the
model as the tool's error message rather than ending the agent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.tools import StructuredTool, ToolException

from copilot.errors import CopilotError
from copilot.integrations.host import HostedTool, ToolHost

if TYPE_CHECKING:
    from copilot.api import Copilot

__all__ = ["speech_tools"]


def speech_tools(copilot: Copilot | None = None, *, allow: Sequence[str | Path] | None = None,
                 include_ask: bool = True, **settings: Any) -> list[StructuredTool]:
    """LangChain tools over one Copilot (its loaded models and LLM shared by every call).

    Args:
        copilot: the Copilot to use; default: a new one from the settings, ``settings`` as overrides
            (``llm="openai"``, ``llm_model=...``).
        allow: folders audio paths must lie in (symlinks resolved); default: any local file.
        include_ask: add ``ask``, which plans and runs a whole program for a question.
    """
    host = ToolHost(copilot, allow=allow, **settings)
    return [_structured(host, hosted) for hosted in host.tools(include_ask)]


def _structured(host: ToolHost, hosted: HostedTool) -> StructuredTool:
    def run(**arguments: Any) -> str:
        try:
            return json.dumps(host.call(hosted.name, arguments), ensure_ascii=False)
        except CopilotError as exc:
            raise ToolException(str(exc)) from exc

    return StructuredTool.from_function(func=run, name=hosted.name, description=hosted.description,
                                        args_schema=hosted.schema, handle_tool_error=True)
