"""The command line: ``copilot ask``, ``tools``, ``config``, ``mcp``, ``toolset``, ``bench``.

Every user error (bad audio, missing package, unavailable backend, bad config) ends as one line on
stderr (a JSON object on stdout under ``--json``) and exit status 1; a traceback means a bug. Every
command takes ``-v``/``-q``; every command that uses an LLM takes ``--llm``, ``--llm-model`` and
``--llm-base-url`` (:mod:`copilot.cli_flags`). A command group that lives beside its feature is
added with one ``main.add_command(...)`` line at the end of this file.
"""

from __future__ import annotations

import json
import logging
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import click

from copilot.cli_flags import (
    PhaseSpinner,
    add_verbosity,
    error_record,
    json_option,
    llm_options,
    wants_json_errors,
)
from copilot.errors import CopilotError

log = logging.getLogger(__name__)


class _Group(click.Group):
    """Gives every added command -v/-q; turns CopilotError into one clear line (or JSON) and exit 1."""

    group_class = type  # subgroups (tools, config) are _Groups too

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(cmd, name)
        add_verbosity(cmd)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (CopilotError, click.ClickException) as exc:
            if wants_json_errors(ctx) and not isinstance(exc, click.UsageError):
                click.echo(json.dumps(error_record(exc), ensure_ascii=False))
                ctx.exit(1)
            if isinstance(exc, CopilotError):
                raise click.ClickException(str(exc)) from exc
            raise


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("speech-copilot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        from copilot import __version__

        return __version__


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), "-V", "--version", prog_name="copilot", message="%(prog)s %(version)s")
def main() -> None:
    """Answer questions about audio: an LLM writes a small program over real speech tools
    (ASR, language ID, speaker, sound events, noise, prosody, ...) and a sandbox runs it.

    Works offline with the embedded LLM; see `copilot ask --help` to start.

    \b
    Example:
      copilot ask "How many different people are speaking?" examples/phone_call.flac
    """


add_verbosity(main)


# -- ask --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Question:
    instruction: str
    audio: list[str]
    text: str | None
    options: list[str] | None
    where: str  # "line 3 of questions.txt", for error lines


def _read_questions(stream: IO[str], audio: list[str], text: str | None,
                    options: list[str] | None) -> Iterator[_Question]:
    """One question per line, or one JSON object per line: {"question", "audio", "text", "options"};
    what a line leaves out comes from the command line. Blank lines and lines starting with # are skipped."""
    name = getattr(stream, "name", "<stdin>")
    for number, line in enumerate(stream, 1):
        line = line.strip()
        where = f"line {number} of {'stdin' if name in ('-', '<stdin>') else name}"
        if not line or line.startswith("#"):
            continue
        if not line.startswith("{"):
            yield _Question(line, audio, text, options, where)
            continue
        try:
            raw = json.loads(line)
            question = raw.get("question", raw.get("instruction"))
            files = raw.get("audio", audio)
            files = [files] if isinstance(files, str) else files
            extra_text, choices = raw.get("text", text), raw.get("options", options)
            if not isinstance(question, str) or not _strings(files) or not (extra_text is None or isinstance(
                    extra_text, str)) or not (choices is None or _strings(choices)):
                raise ValueError('expected {"question": "...", "audio": ["file", ...], "text": "...", '
                                 '"options": ["...", ...]}')
            yield _Question(question, files, extra_text, choices, where)
        except (ValueError, AttributeError) as exc:
            raise CopilotError(f"{where}: not a question ({exc})") from exc


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


@main.command()
@click.argument("words", nargs=-1, metavar="INSTRUCTION AUDIO...")
@click.option("--questions", type=click.File("r"), metavar="FILE|-",
              help="Answer every question in FILE (- for stdin) on one loaded Copilot: one question per line "
                   "(asked of the AUDIO files given), or one JSON object per line "
                   '({"question": "...", "audio": ["a.wav"], "text": ..., "options": [...]}).')
