"""Map a question's options onto a tool's own labels and score them: one place for every tool.

A classifying tool that takes ``candidates`` (the options of a question) answers in the question's
words: ``speaker_gender(audio, candidates=["man", "woman"])["label"]`` is ``"man"`` or ``"woman"``.
The tool says which of its labels each candidate names (``labels_of``) and how much it believes
each label (``label_scores``); :func:`rank` does the rest the same way for all tools:

- a candidate's score is the best score of the labels it names; a label that several candidates
  name counts only for the ones for which it is not the sole evidence is dropped from the others
  ("hen" and "rooster" share the class "Chicken, rooster", so only Cluck vs Crowing decide);
- a candidate that names none of the tool's labels is listed under ``"unmapped"`` (score 0.0),
  never dropped and never an error;
- when most candidates are unmapped the options are probably not this tool's kind of answer (book
  titles given as languages): the result keeps the tool's own answer and says so in ``"note"``.

Words for labels live in ``data/vocabulary.json``, one section per label space
(``{label: [words]}``); :meth:`Vocabulary.section` loads one. To support a new label space (say
emotions), add a section there and call ``rank(candidates, Vocabulary.section("emotion").labels,
scores)`` from the tool.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path

from copilot.options import NUMBER_WORDS, normalise

VOCABULARY_FILE = Path(__file__).with_name("data") / "vocabulary.json"


class Vocabulary:
    """The words that name each label of one label space.

    ``words`` are found as whole words anywhere in a candidate ("a male voice" names male);
    ``exact`` aliases only match the whole candidate (codes such as "it" or "en", which are also
    ordinary words). A phrase inside a longer matching phrase does not count, so "not present"
    names only no. A candidate naming labels of two kinds ("male or female") names none.
    """

    def __init__(self, words: Mapping[str, Iterable[str]], exact: Mapping[str, Iterable[str]] | None = None):
        self._words = {normalise(w): label for label, ws in words.items() for w in ws if normalise(w)}
        self._exact = {normalise(w): label for label, ws in (exact or {}).items() for w in ws}
        self._phrases = [(re.compile(rf"(?<!\w){re.escape(w)}(?!\w)"), label) for w, label in self._words.items()]

    @classmethod
    @functools.cache
    def section(cls, name: str) -> Vocabulary:
        """The vocabulary ``data/vocabulary.json`` holds under ``name`` ("gender", "yes_no", ...)."""
        return cls(json.loads(VOCABULARY_FILE.read_text())[name])

    def labels(self, candidate: str) -> frozenset[str]:
        """The label a candidate names, as a set of zero or one label."""
        text = normalise(candidate)
        if text in self._exact:
            return frozenset({self._exact[text]})
        if text in self._words:
            return frozenset({self._words[text]})
        spans = [(m.start(), m.end(), label) for pattern, label in self._phrases for m in pattern.finditer(text)]
        outer = {label for a, b, label in spans
                 if not any(x <= a and b <= y and (x, y) != (a, b) for x, y, _ in spans)}
        return frozenset(outer) if len(outer) == 1 else frozenset()


def number_vocabulary(highest: int = 20) -> Vocabulary:
    """Counts as labels "0".."highest": "two", "2", "two speakers", "a single speaker" all map."""
    words = {str(n): [word] for n, word in enumerate(NUMBER_WORDS[: highest + 1])}
    words["0"] += ["nobody", "no one", "no speaker", "no speakers", "none"]
    words["1"] += ["single", "only one", "alone", "a single", "one person", "monologue"]
    return Vocabulary(words)


def rank(candidates: Sequence[str], labels_of: Callable[[str], Collection[str]],
         label_scores: Mapping[str, float], *, normalise_scores: bool = False,
         own_label: str | None = None, what: str = "label") -> dict:
    """Score each candidate by the labels it names; the best candidate is the answer.

    Returns ``{"label": str, "scores": {candidate: float}, "unmapped": [candidate]}``, plus
    ``"note"`` when most candidates name nothing this tool knows; ``label`` is then ``own_label``
    (the tool's own answer). ``normalise_scores`` rescales the mapped candidates' scores to sum to
    1 (for exclusive labels such as languages). ``what`` names the label kind in the note.
    """
    candidates = list(dict.fromkeys(str(c) for c in candidates))
    named = {c: set(labels_of(c)) for c in candidates}
    unmapped = [c for c in candidates if not named[c]]
    claims = Counter(label for labels in named.values() for label in labels)
    scores = {}
    for c, labels in named.items():
        own = {label for label in labels if claims[label] == 1} or labels
        scores[c] = max((float(label_scores.get(label, 0.0)) for label in own), default=0.0)
    mapped = [c for c in candidates if named[c]]
    total = sum(scores[c] for c in mapped)
    if normalise_scores and total > 0:
        scores = {c: s / total for c, s in scores.items()}
    result = {"label": max(mapped, key=lambda c: scores[c]) if mapped else own_label,
              "scores": {c: round(s, 4) for c, s in scores.items()}, "unmapped": unmapped}
    if len(mapped) < len(unmapped) or not mapped:
        result["label"] = own_label
        result["note"] = (f"{len(unmapped)} of {len(candidates)} candidates name no {what} this tool "
                          f"knows ({unmapped[:4]}); the label is the tool's own answer. If the options "
                          f"are not {what}s, call the tool without candidates and pick the option with "
                          f"choose(question, options, facts).")
    return result
