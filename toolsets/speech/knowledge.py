"""World knowledge and reasoning over a question's options, by the LLM, without free generation.

A program that needs knowledge on top of what the audio tools say (the speaker is male: which
vocal range fits? the language is Japanese: which country?) hands the facts it found and the
question's options to ``choose``, instead of writing the knowledge into code. The LLM scores the
options' letters in two orders (see :func:`copilot.llm.base.choose_option`), so the answer is
always one of the options and not biased toward the first.

A decomposed alternative (each option's implied attribute value, benchmarks/knowledge_step.py) did
not beat the joint question on the report half of the two-hop set (benchmarks/bench_knowledge.py),
so ``choose`` keeps the joint question.
"""

from __future__ import annotations

from copilot.errors import ToolError
from copilot.llm.base import LETTERS, choose_option
from copilot.tools import current_runtime, tool


@tool(cacheable=False)
def choose(question: str, options: list[str], facts: str | dict | None = None) -> dict:
    """Pick the option that answers a knowledge or reasoning question, given facts from the tools.

    Use it after the audio tools, for what they cannot hear: world knowledge (country of a
    language, vocal range of a gender, habitat of an animal), meaning and inference. Pass the
    question as asked, its options, and what the tools found.

    Args:
        question: The question, in words (the user's instruction is fine).
        options: The answers to choose from, e.g. the options of the question.
        facts: What the tools found, as text or a dict such as {"speaker gender": "male"}.

    Returns:
        {"label": str, "scores": {option: float}, "method": str}: "label" is one of the options
        exactly as written; "scores" are probabilities summing to 1; "method" is "logprobs",
        "generation" (a server without logprobs) or "single option".

    Example:
        >>> gender = speaker_gender(audio)["label"]
        >>> options = ["soprano", "bass"]
        >>> answer = choose("Which vocal range suits this speaker?", options, facts={"speaker gender": gender})["label"]
    """
    options = [str(o) for o in options]
    if not options or len(set(options)) > len(LETTERS):
        raise ToolError(f"choose(options=...): give between 1 and {len(LETTERS)} options, got {len(options)}")
    if isinstance(facts, dict):
        context = "\n".join(f"{key}: {value}" for key, value in facts.items())
    else:
        context = "" if facts is None else str(facts)
    picked = choose_option(current_runtime().llm, question, options, context)
    return {"label": picked.option, "scores": picked.scores, "method": picked.method}
