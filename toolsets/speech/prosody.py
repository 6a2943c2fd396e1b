"""How something is said: pitch (F0), loudness, speaking rate, and which word carries the stress.

Backends for "pitch" (``track(audio)`` -> frame times and F0 in Hz, NaN where unvoiced):
- ``pyin`` (offline default): librosa's probabilistic YIN, no model, RTF about 0.04.
- ``torchcrepe-tiny`` (offline, optional): the CREPE tiny network packaged in torchcrepe; more
  robust on noisy or breathy voices, about 5x slower on CPU. Select it with
  ``COPILOT_BACKEND_PITCH=torchcrepe-tiny``.

Word timings come from the ``transcribe`` tool (the "asr" capability).
"""

from __future__ import annotations

import numpy as np

from copilot.audio import SAMPLE_RATE, Audio
from copilot.errors import ToolError
from copilot.tools import Backend, backend, current_runtime, tool
from toolsets.speech.evidence import without_speech
from toolsets.speech.hub_models import torch_device
from toolsets.speech.transcription import transcribe

HOP = 160  # 10 ms frames at 16 kHz
FMIN_HZ = 50.0
FMAX_HZ = 600.0
SILENCE_DB = -50.0  # frames quieter than this (dBFS) count as pauses


class PitchTracker(Backend):
    """What a "pitch" backend does: ``runtime.get(PitchTracker).track(audio)``."""

    capability = "pitch"

    def track(self, audio: Audio) -> tuple[np.ndarray, np.ndarray]:
        """Frame times (s) and F0 (Hz, NaN where unvoiced)."""
        raise NotImplementedError


@backend
class PyinPitch(PitchTracker):
    name = "pyin"
    offline = True
    quality = 20
    requires = ("librosa",)
    description = "librosa pYIN pitch tracker (no model)"

    def track(self, audio: Audio) -> tuple[np.ndarray, np.ndarray]:
        import librosa

        f0, voiced, _ = librosa.pyin(audio.samples, fmin=FMIN_HZ, fmax=FMAX_HZ, sr=SAMPLE_RATE,
                                     frame_length=1024, hop_length=HOP)
        f0 = np.where(voiced, f0, np.nan)
        return np.arange(len(f0)) * HOP / SAMPLE_RATE, f0


@backend
class CrepeTinyPitch(PitchTracker):
    name = "torchcrepe-tiny"
    offline = True
    quality = 10
    requires = ("torchcrepe", "torch")
    description = "CREPE tiny pitch network packaged in torchcrepe"
    PERIODICITY = 0.5  # frames below this periodicity are unvoiced

    def track(self, audio: Audio) -> tuple[np.ndarray, np.ndarray]:
        import torch
        import torchcrepe

        x = torch.from_numpy(audio.samples.copy()).unsqueeze(0)
        with torch.no_grad():
            f0, periodicity = torchcrepe.predict(x, SAMPLE_RATE, hop_length=HOP, fmin=FMIN_HZ, fmax=FMAX_HZ,
                                                 model="tiny", return_periodicity=True, batch_size=512,
                                                 device=torch_device())
        f0, periodicity = f0[0].cpu().numpy(), periodicity[0].cpu().numpy()
        quiet = frame_db(audio.samples)[: len(f0)] < SILENCE_DB
        f0 = np.where((periodicity >= self.PERIODICITY) & ~quiet[: len(f0)], f0, np.nan)
        return np.arange(len(f0)) * HOP / SAMPLE_RATE, f0


def frame_db(samples: np.ndarray) -> np.ndarray:
    """Loudness of each 10 ms frame (25 ms window) in dBFS."""
    import librosa

    rms = librosa.feature.rms(y=samples, frame_length=400, hop_length=HOP, center=True)[0]
    return 20 * np.log10(np.maximum(rms, 1e-6))


F0_KEYS = ("f0_mean_hz", "f0_median_hz", "f0_std_hz", "f0_min_hz", "f0_max_hz", "f0_range_semitones")
MIN_VOICED_FRAMES = 5


