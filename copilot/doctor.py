"""``copilot doctor``: what this machine gives speech-copilot: sandbox layers, backends, LLM, cache,
and how long each set-up step took (``make install``'s steps and the first-use ones)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from copilot.errors import CopilotError
from copilot.fileio import SETUP_LOG


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


# What each folder of the cache holds, for the report.
CACHED = {"assets": "model weights joined from their packages", "llm-prefix": "the LLM's prompt-prefix states",
          "embeddings": "the sentence-embedding model's ONNX export", "programs": "validated programs",
          "results": "tool results", "analyser-llm": "the analyser's LLM replies", "corpus": "test recordings"}
def setup_lines(settings, environment: Path = Path(sys.prefix)) -> list[str]:
    """The latest time of each step, from the install (the environment's log) and first use (the cache's)."""
    lines = []
    for where, folder in (("install", environment), ("first use", settings.cache_dir)):
        latest: dict[str, tuple[str, str]] = {}
        try:
            for row in (folder / SETUP_LOG).read_text().splitlines():
                step, seconds, when = (row.split("\t") + ["", ""])[:3]
                latest[step] = (seconds, when)
        except OSError:
            continue
        lines += [f"  {where}: {step}: {float(seconds):.0f} s ({when[:10]})" for step, (seconds, when) in latest.items()]
    return ["Set-up steps (latest run of each):", *(lines or ["  none recorded (not installed by `make`?)"])]


def cache_lines(settings) -> list[str]:
    root: Path = settings.cache_dir
    if not root.is_dir():
        return [f"Cache: {root} (not created yet){'' if settings.disk_cache else '; disk cache off'}"]
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    free = shutil.disk_usage(root).free
    lines = [f"Cache: {root}: {size / 1e6:.1f} MB used, {free / 1e9:.1f} GB free"
             + ("" if settings.disk_cache else "; disk cache off")]
    for name, what in CACHED.items():
        files = [p for p in (root / name).rglob("*") if p.is_file() and p.suffix != ".sha256"]
        if files:
            partial = sum(".partial" in p.name for p in files)
            lines.append(f"  {name}/: {what}: {len(files)} file(s), {sum(p.stat().st_size for p in files) / 1e6:.0f} MB"
                         + (f" ({partial} unfinished)" if partial else ""))
    return lines


@click.command()
def doctor() -> None:
    """Report what runs here: the sandbox layers the kernel grants (and the `sandbox` setting), the
    tool backends, the LLM, what the cache holds and how long each set-up step took. Nothing is
    downloaded or contacted.

    \b
    Example:
      copilot doctor
    """
    from copilot.config import load_settings

    try:
        settings = load_settings()
        sections = [sandbox_lines(settings.sandbox), backend_lines(settings.toolset), llm_lines(settings),
                    cache_lines(settings), setup_lines(settings)]
    except CopilotError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("\n\n".join("\n".join(lines) for lines in sections))
