"""Audio input: any local file a user gives becomes a 16 kHz mono float32 signal.

Every tool takes an :class:`Audio`, never a path, so decoding, resampling, limits and the content
hash (the cache key) live here and nowhere else. Decoding uses libsndfile (wav, flac, ogg, mp3)
and falls back to the ffmpeg command line for the rest (m4a/aac, video containers). Inputs are
local files only: URLs and ffmpeg protocol strings are refused before anything is opened.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from copilot.errors import (
    AudioError,
    AudioNotFoundError,
    AudioTooLongError,
    EmptyAudioError,
    NotAudioError,
    RemoteAudioError,
    UnreadableAudioError,
)

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
DEFAULT_MAX_SECONDS = 3600.0
# "http://x", "concat:a|b", "pipe:0", "file:x", "subfile,,start,0,,:x": a scheme of two or more
# letters (ffmpeg also allows ",options") then a colon.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+(,[^:/]*)?:")


@dataclass(frozen=True, eq=False)
class Audio:
    """A decoded recording: 16 kHz mono float32 samples in [-1, 1] plus a content hash."""

    samples: np.ndarray
    sha256: str
    source: str = "<array>"

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @classmethod
    def from_array(cls, samples: np.ndarray, sample_rate: int, source: str = "<array>") -> Audio:
        """Mix down, resample and hash an in-memory signal (rows = frames, columns = channels)."""
        x = np.asarray(samples, dtype=np.float32)
        if x.ndim == 2:
            x = x.mean(axis=1)
        if x.ndim != 1:
            raise AudioError(f"{source}: expected a 1-D or (frames, channels) array, got shape {x.shape}")
        if sample_rate != SAMPLE_RATE and len(x):
            x = soxr.resample(x, sample_rate, SAMPLE_RATE).astype(np.float32)
        if len(x) == 0:
            raise EmptyAudioError(f"{source}: the audio has no samples")
        if not np.any(x):
            raise EmptyAudioError(f"{source}: every sample is zero (digital silence)")
        if not np.all(np.isfinite(x)):
            raise NotAudioError(f"{source}: the audio holds NaN or infinite samples")
        x = np.ascontiguousarray(x)
        x.setflags(write=False)
        return cls(samples=x, sha256=hashlib.sha256(x.tobytes()).hexdigest(), source=source)

    def slice(self, start: float, end: float) -> Audio:
        """The part between two times in seconds (clamped to the recording)."""
        a = max(0, int(round(start * SAMPLE_RATE)))
        b = min(len(self.samples), int(round(end * SAMPLE_RATE)))
        return Audio.from_array(self.samples[a:b], SAMPLE_RATE, f"{self.source}[{start:.2f}-{end:.2f}]")


def check_local_path(path: str | Path) -> Path:
    """Refuse URLs and protocol strings; return the path if it names an existing regular file."""
    text = str(path)
    if _SCHEME.match(text) or "://" in text:
        raise RemoteAudioError(f"{text}: only local audio files are accepted, not URLs or protocol strings")
    p = Path(text).expanduser()
    try:
        if not p.exists():
            raise AudioNotFoundError(f"{text}: no such file")
        if p.is_dir():
            raise AudioNotFoundError(f"{text}: is a directory, not an audio file")
        if not p.is_file():
            raise NotAudioError(f"{text}: not a regular file")
    except OSError as exc:  # e.g. a folder on the way that may not be searched
        raise UnreadableAudioError(f"{text}: cannot be read ({exc.strerror or exc})") from exc
    if not os.access(p, os.R_OK):
        raise UnreadableAudioError(f"{text}: cannot be read (permission denied)")
    return p


def load_audio(path: str | Path, max_seconds: float = DEFAULT_MAX_SECONDS) -> Audio:
    """Decode a local audio file into an :class:`Audio` (16 kHz mono), with typed errors."""
    p = check_local_path(path)
    try:
        if p.stat().st_size == 0:
            raise EmptyAudioError(f"{path}: the file is empty (0 bytes)")
        try:
            samples, rate = _decode_soundfile(p, max_seconds)
        except _Unsupported:
            samples, rate = _decode_ffmpeg(p, max_seconds)
    except OSError as exc:
        raise UnreadableAudioError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return Audio.from_array(samples, rate, source=p.name)


class _Unsupported(Exception):
    """libsndfile does not know this container; try ffmpeg."""


def _too_long(path: Path, seconds: float, limit: float) -> AudioTooLongError:
    return AudioTooLongError(
        f"{path}: {seconds:.0f} s is longer than the limit of {limit:.0f} s "
        "(raise it with --max-seconds or COPILOT_MAX_AUDIO_SECONDS)"
    )


def _decode_soundfile(path: Path, max_seconds: float) -> tuple[np.ndarray, int]:
    try:
        with sf.SoundFile(path) as f:
            if f.frames / f.samplerate > max_seconds:
                raise _too_long(path, f.frames / f.samplerate, max_seconds)
            declared = f.frames
            data = f.read(dtype="float32", always_2d=True)
            rate = f.samplerate
    except sf.LibsndfileError as exc:
        if "unknown format" in str(exc).lower() or "format not recognised" in str(exc).lower():
            raise _Unsupported from exc
        raise NotAudioError(f"{path}: corrupt or unreadable audio ({exc})") from exc
    except RuntimeError as exc:  # libsndfile reports some decoder failures this way
        raise NotAudioError(f"{path}: corrupt or unreadable audio ({exc})") from exc
    if declared and len(data) < declared:
        raise NotAudioError(f"{path}: truncated: the header promises {declared} frames, {len(data)} are there")
    if path.suffix.lower() == ".wav":
        _check_wav_complete(path)
    return data, rate


def _check_wav_complete(path: Path) -> None:
    """libsndfile quietly clamps a WAV whose data chunk was cut off; we call that truncated."""
    with open(path, "rb") as fh:
        head = fh.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        size = path.stat().st_size
        while True:
            chunk = fh.read(8)
            if len(chunk) < 8:
                return
            length = int.from_bytes(chunk[4:8], "little")
            if chunk[:4] == b"data":
                if length != 0xFFFFFFFF and fh.tell() + length > size:
                    raise NotAudioError(
                        f"{path}: truncated: the data chunk declares {length} bytes, "
                        f"{size - fh.tell()} are there"
                    )
                return
            fh.seek(length + (length & 1), 1)


def _decode_ffmpeg(path: Path, max_seconds: float) -> tuple[np.ndarray, int]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise NotAudioError(f"{path}: not a format libsndfile reads, and ffmpeg is not installed to try")
    cmd = [
        ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
        "-protocol_whitelist", "file", "-i", f"file:{path.resolve()}",
        "-map", "0:a:0", "-t", str(max_seconds + 1), "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE),
        "-f", "f32le", "pipe:1",
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=600, check=False)
    except subprocess.TimeoutExpired as exc:
        raise NotAudioError(f"{path}: decoding took longer than {exc.timeout:.0f} s") from exc
    if proc.returncode != 0:
        raise NotAudioError(f"{path}: {_ffmpeg_reason(proc.stderr.decode(errors='replace'))}")
    data = np.frombuffer(proc.stdout, dtype=np.float32)
    if len(data) / SAMPLE_RATE > max_seconds:
        raise _too_long(path, len(data) / SAMPLE_RATE, max_seconds)
    return data, SAMPLE_RATE


def _ffmpeg_reason(stderr: str) -> str:
    """Our words for why ffmpeg failed: its own lines give advice about its flags, not the user's file."""
    log.debug("ffmpeg: %s", stderr.strip())
    if "matches no streams" in stderr:
        return "has no audio stream"
    if "Invalid data found" in stderr or "could not find codec" in stderr.lower():
        return "not an audio format ffmpeg or libsndfile can read"
    return "corrupt or unreadable audio (ffmpeg could not decode it)"