@click.option("--text", help="Extra text or a word the question is about (e.g. the term to look for).")
@click.option("--option", "options", multiple=True,
              help="An allowed answer; repeat for each. Default: the options the instruction lists.")
@click.option("--show-program", is_flag=True, help="Print the program that produced the answer (to stderr).")
@click.option("--trace", "trace_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the full trace (the LLM's replies, every program version, tool calls) as JSON "
                   "(one line per question with --questions).")
@json_option("Print the answer, program, tool calls (with the backend each used), the LLM, timings and "
             "tokens as JSON (one line per question with --questions); errors are JSON too.")
@click.option("--max-repairs", type=click.IntRange(0, 20), help="How many times a failed program goes "
              "back to the LLM for repair (default 3).")
@click.option("--max-seconds", type=float, help="Refuse audio longer than this (default 3600).")
@click.option("--retrieval", is_flag=True, help="Show the LLM only the tools and examples most like the question: a "
              "shorter prompt, but prefilled anew for every question (default: the static prompt, whose prefix "
              "the embedded model keeps).")
@click.option("--no-store", is_flag=True, help="Plan a new program: neither use nor keep programs in the "
              "program store (its tasks and the paraphrase library).")
@llm_options
def ask(words, questions, text, options, show_program, trace_file, as_json, max_repairs, max_seconds,
        retrieval, no_store, llm_flags) -> None:
    """Answer INSTRUCTION about one or more AUDIO files (local files: wav, flac, mp3, m4a, ...).

    \b
    Examples:
      copilot ask "How many different people are speaking?" examples/phone_call.flac
      copilot ask "What language is spoken?" examples/french.flac --json
      copilot ask "Is it the same speaker in both?" examples/reading.flac examples/phone_call.flac
      copilot ask "Does the speaker say this word?" examples/reading.flac --text dashwood
      copilot ask "What is said?" examples/reading.flac --llm openai --llm-model gpt-4o-mini
      copilot ask --questions examples/questions.txt examples/phone_call.flac --json
    """
    from copilot.api import Copilot

    chosen = list(options) or None
    single = questions is None
    if single:
        if len(words) < 2:
            raise click.UsageError("give an INSTRUCTION and at least one AUDIO file (or --questions FILE)")
        jobs: Iterable[_Question] = [_Question(words[0], list(words[1:]), text, chosen, "the question")]
    else:
        jobs = _read_questions(questions, list(words), text, chosen)
    copilot = Copilot(retrieval=retrieval, store_programs=not no_store, max_repairs=max_repairs,
                      max_audio_seconds=max_seconds, **llm_flags)
    records = []
    for number, job in enumerate(jobs, 1):
        if not single:
            log.info("question %d (%s): %s", number, job.where, job.instruction[:100])
        try:
            if not job.audio:
                raise CopilotError(f"{job.where}: no audio file (give AUDIO files, or \"audio\" in the line)")
            with PhaseSpinner() as spinner:
                answer = copilot.ask(job.instruction, audio=job.audio, text=job.text, options=job.options,
                                     on_phase=spinner)
        except CopilotError as exc:
            if single:
                raise
            record = {"ok": False, "error": str(exc), "error_type": type(exc).__name__}
        else:
            record = answer.to_dict()
            if show_program and answer.program:
                click.echo(_printable(answer.program.rstrip()) + "\n", err=True)
        records.append(record)
        _show(job, record, as_json, single)
    _write_trace(trace_file, records, single)
    if single and not records[0]["ok"] and not as_json:
        raise click.ClickException(_failure(records[0]))
    if not all(r["ok"] for r in records):
        raise SystemExit(1)


def _failure(record: dict) -> str:
    if "attempts" in record:
        return f"no answer after {record['attempts']} attempt(s): {record['error']}"
    return record["error"]


