"""One benchmark item, whatever benchmark it came from, and how its audio is decoded.

Loaders yield :class:`BenchItem` objects that hold audio *references* (a path, or the encoded
bytes of a dataset row), not decoded signals: a Dynamic-SUPERB instance has thousands of rows and
only the items being answered should hold samples in memory.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import soundfile as sf

from copilot.audio import Audio, load_audio
from copilot.errors import CopilotError, NotAudioError


class BenchDataError(CopilotError):
    """A benchmark instance is missing, in an unknown layout, or lacks a column it needs."""


class MissingInstanceError(BenchDataError):
    """The local copy has no folder for this instance (a partial copy: summarised, not one line each)."""


@dataclass(frozen=True)
class AudioRef:
    """Encoded audio from a dataset row (``bytes``) or a file on disk (``path``)."""

    path: str | None = None
    data: bytes | None = None

    def load(self) -> Audio:
        if self.data:
            try:
                samples, rate = sf.read(io.BytesIO(self.data), dtype="float32", always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as exc:
                raise NotAudioError(f"{self.path or '<bytes>'}: undecodable audio in the dataset ({exc})") from exc
            return Audio.from_array(samples, rate, source=Path(self.path or "<bytes>").name)
        if self.path:
            return load_audio(self.path)
        raise NotAudioError("the dataset row has an empty audio cell")


@dataclass(frozen=True)
class BenchItem:
    """A question to ask: instruction, inputs, the gold label and how to score it.

    ``group`` is what reports aggregate over (a Dynamic-SUPERB dimension, a SAKURA track and hop).
    ``options`` are the answer choices (from the instruction, else the task's label set);
    ``letters`` maps option letters to options when the instruction lists ``(a) ...`` choices.
    """

    task: str
    item_id: str
    instruction: str
    label: str
    audio: tuple[AudioRef, ...] = ()
    text: str | None = None
    options: tuple[str, ...] = ()
    letters: dict[str, str] = field(default_factory=dict)
    group: str = ""
    metric: str = "accuracy"
    source: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.task, self.item_id)

    def load_audio(self) -> list[Audio]:
        return [ref.load() for ref in self.audio]
