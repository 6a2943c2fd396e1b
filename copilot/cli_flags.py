"""What every command shares, spelled once: the ``--llm`` family, ``-v``/``-q`` and ``--json`` errors.

``copilot.cli`` adds ``-v/--verbose`` and ``-q/--quiet`` to every command it is given (feature
groups included), so a new command gets them by being added. Commands that use an LLM take
:func:`llm_options`; commands that print JSON take :func:`json_option`, and their errors are then
JSON too.
"""

from __future__ import annotations

import functools
import itertools
import logging
import sys
import threading
import time

import click

LOGGER = "copilot"
_JSON_KEY = "copilot.json_errors"
_VERBOSITY_KEY = "copilot.verbosity"

_LLM_OPTIONS = [
    click.option("--llm", help="LLM backend: local (embedded Qwen2.5-Coder-1.5B, default), openai "
                 "(OpenAI or any OpenAI-compatible server), or langchain:<module>:<factory>. "
                 "Env: COPILOT_LLM."),
    click.option("--llm-model", help="Model name for openai-style servers (e.g. gpt-4o-mini, "
                 "qwen2.5-coder:7b). Env: COPILOT_LLM_MODEL."),
    click.option("--llm-base-url", help="Base URL of an OpenAI-compatible server "
                 "(vLLM, Ollama, llama.cpp server). Env: COPILOT_LLM_BASE_URL or OPENAI_BASE_URL."),
]


def llm_options(func):
    """Add ``--llm``, ``--llm-model``, ``--llm-base-url``; the command receives the ones given as one
    dict ``llm_flags`` (settings names to values), ready for ``load_settings(**llm_flags)``."""

    @functools.wraps(func)
    def command(*args, llm=None, llm_model=None, llm_base_url=None, **kwargs):
        given = {"llm": llm, "llm_model": llm_model, "llm_base_url": llm_base_url}
        return func(*args, llm_flags={k: v for k, v in given.items() if v}, **kwargs)

    for option in reversed(_LLM_OPTIONS):
        command = option(command)
    return command


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[_JSON_KEY] = True
    return value


def json_option(help_text: str):
    """``--json`` (passed to the command as ``as_json``); with it, an error is printed as JSON too."""
    return click.option("--json", "as_json", is_flag=True, callback=_remember_json, is_eager=True, help=help_text)


def wants_json_errors(ctx: click.Context) -> bool:
    return bool(ctx.meta.get(_JSON_KEY))


def error_record(exc: BaseException) -> dict:
    """The JSON form of a user error, printed instead of the text line under ``--json``."""
    message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
    cause = exc.__cause__ if isinstance(exc, click.ClickException) and exc.__cause__ else exc
    return {"ok": False, "error": message, "error_type": type(cause).__name__}


class _EchoHandler(logging.Handler):
    """Log lines to the current stderr (click swaps it in tests), one line per record."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: int | bool) -> None:
    levels = ctx.meta.setdefault(_VERBOSITY_KEY, {})  # shared by the group and its subcommand
    levels[param.name] = max(levels.get(param.name, 0), int(value))
    configure_logging(levels.get("verbose", 0) - levels.get("quiet", 0))


def configure_logging(verbosity: int) -> None:
    """-1: errors only; 0: progress and warnings; 1 or more: debug detail with logger names."""
    logger = logging.getLogger(LOGGER)
    handler = next((h for h in logger.handlers if isinstance(h, _EchoHandler)), None)
    if handler is None:
        handler = _EchoHandler()
        logger.addHandler(handler)
        logger.propagate = False
    level = logging.ERROR if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    logger.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s" if verbosity > 0 else "%(message)s"))
    # Other libraries' warnings: shown by default, hidden by -q, their info shown by -vv.
    logging.getLogger().setLevel(logging.ERROR if verbosity < 0 else logging.INFO if verbosity > 1 else logging.WARNING)
    logging.captureWarnings(True)


def show_progress() -> bool:
    """Progress bars follow the log level: ``-q`` turns them off."""
    return logging.getLogger(LOGGER).isEnabledFor(logging.INFO)


def add_verbosity(command: click.Command) -> None:
    """Give a command, and every subcommand of a group, ``-v`` and ``-q`` (once)."""
    names = {n for p in command.params for n in getattr(p, "opts", [])}
    if "--verbose" not in names:
        command.params += [
            click.Option(["-v", "--verbose"], count=True, expose_value=False, callback=_set_verbosity,
                         help="More detail on stderr (-vv: also other libraries' messages)."),
            click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_set_verbosity,
                         help="Only errors on stderr; no progress."),
        ]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_verbosity(sub)


class PhaseSpinner:
    """A one-line spinner on stderr naming the current step and its time ("planning 12 s").

    Only on a terminal and when progress is shown; elsewhere each step is logged at INFO (``-v``).
    Use as a context manager and pass the instance as ``on_phase``.
    """

    FRAMES = "|/-\\"

    def __init__(self) -> None:
        self.live = sys.stderr.isatty() and show_progress()
        self.phase = ""
        self._since = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, daemon=True)

    def __call__(self, phase: str) -> None:
        self.phase, self._since = phase, time.monotonic()
        if not self.live:
            logging.getLogger(LOGGER).info("%s…", phase)

    def __enter__(self) -> PhaseSpinner:
        if self.live:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self._stop.set()
            self._thread.join()
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    def _spin(self) -> None:
        for frame in itertools.cycle(self.FRAMES):
            if self._stop.wait(0.2):
                return
            if self.phase:
                sys.stderr.write(f"\r\033[K{frame} {self.phase} {time.monotonic() - self._since:.0f} s")
                sys.stderr.flush()
