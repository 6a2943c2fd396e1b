"""choose(): knowledge over the question's options, through the runtime's LLM."""

from __future__ import annotations

import dataclasses

import pytest

from benchmarks.knowledge_step import implied_choice
from copilot.config import Settings
from copilot.errors import ToolError
from copilot.testing.llm import ScriptedLLM
from copilot.tools import Runtime, load_toolset, use_runtime
from toolsets.speech.knowledge import choose

RANGES = ["soprano", "bass"]
FIGURES = ["Marie Curie", "Isaac Newton"]


def scripted(replies):
    llm = ScriptedLLM(replies)
    return llm, use_runtime(Runtime(dataclasses.replace(Settings(), disk_cache=False), llm=llm))


def test_choose_passes_facts_and_returns_one_of_the_options():
    llm, runtime = scripted(["B", "A"])  # as given B = bass; reversed (bass, soprano) A = bass
    with runtime:
        result = choose("Which vocal range suits this speaker?", RANGES, facts={"speaker gender": "male"})
        with pytest.raises(ToolError, match="between 1 and 26"):
            choose("Which?", [])
    assert result == {"label": "bass", "scores": {"soprano": 0.0, "bass": 1.0}, "method": "generation"}
    prompt = llm.calls[0][-1].content
    assert "speaker gender: male" in prompt and "A. soprano\nB. bass" in prompt


def test_choose_with_an_attribute_fact_still_asks_the_joint_question():
    llm, runtime = scripted(["B", "A"])
    with runtime:
        result = choose("Which scientist shares the speaker's gender?", FIGURES, facts={"speaker gender": "male"})
    assert result["label"] == "Isaac Newton" and result["method"] == "generation" and len(llm.calls) == 2


def test_implied_choice_judges_each_option_against_the_finding():
    # Two orders per option: Marie Curie -> female twice, Isaac Newton -> male twice.
    llm = ScriptedLLM(["female", "female", "male", "male"])
    result = implied_choice(llm, "Which scientist shares the speaker's gender?", FIGURES, "gender", "male")
    assert result["label"] == "Isaac Newton" and result["method"] == "implied gender"
    assert result["implied"] == {"Marie Curie": "female", "Isaac Newton": "male"} and result["margin"] == 1.0
    prompts = [call[-1].content for call in llm.calls]
    assert 'Which gender does "Marie Curie" go with?' in prompts[0] and "A. male\nB. female" in prompts[0]
    assert "A. female\nB. male" in prompts[1] and '"Isaac Newton"' in prompts[2]


def test_implied_choice_judges_over_the_attributes_own_labels():
    llm = ScriptedLLM(["fear"] * 2 + ["happy"] * 2 + ["Spanish"] * 2 + ["German"] * 2)
    scared = implied_choice(llm, "What happened?", ["a bear came", "a gift came"], "emotion", "fear")
    spoken = implied_choice(llm, "Which dish?", ["paella", "bratwurst"], "language", "German")
    assert scared["label"] == "a bear came" and "G. disgust" in llm.calls[0][-1].content
    assert spoken["label"] == "bratwurst" and spoken["implied"] == {"paella": "Spanish", "bratwurst": "German"}


def test_options_the_model_cannot_tell_apart_go_to_the_joint_question():
    llm = ScriptedLLM(["male"] * 4 + ["B", "A"])
    result = implied_choice(llm, "Which title?", ["Sir", "Lord"], "gender", "male")
    assert result["label"] == "Lord" and result["margin"] == 0.0 and len(llm.calls) == 6
    assert "gender: male" in llm.calls[4][-1].content


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