def f0_stats(f0: np.ndarray) -> dict:
    """Summary of an F0 track (NaN = unvoiced) with units in the keys; F0 values None if nothing is voiced."""
    voiced = f0[np.isfinite(f0)]
    ratio = round(float(len(voiced) / len(f0)), 3) if len(f0) else 0.0
    if len(voiced) < MIN_VOICED_FRAMES:
        return {**dict.fromkeys(F0_KEYS), "voiced_ratio": ratio}
    lo, hi = np.percentile(voiced, [5, 95])
    return {
        "f0_mean_hz": round(float(voiced.mean()), 1),
        "f0_median_hz": round(float(np.median(voiced)), 1),
        "f0_std_hz": round(float(voiced.std()), 1),
        "f0_min_hz": round(float(lo), 1),
        "f0_max_hz": round(float(hi), 1),
        "f0_range_semitones": round(float(12 * np.log2(hi / lo)), 2),
        "voiced_ratio": ratio,
    }


def pitch_track(audio: Audio) -> tuple[np.ndarray, np.ndarray]:
    """Frame times and F0 from the configured pitch backend."""
    return current_runtime().get(PitchTracker).track(audio)


@tool(uses=("pitch",))
def pitch_stats(audio: Audio) -> dict:
    """Measure the voice pitch (fundamental frequency, F0) of a recording.

    Args:
        audio: A recording of one voice (speech or singing).

    Returns:
        {"f0_mean_hz": float, "f0_median_hz": float, "f0_std_hz": float, "f0_min_hz": float,
        "f0_max_hz": float, "f0_range_semitones": float, "voiced_ratio": float}. Min and max are the
        5th and 95th percentiles; typical adult male speech is 85-180 Hz, female 165-255 Hz.

    Example:
        >>> higher = pitch_stats(audio1)["f0_median_hz"] > pitch_stats(audio2)["f0_median_hz"]
    """
    result = f0_stats(pitch_track(audio)[1])
    if result["f0_median_hz"] is None:
        raise ToolError("no voiced sound: the recording has no voice or pitched sound to measure; if the "
                        "question is about a speaker, answer that no one speaks")
    return result


@tool(uses=("pitch", "asr", "vad"))
def prosody(audio: Audio) -> dict:
    """Describe how speech is delivered: pitch, loudness, speaking rate and pauses.

    Args:
        audio: A recording of speech (one speaker).

    Returns:
        {"f0_mean_hz": float, "f0_median_hz": float, "f0_std_hz": float, "f0_min_hz": float,
        "f0_max_hz": float, "f0_range_semitones": float, "voiced_ratio": float,
        "loudness_dbfs": float (mean over speech frames), "loudness_std_db": float,
        "words_per_s": float (over the time from first to last word), "word_count": int,
        "pause_ratio": float (share of that time in silence), "duration_s": float}. When almost
        nothing is voiced (whisper, very short or noisy speech) the f0 values are None and
        "reliability" is "low" with a "note"; check them before comparing. With no speech the
        result is only {"label": "no speech", "detected": false, ...}.

    Example:
        >>> p = prosody(audio)
        >>> fast = p["words_per_s"] > 3.0
    """
    silent = without_speech(audio, "how the speech is delivered")
    if silent:
        return silent
    _, f0 = pitch_track(audio)
    result = f0_stats(f0)
    db = frame_db(audio.samples)
    speech = db[db >= SILENCE_DB]
    words = transcribe(audio)["words"]
    if result["f0_median_hz"] is None and not words:
        raise ToolError("no speech: the recording has neither a voice nor words to describe; answer that "
                        "no one speaks, or use classify_sounds to say what is heard")
    if words:
        start, end = words[0]["start_s"], words[-1]["end_s"]
        span = db[int(start * SAMPLE_RATE / HOP): int(end * SAMPLE_RATE / HOP) + 1]
        rate = len(words) / max(end - start, 0.1)
        pauses = float(np.mean(span < SILENCE_DB)) if len(span) else 0.0
    else:
        rate, pauses = 0.0, 1.0
    result.update({
        "loudness_dbfs": round(float(speech.mean()), 2) if len(speech) else round(float(db.max()), 2),
        "loudness_std_db": round(float(speech.std()), 2) if len(speech) else 0.0,
        "words_per_s": round(rate, 2),
        "word_count": len(words),
        "pause_ratio": round(pauses, 3),
        "duration_s": round(audio.duration, 3),
    })
    if result["f0_median_hz"] is None:
        result["reliability"] = "low"
        result["note"] = "almost no voiced frames: pitch could not be measured, only loudness and rate"
    return result


