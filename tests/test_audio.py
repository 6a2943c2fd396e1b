"""Audio input: every format a user may give, and a clear typed error for every bad input."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from copilot.audio import SAMPLE_RATE, Audio, load_audio
from copilot.cli import main
from copilot.errors import (
    AudioNotFoundError,
    AudioTooLongError,
    EmptyAudioError,
    NotAudioError,
    RemoteAudioError,
)
from copilot.testing import corpus

SOURCE = corpus.librivox()[0].path  # 7.1 s, 16 kHz mono, real read speech


def _envelope(x: np.ndarray, hop: int = 160) -> np.ndarray:
    n = len(x) // hop
    return np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1))


def _similarity(x: np.ndarray, y: np.ndarray) -> float:
    """Best envelope correlation over shifts up to 50 ms (codecs add priming delay)."""
    a, b = _envelope(x), _envelope(y)
    best = -1.0
    for lag in range(0, 6):
        n = min(len(a) - lag, len(b))
        best = max(best, float(np.corrcoef(a[lag:lag + n], b[:n])[0, 1]))
    return best


@pytest.fixture(scope="module")
def reference() -> Audio:
    return load_audio(SOURCE)


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, Path]:
    """The same utterance as 44.1 kHz stereo in every container the issue names."""
    folder = tmp_path_factory.mktemp("formats")
    stereo = folder / "stereo44k.wav"
    subprocess.run(["sox", str(SOURCE), "-r", "44100", "-c", "2", str(stereo)], check=True)
    out = {"wav": stereo}
    for ext, codec in {"flac": [], "ogg": ["-c:a", "libvorbis"], "mp3": ["-c:a", "libmp3lame"],
                       "m4a": ["-c:a", "aac"], "aac": ["-c:a", "aac"]}.items():
        path = folder / f"speech.{ext}"
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(stereo), *codec, str(path)],
                       check=True)
        out[ext] = path
    return out


@pytest.mark.parametrize("ext", ["wav", "flac", "ogg", "mp3", "m4a", "aac"])
def test_every_format_decodes_to_the_same_16k_mono_signal(converted, reference, ext):
    audio = load_audio(converted[ext])
    assert audio.sample_rate == SAMPLE_RATE and audio.samples.ndim == 1
    assert audio.samples.dtype == np.float32
    assert abs(audio.duration - reference.duration) < 0.1  # mp3/aac add a few ms of padding
    assert _similarity(audio.samples, reference.samples) > 0.95


def test_content_hash_is_stable_and_distinguishes_content(reference, tmp_path):
    again = load_audio(SOURCE)
    assert again.sha256 == reference.sha256
    other = load_audio(corpus.librivox()[1].path)
    assert other.sha256 != reference.sha256


def test_missing_file():
    with pytest.raises(AudioNotFoundError, match="no such file"):
        load_audio("/nonexistent/recording.wav")


def test_directory(tmp_path):
    with pytest.raises(AudioNotFoundError, match="directory"):
        load_audio(tmp_path)


def test_text_file(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio\n" * 50)
    with pytest.raises(NotAudioError):
        load_audio(path)


def test_image_file(tmp_path):
    path = tmp_path / "picture.png"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "color=red:s=32x32",
                    "-frames:v", "1", str(path)], check=True)
    with pytest.raises(NotAudioError):
        load_audio(path)


def test_zero_length_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.touch()
    with pytest.raises(EmptyAudioError, match="0 bytes"):
        load_audio(path)


def test_all_zero_samples(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(16000), 16000)
    with pytest.raises(EmptyAudioError, match="zero"):
        load_audio(path)


def test_header_only_wav_has_no_samples(tmp_path):
    path = tmp_path / "header.wav"
    sf.write(path, np.zeros(0), 16000)
    with pytest.raises(EmptyAudioError):
        load_audio(path)


def test_corrupt_file(tmp_path):
    path = tmp_path / "corrupt.flac"
    data = bytearray(Path(SOURCE).read_bytes())
    path.write_bytes(b"fLaC" + bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8)))
    assert data  # the source exists; the corrupt file only borrows its extension
    with pytest.raises(NotAudioError):
        load_audio(path)


def test_truncated_wav(tmp_path):
    path = tmp_path / "cut.wav"
    path.write_bytes(Path(SOURCE).read_bytes()[:20000])
    with pytest.raises(NotAudioError, match="truncated"):
        load_audio(path)


def test_truncated_flac(tmp_path):
    full = tmp_path / "full.flac"
    subprocess.run(["sox", str(SOURCE), str(full)], check=True)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 3])
    with pytest.raises(NotAudioError):
        load_audio(cut)


def test_too_long(reference):
    with pytest.raises(AudioTooLongError, match="longer than the limit"):
        load_audio(SOURCE, max_seconds=5)


def test_too_long_through_ffmpeg(converted):
    with pytest.raises(AudioTooLongError):
        load_audio(converted["m4a"], max_seconds=5)


@pytest.mark.parametrize("text", ["http://example.com/a.wav", "https://x.org/b.mp3", "concat:a.wav|b.wav",
                                  "pipe:0", "file:/etc/passwd", "rtmp://host/live", "subfile,,start,0,end,0,,:x"])
def test_urls_and_protocol_strings_are_refused(text):
    with pytest.raises(RemoteAudioError, match="only local audio files"):
        load_audio(text)


def test_cli_reports_bad_input_in_one_line(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    for target in [str(bad), "/nonexistent.wav", "http://example.com/x.wav"]:
        result = CliRunner().invoke(main, ["tools", "run", "audio_properties", target])
        assert result.exit_code == 1
        message = result.output.strip()
        assert message.startswith("Error: ") and "\n" not in message and "Traceback" not in message


def test_ffmpeg_is_used_only_for_local_files(monkeypatch, converted):
    """The ffmpeg fallback is given a file: URL with only the file protocol allowed."""
    seen = []
    real_run = subprocess.run

    def spy(cmd, *args, **kwargs):
        seen.append(cmd)
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    load_audio(converted["m4a"])
    cmd = seen[-1]
    assert cmd[0] == shutil.which("ffmpeg")
    assert cmd[cmd.index("-protocol_whitelist") + 1] == "file"
    assert cmd[cmd.index("-i") + 1].startswith("file:/")
