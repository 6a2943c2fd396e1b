"""World knowledge and reasoning over a question's options, by the LLM, without free generation.

A program that needs knowledge on top of what the audio tools say (the speaker is male: which
historical figure shares the gender? the language is Japanese: which dish?) hands the facts it
found and the question's options to ``choose``, instead of writing the knowledge into code.

When the facts name an attribute with a known label set (speaker gender, spoken language,
emotion, animal), the question is decomposed for a small model: for each option the LLM says
which value of the attribute the option goes with ("Marie Curie" -> female), scored over the
attribute's labels in two orders, and the option that most implies the tool's finding wins.
Asked the joint question at once, the 1.5B embedded model is near chance on such pairs; see
benchmarks/bench_knowledge.py for the comparison. Otherwise the options' letters are scored in
two orders (:func:`copilot.llm.base.choose_option`), so the answer is always one of the options.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from copilot.errors import ToolError
from copilot.llm.base import CHOICE_SYSTEM, LETTERS, ChatModel, Message, _log_softmax, choose_option
from copilot.tools import current_runtime, tool

ANIMALS = ("dog", "cat", "horse", "donkey", "cow", "pig", "goat", "sheep", "chicken", "duck", "goose",
           "lion", "wolf", "mouse", "frog", "snake", "whale", "pigeon", "crow", "owl", "gull", "cricket",
           "mosquito", "fly", "bee")
"""The animals the AudioSet ontology names under "Animal" (toolsets/speech/data/audioset_ontology.json),
by their plain names: the labels a sound tool reports for an animal."""
LANGUAGES_SHOWN = 12  # the first languages of Whisper's table (ordered by training hours), plus the finding


@dataclass(frozen=True)
class Attribute:
    """An attribute a tool measures: how a fact's key names it, and its labels."""

    name: str  # as the knowledge question says it: "gender", "language", ...
    key: re.Pattern  # matches a facts key that names it ("speaker gender", "spoken language")


ATTRIBUTES = (
    Attribute("gender", re.compile(r"\b(gender|sex)\b")),
    Attribute("language", re.compile(r"\blanguage\b")),
    Attribute("emotion", re.compile(r"\b(emotion|mood|feeling)s?\b")),
    Attribute("animal", re.compile(r"\banimals?\b")),
)


@tool(cacheable=False)
def choose(question: str, options: list[str], facts: str | dict | None = None) -> dict:
    """Pick the option that answers a knowledge or reasoning question, given facts from the tools.

    Use it after the audio tools, for what they cannot hear: world knowledge (country of a
    language, vocal range of a gender, habitat of an animal), meaning and inference. Pass the
    question as asked, its options, and what the tools found; name the attribute in the key
    ("speaker gender", "spoken language", "emotion", "animal") so that each option is judged
    against it.

    Args:
        question: The question, in words (the user's instruction is fine).
        options: The answers to choose from, e.g. the options of the question.
        facts: What the tools found, as text or a dict such as {"speaker gender": "male"}.

    Returns:
        {"label": str, "scores": {option: float}, "method": str}: "label" is one of the options
        exactly as written; "scores" are probabilities summing to 1; "method" is "implied <attribute>"
        (each option judged against the finding; then "implied" maps each option to the attribute
        value it goes with and "margin" is the winner's lead in probability), "logprobs",
        "generation" (a server without logprobs) or "single option".

    Example:
        >>> gender = speaker_gender(audio)["label"]
        >>> options = ["Marie Curie", "Isaac Newton"]
        >>> answer = choose("Which scientist shares the speaker's gender?", options, facts={"speaker gender": gender})["label"]
    """
    options = [str(o) for o in options]
    if not options or len(set(options)) > len(LETTERS):
        raise ToolError(f"choose(options=...): give between 1 and {len(LETTERS)} options, got {len(options)}")
    pairs = _fact_pairs(facts)
    llm = current_runtime().llm
    finding = next(((a, v) for a, v in (_attribute(k, v) for k, v in pairs) if a), None)
    if finding and len(set(options)) > 1:
        return implied_choice(llm, question, options, *finding)
    context = "\n".join(f"{key}: {value}" if key else value for key, value in pairs)
    picked = choose_option(llm, question, options, context)
    return {"label": picked.option, "scores": picked.scores, "method": picked.method}


