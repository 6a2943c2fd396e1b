"""The real embedded LLM, end to end: it writes programs, the sandbox runs them on real recordings.

Slow on CPU (tens of seconds a question); these are the checks that the whole system, not a
scripted stand-in, answers varied questions correctly.
"""

from __future__ import annotations

import jiwer
import pytest

from copilot.api import Copilot
from copilot.config import load_settings
from copilot.testing import corpus
from tests.conftest import EXAMPLES

pytestmark = [pytest.mark.llm, pytest.mark.slow]


@pytest.fixture(scope="module")
def copilot() -> Copilot:
    # Program and result caches off: every question is planned by the model afresh.
    return Copilot(settings=load_settings(disk_cache=False), store_programs=False)


def test_what_is_said(copilot):
    utterance = corpus.librivox()[0]
    ans = copilot.ask("What does the speaker say?", audio=[utterance.path])
    assert ans.ok, ans.error
    assert jiwer.wer(utterance.text, ans.answer.lower().strip(".")) < 0.3


def test_spoken_language(copilot):
    ans = copilot.ask("Which language is spoken in the recording? The answer could be English, French, "
                      "German, or Spanish.", audio=[EXAMPLES / "french.flac"])
    assert ans.answer == "French", ans.program


def test_how_many_speakers(copilot):
    ans = copilot.ask("How many speakers are in the conversation? The answer could be one, two, three, "
                      "or four.", audio=[EXAMPLES / "phone_call.flac"])
    assert ans.answer == "two", ans.program


def test_same_speaker_in_two_files(copilot):
    a, b = corpus.librivox()[1].path, corpus.librivox()[3].path
    question = "Are the two recordings spoken by the same person? The answer could be yes or no."
    same = copilot.ask(question, audio=[a, b])
    assert same.answer == "yes", same.program
    other = copilot.ask(question, audio=[a, corpus.cards()[4].path])
    assert other.answer == "no", other.program


def test_is_the_recording_noisy(copilot):
    noisy = corpus.with_noise(corpus.librivox()[2].path, snr_db=0, pad_s=0.5)
    question = "Is there background noise in this speech recording? The answer could be clean or noisy."
    assert copilot.ask(question, audio=[noisy]).answer == "noisy"
    assert copilot.ask(question, audio=[corpus.librivox()[2].path]).answer == "clean"


def test_two_tools_combined(copilot):
    """Gender from the voice plus language ID: each question needs both, and each clip fails one.

    (espeak-ng's female French variants are not recognised as French by Whisper base, so the
    woman/French case is asked of a man speaking French.)
    """
    french = corpus.espeak("Bonjour, je m'appelle Pierre et j'habite à Paris depuis dix ans.", voice="fr",
                           speed=120)
    english = corpus.espeak("Hello, my name is Peter and I have lived in London for ten years.", voice="en-us")
    man_french = "Is this a man speaking French? The answer could be yes or no."
    woman_french = "Is this a woman speaking French? The answer could be yes or no."
    for question, audio, expected in [(man_french, french, "yes"), (man_french, english, "no"),
                                      (woman_french, french, "no")]:
        ans = copilot.ask(question, audio=[audio])
        assert ans.answer == expected, ans.program
