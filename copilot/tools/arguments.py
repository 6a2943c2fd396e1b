"""Checks on the arguments an untrusted program passes to a tool, before the tool sees them.

Arguments arrive as JSON from the sandbox worker. Audio comes as handle strings (the names of the
program's inputs), never paths; numbers, strings and containers are size-capped. Every message is
written for the program's author (the LLM), saying what to pass instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from copilot.audio import Audio
from copilot.errors import ToolError
from copilot.tools.tool import Param, Tool

MAX_STRING = 20_000
MAX_ITEMS = 1_000


def validate_arguments(tool: Tool, raw: Mapping[str, Any], audio: Mapping[str, Audio]) -> dict[str, Any]:
    """Check JSON arguments from an untrusted program; map audio handles to :class:`Audio`.

    Raises :class:`ToolError` with a message meant for the program's author (the LLM).
    """
    known = {p.name: p for p in tool.params}
    unknown = set(raw) - set(known)
    if unknown:
        raise ToolError(f"{tool.name}() got unexpected argument(s) {sorted(unknown)}; "
                        f"it takes {list(known)}")
    out: dict[str, Any] = {}
    for p in tool.params:
        if p.name not in raw:
            if p.required:
                raise ToolError(f"{tool.name}() is missing the argument {p.name!r}")
            continue
        out[p.name] = _check_value(tool.name, p, raw[p.name], audio)
    return out


def _check_value(tool: str, p: Param, value: Any, audio: Mapping[str, Audio]) -> Any:
    where = f"{tool}({p.name}=...)"
    if "Audio" in p.annotation:
        if isinstance(value, list) and p.annotation.startswith("list"):
            if len(value) > 64:
                raise ToolError(f"{where}: at most 64 recordings per call")
            return [_audio_handle(where, v, audio) for v in value]
        if value is None and not p.required:
            return None
        return _audio_handle(where, value, audio)
    _check_plain(where, value, depth=0)
    _check_type(where, p.annotation, value)
    return value


_PLAIN_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "list": (list,), "dict": (dict,),
    "None": (type(None),),
}


def _check_type(where: str, annotation: str, value: Any) -> None:
    """Check a JSON value against a simple annotation such as ``str | None`` or ``list[str]``."""
    allowed = [part.strip().split("[", 1)[0] for part in annotation.split("|")]
    if any(a not in _PLAIN_TYPES for a in allowed):
        return  # an annotation we do not model (Any, a custom type): the plain-data checks suffice
    for name in allowed:
        if isinstance(value, _PLAIN_TYPES[name]) and not (name in ("int", "float") and isinstance(value, bool)):
            return
    raise ToolError(f"{where}: expected {annotation}, got {type(value).__name__}")


def _audio_handle(where: str, value: Any, audio: Mapping[str, Audio]) -> Audio:
    if isinstance(value, str) and value in audio:
        return audio[value]
    shown = value if isinstance(value, str) and len(value) < 80 else type(value).__name__
    raise ToolError(f"{where}: expected one of the audio inputs {sorted(audio)}, got {shown!r}; "
                    "pass the audio argument your main() received, not a path")


def _check_plain(where: str, value: Any, depth: int) -> None:
    if depth > 4:
        raise ToolError(f"{where}: value is nested too deeply")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ToolError(f"{where}: numbers must be finite")
        if abs(value) > 1e9:
            raise ToolError(f"{where}: number {value} is out of range")
        return
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise ToolError(f"{where}: text longer than {MAX_STRING} characters")
        return
    if isinstance(value, list):
        if len(value) > MAX_ITEMS:
            raise ToolError(f"{where}: more than {MAX_ITEMS} items")
        for item in value:
            _check_plain(where, item, depth + 1)
        return
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            raise ToolError(f"{where}: more than {MAX_ITEMS} items")
        for k, v in value.items():
            if not isinstance(k, str):
                raise ToolError(f"{where}: dictionary keys must be strings")
            _check_plain(where, v, depth + 1)
        return
    raise ToolError(f"{where}: unsupported value of type {type(value).__name__}")
