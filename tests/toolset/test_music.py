"""Key, chord quality and tempo on synthesised music with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.audio import Audio, load_audio
from copilot.testing import corpus
from toolsets.speech.music import NOTES, chord_quality, musical_key, tempo


@pytest.mark.parametrize("root", [57, 60, 62, 66, 67])
@pytest.mark.parametrize("quality", ["major", "minor"])
def test_major_and_minor_triads(root, quality):
    result = chord_quality(load_audio(corpus.triad(root, quality)))
    assert result["label"] == quality
    assert result["root"] == NOTES[root % 12]
    assert result["scores"][quality] > 0.5


def test_diminished_triad():
    assert chord_quality(load_audio(corpus.triad(64, "diminished")))["label"] == "diminished"


@pytest.mark.parametrize(("tonic", "mode", "expected"), [(60, "major", "C major"), (57, "minor", "A minor"),
                                                         (67, "major", "G major"), (62, "minor", "D minor")])
def test_key_of_a_cadence(tonic, mode, expected):
    # I - IV - V - I in the key (the dominant is major in both modes, as in harmonic minor).
    chords = [(0, mode), (5, mode), (7, "major"), (0, mode)]
    audio = load_audio(corpus.concat([corpus.triad(tonic + step, q) for step, q in chords], gap_s=0.05))
    result = musical_key(audio)
    assert result["label"] == expected
    assert result["scores"][mode] > 0.5


@pytest.mark.parametrize("bpm", [90, 120])
def test_tempo_of_a_click_track(bpm):
    rate = 16000
    x = np.zeros(rate * 10)
    click = np.sin(2 * np.pi * 1000 * np.arange(400) / rate) * np.exp(-np.arange(400) / 80)
    for beat in np.arange(0, 10, 60 / bpm):
        i = int(beat * rate)
        x[i: i + 400] += click
    result = tempo(Audio.from_array(x, rate))
    assert result["tempo_bpm"] == pytest.approx(bpm, rel=0.04)
    assert result["beat_count"] >= 10 * bpm / 60 - 3
