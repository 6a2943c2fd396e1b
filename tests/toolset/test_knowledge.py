"""choose(): knowledge over the question's options, through the runtime's LLM."""

from __future__ import annotations

import dataclasses

import pytest

from copilot.config import Settings
from copilot.errors import ToolError
from copilot.testing.llm import ScriptedLLM
from copilot.tools import Runtime, load_toolset, use_runtime
from toolsets.speech.knowledge import choose

RANGES = ["soprano", "bass"]


def test_choose_passes_facts_and_returns_one_of_the_options():
    llm = ScriptedLLM(["B", "A"])  # as given B = bass; reversed (bass, soprano) A = bass
    with use_runtime(Runtime(dataclasses.replace(Settings(), disk_cache=False), llm=llm)):
        result = choose("Which vocal range suits this speaker?", RANGES, facts={"speaker gender": "male"})
        with pytest.raises(ToolError, match="between 1 and 26"):
            choose("Which?", [])
    assert result == {"label": "bass", "scores": {"soprano": 0.0, "bass": 1.0}, "method": "generation"}
    prompt = llm.calls[0][-1].content
    assert "speaker gender: male" in prompt and "A. soprano\nB. bass" in prompt


def test_choose_is_a_tool_of_the_speech_toolset():
    tool = load_toolset("speech")["choose"]
    assert 'options, facts={"speaker gender": gender})["label"]' in tool.stub()
    assert [p.name for p in tool.params] == ["question", "options", "facts"]


@pytest.mark.llm
def test_embedded_model_scores_letters_with_its_chat_template(runtime):
    llm = runtime.llm
    answer = choose("Which animal makes the sound 'moo'?", ["dog", "cow", "frog", "cat"])
    assert answer["label"] == "cow" and answer["method"] == "logprobs" and answer["scores"]["cow"] > 0.5
    # The scoring prompt is exactly what a chat call evaluates: after a chat call on the same
    # messages, every prompt token but the last comes from the KV cache.
    from copilot.llm.base import choice_messages

    messages = choice_messages("Which colour is the sky on a clear day?", ["green", "blue"])
    llm.complete(messages, max_tokens=1)
    scored = llm.score_options(messages, ["A", "B"])
    assert scored.cached_tokens == scored.prompt_tokens - 1
    assert max(scored.letter_logprobs, key=scored.letter_logprobs.get) == "B"
