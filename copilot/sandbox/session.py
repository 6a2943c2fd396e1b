"""One program run on the host side: start a worker, serve its tool calls, enforce deadlines, classify the end.

Tool calls are served here, in the caller's thread, never in the worker, through a ``dispatch``
callable the caller gives (``copilot.tools.bridge.ToolBridge``): the sandbox knows nothing about
tools beyond their names and argument names. Everything from the worker is untrusted bytes: frames
are size-capped and parsed as JSON only; nothing is unpickled and nothing the program made is passed
to ``str()`` or ``repr()`` here. :class:`copilot.sandbox.host.Sandbox` is the front door to this.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from copilot.errors import CopilotError, ErrorKind, SetupError
from copilot.sandbox.namespace import Printer
from copilot.sandbox.policy import CompiledProgram, compile_program
from copilot.sandbox.protocol import FrameError, FrameReader, write_frame
from copilot.sandbox.records import Limits, SandboxResult, Served, ToolCallRecord
from copilot.sandbox.worker import BOOTSTRAP


class Dispatch(Protocol):
    """What serves a program's tool calls: argument names per tool, and the call itself (its result
    and the backends that served it).

    A :class:`~copilot.errors.CopilotError` from a call goes back to the program as its ``ToolError``;
    a :class:`~copilot.errors.SetupError` ends the run (``ErrorKind.ENVIRONMENT``), since no program
    can repair a missing backend.
    """

    params: Mapping[str, Sequence[str]]

    def __call__(self, name: str, args: dict[str, Any]) -> Served: ...


class _NoTools:
    params: Mapping[str, Sequence[str]] = {}

    def __call__(self, name: str, args: dict[str, Any]) -> Served:
        raise CopilotError(f"there is no tool {name!r}; this run has no tools")


NO_TOOLS: Dispatch = _NoTools()

DEFAULT_LIMITS = Limits()
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_STDERR_TAIL = 2_000
_KEEP_ARGS_BYTES = 64_000
_MAX_MESSAGE = 4_000
# The kinds a worker may report about itself; anything else it says is a broken protocol.
_WORKER_KINDS = frozenset({"POLICY", "RUNTIME", "MEMORY", "BAD_RESULT"})


class _WorkerFailed(Exception):
    """Ends the host loop with a classified failure."""

    def __init__(self, kind: ErrorKind, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.kind, self.message, self.line = kind, message, line


def worker_environment() -> dict[str, str]:
    """The worker's whole environment: nothing inherited, so no API key or token can leak."""
    return {"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"}


def launch_worker(script: str, *args: str, cwd: str, **popen: Any) -> subprocess.Popen:
    """Start ``script`` as a worker does: ``python -I -S -B -c script <package root> *args`` in
    ``cwd``, with nothing inherited (environment, stdin) from this process."""
    return subprocess.Popen([sys.executable, "-I", "-S", "-B", "-c", script, PACKAGE_ROOT, *args],
                            cwd=cwd, env=worker_environment(), stdin=subprocess.DEVNULL, **popen)


def run_program(program: str | CompiledProgram, inputs: Mapping[str, object], dispatch: Dispatch = NO_TOOLS,
                limits: Limits = DEFAULT_LIMITS) -> SandboxResult:
    """Run ``main(**inputs)`` of a generated program in a fresh, isolated worker process.

    ``program`` is source text or what :func:`~copilot.sandbox.policy.compile_program` made of it.
    """
    started = time.monotonic()
    compiled = program if isinstance(program, CompiledProgram) else compile_program(program)
    if compiled.code is None:
        kind = ErrorKind.SYNTAX if compiled.kind == "SYNTAX" else ErrorKind.POLICY
        rule = "does not parse" if kind is ErrorKind.SYNTAX else "breaks the sandbox policy"
        return SandboxResult(ok=False, seconds=time.monotonic() - started, error_kind=kind,
                             error_message=f"the program {rule}:\n" + "\n".join(compiled.errors),
                             error_line=compiled.line)
    try:
        start = json.dumps({"inputs": dict(inputs), "limits": asdict(limits),
                            "modules": list(compiled.modules),
                            "tools": {name: list(params) for name, params in dispatch.params.items()}},
                           allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"run_program: inputs must be JSON data (audio as handle strings): {exc}") from exc
    return _Session(compiled.source, dispatch, limits, started).run(start, compiled.code)