def _z(values: list[float]) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return (v - v.mean()) / (v.std() + 1e-9) if len(v) > 1 else np.zeros_like(v)


def _detrend(times: list[float], semitones: list[float]) -> list[float]:
    """Pitch minus the sentence's linear declination; unvoiced words (NaN) sit on the trend."""
    t, y = np.asarray(times), np.asarray(semitones, dtype=np.float64)
    ok = np.isfinite(y)
    if ok.sum() < 3:
        return np.where(ok, y, 0.0).tolist()
    slope, intercept = np.polyfit(t[ok], y[ok], 1)
    return np.where(ok, y - (slope * t + intercept), 0.0).tolist()


@tool(uses=("pitch", "asr"))
def stressed_word(audio: Audio) -> dict:
    """Find the word that is emphasised (stressed) in a spoken sentence.

    Stress is scored per word from its loudness, its pitch and its length, each compared with the
    other words of the same sentence (z-scores: 0.5 loudness + 0.3 pitch + 0.2 length; pitch is
    measured against the sentence's falling pitch trend, so early words do not win by default).

    Args:
        audio: A recording of one spoken sentence.

    Returns:
        {"word": str, "index": int, "start_s": float, "end_s": float, "words": [{"word": str,
        "start_s": float, "end_s": float, "loudness_dbfs": float, "f0_hz": float | None,
        "stress_score": float}]}: the most stressed word, its position (0-based) and the
        per-word measurements.

    Example:
        >>> emphasised = stressed_word(audio)["word"].lower()
    """
    words = transcribe(audio)["words"]
    if not words:
        raise ToolError("no words recognised: the recording has no intelligible speech, so no word is "
                        "stressed; answer that nothing is said")
    _, f0 = pitch_track(audio)
    db = frame_db(audio.samples)
    loud, pitch, length, rows = [], [], [], []
    median_f0 = np.nanmedian(f0) if np.any(np.isfinite(f0)) else np.nan
    for w in words:
        a, b = int(w["start_s"] * SAMPLE_RATE / HOP), max(int(w["end_s"] * SAMPLE_RATE / HOP), 1)
        seg_db = db[a: b + 1] if a < len(db) else db[-1:]
        seg_f0 = f0[a: b + 1]
        seg_f0 = seg_f0[np.isfinite(seg_f0)]
        word_f0 = float(np.percentile(seg_f0, 90)) if len(seg_f0) else None
        loud.append(float(np.percentile(seg_db, 90)))
        pitch.append(12 * np.log2(word_f0 / median_f0) if word_f0 and np.isfinite(median_f0) else np.nan)
        # Length per letter, so that long words are not stressed just for being long.
        length.append((w["end_s"] - w["start_s"]) / max(len(w["word"].strip(".,!?;:'\"")), 1))
        rows.append({"word": w["word"], "start_s": w["start_s"], "end_s": w["end_s"],
                     "loudness_dbfs": round(loud[-1], 2), "f0_hz": round(word_f0, 1) if word_f0 else None})
    scores = 0.5 * _z(loud) + 0.3 * _z(_detrend([w["start_s"] for w in words], pitch)) + 0.2 * _z(length)
    for row, s in zip(rows, scores, strict=True):
        row["stress_score"] = round(float(s), 3)
    best = int(np.argmax(scores))
    return {"word": words[best]["word"], "index": best, "start_s": words[best]["start_s"],
            "end_s": words[best]["end_s"], "words": rows}
