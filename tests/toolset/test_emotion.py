"""The offline emotion estimate: candidates in the question's words, voice cues, emotion words, honesty."""

from __future__ import annotations

import pytest

from copilot.audio import load_audio
from copilot.errors import ToolError
from copilot.testing import corpus
from toolsets.speech.emotion import emotion, over_candidates

pytestmark = pytest.mark.slow
TEXT = "The train leaves at nine tomorrow morning, and we will be on it."
MELD = ["neutral", "joy", "anger", "sadness", "fear", "surprise", "disgust"]


@pytest.fixture(scope="module")
def excited(espeak_args):
    markup = f'<speak><prosody pitch="+40%" range="x-high" rate="125%">{TEXT}</prosody></speak>'
    return emotion(espeak_args(markup, "-m", "-v", "en-us"))


@pytest.fixture(scope="module")
def subdued(espeak_args):
    markup = f'<speak><prosody pitch="-20%" range="x-low" rate="70%">{TEXT}</prosody></speak>'
    return emotion(espeak_args(markup, "-m", "-v", "en-us"))


def test_offline_estimate_is_honest_about_reliability(excited):
    assert excited["reliability"] == "low"
    assert "prosody" in excited["note"] and "bench_emotion" in excited["note"]
    assert set(excited["scores"]) == {"neutral", "happy", "angry", "sad", "fear", "surprise", "disgust"}
    assert sum(excited["scores"].values()) == pytest.approx(1, abs=1e-3)
    assert excited["unmapped"] == []


def test_high_wide_fast_voice_has_more_arousal(excited, subdued):
    assert excited["arousal"] > subdued["arousal"] + 0.3
    assert excited["evidence"]["voice"]["pitch_range"] > subdued["evidence"]["voice"]["pitch_range"]
    assert excited["label"] not in ("neutral", "sad")
    # The neutral prior keeps a merely subdued voice neutral, but the voice moves belief toward sad.
    assert subdued["label"] in ("neutral", "sad")
    assert subdued["scores"]["sad"] > 10 * excited["scores"]["sad"]
    assert subdued["scores"]["sad"] > max(subdued["scores"][k] for k in ("happy", "angry", "fear", "surprise"))


@pytest.mark.parametrize(("line", "expected"), [
    ("I hate this, it is ridiculous. Shut up and get out of my room!", "anger"),
    ("We won the game! This is wonderful, I am so happy.", "joy"),
    ("I'm sorry. My grandmother died last night and I feel so alone.", "sadness"),
])
def test_emotion_words_decide_when_the_voice_is_flat(line, expected):
    result = emotion(load_audio(corpus.flite(line, "kal")), candidates=MELD)
    assert result["label"] == expected, result["evidence"]
    assert set(result["scores"]) == set(MELD)


def test_read_speech_stays_neutral():
    for utterance in corpus.librivox()[:3]:
        assert emotion(load_audio(utterance.path), candidates=MELD)["label"] == "neutral"


def test_candidates_in_the_questions_words_and_unmappable_ones_reported():
    audio = load_audio(corpus.flite("We won the game! This is wonderful, I am so happy.", "slt"))
    result = emotion(audio, candidates=["Happiness", "no_emotion", "SAD", "a red car"])
    assert result["label"] == "Happiness"
    assert set(result["scores"]) == {"Happiness", "no_emotion", "SAD"}
    assert result["unmapped"] == ["a red car"]
    with pytest.raises(ToolError, match="names an emotion"):
        emotion(audio, candidates=["Paris", "London"])


def test_grouped_candidates_sum_their_classes():
    scores, unmapped = over_candidates({"neutral": 0.2, "happy": 0.5, "angry": 0.2, "sad": 0.1},
                                       ["positive", "negative", "neutral"])
    assert scores == {"positive": 0.5, "negative": 0.3, "neutral": 0.2} and unmapped == []


def test_no_speech_is_an_abstention_with_what_to_do():
    result = emotion(load_audio(corpus.triad(60, "major", 2.0)), candidates=["joy", "anger"])
    assert result["label"] == "no speech" and result["detected"] is False and result["reliability"] == "low"
    assert "answer that no one speaks" in result["note"]
