"""The command line: ``copilot ask``, ``copilot tools``, ``copilot toolset``, ``copilot bench``.

Every user error (bad audio, missing package, unavailable backend, bad config) ends as one line on
stderr and exit status 1; a traceback means a bug.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

import click

from copilot.errors import CopilotError

_LLM_OPTIONS = [
    click.option("--llm", help="LLM backend: local (embedded Qwen2.5-Coder-1.5B, default), openai "
                 "(OpenAI or any OpenAI-compatible server), or langchain:<module>:<factory>. "
                 "Env: COPILOT_LLM."),
    click.option("--llm-model", help="Model name for openai-style servers (e.g. gpt-4o-mini, "
                 "qwen2.5-coder:7b). Env: COPILOT_LLM_MODEL."),
    click.option("--llm-base-url", help="Base URL of an OpenAI-compatible server "
                 "(vLLM, Ollama, llama.cpp server). Env: COPILOT_LLM_BASE_URL."),
]


def llm_options(func):
    for option in reversed(_LLM_OPTIONS):
        func = option(func)
    return func


class _Group(click.Group):
    """Turns CopilotError into one clear line and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CopilotError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="speech-copilot")
def main() -> None:
    """Answer questions about audio: an LLM writes a small program over real speech tools
    (ASR, language ID, speaker, sound events, noise, prosody, ...) and a sandbox runs it.

    Works offline with the embedded LLM; see `copilot ask --help` to start.
    """


@main.command()
@click.argument("instruction")
@click.argument("audio", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str))
@click.option("--text", help="Extra text or a word the question is about (e.g. the term to look for).")
@click.option("--option", "options", multiple=True,
              help="An allowed answer; repeat for each. Default: the options the instruction lists.")
@click.option("--show-program", is_flag=True, help="Print the program that produced the answer.")
@click.option("--trace", "trace_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the full trace (prompts' replies, every program version, tool calls) as JSON.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer, program, tool calls, timings and "
              "tokens as JSON.")
@click.option("--max-repairs", type=click.IntRange(0, 20), help="How many times a failed program goes "
              "back to the LLM for repair (default 3).")
@click.option("--max-seconds", type=float, help="Refuse audio longer than this (default 3600).")
@click.option("--no-retrieval", is_flag=True, help="Show the LLM every tool and example (slower).")
@click.option("--no-cache", is_flag=True, help="Plan a new program even if this question was seen before.")
@llm_options
def ask(instruction, audio, text, options, show_program, trace_file, as_json, max_repairs, max_seconds,
        no_retrieval, no_cache, llm, llm_model, llm_base_url) -> None:
    """Answer INSTRUCTION about one or more AUDIO files.

    \b
    Examples:
      copilot ask "What language is spoken?" examples/french.wav
      copilot ask "Is it the same speaker in both?" a.wav b.wav
      copilot ask "Does the speaker say this word?" talk.wav --text hello
    """
    from copilot.api import Copilot

    copilot = Copilot(retrieval=not no_retrieval, program_cache=not no_cache, llm=None,
                      max_repairs=max_repairs, max_audio_seconds=max_seconds, **_llm_settings(llm, llm_model,
                                                                                              llm_base_url))
    answer = copilot.ask(instruction, audio=list(audio), text=text, options=list(options) or None)
    if trace_file:
        try:
            trace_file.write_text(json.dumps(answer.to_dict(), indent=1, ensure_ascii=False))
        except OSError as exc:
            raise click.ClickException(f"cannot write the trace to {trace_file}: {exc}") from exc
    if as_json:
        click.echo(json.dumps(answer.to_dict(with_trace=False), indent=1, ensure_ascii=False))
    else:
        if show_program and answer.program:
            click.echo(_printable(answer.program.rstrip()) + "\n", err=True)
        if answer.ok:
            click.echo(_printable(answer.answer))
    if not answer.ok:
        raise click.ClickException(f"no answer after {answer.attempts} attempt(s): {answer.error}")


def _printable(text: str) -> str:
    """Answers can quote attacker-chosen audio: show control characters (terminal escapes) escaped."""
    return "".join(c if c in "\n\t" or unicodedata.category(c) != "Cc" else c.encode("unicode_escape").decode()
                   for c in text)


def _llm_settings(llm, llm_model, llm_base_url) -> dict:
    return {k: v for k, v in {"llm": llm, "llm_model": llm_model, "llm_base_url": llm_base_url}.items() if v}


@main.group(invoke_without_command=True)
@click.option("--toolset", default=None, help="Toolset name or folder (default: speech).")
@click.pass_context
def tools(ctx: click.Context, toolset: str | None) -> None:
    """List the tools, their backends and whether each backend can run here."""
    ctx.obj = toolset
    if ctx.invoked_subcommand is None:
        from copilot.tools.listing import describe_tools

        click.echo(describe_tools(toolset))


@tools.command("run")
@click.argument("name")
@click.argument("audio", nargs=-1, type=click.Path(path_type=str))
@click.option("--arg", "args", multiple=True, metavar="KEY=VALUE",
              help="Another argument; VALUE is parsed as JSON when it can be (--arg top_k=5).")
@click.pass_obj
def tools_run(toolset: str | None, name: str, audio: tuple[str, ...], args: tuple[str, ...]) -> None:
    """Call tool NAME on AUDIO file(s) directly and print its JSON result."""
    from copilot.tools.listing import run_tool

    click.echo(json.dumps(run_tool(toolset, name, list(audio), list(args)), indent=1, ensure_ascii=False))


def _add_feature_groups() -> None:
    """Command groups that live beside their feature's code."""
    from copilot.analyser.cli import toolset
    from copilot.doctor import doctor
    from copilot.suites.cli import bench
    from copilot.ui.cli import ui

    main.add_command(toolset)
    main.add_command(bench)
    main.add_command(doctor)
    main.add_command(ui)


_add_feature_groups()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
