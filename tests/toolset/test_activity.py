"""Voice activity against the pyannote sample's reference turns; speech / music regions."""

from __future__ import annotations

import pytest

from copilot.audio import load_audio
from copilot.testing import corpus
from toolsets.speech.activity import detect_speech, sound_regions, speech_segments


def _union(turns, gap_s: float = 0.1) -> list[tuple[float, float]]:
    """Speaker turns merged into speech regions (gaps shorter than gap_s closed)."""
    merged: list[list[float]] = []
    for t in sorted(turns, key=lambda t: t.start):
        if merged and t.start <= merged[-1][1] + gap_s:
            merged[-1][1] = max(merged[-1][1], t.end)
        else:
            merged.append([t.start, t.end])
    return [(a, b) for a, b in merged]


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def test_vad_turns_match_the_reference(pyannote_sample):
    audio, turns, _ = pyannote_sample
    reference = _union(turns)
    found = speech_segments(audio)
    assert len(found) == len(reference)
    for (start, end), seg in zip(reference, found, strict=True):
        assert abs(seg["start_s"] - start) <= 0.5 and abs(seg["end_s"] - end) <= 0.5


def test_detect_speech_separates_speech_from_other_sounds(read_speech):
    speech = detect_speech(read_speech[0][0])
    assert speech["present"] and speech["score"] > 0.8 and speech["speech_ratio"] > 0.6
    for other in (corpus.triad(60, "major", seconds=3.0), corpus.freedesktop("alarm-clock-elapsed")):
        result = detect_speech(load_audio(other))
        assert not result["present"] and result["score"] < 0.5, (other, result)


@pytest.fixture(scope="module")
def speech_then_music():
    """Read speech (7.1 s), a 1 s gap, then 8 s of chord progression."""
    chords = [corpus.triad(root, quality, seconds=1.0)
              for root, quality in [(60, "major"), (65, "major"), (67, "major"), (57, "minor")] * 2]
    return load_audio(corpus.concat([corpus.librivox()[0].path, corpus.concat(chords, gap_s=0.0)], gap_s=1.0))


def test_sound_regions_find_speech_then_music(speech_then_music):
    regions = sound_regions(speech_then_music)
    speech = [(r["start_s"], r["end_s"]) for r in regions if r["label"] == "speech"]
    music = [(r["start_s"], r["end_s"]) for r in regions if r["label"] == "music"]
    assert sum(_overlap(s, (0.0, 7.1)) for s in speech) > 6.0
    assert sum(_overlap(s, (8.1, 16.1)) for s in speech) < 0.5
    assert sum(_overlap(m, (8.1, 16.1)) for m in music) > 7.0
    assert sum(_overlap(m, (0.0, 7.1)) for m in music) < 0.5
    assert [r["start_s"] for r in regions] == sorted(r["start_s"] for r in regions)
