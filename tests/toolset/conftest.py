"""Fixtures shared by the speech-toolset tests: one runtime per session, labelled corpus audio."""

from __future__ import annotations

import dataclasses

import pytest

from copilot.audio import Audio, load_audio
from copilot.config import Settings, load_settings
from copilot.testing import corpus
from copilot.tools import Runtime, use_runtime


@pytest.fixture(scope="session", autouse=True)
def runtime():
    """Default backends and no disk result cache, so every test really runs its model.

    Only the cache folder comes from the user's settings (joined model files live there); the
    backend choice does not, so a COPILOT_BACKEND_* variable cannot change what the tests check.
    """
    settings = dataclasses.replace(Settings(), cache_dir=load_settings().cache_dir, disk_cache=False)
    rt = Runtime(settings)
    with use_runtime(rt):
        yield rt


@pytest.fixture(scope="session")
def pyannote_sample() -> tuple[Audio, list[corpus.Turn], str]:
    """30 s of two women on the phone: the audio, its RTTM speaker turns and its transcript."""
    path, turns, text = corpus.pyannote_sample()
    return load_audio(path), turns, text


@pytest.fixture(scope="session")
def read_speech() -> list[tuple[Audio, str]]:
    """The ten real read utterances (LibriVox and cards) with their reference transcripts."""
    return [(load_audio(u.path), u.text) for u in corpus.librivox() + corpus.cards()]


@pytest.fixture(scope="session")
def espeak_args(tmp_path_factory):
    """Speech from espeak-ng with any extra flags (``-p`` pitch, ``-a`` amplitude, ``-m`` SSML)."""
    import subprocess

    folder = tmp_path_factory.mktemp("espeak")

    def make(text: str, *flags: str) -> Audio:
        path = folder / f"{abs(hash((text, flags)))}.wav"
        subprocess.run(["espeak-ng", *flags, "-w", str(path), text], check=True, capture_output=True)
        return load_audio(path)

    return make
