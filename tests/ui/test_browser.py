"""The web app in headless chromium: upload a bundled example, ask, read what the page shows.

The LLM is scripted (its reply is a program over the real speech_segments and audio_properties
tools); the server, planner, sandbox, tools and page are the real ones.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as visible
from selenium.webdriver.support.ui import WebDriverWait

from copilot.audio import load_audio
from copilot.errors import CopilotError
from tests.conftest import EXAMPLES
from tests.ui.browser import chromium, console_errors, screenshot
from toolsets.speech.activity import speech_segments

PROGRAM = '''```python
def main(audio):
    segments = speech_segments(audio)
    props = audio_properties(audio)
    return str(len(segments)) if props["duration_s"] > 0 else "0"
```'''
QUESTION = "How many separate stretches of speech are there?"
RECORDING = EXAMPLES / "phone_call.flac"


def _upload(driver, slot: int, path: Path) -> None:
    driver.find_element(By.ID, f"file{slot}").send_keys(str(path))


def _ask(driver, question: str) -> None:
    box = driver.find_element(By.ID, "instruction")
    box.clear()
    box.send_keys(question)
    WebDriverWait(driver, 20).until(visible.element_to_be_clickable((By.ID, "ask-button"))).click()


def test_a_question_shows_answer_program_tool_calls_and_what_the_tools_found(serve):
    served = serve([PROGRAM])
    expected = speech_segments(load_audio(RECORDING))
    with chromium() as driver:
        driver.get(served.url)
        _upload(driver, 0, RECORDING)
        WebDriverWait(driver, 30).until(visible.text_to_be_present_in_element((By.ID, "status0"), "phone_call.flac:"))
        assert driver.find_elements(By.CSS_SELECTOR, "#pictures canvas")
        _ask(driver, QUESTION)
        WebDriverWait(driver, 60).until(visible.visibility_of_element_located((By.ID, "result")))

        assert driver.find_element(By.ID, "answer").text == str(len(expected))
        assert "speech_segments(audio)" in driver.find_element(By.ID, "program").text
        rows = driver.find_elements(By.CSS_SELECTOR, "#tool-calls tbody tr")
        assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows] == ["speech_segments", "audio_properties"]
        assert f'{expected[0]["start_s"]}' in rows[0].find_elements(By.TAG_NAME, "td")[2].text
        # The segments the tool found are drawn on the recording's speech lane, one block each.
        assert len(driver.find_elements(By.CSS_SELECTOR, ".lane-speech .seg")) == len(expected)
        assert "total" in driver.find_element(By.ID, "timings").text
        screenshot(driver, "ui-answer.png")

        # The same question again: the loaded Copilot and its program are reused, no new LLM call.
        _ask(driver, QUESTION)
        WebDriverWait(driver, 60).until(visible.visibility_of_element_located((By.ID, "result")))
        assert driver.find_element(By.ID, "answer").text == str(len(expected))
        assert len(served.built) == 1 and len(served.llm.calls) == 1
        assert console_errors(driver) == []
        # Everything the page loaded came from this server: no CDN, font or analytics request.
        loaded = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert loaded and all(url.startswith(served.url) for url in loaded), loaded


def test_a_non_audio_upload_shows_the_cli_one_line_error_and_recording_works_after(serve, tmp_path):
    served = serve([])
    notes = tmp_path / "notes.txt"
    notes.write_text("meeting notes, not a recording\n" * 20)
    try:
        load_audio(notes)
    except CopilotError as exc:
        cli_line = str(exc)
    with chromium() as driver:
        driver.get(served.url)
        _upload(driver, 0, notes)
        error = WebDriverWait(driver, 30).until(visible.visibility_of_element_located((By.ID, "error")))
        assert error.text == cli_line.replace(str(notes), "notes.txt")
        assert "\n" not in error.text and "Traceback" not in error.text
        assert not driver.find_element(By.ID, "ask-button").is_enabled()
        screenshot(driver, "ui-not-audio.png")
        # The server carries on: a real recording uploads fine afterwards.
        _upload(driver, 0, RECORDING)
        WebDriverWait(driver, 30).until(visible.text_to_be_present_in_element((By.ID, "status0"), "phone_call.flac:"))
        assert not driver.find_element(By.ID, "error").is_displayed()
        # Recording from the (synthetic) microphone: the browser's webm goes through the same decoding.
        record = driver.find_element(By.CSS_SELECTOR, "button.record[data-slot='1']")
        record.click()
        WebDriverWait(driver, 10).until(visible.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "button.record[data-slot='1']"), "Stop"))
        time.sleep(1.5)
        record.click()
        shown = WebDriverWait(driver, 30).until(lambda d: re.fullmatch(
            r"microphone\.\w+: ([\d.]+) s", d.find_element(By.ID, "status1").text) or d.find_element(By.ID, "error").text)
        assert isinstance(shown, re.Match), shown
        assert 0.8 < float(shown.group(1)) < 5.0
        assert len(driver.find_elements(By.CSS_SELECTOR, "#pictures canvas")) == 2


def test_the_page_shows_caveats_source_the_repair_under_way_and_can_cancel(serve, tmp_path):
    tone = tmp_path / "tone.wav"
    sf.write(tone, 0.3 * np.sin(2 * np.pi * 440 * np.arange(48000) / 16000), 16000)
    release, stop_waiting = threading.Event(), threading.Event()

    def after_release(reply: str):
        def wait(messages):
            release.wait(60)
            return reply
        return wait

    literal = "```python\ndef main(audio):\n    return 'female'\n```"  # refused: no tool decides it
    gender = "```python\ndef main(audio):\n    return speaker_gender(audio)['label']\n```"
    served = serve([literal, after_release(gender), lambda messages: stop_waiting.wait(60) and gender])
    with chromium() as driver:
        driver.get(served.url)
        _upload(driver, 0, tone)
        WebDriverWait(driver, 30).until(visible.text_to_be_present_in_element((By.ID, "status0"), "tone.wav:"))
        _ask(driver, "What is the speaker's gender?")
        # The literal program is refused; while the LLM repairs it, the page names the attempt.
        WebDriverWait(driver, 60).until(visible.text_to_be_present_in_element((By.ID, "progress"), "repair 1"))
        assert driver.find_element(By.ID, "cancel-button").is_displayed()
        release.set()
        WebDriverWait(driver, 60).until(visible.visibility_of_element_located((By.ID, "result")))
        assert driver.find_element(By.ID, "answer").text == "no speech"
        caveats = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#caveats li")]
        assert any("speaker_gender: no speech in the recording" in c for c in caveats), caveats
        assert driver.find_element(By.ID, "source").text == "source: planned for this question"
        assert not driver.find_element(By.ID, "cancel-button").is_displayed()

        # A new question waits on the LLM; Cancel ends it on the page at once and on the server at
        # its next step, so its program never runs.
        _ask(driver, "Is the voice high or low?")
        WebDriverWait(driver, 60).until(visible.text_to_be_present_in_element((By.ID, "progress"), "planning …"))
        driver.find_element(By.ID, "cancel-button").click()
        WebDriverWait(driver, 10).until(visible.text_to_be_present_in_element((By.ID, "error"), "cancelled"))
        assert driver.find_element(By.ID, "ask-button").is_enabled()
        assert not driver.find_element(By.ID, "result").is_displayed()
        stop_waiting.set()
        job = list(served.app.state.ui.jobs.values())[-1]
        deadline = time.monotonic() + 60
        while job.finished is None:
            assert time.monotonic() < deadline, f"the cancelled job did not stop: {job.view()}"
            time.sleep(0.1)
        assert job.view()["state"] == "cancelled" and job.result is None
        assert console_errors(driver) == []