def implied_choice(llm: ChatModel, question: str, options: list[str], attribute: Attribute, finding: str) -> dict:
    """The option whose implied attribute value is most likely the finding.

    Two LLM calls per option (its label distribution, labels shown in two orders). Options the
    model cannot tell apart (a tie, as replies without log-probabilities give) go to the joint
    question, two calls more.
    """
    options = list(dict.fromkeys(options))
    values = implied_values(llm, attribute, options, label_set(attribute, finding))
    implied = {o: max(dist, key=dist.get) for o, dist in values.items()}
    fit = {o: values[o][finding] for o in options}
    top = max(fit.values())
    tied = [o for o in options if math.isclose(fit[o], top, abs_tol=1e-4)]
    if len(tied) > 1:
        joint = choose_option(llm, question, tied, f"{attribute.name}: {finding}")
        return {"label": joint.option, "scores": {o: joint.scores.get(o, 0.0) for o in options},
                "method": joint.method, "implied": implied, "margin": 0.0}
    total = sum(fit.values())
    scores = {o: round(fit[o] / total, 4) for o in options}
    ranked = sorted(scores.values(), reverse=True)
    return {"label": tied[0], "scores": scores, "method": f"implied {attribute.name}", "implied": implied,
            "margin": round(ranked[0] - ranked[1], 4)}


def implied_values(llm: ChatModel, attribute: Attribute, options: list[str], labels: list[str]) -> dict[str, dict[str, float]]:
    """Each option's probability for each label (which gender "Marie Curie" goes with), over two label orders.

    With letter log-probabilities the labels come first in the prompt and the option last, and the
    options are asked one after another in each order, so that every call but the first of an
    order evaluates only its option's few tokens (the rest is the previous call's KV cache).
    Without them, each option is a lettered question of its own (:func:`choose_option`).
    """
    def one_question_each() -> dict[str, dict[str, float]]:
        return {o: choose_option(llm, f'Which {attribute.name} does "{o}" go with?', labels).scores for o in options}

    scorer = getattr(llm, "score_options", None)
    if scorer is None:
        return one_question_each()
    runs: dict[str, list[list[float]]] = {o: [] for o in options}
    for shown in (labels, labels[::-1]):
        letters = LETTERS[: len(shown)]
        for option in options:
            scored = scorer(implied_messages(attribute, option, shown), letters).letter_logprobs
            if not scored:
                return one_question_each()
            by_label = dict(zip(shown, _log_softmax([scored.get(letter, -math.inf) for letter in letters])))
            runs[option].append([by_label[label] for label in labels])
    return {o: dict(zip(labels, (math.exp(x) for x in _log_softmax([sum(v) / 2 for v in zip(*r)]))))
            for o, r in runs.items()}


def implied_messages(attribute: Attribute, option: str, labels: Sequence[str]) -> list[Message]:
    listed = "\n".join(f"{LETTERS[i]}. {label}" for i, label in enumerate(labels))
    return [Message("system", CHOICE_SYSTEM),
            Message("user", f"Options:\n{listed}\nWhich {attribute.name} does this go with: {option}\n"
                            "Answer with the letter of the correct option only.")]


def label_set(attribute: Attribute, finding: str) -> list[str]:
    """The values the option is judged over: the tool's own labels, with the finding among them."""
    if attribute.name == "gender":
        labels = ["male", "female"]
    elif attribute.name == "emotion":
        from toolsets.speech.emotion import CLASSES

        labels = list(CLASSES)
    elif attribute.name == "language":
        labels = list(_common_languages())
    else:
        labels = list(ANIMALS)
    return labels if finding in labels else [*labels[: len(LETTERS) - 1], finding]


@functools.lru_cache(maxsize=1)
def _common_languages() -> tuple[str, ...]:
    from toolsets.speech.transcription import _whisper_languages

    return tuple(name.title() for name in list(_whisper_languages()[0].values())[:LANGUAGES_SHOWN])


def _fact_pairs(facts: str | dict | None) -> list[tuple[str, str]]:
    """(key, value) pairs from a dict or from "key: value" lines; a line without a key has key ""."""
    if isinstance(facts, dict):
        return [(str(k), str(v)) for k, v in facts.items()]
    pairs = []
    for line in ("" if facts is None else str(facts)).splitlines():
        key, sep, value = line.partition(":")
        pairs.append((key.strip(), value.strip()) if sep else ("", line.strip()))
    return [p for p in pairs if p[1]]


def _attribute(key: str, value: str) -> tuple[Attribute | None, str]:
    """The attribute a fact names and its value as that attribute's label, or (None, value)."""
    attribute = next((a for a in ATTRIBUTES if a.key.search(key.lower())), None)
    if attribute is None:
        return None, value
    if attribute.name == "gender":
        from toolsets.speech.candidates import Vocabulary

        named = Vocabulary.section("gender").labels(value)
    elif attribute.name == "emotion":
        from toolsets.speech.emotion import classes_named

        named = classes_named(value)
    elif attribute.name == "language":
        from toolsets.speech.language import _language_of
        from toolsets.speech.transcription import language_name

        named = {language_name(code) for code in _language_of(value)}
    else:
        named = {value.strip().lower()} if value.strip() else set()
    return (attribute, next(iter(named))) if len(named) == 1 else (None, value)
