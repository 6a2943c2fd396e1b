"""What the page draws: a waveform envelope, a mel spectrogram, and the time spans tools found.

The browser draws the picture itself from these arrays, so the server needs no plotting library
and the page stays interactive. Spans come from the answer's tool calls: any result entry with
``start_s`` and ``end_s`` is a span, laid on the lane its keys name (words, speaker turns, sound
events, or plain speech segments).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from copilot.audio import SAMPLE_RATE, Audio

ENVELOPE_POINTS = 800
SPECTROGRAM_FRAMES = 800
MEL_BANDS = 80
N_FFT = 512
LANES = ("speech", "speakers", "events", "words")


def envelope(samples: np.ndarray, points: int = ENVELOPE_POINTS) -> dict[str, list[float]]:
    """Minimum and maximum sample in each of ``points`` equal slices (fewer for short audio)."""
    points = max(1, min(points, len(samples)))
    edges = np.linspace(0, len(samples), points + 1).astype(int)
    lows = np.minimum.reduceat(samples, edges[:-1])
    highs = np.maximum.reduceat(samples, edges[:-1])
    return {"min": np.round(lows.astype(np.float64), 3).tolist(), "max": np.round(highs.astype(np.float64), 3).tolist()}


def spectrogram(samples: np.ndarray, frames: int = SPECTROGRAM_FRAMES) -> dict[str, Any]:
    """A log-mel spectrogram scaled to 0-255 over its top 80 dB, as base64 bytes (band-major, low first)."""
    import librosa

    padded = np.pad(samples, (0, max(0, N_FFT - len(samples))))
    starts = np.linspace(0, len(padded) - N_FFT, min(frames, max(1, (len(padded) - N_FFT) // 128 + 1))).astype(int)
    windows = np.stack([padded[s:s + N_FFT] for s in starts]) * np.hanning(N_FFT)
    power = np.abs(np.fft.rfft(windows, axis=1)) ** 2
    mel = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=MEL_BANDS) @ power.T
    db = 10 * np.log10(np.maximum(mel, 1e-10))
    scaled = np.clip((db - (db.max() - 80.0)) / 80.0, 0.0, 1.0)
    data = np.round(scaled * 255).astype(np.uint8)
    return {"bands": MEL_BANDS, "frames": int(data.shape[1]), "data": base64.b64encode(data.tobytes()).decode()}


def audio_picture(audio: Audio) -> dict[str, Any]:
    samples = np.asarray(audio.samples, dtype=np.float32)
    return {"duration_s": round(float(audio.duration), 3), "envelope": envelope(samples),
            "spectrogram": spectrogram(samples)}


def _spans(value: Any) -> Iterator[dict[str, Any]]:
    """Every dict with numeric ``start_s`` and ``end_s`` anywhere in a tool result."""
    if isinstance(value, Mapping):
        start, end = value.get("start_s"), value.get("end_s")
        if isinstance(start, (int, float)) and isinstance(end, (int, float)) and end >= start:
            yield dict(value)
        for item in value.values():
            if isinstance(item, (Mapping, list)):
                yield from _spans(item)
    elif isinstance(value, list):
        for item in value:
            yield from _spans(item)


def _lane(span: Mapping[str, Any], tool: str) -> tuple[str, str]:
    """Which lane a span belongs on, and its label."""
    if "word" in span:
        return "words", str(span["word"]).strip()
    if "speaker" in span:
        return "speakers", str(span["speaker"])
    if "label" in span:
        return "events", str(span["label"])
    if "text" in span:
        return "speech", str(span["text"]).strip()
    return "speech", tool


def _audio_indexes(args: Any, audio_names: Sequence[str]) -> list[int]:
    """The recordings a call was about: the audio handles among its arguments (default: the first)."""
    found: list[int] = []
    values = list(args.values()) if isinstance(args, Mapping) else []
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item in audio_names and audio_names.index(item) not in found:
                found.append(audio_names.index(item))
    return found or [0]


def overlays(tool_calls: Sequence[Mapping[str, Any]], audio_names: Sequence[str]) -> list[list[dict[str, Any]]]:
    """Per recording, the spans its tool calls found: ``{lane, start_s, end_s, label, tool}``."""
    out: list[list[dict[str, Any]]] = [[] for _ in audio_names]
    for call in tool_calls:
        if not isinstance(call, Mapping) or call.get("error"):
            continue
        tool = str(call.get("name", "?"))
        indexes = _audio_indexes(call.get("args"), audio_names)
        if len(indexes) != 1:
            continue  # a comparison of recordings has no timeline of its own
        seen = set()
        for span in _spans(call.get("result")):
            lane, label = _lane(span, tool)
            key = (lane, span["start_s"], span["end_s"], label)
            if key in seen:
                continue
            seen.add(key)
            out[indexes[0]].append({"lane": lane, "start_s": float(span["start_s"]), "end_s": float(span["end_s"]),
                                    "label": label[:80], "tool": tool})
    return out