def _show(job: _Question, record: dict, as_json: bool, single: bool) -> None:
    """One answer: JSON (one line per question in a batch) or the answer's text; batch errors on stderr."""
    if as_json:
        shown = {k: v for k, v in record.items() if k != "trace"}
        if not single:
            shown = {"question": job.instruction, "audio": job.audio, **shown}
        click.echo(json.dumps(shown, indent=1 if single else None, ensure_ascii=False))
    elif record["ok"]:
        click.echo(_printable(record["answer"] or ""))
        where = "" if single else f"{job.where}: "
        for caveat in record.get("caveats") or []:
            click.echo(f"{where}caveat: {_printable(caveat)}", err=True)  # shown even with -q: it qualifies the answer
        log.info("%ssource: %s", where, _source(record))
    elif not single:
        click.echo("")  # one output line per question, so answers stay aligned with the questions
        click.echo(f"{job.where}: {_failure(record)}", err=True)


def _source(record: dict) -> str:
    """Where the answer's program came from, in words."""
    if record.get("source") == "cache":
        return "store (a program planned earlier for this task)"
    if record.get("source") == "library":
        return f"library (a program planned for {_printable(record.get('source_instruction') or '')!r})"
    return str(record.get("source"))


def _write_trace(trace_file: Path | None, records: list[dict], single: bool) -> None:
    if not trace_file:
        return
    text = json.dumps(records[0], indent=1, ensure_ascii=False) if single \
        else "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    try:
        trace_file.write_text(text)
    except OSError as exc:
        raise click.ClickException(f"cannot write the trace to {trace_file}: {exc}") from exc


def _printable(text: str) -> str:
    """Answers can quote attacker-chosen audio: show control characters (terminal escapes) escaped."""
    return "".join(c if c in "\n\t" or unicodedata.category(c) != "Cc" else c.encode("unicode_escape").decode()
                   for c in text)


# -- tools ------------------------------------------------------------------------------------------
@main.group(invoke_without_command=True)
@click.option("--toolset", default=None, help="Toolset name or folder (default: speech).")
@click.pass_context
def tools(ctx: click.Context, toolset: str | None) -> None:
    """List the tools, their backends and whether each backend can run here.

    \b
    Example:
      copilot tools
    """
    ctx.obj = toolset
    if ctx.invoked_subcommand is None:
        from copilot.tools.listing import describe_tools

        click.echo(describe_tools(toolset))


@tools.command("run")
@click.argument("name")
@click.argument("audio", nargs=-1, type=click.Path(path_type=str))
@click.option("--arg", "args", multiple=True, metavar="KEY=VALUE",
              help="Another argument; VALUE is parsed as JSON when it can be (--arg top_k=5).")
@llm_options
@click.pass_obj
def tools_run(toolset: str | None, name: str, audio: tuple[str, ...], args: tuple[str, ...], llm_flags: dict) -> None:
    """Call tool NAME on AUDIO file(s) directly and print its JSON result (query_llm uses the --llm flags).

    \b
    Examples:
      copilot tools run count_speakers examples/phone_call.flac
      copilot tools run identify_language examples/french.flac --arg 'candidates=["English","French"]'
      copilot tools run query_llm --arg 'prompt="Is a cat an animal? yes or no"' --llm openai
    """
    from copilot.config import load_settings
    from copilot.tools.listing import run_tool

    result = run_tool(toolset, name, list(audio), list(args), load_settings(**llm_flags))
    click.echo(json.dumps(result, indent=1, ensure_ascii=False))


# -- config -----------------------------------------------------------------------------------------
@main.group()
def config() -> None:
    """The effective settings and where each came from.

    \b
    Example:
      copilot config show
    """


@config.command("show")
@json_option("Print the settings as a JSON object of name -> {value, source}.")
@llm_options
def config_show(as_json: bool, llm_flags: dict) -> None:
    """Print every setting, its value and where it came from: default, the config file, an environment
    variable or a flag. Secrets are masked.

    \b
    Examples:
      copilot config show
      COPILOT_LLM=openai copilot config show --llm-model gpt-4o-mini --json
    """
    from copilot.config import config_path, describe_settings

    rows = describe_settings(**llm_flags)
    if as_json:
        click.echo(json.dumps({name: {"value": value, "source": source} for name, value, source in rows},
                              indent=1, ensure_ascii=False))
        return
    path = config_path()
    click.echo(f"# config file: {path}{'' if path.is_file() else ' (absent)'}")
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        click.echo(f"{name:<{width}}  {json.dumps(value, ensure_ascii=False):<40}  {source}")


