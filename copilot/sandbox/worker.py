"""The sandbox worker: a fresh interpreter that isolates itself, runs one program, reports, exits.

The host starts it as ``python -I -S -B -c BOOTSTRAP <root> <fd_in> <fd_out>`` with a scrubbed
environment, stdin on /dev/null and a throwaway working directory. It reads the start message and the
compiled program, then, before running any program code, applies the OS boundary: resource limits and
the kernel layers of ``layers.py`` (namespaces, an empty root, no privileges, Landlock, seccomp), each
where the kernel allows it.
Tool calls go to the host as JSON frames; the program's ``print`` output goes to stdout, which the
host reads and caps. Stdlib only, so a worker starts in tens of milliseconds.
"""

from __future__ import annotations

import json
import marshal
import os
import resource
import sys

from copilot.sandbox import layers
from copilot.sandbox.namespace import PROGRAM_FILENAME, ToolError, build_namespace, encode_json
from copilot.sandbox.protocol import read_frame, write_frame

TYPE_CHECKING = False  # typing costs the worker ~10 ms to import
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any, NoReturn

BOOTSTRAP = "import sys; sys.path.insert(0, sys.argv[1]); from copilot.sandbox.worker import main; main()"
MAX_START_BYTES = 64 << 20
_MAX_MESSAGE = 4_000


def isolate(limits: dict[str, Any], preload: list[str]) -> list[str]:
    """Apply the OS boundary to this process; return what was applied and what the OS refused.

    ``preload`` names the allow-listed modules the program imports: they load before the root
    becomes empty. The order matters: namespaces first (they need the privileges the later steps
    drop), the seccomp filter last (it refuses the calls the earlier steps make).
    """
    report = layers.unshare_namespaces()
    seccomp = layers.seccomp_filter()
    cpu = max(1, int(-(-limits["cpu_s"] // 1)))
    for name, soft, hard in (
        ("RLIMIT_CORE", 0, 0),
        ("RLIMIT_FSIZE", limits["max_file_bytes"], limits["max_file_bytes"]),
        ("RLIMIT_NOFILE", limits["max_open_files"], limits["max_open_files"]),
        ("RLIMIT_NPROC", 0, 0),
        ("RLIMIT_AS", limits["memory_mb"] << 20, limits["memory_mb"] << 20),
        ("RLIMIT_CPU", cpu, cpu + 1),
    ):
        try:
            resource.setrlimit(getattr(resource, name), (soft, hard))
            report.append(f"{name.lower()}={soft}")
        except (AttributeError, ValueError, OSError) as exc:
            report.append(f"{name.lower()} refused ({exc})")
    for name in preload:
        __import__(name)
    report.append(layers.empty_root(mount_namespace=layers.MOUNT_NAMESPACE in report))
    report.append(layers.drop_privileges(user_namespace=layers.USER_NAMESPACE in report))
    report.append(layers.no_new_privs())
    report.append(layers.parent_death_signal())  # after setuid, which clears it
    report.append(layers.landlock())
    report.append(layers.load_seccomp(seccomp))
    return report


class Worker:
    """One run: the channel to the host, the program's namespace, and the final report."""

    def __init__(self, fd_in: int, fd_out: int, start: dict[str, Any]) -> None:
        self.fd_in, self.fd_out = fd_in, fd_out
        self.limits = start["limits"]
        self.start = start

    def send(self, message: dict[str, Any]) -> None:
        write_frame(self.fd_out, encode_json(message).encode())

    def call_tool(self, name: str, args: dict[str, Any]) -> Any:
        try:
            payload = encode_json({"op": "call", "tool": name, "args": args}).encode()
        except (TypeError, ValueError, RecursionError) as exc:
            raise ToolError(f"{name}(): arguments must be JSON data (str, number, bool, None, list, dict) "
                            f"or audio handles: {exc}") from None
        if len(payload) > self.limits["max_call_bytes"]:
            raise ToolError(f"{name}(): the arguments take {len(payload)} bytes; the limit is "
                            f"{self.limits['max_call_bytes']}")
        write_frame(self.fd_out, payload)
        frame = read_frame(self.fd_in, 1 << 31)
        if frame is None:  # the host is gone
            os._exit(2)
        reply = json.loads(frame)
        if reply["ok"]:
            return reply["value"]
        raise ToolError(reply["error"])

    def violation(self, message: str) -> NoReturn:
        """A guard refused something at run time: report POLICY and end at once (uncatchable)."""
        self.fail("POLICY", message, _program_line(sys._getframe(1)))
        os._exit(0)

    def fail(self, kind: str, message: str, line: int | None) -> None:
        self.send({"op": "error", "kind": kind, "message": message[:_MAX_MESSAGE], "line": line})

    def write_output(self, data: bytes) -> None:
        os.write(1, data)

    def run(self, code: Any) -> None:
        namespace = build_namespace(self.start["tools"], self.call_tool, self.write_output,
                                    self.limits["max_output_bytes"], self.violation)
        try:
            exec(code, namespace)
            func = namespace.get("main")
            if not callable(func):
                self.fail("RUNTIME", "the program defines no function main()", None)
                return
            value = func(**self.start["inputs"])
        except MemoryError as exc:
            self.fail("MEMORY", f"MemoryError: the program needed more than the {self.limits['memory_mb']} MB "
                                "it may use", _traceback_line(exc))
            return
        except BaseException as exc:  # noqa: B036 - every failure of program code is reported
            self.fail("RUNTIME", _describe(exc), _traceback_line(exc))
            return
        self.finish(value)

    def finish(self, value: Any) -> None:
        try:
            payload = encode_json({"op": "done", "value": value}).encode()
        except (TypeError, ValueError, RecursionError) as exc:
            self.fail("BAD_RESULT", f"main() must return JSON data (dict, list, str, number, bool or None): "
                                    f"{_describe(exc)}", None)
            return
        except MemoryError:
            self.fail("MEMORY", "MemoryError while encoding the result", None)
            return
        if len(payload) > self.limits["max_result_bytes"]:
            self.fail("BAD_RESULT", f"main() returned {len(payload)} bytes of JSON; the limit is "
                                    f"{self.limits['max_result_bytes']}", None)
            return
        write_frame(self.fd_out, payload)


def _describe(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - an exception whose message itself fails
        text = "<message could not be shown>"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _program_line(frame: FrameType | None) -> int | None:
    while frame is not None:
        if frame.f_code.co_filename == PROGRAM_FILENAME:
            return frame.f_lineno
        frame = frame.f_back
    return None


def _traceback_line(exc: BaseException) -> int | None:
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == PROGRAM_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def main() -> None:
    fd_in, fd_out = int(sys.argv[2]), int(sys.argv[3])
    start_frame = read_frame(fd_in, MAX_START_BYTES)
    code_frame = read_frame(fd_in, MAX_START_BYTES)
    if start_frame is None or code_frame is None:
        os._exit(2)
    start = json.loads(start_frame)
    isolation = isolate(start["limits"], start["modules"])
    worker = Worker(fd_in, fd_out, start)
    worker.send({"op": "ready", "isolation": isolation})
    worker.run(marshal.loads(code_frame))
    os._exit(0)  # no interpreter teardown: nothing of the program's runs after the report
