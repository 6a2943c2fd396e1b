"""Degradation tools on real read speech with noise mixed in at exact SNRs and sox reverb."""

from __future__ import annotations

import pytest

from copilot.audio import load_audio
from copilot.errors import ToolError
from copilot.testing import corpus
from toolsets.speech.quality import detect_noise, detect_reverb, estimate_snr, speech_quality

UTTERANCES = [corpus.librivox()[0].path, corpus.librivox()[2].path, corpus.cards()[4].path]


@pytest.mark.parametrize("snr_db", [0, 10, 20])
def test_snr_within_3_db_with_noise_only_parts(snr_db):
    for path in UTTERANCES:
        result = estimate_snr(load_audio(corpus.with_noise(path, snr_db, pad_s=1.0)))
        assert abs(result["snr_db"] - snr_db) <= 3, (path.name, result)
        assert result["method"] == "noise-only frames" and "reliability" not in result


@pytest.mark.parametrize("snr_db", [0, 10])
def test_snr_from_the_floor_between_words(snr_db):
    result = estimate_snr(load_audio(corpus.with_noise(UTTERANCES[0], snr_db)))
    assert abs(result["snr_db"] - snr_db) <= 3, result
    assert result["reliability"] == "low"


def test_snr_needs_speech():
    with pytest.raises(ToolError, match="no speech"):
        estimate_snr(load_audio(corpus.triad(60, "major", seconds=2.0)))


def test_noise_presence_and_type(pyannote_sample):
    noisy = detect_noise(load_audio(corpus.with_noise(UTTERANCES[0], 10, pad_s=1.0)))
    assert noisy["present"] and noisy["type"] in {"White noise", "Pink noise", "Noise", "Static"}, noisy
    for clean in (pyannote_sample[0], load_audio(UTTERANCES[0])):
        result = detect_noise(clean)
        assert not result["present"] and result["snr_db"] > 20, result


@pytest.mark.slow
def test_dnsmos_rates_clean_above_noisy():
    clean = speech_quality(load_audio(UTTERANCES[0]))
    noisy = speech_quality(load_audio(corpus.with_noise(UTTERANCES[0], 5)))
    assert set(clean) == {"ovrl_mos", "sig_mos", "bak_mos", "p808_mos"}
    assert all(1 <= v <= 5 for v in clean.values())
    assert clean["ovrl_mos"] >= noisy["ovrl_mos"] + 0.5
    assert clean["bak_mos"] >= noisy["bak_mos"] + 1.0


def test_reverb_dry_against_reverberant():
    for path in UTTERANCES + [corpus.espeak("The quick brown fox jumps over the lazy dog near the river.")]:
        dry = detect_reverb(load_audio(path))
        wet = detect_reverb(load_audio(corpus.with_reverb(path)))
        assert not dry["present"] and wet["present"], (path.name, dry, wet)
        assert wet["decay_t60_s"] > dry["decay_t60_s"] + 0.1 and wet["score"] > dry["score"]


def test_reverb_without_offsets_is_flagged():
    result = detect_reverb(load_audio(corpus.triad(60, "major", seconds=2.0)))
    assert not result["present"] and result["reliability"] == "low"
