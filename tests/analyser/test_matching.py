import numpy as np

from copilot.analyser.matching import Thresholds, card, match_each, match_one
from copilot.testing.llm import ScriptedLLM

LIMITS = Thresholds(auto=0.8, ask=0.5, margin=0.1)
QUERY = card("spoof_check", ["audio"], "bool", "is the voice fake")
TARGETS = [card(n, ["audio"], "dict", n) for n in ("alpha", "beta", "gamma", "delta")]


def test_same_name_matches_without_scores():
    llm = ScriptedLLM([])
    m = match_one(llm, card("beta", [], "", ""), TARGETS, np.zeros(4), LIMITS)
    assert (m.target, m.method, m.score) == ("beta", "name", 1.0)


def test_high_score_or_clear_winner_matches_by_embedding():
    llm = ScriptedLLM([])  # any LLM call would fail the test
    assert match_one(llm, QUERY, TARGETS, np.array([0.1, 0.85, 0.84, 0.0]), LIMITS).target == "beta"
    m = match_one(llm, QUERY, TARGETS, np.array([0.6, 0.1, 0.45, 0.0]), LIMITS)
    assert (m.target, m.method) == ("alpha", "embedding")


def test_nothing_close_matches_nothing_without_asking():
    assert match_one(ScriptedLLM([]), QUERY, TARGETS, np.array([0.49, 0.3, 0.2, 0.1]), LIMITS) is None
    assert match_one(ScriptedLLM([]), QUERY, [], np.zeros(0), LIMITS) is None


def test_borderline_goes_to_the_llm_as_a_choice_with_none_first():
    llm = ScriptedLLM(["C)"])
    m = match_one(llm, QUERY, TARGETS, np.array([0.55, 0.6, 0.3, 0.52]), LIMITS)
    assert (m.target, m.method, m.score) == ("alpha", "llm", 0.55)  # options are ordered best first
    prompt = llm.calls[0][-1].content
    assert "A) none of these" in prompt and "spoof_check(audio) -> bool: is the voice fake" in prompt
    lines = [line for line in prompt.splitlines() if line[:2] in {"B)", "C)", "D)"}]
    assert [line.split("(")[0] for line in lines] == ["B) beta", "C) alpha", "D) delta"]


def test_llm_answering_none_or_nonsense_matches_nothing():
    scores = np.array([0.55, 0.6, 0.3, 0.52])
    assert match_one(ScriptedLLM(["A"]), QUERY, TARGETS, scores, LIMITS) is None
    assert match_one(ScriptedLLM(["Z"]), QUERY, TARGETS, scores, LIMITS) is None
    assert match_one(ScriptedLLM(["7"]), QUERY, TARGETS, scores, LIMITS) is None


def test_match_each_uses_real_embeddings():
    tools = [card("transcribe", ["audio"], "dict", "Transcribe speech to text"),
             card("estimate_snr", ["audio"], "dict", "Estimate the speech signal-to-noise ratio in decibels")]
    queries = [card("SNR_estimation", ["audio"], "float", "estimate the signal-to-noise ratio"),
               card("speech_recognition", ["audio"], "str", "transcribe the words spoken")]
    found = match_each(ScriptedLLM([]), queries, tools, LIMITS)
    assert [m.target for m in found] == ["estimate_snr", "transcribe"]
