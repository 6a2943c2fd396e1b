"""The input signature comes from what the user gives, not from a per-task table."""

from __future__ import annotations

import pytest

from copilot.errors import CopilotError
from copilot.planner.signature import infer_signature


@pytest.mark.parametrize(("n_audio", "text", "params"), [
    (1, None, ("audio",)),
    (2, None, ("audio_1", "audio_2")),
    (3, None, ("audio_1", "audio_2", "audio_3")),
    (1, "hello", ("audio", "word")),
    (1, "  hello  ", ("audio", "word")),
    (1, "the cat sat on the mat", ("audio", "text")),
    (2, "compare these", ("audio_1", "audio_2", "text")),
    (1, "   ", ("audio",)),
])
def test_signature(n_audio, text, params):
    assert infer_signature(n_audio, text).params == params + ("question",)
    assert infer_signature(n_audio, text, has_options=True).params == params + ("options", "question")


def test_no_audio_is_an_error():
    with pytest.raises(CopilotError, match="at least one audio"):
        infer_signature(0)
