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


def espeak_ssml(markup: str, voice: str = "en-us") -> Path:
    """Speech from espeak-ng reading SSML (``<prosody pitch="+40%" range="x-high" rate="120%">``)."""
    path, done = _cached(f"espeak-ssml|{voice}|{markup}")
    if not done:
        _atomic(path, lambda tmp: _run(["espeak-ng", "-m", "-v", voice, "-w", str(tmp), markup]))
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


NOISE_SLOPES = {"white": 0.0, "pink": 1.0, "brown": 2.0}  # power falls as 1/f**slope


def with_noise(speech: Path, snr_db: float, seed: int = 0, pad_s: float = 0.0, color: str = "white") -> Path:
    """Speech plus white, pink or brown noise at an exact SNR (power of the speech signal over the noise's).

    ``pad_s`` seconds of silence go on each side first, so the file also has noise-only parts.
    """
    path, done = _cached(f"noise|{speech}|{snr_db}|{seed}|{pad_s}" + (f"|{color}" if color != "white" else ""))
    if done:
        return path
    x, rate = _read_mono(speech)
    pad = np.zeros(int(pad_s * rate))
    signal_power = np.mean(x**2)
    x = np.concatenate([pad, x, pad])
    noise = np.random.default_rng(seed).standard_normal(len(x))
    if NOISE_SLOPES[color]:
        spectrum = np.fft.rfft(noise)
        spectrum[1:] /= np.arange(1, len(spectrum)) ** (NOISE_SLOPES[color] / 2)
        noise = np.fft.irfft(spectrum, len(x))
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


def in_room(speech: Path, rt60_s: float, seed: int = 0) -> Path:
    """Speech convolved with a synthetic room response: a direct path, then exponentially decaying
    noise that falls 60 dB in ``rt60_s`` with as much energy as the direct path (a statistical model
    of a diffuse room, unlike sox's reverb effect)."""
    from scipy.signal import fftconvolve

    def make():
        x = _mono16k(speech)
        t = np.arange(int(1.5 * rt60_s * 16000)) / 16000
        tail = np.random.default_rng(seed).standard_normal(len(t)) * np.exp(-6.908 * t / rt60_s)
        tail[: int(0.005 * 16000)] = 0.0  # the first reflections arrive after 5 ms
        response = tail / np.sqrt(np.sum(tail**2))  # as much reverberant energy as direct sound
        response[0] = 1.0
        y = fftconvolve(x, response)
        return y * 0.9 / max(1e-9, np.max(np.abs(y)))
    return _write(f"room|{speech}|{rt60_s}|{seed}", make)


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


def _write(recipe: str, make_samples, rate: int = 16000) -> Path:
    """A file made by numpy from a recipe, written once under a name derived from the recipe."""
    path, done = _cached(recipe)
    if done:
        return path
    y = make_samples()
    return _atomic(path, lambda tmp: sf.write(tmp, y, rate, format="WAV"))


def _mono16k(path: Path) -> np.ndarray:
    import soxr

    x, rate = _read_mono(path)
    return soxr.resample(x, rate, 16000) if rate != 16000 else x


def excerpt(source: Path, start_s: float, seconds: float) -> Path:
    """A piece of a recording (16 kHz): for very short clips."""
    def make():
        x = _mono16k(source)
        return x[int(start_s * 16000): int((start_s + seconds) * 16000)]
    return _write(f"excerpt|{source}|{start_s}|{seconds}", make)


def with_gain(source: Path, gain_db: float) -> Path:
    """A recording made louder or quieter; samples beyond full scale are clipped as an overdriven input would."""
    return _write(f"gain|{source}|{gain_db}",
                  lambda: np.clip(_mono16k(source) * 10 ** (gain_db / 20), -1.0, 1.0))


