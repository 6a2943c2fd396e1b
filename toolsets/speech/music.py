"""Music analysis with librosa: key and mode, chord quality, tempo.

Key and chord are only judged when music is heard (any AudioSet music class >= 0.3 in YAMNet):
on the "tune" split of copilot/testing/no_evidence.py triads score 0.98-1.0 and a jingle 0.5, while
tones, noises, speech and animal calls stay <= 0.18. Otherwise they return "no music".

Key: the recording's mean constant-Q chroma correlated with the Krumhansl-Kessler key profiles
(24 keys). Chord quality: cosine similarity of the chroma with triad templates (major, minor,
diminished, augmented) on all 12 roots. Tempo: librosa's onset-strength beat tracker.
"""

from __future__ import annotations

import numpy as np

from copilot.audio import SAMPLE_RATE, Audio
from copilot.errors import ToolError
from copilot.tools import tool
from toolsets.speech.events import PRESENT_THRESHOLD, music_score
from toolsets.speech.evidence import absent, doubtful

NOTES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
TRIADS = {"major": (0, 4, 7), "minor": (0, 3, 7), "diminished": (0, 3, 6), "augmented": (0, 4, 8)}
SOFTMAX_SCALE = 20.0  # turns correlations/cosines (differences of ~0.1) into readable probabilities


def _chroma(audio: Audio) -> np.ndarray:
    """Mean chroma (12 pitch classes, C first) over the frames that carry sound."""
    import librosa

    chroma = librosa.feature.chroma_cqt(y=audio.samples, sr=SAMPLE_RATE, hop_length=512)
    rms = librosa.feature.rms(y=audio.samples, hop_length=512)[0][: chroma.shape[1]]
    loud = rms >= 0.1 * rms.max()
    mean = chroma[:, : len(loud)][:, loud].mean(axis=1)
    if not np.isfinite(mean).all() or mean.max() <= 0:
        raise ToolError("no pitched sound found: key and chord need music with notes; answer that no "
                        "music is heard, or use classify_sounds to say what is")
    return mean


def _without_music(audio: Audio, what: str) -> dict | None:
    """The "no music" result for a tool judging ``what``, or None when music is heard."""
    score = music_score(audio)
    if score >= PRESENT_THRESHOLD:
        return None
    return absent("no music", f"no music heard (music score {score:.2f} < {PRESENT_THRESHOLD}), so {what} "
                              "cannot be judged; answer that no music is heard", scores={})


def _softmax(values: dict[str, float]) -> dict[str, float]:
    keys = list(values)
    z = SOFTMAX_SCALE * np.array([values[k] for k in keys])
    p = np.exp(z - z.max())
    p /= p.sum()
    return {k: round(float(v), 4) for k, v in zip(keys, p, strict=True)}


@tool(uses=("sound_events",))
def musical_key(audio: Audio) -> dict:
    """Estimate the musical key of a piece of music and whether it is major or minor.

    Args:
        audio: A recording of music (a few seconds or more).

    Returns:
        {"label": str (e.g. "A minor"), "tonic": str (e.g. "A"), "mode": "major" | "minor",
        "scores": {"major": float, "minor": float}, "correlation": float}: scores are
        probabilities for the mode; correlation (-1..1) says how well the best key profile fits.
        With no music heard, "label" is "no music" and "detected" is false.

    Example:
        >>> sad_sounding = musical_key(audio)["mode"] == "minor"
    """
    silent = _without_music(audio, "the key")
    if silent:
        return silent
    chroma = _chroma(audio)
    best: dict[str, tuple[float, int]] = {}
    for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        corr = [float(np.corrcoef(chroma, np.roll(profile, root))[0, 1]) for root in range(12)]
        root = int(np.argmax(corr))
        best[mode] = (corr[root], root)
    mode = max(best, key=lambda m: best[m][0])
    corr, root = best[mode]
    return {"label": f"{NOTES[root]} {mode}", "tonic": NOTES[root], "mode": mode,
            "scores": _softmax({m: best[m][0] for m in best}), "correlation": round(corr, 4)}


@tool(uses=("sound_events",))
def chord_quality(audio: Audio) -> dict:
    """Identify a sustained chord: its root note and quality (major, minor, diminished, augmented).

    Args:
        audio: A recording of one chord (or an arpeggio of one chord).

    Returns:
        {"label": str (quality), "root": str (e.g. "C#"), "chord": str (e.g. "C# minor"),
        "scores": {"major": float, "minor": float, "diminished": float, "augmented": float}}.
        With no music heard, "label" is "no music" and "detected" is false.

    Example:
        >>> is_major = chord_quality(audio)["label"] == "major"
    """
    silent = _without_music(audio, "the chord")
    if silent:
        return silent
    chroma = _chroma(audio)
    chroma = chroma / np.linalg.norm(chroma)
    per_quality: dict[str, tuple[float, int]] = {}
    for quality, steps in TRIADS.items():
        sims = []
        for root in range(12):
            template = np.zeros(12)
            template[[(root + s) % 12 for s in steps]] = 1 / np.sqrt(3)
            sims.append(float(chroma @ template))
        root = int(np.argmax(sims))
        per_quality[quality] = (sims[root], root)
    quality = max(per_quality, key=lambda q: per_quality[q][0])
    root = NOTES[per_quality[quality][1]]
    return {"label": quality, "root": root, "chord": f"{root} {quality}",
            "scores": _softmax({q: v[0] for q, v in per_quality.items()})}


@tool(uses=("sound_events",))
def tempo(audio: Audio) -> dict:
    """Estimate the tempo of music in beats per minute, with the beat times.

    Args:
        audio: A recording of music with a beat.

    Returns:
        {"tempo_bpm": float, "beat_times_s": [float] (at most 500), "beat_count": int}; when no
        music is heard "reliability" is "low" and a "note" says so (a click track has a beat too).

    Example:
        >>> fast = tempo(audio)["tempo_bpm"] > 120
    """
    import librosa

    bpm, beats = librosa.beat.beat_track(y=audio.samples, sr=SAMPLE_RATE, units="time")
    bpm = float(np.atleast_1d(bpm)[0])
    if bpm <= 0 or len(beats) < 2:
        raise ToolError("no beat found: tempo needs music with a regular pulse; answer that the recording "
                        "has no steady beat")
    result = {"tempo_bpm": round(bpm, 1), "beat_times_s": [round(float(t), 3) for t in beats[:500]],
              "beat_count": len(beats)}
    score = music_score(audio)
    if score < PRESENT_THRESHOLD:
        result = doubtful(result, f"no music heard (music score {score:.2f}): the beat is of whatever sound "
                                  "repeats, not of a piece of music")
    return result
