"""The input signature of a program, inferred from what the user gives.

The paper picked ``main(audio_path)`` / ``main(audio1, audio2)`` / ``main(audio, text)`` by hand per
task; we infer it: one parameter per recording, plus ``word`` for a single-token text or ``text``
for longer text, then ``options`` when the question lists answers, and always ``question``. The
options and the wording are inputs, not part of the program's source, so one program answers every
item of a task whatever its option list or phrasing.
"""

from __future__ import annotations

from dataclasses import dataclass

from copilot.errors import CopilotError

MAX_RECORDINGS = 8


@dataclass(frozen=True)
class Signature:
    audio: tuple[str, ...]
    text: str | None = None
    options: bool = False

    @property
    def params(self) -> tuple[str, ...]:
        return self.audio + ((self.text,) if self.text else ()) + (("options",) if self.options else ()) + ("question",)

    def key(self) -> str:
        return ",".join(self.params)

    def describe(self) -> str:
        """What each parameter holds, for the prompt."""
        parts = []
        if len(self.audio) == 1:
            parts.append(f"`{self.audio[0]}` is the recording")
        else:
            parts.append(", ".join(f"`{a}`" for a in self.audio) + " are the recordings, in the order given")
        if self.text == "word":
            parts.append("`word` is the word the question is about")
        elif self.text == "text":
            parts.append("`text` is the text the question is about")
        if self.options:
            parts.append("`options` is the list of allowed answers")
        parts.append("`question` is the question's text")
        return "; ".join(parts) + "."


def infer_signature(n_audio: int, text: str | None = None, has_options: bool = False) -> Signature:
    if n_audio < 1:
        raise CopilotError("give at least one audio file")
    if n_audio > MAX_RECORDINGS:
        raise CopilotError(f"at most {MAX_RECORDINGS} audio files per question, got {n_audio}")
    audio = ("audio",) if n_audio == 1 else tuple(f"audio_{i}" for i in range(1, n_audio + 1))
    kind = None
    if text is not None and text.strip():
        kind = "word" if len(text.split()) == 1 else "text"
    return Signature(audio=audio, text=kind, options=has_options)