def phone_band(source: Path) -> Path:
    """Telephone speech: band-limited to 300-3400 Hz and stored at 8 kHz, as a phone call arrives."""
    path, done = _cached(f"phone|{source}")
    if not done:
        _atomic(path, lambda tmp: _run(["sox", str(source), "-t", "wav", "-r", "8000", "-c", "1", str(tmp),
                                        "sinc", "300-3400"]))
    return path


def mixed(foreground: Path, background: Path, background_db: float) -> Path:
    """Foreground (speech) with a background (music, laughter) looped under it, background_db relative to it."""
    def make():
        x = _mono16k(foreground)
        b = np.resize(_mono16k(background), len(x))
        b *= np.sqrt(np.mean(x**2) / max(np.mean(b**2), 1e-12)) * 10 ** (background_db / 20)
        y = x + b
        return y * 0.9 / max(1e-9, np.max(np.abs(y)))
    return _write(f"mixed|{foreground}|{background}|{background_db}", make)


def laughter(seconds: float = 2.0, seed: int = 0) -> Path:
    """Laughter-like bursts: breathy voiced "ha" syllables (falling pitch near 250 Hz) about 5 per second."""
    def make():
        rng = np.random.default_rng(seed)
        rate, t = 16000, np.arange(int(seconds * 16000)) / 16000
        f0 = 250 * 2 ** (-t / seconds / 2)
        phase = 2 * np.pi * np.cumsum(f0) / rate
        voice = sum(np.sin(h * phase) / h for h in range(1, 8)) + 0.6 * rng.standard_normal(len(t))
        syllable = np.clip(np.sin(2 * np.pi * 4.7 * t), 0, None) ** 2
        return 0.3 * voice * syllable / np.max(np.abs(voice))
    return _write(f"laughter|{seconds}|{seed}", make)


def faint_noise(seconds: float = 2.0, level_dbfs: float = -70.0, seed: int = 0) -> Path:
    """Near silence: white noise at a very low level, as an idle microphone records."""
    return _write(f"faint|{seconds}|{level_dbfs}|{seed}",
                  lambda: np.random.default_rng(seed).standard_normal(int(seconds * 16000)) * 10 ** (level_dbfs / 20))


def robustness_clips() -> dict[str, Path]:
    """Clips of the kinds users bring, unusual but valid, for checking that every tool copes.

    Read speech (LibriVox, cards), synthetic expressive speech (espeak-ng pitch and rate variants,
    flite), speech with music or laughter under it, phone-band speech, non-speech sounds
    (freedesktop theme), very short clips (0.5 and 1 s), near-silent clips and clipped loud
    speech. Each is at most a few seconds so that all tools over all clips stay quick.
    """
    read = librivox()[0].path
    card = cards()[0].path
    said = "Oh no, I did not expect that today."
    excited = espeak(said, "en-us+f3", 230)
    return {
        "read_librivox": excerpt(read, 0.0, 3.0),
        "read_cards": card,
        "synthetic_excited": excited,
        "synthetic_slow_male": espeak(said, "en-us+m3", 110),
        "synthetic_flite": flite(said, "awb"),
        "speech_with_music": mixed(excited, triad(57, "minor", 2.0), -6.0),
        "speech_with_laughter": concat([mixed(excited, laughter(), -3.0), laughter(1.0)], gap_s=0.2),
        "laughter_only": laughter(),
        "phone_band": phone_band(excerpt(read, 0.0, 3.0)),
        "bell": freedesktop("bell"),
        "phone_ringing": excerpt(freedesktop("phone-incoming-call"), 0.0, 3.0),
        "music_chord": triad(60, "major", 2.0),
        "short_1s_speech": excerpt(read, 0.5, 1.0),
        "short_half_second_speech": excerpt(card, 0.4, 0.5),
        "near_silent_speech": with_gain(card, -45.0),
        "near_silent_noise": faint_noise(),
        "clipped_loud_speech": with_gain(excerpt(read, 0.0, 3.0), 24.0),
    }
