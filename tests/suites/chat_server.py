"""A local OpenAI-compatible chat-completions server with scripted replies, on 127.0.0.1, and the
small instance its programs answer.

The remote LLM backend (``--llm openai --llm-base-url``) talks to it over real HTTP, so tests can
point Ray actors and ``copilot bench`` subprocesses at it, count the requests, slow it down and
stop it mid-run. Replies are programs over the real ``audio_properties`` tool, chosen from the
``Options:`` line of the planner's prompt (or by ``reply``), so every task gets a deterministic program.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from copilot.pools import load_pool
from copilot.suites.dynamic_superb import instance_items
from copilot.suites.items import BenchItem
from copilot.testing import bench_fixtures as fixtures

# Single-recording tasks, so the served programs (``main(audio)``) fit them.
TASKS = ["SpeechDetection_LJSpeech", "NoiseDetection_LJSpeech_MUSAN-Gaussian"]


def build_instance(root: Path, items: int) -> Path:
    fixtures.build_dynamic_superb(root, TASKS, items=items, fmt="parquet")
    return root


def items_of(root: Path) -> list[BenchItem]:
    pool = {r.task: r for r in load_pool("dynamic_superb_phase1")}
    return [item for task in TASKS for item in instance_items(pool[task], root)[1]]


def program_for(prompt: str) -> str:
    """A program for the task in ``prompt``: noise from silent frames, any other pair from duration."""
    options = re.findall(r'"([^"]*)"', (re.findall(r"^Options: (.*)$", prompt, re.M) or [""])[-1])
    if "noisy" in options:  # "clean" sorts first
        rule = 'return sorted(options)[0 if audio_properties(audio)["silence_ratio"] > 0 else 1]'
    else:
        rule = 'return options[0 if audio_properties(audio)["duration_s"] >= 1.5 else 1]'
    return f"```python\ndef main(audio, options):\n    {rule}\n```"


SLOW_TOOLSET = '''
import time

from copilot.audio import Audio
from copilot.tools import tool


@tool(cacheable=False)
def wait_and_measure(audio: Audio, seconds: float) -> dict:
    """Wait, then report the recording's duration (a stand-in for a backend that stalls).

    Args:
        audio: The recording.
        seconds: How long to wait first.

    Returns:
        {"duration_s": float}
    """
    time.sleep(seconds)
    return {"duration_s": audio.duration}
'''


def slow_toolset(folder: Path) -> Path:
    """A user toolset with one tool that waits as long as it is told: a backend that stalls or hangs."""
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "stall.py").write_text(SLOW_TOOLSET)
    return folder


def waiting_program(seconds: float) -> str:
    rule = f'"yes" if wait_and_measure(audio, {seconds})["duration_s"] > 1 else "no"'
    return f"```python\ndef main(audio):\n    return {rule}\n```"


class ChatServer:
    """``with ChatServer() as server:`` serves ``server.url`` until ``stop()`` or the block ends."""

    def __init__(self, delay: float = 0.0, reply=program_for) -> None:
        self.delay = delay
        self.reply = reply
        self.requests = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ChatServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with owner._lock:
                    owner.requests += 1
                time.sleep(owner.delay)
                text = owner.reply(body["messages"][-1]["content"])
                reply = json.dumps({
                    "id": "c", "object": "chat.completion", "created": 0, "model": body.get("model", "m"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client was killed mid-request (the SIGKILL test)

            def log_message(self, *args) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Go away: the port is closed, so clients get connection refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
