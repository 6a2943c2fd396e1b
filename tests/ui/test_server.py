"""The server's limits and error paths over HTTP (no browser): one line each, and it keeps serving."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from copilot.testing.llm import ScriptedLLM
from copilot.ui.server import create_app
from tests.conftest import EXAMPLES

RECORDING = EXAMPLES / "reading.flac"


def client(make_copilot=None, **limits) -> TestClient:
    limits = {"max_audio_seconds": 600.0, "max_upload_bytes": 5_000_000, **limits}
    app = create_app(make_copilot or (lambda: None), warm_up=False, **limits)
    return TestClient(app)


def wait(http: TestClient, job: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        view = http.get(f"/api/jobs/{job}").json()
        if view["state"] != "running":
            return view
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_an_upload_over_the_size_cap_is_refused_with_one_line():
    with client(max_upload_bytes=10_000) as http:
        reply = http.post("/api/audio?name=big.flac", content=RECORDING.read_bytes())
        assert reply.status_code == 413
        assert reply.json() == {"error": "big.flac: the file is larger than the 0.01 MB upload limit"}


def test_audio_longer_than_the_setting_gets_the_cli_error_naming_the_upload():
    with client(max_audio_seconds=2.0) as http:
        reply = http.post("/api/audio?name=reading.flac", content=RECORDING.read_bytes())
        assert reply.status_code == 400
        message = reply.json()["error"]
        assert message.startswith("reading.flac:") and "2" in message and "\n" not in message
        assert "copilot-ui-" not in message  # the server's temporary path is not shown


def test_an_upload_is_decoded_and_pictured():
    with client() as http:
        reply = http.post("/api/audio?name=../../etc/reading.flac", content=RECORDING.read_bytes())
        assert reply.status_code == 200
        data = reply.json()
        assert data["name"] == "../../etc/reading.flac" and 6.0 < data["duration_s"] < 8.0
        assert len(data["envelope"]["min"]) == 800 and data["spectrogram"]["bands"] == 80
        folder = http.app.state.ui.uploads[data["id"]].folder
        assert [p.name for p in folder.iterdir()] == ["reading.flac"]  # stored inside its own folder


@pytest.mark.parametrize("question, error", [
    ({"instruction": " ", "audio": ["x"]}, "type a question first"),
    ({"instruction": "Who speaks?", "audio": []}, "upload or record a recording first"),
    ({"instruction": "Who speaks?", "audio": ["gone"]}, "that recording is no longer on the server; upload it again"),
    ({"audio": ["x"]}, "bad request: instruction Field required"),
])
def test_bad_questions_get_one_line(question, error):
    with client() as http:
        reply = http.post("/api/ask", json=question)
        assert reply.status_code == 400 and reply.json() == {"error": error}


def test_a_crash_while_answering_is_reported_and_the_server_goes_on():
    def broken_copilot():
        raise RuntimeError("boom")

    with client(broken_copilot) as http:
        upload = http.post("/api/audio?name=reading.flac", content=RECORDING.read_bytes()).json()
        job = http.post("/api/ask", json={"instruction": "Who speaks?", "audio": [upload["id"]]}).json()["job"]
        view = wait(http, job)
        assert view["state"] == "failed"
        assert view["error"].startswith("internal error (RuntimeError: boom)")
        assert http.get("/api/info").status_code == 200


def test_a_failed_program_shows_no_answer_and_why():
    from copilot.api import Copilot

    program = "```python\ndef main(audio):\n    return audio_properties(audio)['no_such_key']\n```"
    llm = ScriptedLLM([program])
    with client(lambda: Copilot(llm=llm, retrieval=False, disk_cache=False, max_repairs=0)) as http:
        upload = http.post("/api/audio?name=reading.flac", content=RECORDING.read_bytes()).json()
        job = http.post("/api/ask", json={"instruction": "How loud is it?", "audio": [upload["id"]]}).json()["job"]
        view = wait(http, job)
        assert view["state"] == "failed" and view["error"].startswith("no answer: ")
        assert "no_such_key" in view["error"] and "\n" not in view["error"].split("\n")[0]
        assert view["result"]["program"].startswith("def main(audio):")
        assert [c["name"] for c in view["result"]["tool_calls"]] == ["audio_properties"]


def test_the_word_and_options_reach_the_program():
    from copilot.api import Copilot

    program = ('```python\ndef main(audio, word):\n'
               '    return "yes" if word == "dashwood" and audio_properties(audio)["duration_s"] > 1 else "no"\n```')
    llm = ScriptedLLM([program])
    with client(lambda: Copilot(llm=llm, retrieval=False, disk_cache=False)) as http:
        upload = http.post("/api/audio?name=reading.flac", content=RECORDING.read_bytes()).json()
        job = http.post("/api/ask", json={"instruction": "Is this word said?", "audio": [upload["id"]],
                                          "text": "dashwood", "options": ["yes", " no ", ""]}).json()["job"]
        view = wait(http, job)
        assert view["state"] == "done" and view["result"]["answer"] == "yes"
        assert '"yes", "no"' in llm.calls[0][-1].content  # the options, trimmed, empty ones dropped


def test_progress_names_the_step_a_question_is_in():
    import threading
    from types import SimpleNamespace

    loading, planning, repairing = threading.Event(), threading.Event(), threading.Event()

    class SlowCopilot:
        llm = None

        def ask(self, instruction, audio, text=None, options=None, on_phase=None):
            planning.wait(10)
            on_phase("repair 2")
            repairing.wait(10)
            return SimpleNamespace(to_dict=lambda: {"ok": True, "answer": "fine", "program": "", "tool_calls": []})

    def make_copilot():
        loading.wait(10)
        return SlowCopilot()

    def stage_becomes(http, job, words):
        deadline = time.monotonic() + 10
        while words not in (view := http.get(f"/api/jobs/{job}").json())["stage"]:
            assert time.monotonic() < deadline, view
            time.sleep(0.02)
        return view

    with client(make_copilot) as http:
        upload = http.post("/api/audio?name=reading.flac", content=RECORDING.read_bytes()).json()
        job = http.post("/api/ask", json={"instruction": "Is it fine?", "audio": [upload["id"]]}).json()["job"]
        assert stage_becomes(http, job, "loading the Copilot")["state"] == "running"
        loading.set()
        assert stage_becomes(http, job, "planning the program")["state"] == "running"
        planning.set()
        assert stage_becomes(http, job, "repair 2")["state"] == "running"  # the attempt under way
        repairing.set()
        assert wait(http, job)["result"]["answer"] == "fine"
