"""The command line as a user types it: each ``--llm`` form, batches of questions, JSON errors, where
settings came from, ``-v``/``-q``, ``--version``, help examples, and the first-hour papercuts.

The planner's LLM is a stand-in that replies with one fixed program (a LangChain fake model, or a
local chat-completions server); the program then runs for real on bundled recordings, so each
answer checked here is computed from the audio.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys

import click
import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from copilot.cli import main
from copilot.errors import LLMError
from copilot.llm import Message
from copilot.llm.remote import OpenAILLM
from tests.conftest import EXAMPLES, ROOT
from tests.integrations.scripted import LENGTH_PROGRAM
from tests.llm.test_remote import ChatServer

READING = str(EXAMPLES / "reading.flac")  # 7.1 s of speech
FRENCH = str(EXAMPLES / "french.flac")  # 3.6 s
SPEECH_Q = "Does the recording contain speech? The answer could be yes or no."
LENGTH_Q = "Is the recording long or short?"
SPEECH_LLM = "langchain:tests.integrations.scripted:speech_model"
LENGTH_LLM = "langchain:tests.integrations.scripted:length_model"


@pytest.fixture(autouse=True)
def private_cache(request, tmp_path, monkeypatch):
    """Programs and tool results cached by one test never answer another; no user config is read.
    (Tests of the embedded LLM keep the session's cache: it holds the joined weights.)"""
    if request.node.get_closest_marker("llm") is None:
        monkeypatch.setenv("COPILOT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COPILOT_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin)


def tone(tmp_path, seconds=3.0):
    path = tmp_path / "tone.wav"
    t = np.arange(int(16000 * seconds)) / 16000
    sf.write(path, 0.3 * np.sin(2 * np.pi * 440 * t), 16000)
    return str(path)


# -- every --llm form -------------------------------------------------------------------------------
def test_ask_with_a_langchain_llm_says_which_llm_and_backends_answered(tmp_path):
    result = run("ask", SPEECH_Q, READING, "--llm", SPEECH_LLM, "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["answer"] == "yes"
    assert answer["llm"] == {"backend": SPEECH_LLM, "model": "FakeMessagesListChatModel"}
    call = answer["tool_calls"][0]
    assert call["name"] == "detect_speech" and call["result"]["present"] is True
    assert set(call["backends"]) == {"vad"} and call["backends"]["vad"]

    no_speech = run("ask", SPEECH_Q, tone(tmp_path), "--llm", SPEECH_LLM)
    assert no_speech.exit_code == 0, no_speech.output
    assert no_speech.stdout == "no\n"


def test_ask_with_an_openai_compatible_server():
    with ChatServer([(200, LENGTH_PROGRAM.replace("def main(audio):", "def main(audio, options):")
                      .replace('"long" if', "options[0] if").replace('else "short"', "else options[1]"))]) as server:
        result = run("ask", LENGTH_Q, READING, "--option", "long", "--option", "short", "--json",
                     "--llm", "openai", "--llm-base-url", server.url, "--llm-model", "scripted-coder")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["answer"] == "long"
    assert answer["llm"] == {"backend": "openai", "model": "scripted-coder"}
    assert server.requests[0]["body"]["model"] == "scripted-coder"
    assert server.requests[0]["path"] == "/v1/chat/completions"


def test_ask_with_the_local_llm_reuses_a_validated_program_without_loading_it():
    planned = run("ask", SPEECH_Q, READING, "--llm", SPEECH_LLM)
    assert planned.exit_code == 0 and planned.stdout == "yes\n", planned.output
    result = run("ask", SPEECH_Q, READING, "--llm", "local", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["answer"] == "yes" and answer["from_cache"] is True
    assert answer["llm"]["backend"] == "local" and "qwen" in answer["llm"]["model"]
    assert "loading the embedded LLM" not in result.stderr


def test_tools_run_query_llm_uses_the_llm_flags():
    with ChatServer([(200, "yes")]) as server:
        result = run("tools", "run", "query_llm", "--arg", 'prompt="Is a cat an animal? yes or no"',
                     "--llm", "openai", "--llm-base-url", server.url, "--llm-model", "scripted-coder")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == "yes"
    sent = server.requests[0]["body"]
    assert sent["model"] == "scripted-coder" and "Is a cat an animal?" in json.dumps(sent["messages"])


def test_bench_and_toolset_take_the_same_llm_flags():
    for command in (["bench", "dynamic-superb"], ["bench", "sakura"], ["toolset", "derive"],
                    ["toolset", "coverage"], ["ask"], ["mcp"], ["config", "show"], ["tools", "run"]):
        help_text = run(*command, "--help").stdout
        for flag in ("--llm ", "--llm-model", "--llm-base-url"):
            assert flag in help_text, (command, flag)


def test_an_unknown_llm_is_one_line():
    result = run("ask", SPEECH_Q, READING, "--llm", "langchain:no_such_module:factory")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --llm 'langchain:no_such_module:factory'")
    assert result.stderr.count("\n") == 1


def test_a_server_that_is_down_is_named():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    llm = OpenAILLM("scripted-coder", base_url=url, retry_wait=0.001)
    with pytest.raises(LLMError) as caught:
        llm.complete([Message("user", "hi")])
    assert url in str(caught.value) and "cannot connect" in str(caught.value)


# -- many questions on one Copilot ------------------------------------------------------------------
def test_plain_output_shows_the_caveats_and_where_the_program_came_from(tmp_path):
    program = "```python\ndef main(audio):\n    return speaker_gender(audio)['label']\n```"
    question = "What is the speaker's gender?"
    with ChatServer([(200, program)]) as server:
        flags = ("--llm", "openai", "--llm-base-url", server.url, "--llm-model", "scripted-coder")
        first = run("ask", question, tone(tmp_path), *flags)
        again = run("ask", question, tone(tmp_path), *flags)
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert first.stdout == again.stdout == "no speech\n"  # stdout stays the answer alone, for scripts
    assert "caveat: speaker_gender: no speech in the recording" in first.stderr
    assert "source: planned" in first.stderr
    assert "caveat: speaker_gender: no speech" in again.stderr
    assert "source: store (a program planned earlier for this task)" in again.stderr
    assert len(server.requests) == 1


def test_questions_from_a_file_answered_as_jsonl(tmp_path):
    questions = tmp_path / "questions.txt"
    questions.write_text("\n".join([
        LENGTH_Q,
        "# a comment line",
        json.dumps({"question": LENGTH_Q, "audio": [FRENCH]}),
        json.dumps({"question": LENGTH_Q, "audio": [str(tmp_path / "missing.flac")]}),
    ]) + "\n")
    result = run("ask", "--questions", str(questions), READING, "--json", "--llm", LENGTH_LLM)
    assert result.exit_code == 1, result.output  # one question had no usable audio
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(x["audio"], x.get("answer")) for x in lines[:2]] == [([READING], "long"), ([FRENCH], "short")]
    assert lines[1]["from_cache"] is True  # one Copilot: the program planned for the first is reused
    assert lines[2]["ok"] is False and "missing.flac: no such file" in lines[2]["error"]


def test_questions_from_stdin_as_text():
    lines = f"{LENGTH_Q}\n{json.dumps({'question': LENGTH_Q, 'audio': FRENCH})}\n"
    result = run("ask", "--questions", "-", READING, "--llm", LENGTH_LLM, stdin=lines)
    assert result.exit_code == 0, result.output
    assert result.stdout == "long\nshort\n"


def test_a_bad_questions_line_is_named(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": 3}\n')
    result = run("ask", "--questions", str(questions), READING, "--llm", LENGTH_LLM)
    assert result.exit_code == 1
    assert f"line 1 of {questions}: not a question" in result.stderr


# -- errors -----------------------------------------------------------------------------------------
def test_json_errors_are_json(tmp_path):
    missing = str(tmp_path / "missing.flac")
    result = run("ask", SPEECH_Q, missing, "--json", "--llm", SPEECH_LLM)
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"ok": False, "error": f"{missing}: no such file",
                                         "error_type": "AudioNotFoundError"}
    plain = run("ask", SPEECH_Q, missing, "--llm", SPEECH_LLM)
    assert plain.exit_code == 1 and plain.stderr == f"Error: {missing}: no such file\n"


def test_ffmpeg_text_does_not_reach_the_user(tmp_path):
    video = tmp_path / "silent-video.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=duration=1:size=32x32:rate=5", "-an", str(video)], check=True)
    text = tmp_path / "notes.m4a"
    text.write_text("not audio at all\n")
    for path, reason in ((video, "has no audio stream"), (text, "not an audio format")):
        result = run("tools", "run", "audio_properties", str(path))
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: {path}: {reason}"), result.stderr
        assert "ffmpeg:" not in result.stderr and "trailing '?'" not in result.stderr
    detailed = run("tools", "run", "audio_properties", str(video), "-v")
    assert "trailing '?'" in detailed.stderr  # -v shows ffmpeg's own words, for a bug report


def test_a_path_that_cannot_be_read_is_one_line_and_exit_1(tmp_path):
    too_long = str(tmp_path / ("x" * 300 + ".flac"))  # the OS refuses to even look it up
    result = run("tools", "run", "audio_properties", too_long)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {too_long}: cannot be read (File name too long)\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read every file")
def test_a_file_without_read_permission_is_one_line(tmp_path):
    locked = tmp_path / "locked.flac"
    locked.write_bytes((EXAMPLES / "reading.flac").read_bytes())
    locked.chmod(0)
    result = run("tools", "run", "audio_properties", str(locked))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {locked}: cannot be read (permission denied)\n"


# -- settings, logging, version, help ---------------------------------------------------------------
def test_config_show_says_where_each_setting_came_from(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('llm = "openai"\n[backends]\nasr = "pocketsphinx"\n')
    monkeypatch.setenv("COPILOT_CONFIG", str(config))
    monkeypatch.setenv("COPILOT_MAX_REPAIRS", "7")
    monkeypatch.setenv("COPILOT_LLM_BASE_URL", "http://user:hunter2@127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789abcdef")
    result = run("config", "show", "--llm-model", "coder-7b", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["llm"] == {"value": "openai", "source": f"file {config}"}
    assert shown["backends.asr"] == {"value": "pocketsphinx", "source": f"file {config}"}
    assert shown["max_repairs"] == {"value": 7, "source": "env COPILOT_MAX_REPAIRS"}
    assert shown["llm_model"] == {"value": "coder-7b", "source": "flag"}
    assert shown["toolset"] == {"value": "speech", "source": "default"}
    assert shown["openai_api_key"]["source"] == "env OPENAI_API_KEY"
    assert "0123456789abcdef" not in result.stdout and "hunter2" not in result.stdout
    table = run("config", "show").stdout
    assert re.search(r"^max_repairs\s+7\s+env COPILOT_MAX_REPAIRS$", table, re.M), table


def test_quiet_hides_progress(tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text(LENGTH_Q + "\n")
    normal = run("ask", "--questions", str(questions), READING, "--llm", LENGTH_LLM)
    assert "question 1 (line 1 of" in normal.stderr and normal.stdout == "long\n"
    quiet = run("ask", "--questions", str(questions), READING, "--llm", LENGTH_LLM, "-q")
    assert quiet.stderr == "" and quiet.stdout == "long\n"


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and re.fullmatch(r"copilot \d+\.\d+\.\d+\S*\n", result.stdout)


def _command_paths(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _command_paths(command, (*prefix, name))


def test_every_help_text_has_an_example_and_the_flags_every_command_shares():
    for path in [(), *_command_paths(main)]:
        help_text = run(*path, "--help").stdout
        assert "Example" in help_text, path
        assert "-v, --verbose" in help_text and "-q, --quiet" in help_text, path


def test_help_and_readme_examples_name_files_that_exist():
    texts = {"copilot ask --help": run("ask", "--help").stdout,
             "README.md": (ROOT / "README.md").read_text(),
             "examples/README.md": (EXAMPLES / "README.md").read_text()}
    for where, text in texts.items():
        for line in text.splitlines():
            if "copilot ask" not in line or line.lstrip().startswith("|"):  # commands, not table rows
                continue
            for name in re.findall(r"[\w./-]+\.(?:flac|wav|mp3|m4a|ogg|txt)\b", line):
                assert (ROOT / name).is_file(), f"{where} names {name}, which does not exist: {line}"


@pytest.mark.llm
@pytest.mark.slow
def test_a_python_api_script_that_used_the_embedded_llm_exits_with_a_clean_stderr(tmp_path):
    script = ("from copilot import Copilot\n"
              "from copilot.llm import Message\n"
              "copilot = Copilot(llm_threads=2)\n"
              "print(copilot.llm.complete([Message('user', 'Say yes.')], max_tokens=4).text)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() and proc.stderr == ""
