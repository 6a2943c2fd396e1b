"""A real server on 127.0.0.1 (a free port) over a Copilot with scripted LLM replies."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn

from copilot.api import Copilot
from copilot.testing.llm import ScriptedLLM
from copilot.ui.server import create_app


@dataclass
class Served:
    url: str
    app: Any
    llm: ScriptedLLM
    built: list[Copilot] = field(default_factory=list)


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """``serve(replies, **limits)`` starts the app in this process and stops it after the test."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(replies: list[object], max_audio_seconds: float = 600.0, max_upload_bytes: int = 20_000_000) -> Served:
        llm = ScriptedLLM(replies)
        built: list[Copilot] = []

        def make_copilot() -> Copilot:
            copilot = Copilot(llm=llm, retrieval=False, disk_cache=False)
            built.append(copilot)
            return copilot

        app = create_app(make_copilot, max_audio_seconds=max_audio_seconds, max_upload_bytes=max_upload_bytes)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the UI server did not start"
            time.sleep(0.05)
        running.append((server, thread))
        return Served(f"http://127.0.0.1:{sock.getsockname()[1]}/", app, llm, built)

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)
