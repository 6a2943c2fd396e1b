"""text_spoken: given words found in real speech through the offline ASR, tolerant of its slips."""

from __future__ import annotations

import pytest

from copilot.audio import load_audio
from copilot.errors import ToolError
from copilot.testing import corpus
from toolsets.speech.matching import match, text_spoken


def test_alignment_forgives_what_asr_changes_but_not_other_words():
    heard = "so the 5 cards are on the table, said mister Dash wood."
    assert match("Five cards", heard)["spoken"] is True  # digits against number words
    assert match("DASHWOOD", heard)["spoken"] is True  # one word heard as two
    assert match("the five cards are on the tabel", heard)["spoken"] is True  # one misspelt word
    assert match("the five cards are on the table", heard)["heard"] == "the 5 cards are on the table"
    assert match("the dogs ran under the bridge", heard)["spoken"] is False
    assert match("cat", "the catalogue is on the table")["spoken"] is False  # a part of a word is not the word


def test_text_without_words_is_refused():
    with pytest.raises(ToolError, match="no words"):
        match(" ?! ", "anything")


@pytest.mark.slow
def test_real_read_speech_matches_its_own_transcript_only():
    said = corpus.librivox()
    audio = [load_audio(u.path) for u in said[:3]]
    for i, clip in enumerate(audio):
        assert text_spoken(clip, said[i].text)["spoken"] is True, said[i].text
        assert text_spoken(clip, said[(i + 1) % 3].text)["spoken"] is False
    longest = max(said[0].text.split(), key=len)
    result = text_spoken(audio[0], longest)
    assert result["spoken"] is True and result["error"] <= result["threshold"]
