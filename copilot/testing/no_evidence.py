"""Recordings with nothing to hear for a question, in two disjoint splits: "tune" and "check".

``sounds(split)`` holds no speech: tones, faint and loud noise (white, pink, brown), chords,
freedesktop alert sounds and animal calls (Tux Paint on "tune", GCompris on "check").
``voices(split)`` holds real and synthetic speech: FSDD digits (george on "tune", jackson and theo
on "check"), espeak-ng ("tune"), flite, LibriVox, the cards speaker and the spoken freedesktop
channel names ("check"). Thresholds for "is there speech / music / this sound" are chosen on
"tune" and reported on "check"; the no-evidence probe test and benchmark run on "check".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from copilot.audio import SAMPLE_RATE, Audio, load_audio
from copilot.errors import EmptyAudioError
from copilot.testing import corpus, package_sounds

FSDD = Path(__file__).resolve().parents[2] / "tests" / "data" / "fsdd"
SPLITS = ("tune", "check")


def _signal(name: str, x: np.ndarray) -> Audio:
    return Audio.from_array(x.astype(np.float32), SAMPLE_RATE, source=name)


def _tone(hz: float, seconds: float = 3.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return 0.3 * np.sin(2 * np.pi * hz * t)


def _coloured(exponent: float, seconds: float = 3.0, level: float = 0.1, seed: int = 0) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (0 white, 1 pink, 2 brown), at an RMS of ``level``."""
    n = int(seconds * SAMPLE_RATE)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    spectrum /= np.maximum(np.arange(len(spectrum)), 1) ** (exponent / 2)
    x = np.fft.irfft(spectrum, n)
    return level * x / np.sqrt(np.mean(x**2))


def sounds(split: str) -> dict[str, Audio]:
    """Recordings without speech, by name."""
    if split == "tune":
        made = {"tone 440 Hz": _tone(440), "white noise": _coloured(0), "faint noise": _coloured(0, level=3e-4)}
        files = {"C major triad": corpus.triad(60, "major", seconds=3.0),
                 **{f"freedesktop {n}": corpus.freedesktop(n) for n in ("bell", "alarm-clock-elapsed",
                                                                       "message-new-instant")},
                 **{f"tuxpaint {s.label}": s.path for s in package_sounds.tuxpaint("animals")[::4]}}
    elif split == "check":
        made = {"tone 1 kHz": _tone(1000), "tone 150 Hz": _tone(150), "pink noise": _coloured(1),
                "brown noise": _coloured(2, seed=1), "faint pink noise": _coloured(1, level=3e-4, seed=2)}
        files = {"A minor triad": corpus.triad(57, "minor", seconds=3.0),
                 **{f"freedesktop {n}": corpus.freedesktop(n) for n in ("phone-incoming-call", "complete",
                                                                       "dialog-warning", "window-attention")},
                 **{f"gcompris {s.label}": s.path for s in package_sounds.gcompris()}}
    else:
        raise ValueError(f"split {split!r}: one of {SPLITS}")
    return {**{name: _signal(name, x) for name, x in made.items()}, **_loaded(files)}


def voices(split: str) -> dict[str, Audio]:
    """Speech recordings, short ones included, by name."""
    if split == "tune":
        files = {f"fsdd {p.stem}": p for p in sorted(FSDD.glob("*_george_*.wav"))}
        files |= {f"espeak {v}": corpus.espeak("Turn left at the next corner.", v)
                  for v in ("en-us", "en-us+f3", "en-gb+m3", "fr", "de")}
    elif split == "check":
        files = {f"fsdd {p.stem}": p for p in sorted(FSDD.glob("*_[jt]*.wav"))}
        files |= {f"flite {v}": corpus.flite("Please close the window.", v) for v in ("slt", "kal", "awb")}
        files |= {f"librivox {i}": u.path for i, u in enumerate(corpus.librivox()[:3])}
        files |= {f"cards {i}": u.path for i, u in enumerate(corpus.cards()[:3])}
        files |= {f"freedesktop {n}": corpus.freedesktop(n) for n in ("audio-channel-front-left",
                                                                      "audio-channel-rear-center")}
    else:
        raise ValueError(f"split {split!r}: one of {SPLITS}")
    return _loaded(files)


def _loaded(files: dict[str, Path]) -> dict[str, Audio]:
    """The files decoded; a stamp sound that is digital silence (Tux Paint's iguana) is left out."""
    out = {}
    for name, path in files.items():
        try:
            out[name] = load_audio(path)
        except EmptyAudioError:
            continue
    return out


# -- the probes: questions about something the recording does not hold ----------------------------
SPEECH_CALLS = (  # asked of recordings without speech
    ("identify_language", {}), ("identify_language", {"candidates": ["English", "French", "German"]}),
    ("speaker_gender", {}), ("speaker_gender", {"candidates": ["man", "woman"]}),
    ("emotion", {}), ("emotion", {"candidates": ["happy", "sad", "neutral"]}),
    ("accent", {"candidates": ["American", "British"]}), ("prosody", {}), ("transcribe", {}),
)
ABSENT_SOUND_CALLS = (  # asked of speech, tones and noise
    ("classify_sounds", {"candidates": ["dog", "bird", "piano"]}),
    ("classify_sounds", {"candidates": ["cat", "cow", "guitar", "violin"]}),
    ("detect_sound", {"name": "dog"}), ("detect_sound", {"name": "bird", "candidates": ["yes", "no"]}),
)
MUSIC_CALLS = (("musical_key", {}), ("chord_quality", {}), ("tempo", {}))  # asked of speech, tones and noise
ABSENT_INSTRUMENTS = ("classify_sounds", {"candidates": ["piano", "violin", "drum"]})  # asked of animal calls
ABSTENTIONS = ("no speech", "no music", "none")


@dataclass(frozen=True)
class Probe:
    tool: str
    arguments: dict
    clip: str
    audio: Audio

    @property
    def name(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        return f"{self.tool}({self.clip}{', ' + shown if shown else ''})"


def probes() -> list[Probe]:
    """The no-evidence probe set, on the "check" split only (thresholds were chosen on "tune")."""
    silent, speech = sounds("check"), voices("check")
    plain = {k: a for k, a in silent.items() if k.startswith(("tone", "pink", "brown", "faint"))}
    animals = {k: a for k, a in silent.items() if k.startswith("gcompris ") and k.split()[1] in ANIMALS}
    out = [Probe(tool, args, clip, audio) for clip, audio in silent.items() for tool, args in SPEECH_CALLS]
    out += [Probe(tool, args, clip, audio) for clip, audio in (speech | plain).items()
            for tool, args in ABSENT_SOUND_CALLS + MUSIC_CALLS]
    out += [Probe(*ABSENT_INSTRUMENTS, clip, audio) for clip, audio in animals.items()]
    return out


ANIMALS = ("cat", "hen", "cow", "dog", "duck", "horse", "owl", "pig", "sheep", "frog")


def outcome(result: object) -> str:
    """How a tool met a probe: "abstained", "caveat" (low reliability), or "answered" (a bare answer)."""
    if not isinstance(result, dict):
        return "answered"
    if (result.get("detected") is False or result.get("present") is False
            or str(result.get("label", "")).lower() in ABSTENTIONS or result.get("text") == ""):
        return "abstained"
    return "caveat" if str(result.get("reliability", "")).lower() == "low" else "answered"
