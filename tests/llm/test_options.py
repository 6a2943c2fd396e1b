"""Option choice by the LLM: permutation debiasing, letters and option texts, both server kinds."""

from __future__ import annotations

import math

import pytest

from copilot.llm.base import ChatModel, Completion, choose_option
from copilot.llm.remote import OpenAILLM
from copilot.testing.llm import ScriptedLLM
from tests.llm.test_remote import ChatServer

ANIMALS = ["dog", "cow", "cat", "pig"]


class PositionBiasedScorer(ChatModel):
    """Letter scores = a strong pull toward "A" plus a weaker pull toward the option "cow"."""

    name = "biased"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def score_options(self, messages, letters):
        prompt = messages[-1].content
        self.prompts.append(prompt)
        shown = [line[3:] for line in prompt.splitlines() if line[:3] in {f"{x}. " for x in letters}]
        logits = {x: (2.0 if x == "A" else 0.0) + (1.5 if option == "cow" else 0.0)
                  for x, option in zip(letters, shown)}
        return Completion(text="", model=self.name, letter_logprobs=logits)


def test_two_orders_cancel_a_preference_for_the_first_position():
    llm = PositionBiasedScorer()
    picked = choose_option(llm, "Which animal says moo?", ANIMALS)
    assert [p.count(". ") for p in llm.prompts] == [4, 4]
    assert "A. dog" in llm.prompts[0] and "A. pig" in llm.prompts[1]  # as given, then reversed
    first = picked.completions[0].letter_logprobs
    assert max(first, key=first.get) == "A"  # one order alone would answer "dog"
    assert picked.option == "cow" and picked.method == "logprobs"
    assert sum(picked.scores.values()) == pytest.approx(1, abs=1e-3)
    assert picked.scores["cow"] > picked.scores["dog"] == pytest.approx(picked.scores["pig"], abs=1e-3)


def test_generated_letters_and_option_texts_are_mapped():
    llm = ScriptedLLM(["B", "(c) cow"])  # as given: B = cow; reversed (pig, cat, cow, dog): C = cow
    picked = choose_option(llm, "Which animal says moo?", ANIMALS, context="a farm")
    assert picked.option == "cow" and picked.method == "generation" and picked.scores["cow"] == 1.0
    assert "Facts:\na farm" in llm.calls[0][-1].content
    split = choose_option(ScriptedLLM(["The answer is cat.", "A"]), "Which animal purrs?", ANIMALS)
    assert split.option == "cat" and split.scores == {"dog": 0.0, "cow": 0.0, "cat": 0.5, "pig": 0.5}
    lost = choose_option(ScriptedLLM(["I think a pigg", "no idea"]), "Which animal oinks?", ANIMALS)
    assert lost.option == "pig" and set(lost.scores.values()) == {0.0}  # nearest wording, no votes
    assert choose_option(ScriptedLLM([]), "Only one?", ["yes"]).option == "yes"
    with pytest.raises(ValueError, match="1 to 26"):
        choose_option(ScriptedLLM([]), "None?", [])


def _top(pairs):
    return {"content": [{"token": pairs[0][0], "logprob": pairs[0][1], "bytes": None,
                         "top_logprobs": [{"token": t, "logprob": lp, "bytes": None} for t, lp in pairs]}],
            "refusal": None}


def test_server_logprobs_score_the_letters():
    # As given (dog, cow, cat, pig) the server leans to B = cow; reversed, to C = cow.
    script = [(200, "B", _top([("B", -0.3), (" A", -1.6), ("C", -2.9)])),
              (200, "C", _top([("C", -0.5), ("A", -1.2), ("(D", -3.0)]))]
    with ChatServer(script) as server:
        picked = choose_option(OpenAILLM("m", base_url=server.url, api_key="k"), "Which says moo?", ANIMALS)
    body = server.requests[0]["body"]
    assert body["logprobs"] is True and body["top_logprobs"] == 20 and body["max_tokens"] == 8
    assert picked.option == "cow" and picked.method == "logprobs"
    first = picked.completions[0].letter_logprobs
    assert first["B"] == -0.3 and first["A"] == -1.6 and first["D"] == pytest.approx(-3.9)  # unlisted: floor
    assert picked.scores["cow"] > 0.5 and sum(picked.scores.values()) == pytest.approx(1, abs=1e-3)
    assert math.isclose(picked.completions[1].letter_logprobs["D"], -3.0)


def test_servers_without_logprobs_fall_back_to_mapping_the_reply():
    with ChatServer([(200, "B"), (200, "C. cow")]) as server:
        picked = choose_option(OpenAILLM("m", base_url=server.url, api_key="k"), "Which says moo?", ANIMALS)
    assert picked.option == "cow" and picked.method == "generation"
    # A server that refuses the logprobs parameter is asked again without it.
    with ChatServer([(400, "logprobs not supported"), (200, "cow"), (400, "no"), (200, "cow")]) as server:
        picked = choose_option(OpenAILLM("m", base_url=server.url, api_key="k", retry_wait=0.01),
                               "Which says moo?", ANIMALS)
    assert picked.option == "cow" and len(server.requests) == 4
    assert "logprobs" in server.requests[0]["body"] and "logprobs" not in server.requests[1]["body"]
