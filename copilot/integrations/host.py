"""Hosting the tools outside the planner: JSON argument schemas, audio paths checked, calls, answers.

The tool framework gives each tool's name, docstring and typed parameters; here they become a JSON
schema in which audio is a local file path. A path is checked exactly as ``copilot ask`` checks it
(:func:`copilot.audio.load_audio`: local files only, no URLs or ffmpeg protocols) and, when the host
names allowed folders, must resolve (symlinks followed) inside one of them. LangChain, the MCP
server use this module, so nothing about a tool is kept twice.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copilot.audio import Audio, load_audio
from copilot.errors import CopilotError
from copilot.tools import Tool
from copilot.tools.bridge import ToolBridge

if TYPE_CHECKING:
    from copilot.api import Copilot

ASK = "ask"
_AUDIO_NOTE = "Path of a local audio file (wav, flac, mp3, ...); URLs are refused."
_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "list": "array",
               "dict": "object", "None": "null", "Audio": "string"}


@dataclass(frozen=True)
class HostedTool:
    """One callable as another host sees it: a name, what it does, and a JSON schema of its arguments."""

    name: str
    description: str
    schema: dict[str, Any]


def _type_schema(annotation: str) -> dict[str, Any]:
    """JSON schema of an annotation such as ``str | None`` or ``list[Audio]``; {} (any) when unknown."""
    options = []
    for part in (p.strip() for p in annotation.split("|")):
        base, _, inner = part.partition("[")
        json_type = _JSON_TYPES.get(base.strip())
        if json_type is None:
            return {}
        entry: dict[str, Any] = {"type": json_type}
        if json_type == "array" and inner:
            items = _type_schema(inner.removesuffix("]"))
            if items:
                entry["items"] = items
        options.append(entry)
    return options[0] if len(options) == 1 else {"anyOf": options}


def tool_schema(tool: Tool) -> dict[str, Any]:
    """The JSON schema of a tool's arguments, audio parameters as file paths."""
    properties: dict[str, Any] = {}
    for p in tool.params:
        entry = _type_schema(p.annotation)
        description = p.description
        if p.name in tool.audio_params:
            description = f"{description} {_AUDIO_NOTE}".strip()
        entry["description"] = description
        if not p.required and p.default is not None:
            entry["default"] = p.default
        properties[p.name] = entry
    return {"type": "object", "properties": properties,
            "required": [p.name for p in tool.params if p.required], "additionalProperties": False}


ASK_SCHEMA = {
    "type": "object",
    "properties": {
        "question": {"type": "string", "description": "The question about the recordings."},
        "audio": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                  "description": f"The recordings, in the order the question refers to them. {_AUDIO_NOTE}"},
        "text": {"type": "string", "description": "Extra text or a word the question is about."},
        "options": {"type": "array", "items": {"type": "string"},
                    "description": "The allowed answers (default: those the question lists)."},
    },
    "required": ["question", "audio"],
    "additionalProperties": False,
}
ASK_DESCRIPTION = ("Answer a question about local audio files: an LLM writes a small program over the speech "
                   "tools and a sandbox runs it. Returns the answer, the program and every tool call. Slower "
                   "than calling one speech tool; use it when no single tool answers the question.")


class ToolHost:
    """The toolset and ``ask`` of one :class:`~copilot.api.Copilot`, callable with JSON arguments.

    Args:
        copilot: the Copilot whose runtime (loaded models, caches, LLM) the calls share; default: a new
            one from the settings, with ``settings`` as overrides.
        allow: folders audio paths must lie in (symlinks resolved); ``None``: any local file.
    """

    def __init__(self, copilot: Copilot | None = None, *, allow: Sequence[str | Path] | None = None,
                 **settings: Any) -> None:
        if copilot is None:
            from copilot.api import Copilot

            copilot = Copilot(**settings)
        self.copilot = copilot
        self.allowed = None if allow is None else tuple(_allowed_dir(d) for d in allow)

    def tools(self, include_ask: bool = True) -> list[HostedTool]:
        hosted = [HostedTool(t.name, inspect.getdoc(t.func) or t.summary, tool_schema(t)) for t in self.copilot.toolset]
        return hosted + ([HostedTool(ASK, ASK_DESCRIPTION, ASK_SCHEMA)] if include_ask else [])

    def call(self, name: str, arguments: Mapping[str, Any]) -> Any:
        """Run one tool (or ``ask``) on JSON arguments; the result is JSON data. User errors raise CopilotError."""
        if not isinstance(arguments, Mapping):
            raise CopilotError(f"{name}: arguments must be an object of names to values")
        if name == ASK:
            return self.ask(**_only(arguments, ASK_SCHEMA))
        tool = self.copilot.toolset.tools.get(name)
        if tool is None:
            raise CopilotError(f"no tool {name!r}; the tools are {sorted(self.copilot.toolset.tools)}")
        raw = dict(arguments)
        recordings: dict[str, Audio] = {}
        for param in tool.audio_params:
            value = raw.get(param)
            if isinstance(value, list):
                raw[param] = [self._handle(v, recordings) for v in value]
            elif value is not None:
                raw[param] = self._handle(value, recordings)
        return ToolBridge(self.copilot.toolset.tools, recordings, self.copilot.runtime)(name, raw).value

    def ask(self, question: str, audio: Sequence[str], text: str | None = None,
            options: Sequence[str] | None = None) -> dict[str, Any]:
        if isinstance(audio, str):
            audio = [audio]
        if not isinstance(question, str) or not isinstance(audio, Sequence) or (
                text is not None and not isinstance(text, str)):
            raise CopilotError("ask takes a question (text), audio (a list of file paths) and optional text")
        recordings = [self.load(path) for path in audio]
        answer = self.copilot.ask(question, audio=recordings, text=text, options=list(options) if options else None)
        return answer.to_dict(with_trace=False)

    def load(self, path: Any) -> Audio:
        """Decode an audio path the way the CLI does, after checking it lies in an allowed folder."""
        if not isinstance(path, str):
            raise CopilotError(f"audio must be given as a file path, got {type(path).__name__}")
        if self.allowed is not None:
            resolved = Path(path).expanduser().resolve()
            if not any(resolved.is_relative_to(folder) for folder in self.allowed):
                shown = ", ".join(str(f) for f in self.allowed) or "none"
                raise CopilotError(f"{path}: outside the allowed folders ({shown}); "
                                   "the server's --allow DIR names the folders it may read")
        return load_audio(path, self.copilot.settings.max_audio_seconds)

    def _handle(self, path: Any, recordings: dict[str, Audio]) -> str:
        handle = f"audio_{len(recordings) + 1}"
        recordings[handle] = self.load(path)
        return handle


def _allowed_dir(folder: str | Path) -> Path:
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise CopilotError(f"--allow {folder}: no such folder")
    return path.resolve()


def _only(arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(arguments) - set(schema["properties"])
    if unknown:
        raise CopilotError(f"unexpected argument(s) {sorted(unknown)}; expected {list(schema['properties'])}")
    missing = [name for name in schema["required"] if name not in arguments]
    if missing:
        raise CopilotError(f"missing argument(s) {missing}")
    return dict(arguments)

