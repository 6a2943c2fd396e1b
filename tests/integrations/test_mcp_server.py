"""``copilot mcp`` driven by the official SDK's own client, over stdio and streamable HTTP.

The server runs as a real subprocess (the command a desktop assistant would start); the planner's LLM
is a scripted LangChain model, the tools run on a bundled recording.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import EXAMPLES, ROOT
from tests.test_cli import SPEECH_LLM, SPEECH_Q

COMMAND = [sys.executable, "-c", "from copilot.cli import main; main()", "mcp"]


@pytest.fixture
def folders(tmp_path):
    """An allowed folder with a recording and a symlink that points out of it, and a file outside."""
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    shutil.copy(EXAMPLES / "reading.flac", allowed / "reading.flac")
    shutil.copy(EXAMPLES / "reading.flac", outside / "secret.flac")
    (allowed / "link.flac").symlink_to(outside / "secret.flac")
    return allowed, outside


def _env(tmp_path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COPILOT_CACHE_DIR": str(tmp_path / "cache"),
            "COPILOT_CONFIG": str(tmp_path / "no-config.toml"), "OMP_NUM_THREADS": "1"}


def _payload(result) -> object:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def test_stdio_lists_calls_asks_and_confines_paths(tmp_path, folders):
    allowed, outside = folders
    params = StdioServerParameters(command=COMMAND[0], args=[*COMMAND[1:], "--allow", str(allowed), "--llm", SPEECH_LLM],
                                   env=_env(tmp_path), cwd=str(ROOT))

    async def session():
        async with Client(params, read_timeout_seconds=300) as client:
            listing = {t.name: t for t in (await client.list_tools()).tools}
            assert {"detect_speech", "transcribe", "count_speakers", "ask"} <= set(listing)
            assert listing["detect_speech"].input_schema["properties"]["audio"]["type"] == "string"
            assert listing["detect_speech"].input_schema["required"] == ["audio"]

            speech = _payload(await client.call_tool("detect_speech", {"audio": str(allowed / "reading.flac")}))
            assert speech["present"] is True and speech["speech_s"] > 5

            answer = _payload(await client.call_tool("ask", {"question": SPEECH_Q,
                                                             "audio": [str(allowed / "reading.flac")]}))
            assert answer["answer"] == "yes" and answer["llm"]["backend"] == SPEECH_LLM
            assert [c["name"] for c in answer["tool_calls"]] == ["detect_speech"]

            for path in (outside / "secret.flac", allowed / "link.flac", allowed / ".." / "outside" / "secret.flac"):
                refused = await client.call_tool("audio_properties", {"audio": str(path)})
                assert refused.is_error and "outside the allowed folders" in refused.content[0].text, path
            url = await client.call_tool("audio_properties", {"audio": "http://example.com/a.wav"})
            assert url.is_error
            bad = await client.call_tool("audio_properties", {"audio": str(allowed / "reading.flac"), "x": 1})
            assert bad.is_error and "unexpected argument" in bad.content[0].text

    anyio.run(session)


def test_without_allowed_folders_the_server_does_not_start(tmp_path):
    proc = subprocess.run(COMMAND, capture_output=True, text=True, cwd=ROOT, env=_env(tmp_path), timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Error: copilot mcp needs at least one --allow DIR: the folders whose audio " \
                                  "clients may read"


def test_streamable_http_on_localhost(tmp_path, folders):
    allowed, _ = folders
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([*COMMAND, "--allow", str(allowed), "--http", "--port", str(port)], cwd=ROOT,
                              env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
            time.sleep(0.5)

        async def session():
            async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=300) as client:
                names = {t.name for t in (await client.list_tools()).tools}
                assert "audio_properties" in names
                props = _payload(await client.call_tool("audio_properties",
                                                        {"audio": str(allowed / "reading.flac")}))
                assert abs(props["duration_s"] - 7.1) < 0.1

        anyio.run(session)
    finally:
        server.terminate()
        server.wait(timeout=30)
