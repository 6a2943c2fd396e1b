"""Labelled audio for tests, benchmarks and examples, made reproducibly from installed packages.

Real recordings come from registry packages: the pyannote.audio sample (two speakers, with its RTTM
turns and timed transcript) and Debian's ``pocketsphinx-testdata`` (LibriVox read speech and a
"cards" speaker, with transcripts). Synthetic audio is made with espeak-ng, flite and sox, and by
numpy for exactly controlled signals (noise at a set SNR, musical triads). Files are written once
into ``$COPILOT_CORPUS_DIR`` (default ``<cache dir>/corpus``) under names derived from their recipe.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from copilot.config import load_settings
from copilot.errors import CopilotError
from copilot.fileio import atomic_path

POCKETSPHINX_DATA = Path("/usr/share/pocketsphinx/test/data")
FREEDESKTOP_SOUNDS = Path("/usr/share/sounds/freedesktop/stereo")


@dataclass(frozen=True)
class Utterance:
    path: Path
    text: str
    speaker: str


@dataclass(frozen=True)
class Turn:
    start: float
    end: float
    speaker: str


def corpus_dir() -> Path:
    root = Path(os.environ.get("COPILOT_CORPUS_DIR") or load_settings().cache_dir / "corpus")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _need(path: Path, how: str) -> Path:
    if not path.exists():
        raise CopilotError(f"{path} is missing: {how}")
    return path


def _pocketsphinx_set(folder: str, transcript: str, speaker: str) -> list[Utterance]:
    base = _need(POCKETSPHINX_DATA / folder, "install the Debian package pocketsphinx-testdata")
    out = []
    for line in (base / transcript).read_text().splitlines():
        if not line.strip():
            continue
        text, _, ident = line.rpartition("(")
        text = text.replace("<s>", "").replace("</s>", "").strip()
        out.append(Utterance(base / f"{ident.strip(') ')}.wav", " ".join(text.split()), speaker))
    return out


def librivox() -> list[Utterance]:
    """Five read sentences by one male LibriVox reader (16 kHz)."""
    return _pocketsphinx_set("librivox", "transcription", "librivox")


def cards() -> list[Utterance]:
    """Five short utterances ("ten of clubs") by another speaker (16 kHz)."""
    return _pocketsphinx_set("cards", "cards.transcription", "cards")


def pyannote_sample() -> tuple[Path, list[Turn], str]:
    """The pyannote.audio sample: 30 s, two women on the phone; RTTM turns and the transcript."""
    spec = importlib.util.find_spec("pyannote.audio")
    if spec is None or not spec.submodule_search_locations:
        raise CopilotError("the pyannote sample needs pyannote.audio installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "sample"
    turns = []
    for line in _need(folder / "sample.rttm", "reinstall pyannote.audio").read_text().splitlines():
        f = line.split()
        if f and f[0] == "SPEAKER":
            start, dur = float(f[3]), float(f[4])
            turns.append(Turn(start, start + dur, f[7]))
    words = []
    stm = folder / "sample.stm"
    if stm.exists():
        for line in stm.read_text().splitlines():
            f = line.split(maxsplit=5)
            if len(f) == 6:
                words.append(f[5])
    return folder / "sample.wav", turns, " ".join(words)


def _cached(recipe: str, suffix: str = ".wav") -> tuple[Path, bool]:
    name = hashlib.sha1(recipe.encode()).hexdigest()[:16] + suffix
    path = corpus_dir() / name
    return path, path.exists()


def _run(cmd: list[str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise CopilotError(f"{cmd[0]} is not installed (the Makefile's system-packages step installs it)")
    subprocess.run(cmd, check=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)


def _atomic(path: Path, make) -> Path:
    with atomic_path(path) as tmp:
        make(tmp)
    return path


def espeak(text: str, voice: str = "en-us", speed: int = 160) -> Path:
    """Speech from espeak-ng; voice is a language code with an optional variant (``en-us+f3``)."""
    path, done = _cached(f"espeak|{voice}|{speed}|{text}")
    if not done:
        _atomic(path, lambda tmp: _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(tmp), text]))
    return path


def flite(text: str, voice: str = "slt") -> Path:
    """Speech from flite: voices kal, awb, rms (male) and slt (female)."""
    path, done = _cached(f"flite|{voice}|{text}")
    if not done:
        _atomic(path, lambda tmp: _run(["flite", "-voice", voice, "-t", text, "-o", str(tmp)]))
    return path


def _read_mono(path: Path) -> tuple[np.ndarray, int]:
    data, rate = sf.read(path, dtype="float64", always_2d=True)
    return data.mean(axis=1), rate


def with_noise(speech: Path, snr_db: float, seed: int = 0, pad_s: float = 0.0) -> Path:
    """Speech plus white noise at an exact SNR (power of the speech signal over the noise's).

    ``pad_s`` seconds of silence go on each side first, so the file also has noise-only parts.
    """
    path, done = _cached(f"noise|{speech}|{snr_db}|{seed}|{pad_s}")
    if done:
        return path
    x, rate = _read_mono(speech)
    pad = np.zeros(int(pad_s * rate))
    signal_power = np.mean(x**2)
    x = np.concatenate([pad, x, pad])
    noise = np.random.default_rng(seed).standard_normal(len(x))
    noise *= np.sqrt(signal_power / (np.mean(noise**2) * 10 ** (snr_db / 10)))
    mixed = x + noise
    mixed *= 0.9 / max(1e-9, np.max(np.abs(mixed)))
    return _atomic(path, lambda tmp: sf.write(tmp, mixed, rate, format="WAV"))


def with_reverb(speech: Path, reverberance: int = 90, room_scale: int = 100) -> Path:
    """Speech through sox's reverb effect (wet only, plus a tail)."""
    path, done = _cached(f"reverb|{speech}|{reverberance}|{room_scale}")
    if not done:
        _atomic(path, lambda tmp: _run(["sox", str(speech), "-t", "wav", str(tmp), "pad", "0", "1",
                                        "reverb", "-w", str(reverberance), "50", str(room_scale)]))
    return path


def concat(paths: list[Path], gap_s: float = 0.5, rate: int = 16000) -> Path:
    """Recordings one after another with silent gaps, resampled to a common rate."""
    path, done = _cached(f"concat|{[str(p) for p in paths]}|{gap_s}|{rate}")
    if done:
        return path
    import soxr

    parts = []
    for p in paths:
        x, r = _read_mono(p)
        parts.append(soxr.resample(x, r, rate) if r != rate else x)
        parts.append(np.zeros(int(gap_s * rate)))
    y = np.concatenate(parts[:-1])
    return _atomic(path, lambda tmp: sf.write(tmp, y, rate, format="WAV"))


_SEMITONES = {"major": (0, 4, 7), "minor": (0, 3, 7), "diminished": (0, 3, 6), "augmented": (0, 4, 8)}


def triad(root_midi: int = 60, quality: str = "major", seconds: float = 2.0, rate: int = 16000) -> Path:
    """A sustained triad of harmonic tones (root as a MIDI note number: 60 = middle C)."""
    path, done = _cached(f"triad|{root_midi}|{quality}|{seconds}|{rate}")
    if done:
        return path
    t = np.arange(int(seconds * rate)) / rate
    y = np.zeros_like(t)
    for step in _SEMITONES[quality]:
        f0 = 440.0 * 2 ** ((root_midi + step - 69) / 12)
        for h in range(1, 5):
            y += np.sin(2 * np.pi * f0 * h * t) / h
    y *= np.minimum(1, np.minimum(t, seconds - t) * 20) * 0.3 / np.max(np.abs(y))
    return _atomic(path, lambda tmp: sf.write(tmp, y, rate, format="WAV"))


def freedesktop(name: str) -> Path:
    """A real sound from Debian's sound-theme-freedesktop (``phone-incoming-call``, ``bell`` …)."""
    return _need(FREEDESKTOP_SOUNDS / f"{name}.oga", "install the Debian package sound-theme-freedesktop")
