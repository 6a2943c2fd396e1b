"""How a tool says it heard nothing to judge, or doubts its answer: the one result contract.

Every tool result is a dict; two optional keys carry doubt, and the planner
(``copilot/planner/answers.py``) turns them into the answer's caveats:

- ``"reliability": "low"`` with ``"note"``: the result is uncertain (a low language score, a
  near-even gender split, a guessed emotion); the note is shown to the user with the answer.
- ``"detected": False``: the thing the tool judges is absent (no speech for a speech tool, no
  music for a music tool, none of the candidates for a sound tool); ``"label"`` is then an
  abstention ("no speech", "no music", "none") that answers no option, and the result also has
  low reliability and a note, so an answer built on it carries a caveat.

Speech tools call :func:`without_speech` first and return its result when it is not None.
"""

from __future__ import annotations

from typing import Any

from copilot.audio import Audio
from toolsets.speech.activity import speech_presence


def doubtful(result: dict, note: str) -> dict:
    """``result`` marked low-reliability, with ``note`` added to any note it already has."""
    earlier = result.get("note")
    return {**result, "reliability": "low", "note": f"{earlier}; {note}" if earlier else note}


def absent(label: str, note: str, **extra: Any) -> dict:
    """A result that abstains: ``label`` ("no speech", "none") names the absence; ``extra`` keeps keys callers read."""
    return {"label": label, "detected": False, **extra, "reliability": "low", "note": note}


def without_speech(audio: Audio, what: str, **extra: Any) -> dict | None:
    """The "no speech" result for a tool judging ``what`` ("the speaker's gender"), or None when someone speaks."""
    found = speech_presence(audio)
    if found["present"]:
        return None
    return absent("no speech", f"no speech in the recording (voice activity score {found['score']}), so "
                               f"{what} cannot be judged; answer that no one speaks", **extra)
