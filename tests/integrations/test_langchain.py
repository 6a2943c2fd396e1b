"""The speech tools as LangChain tools, inside a real tool-calling loop driven by a fake chat model.

The model's tool calls are scripted; the tools run for real on bundled recordings, ``ask`` plans with
a scripted LLM over the real sandbox, and the results that come back to the model are checked.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import subprocess
import sys

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, ToolMessage

from copilot.api import Copilot
from copilot.audio import load_audio
from copilot.errors import CopilotError
from copilot.integrations.langchain import speech_tools
from copilot.testing.llm import ScriptedLLM
from tests.conftest import EXAMPLES, ROOT
from tests.integrations.scripted import SPEECH_PROGRAM
from tests.test_cli import SPEECH_Q

READING = str(EXAMPLES / "reading.flac")
URL = "https://example.com/talk.wav"


@pytest.fixture
def copilot(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_CACHE_DIR", str(tmp_path / "cache"))
    return Copilot(llm=ScriptedLLM([SPEECH_PROGRAM]), store_programs=False)


def _example():
    spec = importlib.util.spec_from_file_location("langchain_agent_example", EXAMPLES / "langchain_agent.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


agent_loop = _example().run_agent  # the example's loop: the standard model -> tools -> model cycle


def test_tools_come_from_the_tool_framework(copilot):
    tools = {t.name: t for t in speech_tools(copilot)}
    assert set(tools) == set(copilot.toolset.tools) | {"ask"}
    for name, framework_tool in copilot.toolset.tools.items():
        assert tools[name].description == inspect.getdoc(framework_tool.func)
        assert list(tools[name].args) == [p.name for p in framework_tool.params]
    language = tools["identify_language"].args
    assert language["audio"]["type"] == "string" and "URLs are refused" in language["audio"]["description"]
    assert language["candidates"]["anyOf"][0] == {"type": "array", "items": {"type": "string"}}
    assert tools["ask"].args["audio"]["type"] == "array"


def test_a_tool_calling_loop_on_a_bundled_recording(copilot):
    model = FakeMessagesListChatModel(responses=[
        AIMessage(content="", tool_calls=[
            {"name": "detect_speech", "args": {"audio": READING}, "id": "1"},
            {"name": "audio_properties", "args": {"audio": URL}, "id": "2"},
            {"name": "ask", "args": {"question": SPEECH_Q, "audio": [READING]}, "id": "3"},
        ]),
        AIMessage(content="There is speech."),
    ])
    messages = agent_loop("Is anyone speaking in reading.flac?", model, speech_tools(copilot))
    results = {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}
    speech = json.loads(results["1"].content)
    assert speech["present"] is True and speech["speech_s"] > 5
    assert results["2"].status == "error"
    with pytest.raises(CopilotError) as cli_error:  # the CLI's own check, word for word
        load_audio(URL)
    assert results["2"].content == str(cli_error.value)
    asked = json.loads(results["3"].content)
    assert asked["answer"] == "yes" and asked["tool_calls"][0]["name"] == "detect_speech"
    assert asked["llm"]["model"] == "scripted"
    assert messages[-1].content == "There is speech."


def test_allowed_folders_confine_paths(copilot, tmp_path):
    tools = {t.name: t for t in speech_tools(copilot, allow=[tmp_path])}
    refused = tools["audio_properties"].invoke({"name": "audio_properties", "args": {"audio": READING},
                                                "id": "1", "type": "tool_call"})
    assert refused.status == "error" and "outside the allowed folders" in refused.content


@pytest.mark.slow
def test_the_example_runs_offline_with_a_clean_stderr(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COPILOT_CACHE_DIR": str(tmp_path / "cache"),
           "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(EXAMPLES / "langchain_agent.py")], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert '"present": true' in proc.stdout and '"label": "French"' in proc.stdout
    assert "only local audio files are accepted" in proc.stdout
