"""``copilot doctor``: what this machine gives speech-copilot: sandbox layers, backends, LLM, cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from copilot.errors import CopilotError


def sandbox_lines(setting: str) -> list[str]:
    from copilot.sandbox import layers
    from copilot.sandbox.host import probe

    report = probe()
    strong, why = layers.strong_layers(report)
    lines = [f"Sandbox: {layers.mode(report)} mode; {why}",
             f"  setting sandbox = {setting!r}" + ("" if strong else
                                                    ("  (generated code is refused)" if setting == "strict"
                                                     else "  (generated code runs with a warning)"))]
    lines += [f"  {'-' if _refused(entry) else '+'} {entry}" for entry in report]
    return lines


def _refused(entry: str) -> bool:
    return entry.startswith(("no ", "still root")) or "refused" in entry.split(":")[0] or "kept" in entry


def backend_lines(toolset: str) -> list[str]:
    from copilot.tools import Runtime, load_toolset
    from copilot.tools.backends import registered_backends

    runtime = Runtime()
    load_toolset(toolset)  # registers the toolset's backends
    lines = ["Backends (capability: the one used here, or why none can run):"]
    for capability in sorted(registered_backends()):
        try:
            lines.append(f"  + {capability}: {runtime.resolve(capability).name}")
        except CopilotError as exc:
            lines.append(f"  - {capability}: {exc}")
    return lines


def llm_lines(settings) -> list[str]:
    if settings.llm != "local":
        where = settings.llm_base_url or "the provider's default URL"
        return [f"LLM: {settings.llm} (model {settings.llm_model or 'default'}, at {where}; not contacted)"]
    from copilot import assets

    try:
        parts = [part.locate() for part in assets.QWEN_CODER_1_5B.parts]
    except CopilotError as exc:
        return [f"LLM: local (embedded Qwen2.5-Coder-1.5B): unavailable: {exc}"]
    joined = settings.cache_dir / "assets" / assets.QWEN_CODER_1_5B.name
    state = "joined in the cache" if joined.is_file() else "joined on first use"
    return [f"LLM: local (embedded Qwen2.5-Coder-1.5B): {len(parts)} weight parts installed, {state}"]


def cache_lines(settings) -> list[str]:
    root: Path = settings.cache_dir
    if not root.is_dir():
        return [f"Cache: {root} (not created yet){'' if settings.disk_cache else '; disk cache off'}"]
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    free = shutil.disk_usage(root).free
    return [f"Cache: {root}: {size / 1e6:.1f} MB used, {free / 1e9:.1f} GB free"
            + ("" if settings.disk_cache else "; disk cache off")]


@click.command()
def doctor() -> None:
    """Report what runs here: the sandbox layers the kernel grants (and the `sandbox` setting), the
    tool backends, the LLM and the cache. Nothing is downloaded or contacted.

    \b
    Example:
      copilot doctor
    """
    from copilot.config import load_settings

    try:
        settings = load_settings()
        sections = [sandbox_lines(settings.sandbox), backend_lines(settings.toolset), llm_lines(settings),
                    cache_lines(settings)]
    except CopilotError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("\n\n".join("\n".join(lines) for lines in sections))
