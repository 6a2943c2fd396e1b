"""`copilot tools`: what the toolset offers, which backend each capability uses here, and why not."""

from __future__ import annotations

import json
from typing import Any

from copilot.audio import load_audio
from copilot.config import Settings
from copilot.errors import CopilotError, ToolError
from copilot.tools.arguments import validate_arguments
from copilot.tools.backends import Runtime, registered_backends, use_runtime
from copilot.tools.toolset import load_toolset


def describe_tools(toolset: str | None = None) -> str:
    runtime = Runtime()
    ts = load_toolset(toolset or runtime.settings.toolset)
    lines = [f"Toolset {ts.name!r}: {len(ts)} tools ({ts.path})", ""]
    width = max(len(t.name) for t in ts)
    for t in ts:
        uses = f"  [uses {', '.join(t.uses)}]" if t.uses else ""
        lines.append(f"  {t.name:<{width}}  {t.summary}{uses}")
    lines += ["", "Backends (* = chosen here; configure with COPILOT_BACKEND_<CAPABILITY>=<name>):"]
    for capability, options in sorted(registered_backends().items()):
        try:
            chosen = runtime.resolve(capability).name
        except CopilotError:
            chosen = None
        lines.append(f"  {capability}  (setting: {runtime.choice(capability)})")
        for cls in sorted(options.values(), key=lambda b: -b.quality):
            reason = cls.check(runtime)
            mark = "*" if cls.name == chosen else " "
            where = "offline" if cls.offline else "hub"
            state = "available" if reason is None else f"unavailable: {reason}"
            lines.append(f"   {mark} {cls.name:<28} {where:<7} {state}")
    return "\n".join(lines)


def _parse_arg(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise CopilotError(f"--arg {text!r}: expected KEY=VALUE")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def run_tool(toolset: str | None, name: str, audio_paths: list[str], args: list[str],
             settings: Settings | None = None) -> Any:
    """Call one tool as a program would: audio handles in, validated arguments, JSON out."""
    runtime = Runtime(settings)
    ts = load_toolset(toolset or runtime.settings.toolset)
    if name not in ts.tools:
        raise CopilotError(f"no tool {name!r}; `copilot tools` lists them")
    tool = ts[name]
    recordings = {f"audio_{i}": load_audio(p, runtime.settings.max_audio_seconds)
                  for i, p in enumerate(audio_paths, 1)}
    raw: dict[str, Any] = dict(_parse_arg(a) for a in args)
    audio_params = list(tool.audio_params)
    handles = list(recordings)
    if audio_params and audio_params[0] not in raw:
        param = next(p for p in tool.params if p.name == audio_params[0])
        if param.annotation.startswith("list"):
            raw[param.name] = handles
        else:
            for pname, handle in zip(audio_params, handles):
                raw.setdefault(pname, handle)
    try:
        kwargs = validate_arguments(tool, raw, recordings)
    except ToolError as exc:
        raise CopilotError(str(exc)) from exc
    with use_runtime(runtime):
        return tool(**kwargs)