# -- store ------------------------------------------------------------------------------------------
def _program_store():
    from copilot.config import load_settings
    from copilot.planner.store import ProgramStore

    return ProgramStore(load_settings().cache_dir / "programs")


@main.group()
def store() -> None:
    """The program store: one program per task, found again for paraphrases (the library).

    \b
    Examples:
      copilot store list
      copilot store show 3f2a9c
      copilot store clear --yes
    """


@store.command("list")
@json_option("Print the entries as JSON lines.")
def store_list(as_json: bool) -> None:
    """One line per stored program: key, uses, failures, flag, the LLM that wrote it, the task.

    \b
    Example:
      copilot store list --json
    """
    for entry in _program_store().entries():
        if as_json:
            click.echo(json.dumps({k: v for k, v in entry.items() if k != "embedding"}, ensure_ascii=False))
            continue
        flag = "FLAGGED" if entry.get("flagged") else "ok"
        click.echo(f"{entry['key'][:12]}  {len(entry['uses']):>4} uses  {entry['failures']:>3} failed  {flag:<7}  "
                   f"{entry['llm'][:24]:<24}  {_printable(entry['instruction'][:80])}")


@store.command("show")
@click.argument("key")
def store_show(key: str) -> None:
    """Print one stored program (KEY: its key or a unique start of it) with its record.

    \b
    Example:
      copilot store show 3f2a9c
    """
    entry = _one_entry(key)
    click.echo(f"# task: {_printable(entry['instruction'])}\n# signature: {entry['signature']}  toolset: "
               f"{entry['toolset']}  llm: {entry['llm']}\n# uses: {len(entry['uses'])}  failures: "
               f"{entry['failures']}  flagged: {entry.get('flagged') or 'no'}")
    click.echo(_printable(entry["program"].rstrip()))


@store.command("clear")
@click.argument("key", required=False)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def store_clear(key: str | None, yes: bool) -> None:
    """Drop the program KEY, or every stored program when no KEY is given.

    \b
    Examples:
      copilot store clear 3f2a9c
      copilot store clear --yes
    """
    store = _program_store()
    if key:
        store.drop(_one_entry(key)["key"])
        click.echo(f"dropped {key}")
        return
    if not yes:
        click.confirm(f"drop all {len(store.entries())} stored programs?", abort=True)
    click.echo(f"dropped {store.clear()} stored programs")


def _one_entry(prefix: str) -> dict:
    found = [e for e in _program_store().entries() if e["key"].startswith(prefix)]
    if len(found) != 1:
        raise CopilotError(f"{len(found)} stored programs have a key starting with {prefix!r}; "
                           "see copilot store list")
    return found[0]


# -- mcp --------------------------------------------------------------------------------------------
@main.command()
@click.option("--allow", "allow", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="A folder whose audio files clients may name (repeatable). Paths elsewhere are refused.")
@click.option("--http", is_flag=True, help="Serve streamable HTTP on 127.0.0.1 instead of stdio.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True,
              help="Port for --http.")
@llm_options
def mcp(allow: tuple[Path, ...], http: bool, port: int, llm_flags: dict) -> None:
    """Serve the speech tools and `ask` over the Model Context Protocol (stdio, or HTTP with --http).

    \b
    Examples:
      copilot mcp --allow ~/recordings
      copilot mcp --allow examples --http --port 8765     # http://127.0.0.1:8765/mcp
    """
    from copilot.integrations.mcp_server import serve

    serve(allow=list(allow), http=http, port=port, **llm_flags)


def _add_feature_groups() -> None:
    """Command groups that live beside their feature's code: one line each."""
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
