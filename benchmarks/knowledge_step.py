"""The decomposed knowledge step measured against ``choose()`` (issue 26), kept for the benchmark.

Each option's implied value of the attribute ("Marie Curie" -> female), scored over the attribute's
labels in two orders; the option that most implies the tool's finding wins. On the report half of
the two-hop set it lost to the joint question (benchmarks/bench_knowledge.py; the README of
benchmarks/planning_eval), so the toolset's ``choose`` does not use it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

from copilot.llm.base import CHOICE_SYSTEM, LETTERS, ChatModel, Message, _log_softmax, choose_option

ANIMALS = ("dog", "cat", "horse", "donkey", "cow", "pig", "goat", "sheep", "chicken", "duck", "goose",
           "lion", "wolf", "mouse", "frog", "snake", "whale", "pigeon", "crow", "owl", "gull", "cricket",
           "mosquito", "fly", "bee")
"""The animals the AudioSet ontology names under "Animal" (toolsets/speech/data/audioset_ontology.json),
by their plain names: the labels a sound tool reports for an animal."""
LANGUAGES_SHOWN = 12  # the first languages of Whisper's table (ordered by training hours), plus the finding


def implied_choice(llm: ChatModel, question: str, options: list[str], attribute: str, finding: str) -> dict:
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
        joint = choose_option(llm, question, tied, f"{attribute}: {finding}")
        return {"label": joint.option, "scores": {o: joint.scores.get(o, 0.0) for o in options},
                "method": joint.method, "implied": implied, "margin": 0.0}
    total = sum(fit.values())
    scores = {o: round(fit[o] / total, 4) for o in options}
    ranked = sorted(scores.values(), reverse=True)
    return {"label": tied[0], "scores": scores, "method": f"implied {attribute}", "implied": implied,
            "margin": round(ranked[0] - ranked[1], 4)}


def implied_values(llm: ChatModel, attribute: str, options: list[str], labels: list[str]) -> dict[str, dict[str, float]]:
    """Each option's probability for each label (which gender "Marie Curie" goes with), over two label orders.

    With letter log-probabilities the labels come first in the prompt and the option last, and the
    options are asked one after another in each order, so that every call but the first of an
    order evaluates only its option's few tokens (the rest is the previous call's KV cache).
    Without them, each option is a lettered question of its own (:func:`choose_option`).
    """
    def one_question_each() -> dict[str, dict[str, float]]:
        return {o: choose_option(llm, f'Which {attribute} does "{o}" go with?', labels).scores for o in options}

    if type(llm).score_options is ChatModel.score_options:  # a backend that cannot score letters
        return one_question_each()
    scorer = llm.score_options
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


def implied_messages(attribute: str, option: str, labels: Sequence[str]) -> list[Message]:
    listed = "\n".join(f"{LETTERS[i]}. {label}" for i, label in enumerate(labels))
    return [Message("system", CHOICE_SYSTEM),
            Message("user", f"Options:\n{listed}\nWhich {attribute} does this go with: {option}\n"
                            "Answer with the letter of the correct option only.")]


def label_set(attribute: str, finding: str) -> list[str]:
    """The values the option is judged over: the tool's own labels, with the finding among them."""
    if attribute == "gender":
        labels = ["male", "female"]
    elif attribute == "emotion":
        from toolsets.speech.emotion import CLASSES

        labels = list(CLASSES)
    elif attribute == "language":
        labels = list(_common_languages())
    else:
        labels = list(ANIMALS)
    return labels if finding in labels else [*labels[: len(LETTERS) - 1], finding]


@functools.lru_cache(maxsize=1)
def _common_languages() -> tuple[str, ...]:
    from toolsets.speech.transcription import _whisper_languages

    return tuple(name.title() for name in list(_whisper_languages()[0].values())[:LANGUAGES_SHOWN])