class _Session:
    """One worker process and the host loop that serves it."""

    def __init__(self, program: str, dispatch: Dispatch, limits: Limits, started: float) -> None:
        self.lines = program.splitlines()
        self.dispatch, self.limits = dispatch, limits
        self.started = started
        self.tool_seconds = 0.0
        self.calls: list[ToolCallRecord] = []
        self.stdout = bytearray()
        self.stdout_dropped = 0
        self.stderr = b""
        self.isolation: tuple[str, ...] = ()

    def run(self, start: bytes, code: bytes) -> SandboxResult:
        workdir = tempfile.mkdtemp(prefix="copilot-sandbox-")
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        try:
            self.proc = launch_worker(BOOTSTRAP, str(to_worker_r), str(from_worker_w), cwd=workdir,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      pass_fds=(to_worker_r, from_worker_w), start_new_session=True)
        except BaseException:
            for fd in (to_worker_r, to_worker_w, from_worker_r, from_worker_w):
                os.close(fd)
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        os.close(to_worker_r)
        os.close(from_worker_w)
        self.fd_out, self.fd_in = to_worker_w, from_worker_r
        value, failure = None, None
        try:
            try:
                write_frame(self.fd_out, start)
                write_frame(self.fd_out, code)
                value = self._serve()
            except BrokenPipeError:
                value = self._serve_end()  # the worker died before reading; classify its exit
        except _WorkerFailed as exc:
            failure = exc
        finally:
            self._kill()  # also collects the output still in the pipes
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()
            os.close(self.fd_out)
            os.close(self.fd_in)
            shutil.rmtree(workdir, ignore_errors=True)
        return self._result(value, failure)

    # -- the loop ------------------------------------------------------------------------------
    def _serve(self) -> Any:
        reader = FrameReader(max(self.limits.max_call_bytes, self.limits.max_result_bytes) + 1024)
        selector = selectors.DefaultSelector()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        selector.register(self.fd_in, selectors.EVENT_READ, "msg")
        selector.register(self.proc.stdout, selectors.EVENT_READ, "out")
        selector.register(self.proc.stderr, selectors.EVENT_READ, "err")
        try:
            while True:
                events = selector.select(self._time_left())
                for key, _ in events:
                    data = os.read(key.fd, 1 << 16)
                    if key.data == "msg":
                        if not data:
                            return self._serve_end()
                        for frame in _feed(reader, data):
                            done, value = self._handle(frame)
                            if done:
                                return value
                    elif not data:
                        selector.unregister(key.fileobj)
                    else:
                        self._keep(key.data, data)
                self._check_deadlines()
        finally:
            selector.close()

    def _time_left(self) -> float:
        now = time.monotonic()
        own = self.limits.wall_s - (now - self.started - self.tool_seconds)
        total = self.limits.total_s - (now - self.started)
        return max(0.0, min(own, total))

    def _check_deadlines(self) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed >= self.limits.total_s:
            raise _WorkerFailed(ErrorKind.TIMEOUT, f"the run took more than {self.limits.total_s:g} s in total "
                                                   f"({self.tool_seconds:.1f} s of it in tool calls)")
        if elapsed - self.tool_seconds >= self.limits.wall_s:
            raise _WorkerFailed(ErrorKind.TIMEOUT, f"the program ran for more than {self.limits.wall_s:g} s of "
                                                   "wall-clock time outside tool calls")

    def _handle(self, frame: bytes) -> tuple[bool, Any]:
        message = _decode(frame)
        op = message.get("op")
        if op == "ready":
            self.isolation = tuple(item for item in message.get("isolation", ()) if isinstance(item, str))[:32]
            return False, None
        if op == "call":
            self._serve_call(message.get("tool"), message.get("args"), len(frame))
            return False, None
        if op == "done":
            return True, message.get("value")
        if op == "error":
            reported = message.get("kind")
            kind = ErrorKind[reported] if reported in _WORKER_KINDS else ErrorKind.CRASH
            line = message.get("line")
            raise _WorkerFailed(kind, _text(message.get("message")), line if type(line) is int else None)
        raise _WorkerFailed(ErrorKind.CRASH, "the worker broke the protocol")

    def _serve_call(self, name: Any, args: Any, size: int) -> None:
        began = time.monotonic()
        setup_error, served = None, Served(None)
        try:
            if not isinstance(name, str):
                raise CopilotError("tool names are strings")
            if not isinstance(args, dict):
                raise CopilotError(f"{name}(): arguments must be passed by name")
            if len(self.calls) >= self.limits.max_tool_calls:
                raise CopilotError(f"the program made more than {self.limits.max_tool_calls} tool calls")
            served = self.dispatch(name, args)
            value, error = served.value, None
        except SetupError as exc:
            value, error, setup_error = None, str(exc), exc
        except CopilotError as exc:
            value, error = None, str(exc)
        except Exception as exc:  # noqa: BLE001 - a broken tool must not take the host down
            value, error = None, f"tool {name} failed: {type(exc).__name__}: {exc}"
        seconds = time.monotonic() - began
        self.tool_seconds += seconds
        # Large arguments are not kept: a program could otherwise make the host hold
        # max_tool_calls copies of max_call_bytes.
        kept = args if size <= _KEEP_ARGS_BYTES else f"<{size} bytes of arguments, not kept>"
        self.calls.append(ToolCallRecord(name=name[:200] if isinstance(name, str) else "<not a name>", args=kept,
                                         result=value, error=error, seconds=seconds, backends=served.backends))
        if setup_error is not None:
            raise _WorkerFailed(ErrorKind.ENVIRONMENT, f"{name} cannot run here: {setup_error}")
        reply = {"ok": True, "value": value} if error is None else {"ok": False, "error": error}
        try:
            write_frame(self.fd_out, json.dumps(reply, allow_nan=False).encode())
        except BrokenPipeError:
            pass  # the worker died meanwhile; the loop sees its end next

    def _serve_end(self) -> Any:
        """The message pipe closed without a report: the worker exited or was killed."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            raise _WorkerFailed(ErrorKind.CRASH, "the worker closed its channel but did not exit") from None
        self._drain()
        if code < 0 and -code == getattr(signal, "SIGXCPU", -1):
            raise _WorkerFailed(ErrorKind.TIMEOUT, f"the program used more than {self.limits.cpu_s:g} s of CPU time")
        tail = self.stderr.decode("utf-8", "replace").strip()
        if "MemoryError" in tail:
            raise _WorkerFailed(ErrorKind.MEMORY, f"the worker ran out of memory ({self.limits.memory_mb} MB)")
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 and -code in signal.valid_signals() \
            else f"exited with status {code}"
        detail = f": {tail.splitlines()[-1]}" if tail else ""
        raise _WorkerFailed(ErrorKind.CRASH, f"the worker {how} without a result{detail}")

    # -- output and teardown ---------------------------------------------------------------------
    def _keep(self, stream: str, data: bytes) -> None:
        if stream == "err":
            self.stderr = (self.stderr + data)[-_STDERR_TAIL:]
            return
        room = max(self.limits.max_output_bytes + Printer.MARGIN - len(self.stdout), 0)
        self.stdout += data[:room]
        self.stdout_dropped += max(len(data) - room, 0)

    def _drain(self) -> None:
        """Read what the dead worker left in its pipes (nobody holds their write ends any more)."""
        for name, stream in (("out", self.proc.stdout), ("err", self.proc.stderr)):
            if stream is None or stream.closed:
                continue
            os.set_blocking(stream.fileno(), False)
            while True:
                try:
                    data = os.read(stream.fileno(), 1 << 16)
                except BlockingIOError:
                    break
                if not data:
                    break
                self._keep(name, data)

    def _kill(self) -> None:
        """Kill the worker's whole process group (while the unreaped leader still reserves its id)."""
        if self.proc.returncode is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self._drain()

    def _result(self, value: Any, failure: _WorkerFailed | None) -> SandboxResult:
        stdout = self.stdout.decode("utf-8", "replace")
        if self.stdout_dropped:
            stdout += f"\n[output truncated: {self.stdout_dropped} more bytes dropped]"
        common = dict(stdout=stdout, tool_calls=self.calls, seconds=time.monotonic() - self.started,
                      isolation=self.isolation)
        if failure is None:
            return SandboxResult(ok=True, value=value, **common)
        message = failure.message[:_MAX_MESSAGE]
        if failure.line is not None:
            source = self.lines[failure.line - 1].strip() if 0 < failure.line <= len(self.lines) else ""
            message = f"line {failure.line}: {message}" + (f"\n    {source}" if source else "")
        return SandboxResult(ok=False, error_kind=failure.kind, error_message=message, error_line=failure.line,
                             **common)


def _feed(reader: FrameReader, data: bytes) -> list[bytes]:
    try:
        return reader.feed(data)
    except FrameError as exc:
        raise _WorkerFailed(ErrorKind.BAD_RESULT, str(exc)) from None


def _decode(frame: bytes) -> dict[str, Any]:
    try:
        message = json.loads(frame, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise _WorkerFailed(ErrorKind.BAD_RESULT, f"the worker sent data that is not strict JSON: "
                                                  f"{type(exc).__name__}") from None
    if not isinstance(message, dict):
        raise _WorkerFailed(ErrorKind.CRASH, "the worker broke the protocol")
    return message


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _text(value: Any) -> str:
    return value[:_MAX_MESSAGE] if isinstance(value, str) else "(no message)"
