"""Spans the page draws, taken from tool results of the shapes the speech toolset returns."""

from __future__ import annotations

import numpy as np

from copilot.ui.picture import envelope, overlays


def test_spans_go_on_the_lane_their_keys_name_and_the_recording_their_call_names():
    calls = [
        {"name": "diarize", "args": {"audio": "audio_2"}, "result": {"speaker_count": 2, "segments": [
            {"start_s": 0.0, "end_s": 1.5, "speaker": "SPEAKER_00"},
            {"start_s": 1.5, "end_s": 3.0, "speaker": "SPEAKER_01"}]}, "error": None, "seconds": 1.0},
        {"name": "transcribe", "args": {"audio": "audio_1"}, "result": {"text": "hi there", "segments": [
            {"start_s": 0.1, "end_s": 0.9, "text": " hi there"}], "words": [
            {"word": " hi", "start_s": 0.1, "end_s": 0.4, "probability": 0.9},
            {"word": " there", "start_s": 0.4, "end_s": 0.9, "probability": 0.8}]}, "error": None, "seconds": 1.0},
        {"name": "classify_sounds", "args": {"audio": "audio_1"}, "result": {"label": "Speech", "timeline": [
            {"start_s": 0.0, "end_s": 0.96, "label": "Speech", "score": 0.8}]}, "error": None, "seconds": 0.1},
        {"name": "same_speaker", "args": {"audio_a": "audio_1", "audio_b": "audio_2"},
         "result": {"same": False, "score": 0.2}, "error": None, "seconds": 0.1},
        {"name": "speech_segments", "args": {"audio": "audio_1"}, "result": None, "error": "failed", "seconds": 0.0},
    ]
    first, second = overlays(calls, ["audio_1", "audio_2"])
    assert [(s["lane"], s["label"]) for s in second] == [("speakers", "SPEAKER_00"), ("speakers", "SPEAKER_01")]
    assert [(s["lane"], s["label"], s["start_s"]) for s in first] == [
        ("speech", "hi there", 0.1), ("words", "hi", 0.1), ("words", "there", 0.4), ("events", "Speech", 0.0)]


def test_envelope_keeps_the_extremes_of_each_slice():
    samples = np.zeros(1000, dtype=np.float32)
    samples[10], samples[990] = 0.9, -0.7
    env = envelope(samples, points=10)
    assert env["max"][0] == 0.9 and env["min"][-1] == -0.7 and len(env["min"]) == 10
