"""Pitch, speaking rate and stressed words on synthetic speech whose prosody we set."""

from __future__ import annotations

import dataclasses

import pytest

from copilot.audio import load_audio
from copilot.errors import ToolError
from copilot.testing import corpus
from copilot.tools import Runtime, use_runtime
from toolsets.speech.prosody import pitch_stats, prosody, stressed_word

TEXT = "Please call Stella and ask her to bring these things with her from the store."
STRESS = '<prosody pitch="+40%" volume="+60%"><emphasis level="strong">{}</emphasis></prosody>'


def _stressed(sentence: list[str], index: int) -> str:
    words = [STRESS.format(w) if i == index else w for i, w in enumerate(sentence)]
    return "<speak>" + " ".join(words) + "</speak>"


def test_pitch_of_male_and_female_voices():
    male = pitch_stats(load_audio(corpus.espeak(TEXT, "en-us")))
    female = pitch_stats(load_audio(corpus.espeak(TEXT, "en-us+f3")))
    assert 80 < male["f0_median_hz"] < 140
    assert 170 < female["f0_median_hz"] < 260
    assert 0.4 < male["voiced_ratio"] <= 1


def test_crepe_backend_agrees_with_pyin(runtime):
    audio = load_audio(corpus.espeak(TEXT, "en-us"))
    settings = dataclasses.replace(runtime.settings, backends={"pitch": "torchcrepe-tiny"})
    with use_runtime(Runtime(settings)):
        crepe = pitch_stats(audio)["f0_median_hz"]
    assert crepe == pytest.approx(pitch_stats(audio)["f0_median_hz"], rel=0.1)


@pytest.mark.slow
def test_speaking_rate_follows_speed(espeak_args):
    fast = prosody(espeak_args(TEXT, "-v", "en-us", "-s", "240"))
    slow = prosody(espeak_args(TEXT, "-v", "en-us", "-s", "110"))
    assert fast["words_per_s"] > 1.6 * slow["words_per_s"]
    assert fast["word_count"] >= 12


@pytest.mark.slow
@pytest.mark.parametrize("index", [2, 6])
def test_stressed_word_is_found(espeak_args, index):
    sentence = "I never said she stole my money yesterday".split()
    result = stressed_word(espeak_args(_stressed(sentence, index), "-m", "-v", "en-us"))
    assert result["word"].strip(".,").lower() == sentence[index].lower()
    assert result["index"] == index
    assert len(result["words"]) == len(sentence)


def test_pitch_needs_a_voice():
    import numpy as np

    from copilot.audio import Audio

    noise = Audio.from_array(np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32), 16000)
    with pytest.raises(ToolError, match="no voiced sound.*answer that no one speaks"):
        pitch_stats(noise)
