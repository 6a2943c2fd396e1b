"""Deciding that a described function is the same capability as one of several others.

Used three ways: merging the modules of one pool, binding modules to implemented tools, and matching
a held-out pool's modules to a derived spec. Embeddings decide first, the LLM settles the rest:

1. the same name matches;
2. the most similar target matches if its cosine similarity is at least ``auto``, or at least ``ask``
   and ahead of the runner-up by ``margin`` (a clear winner; a lone target never is);
3. otherwise, if any target scores at least ``ask``, the LLM picks among those (at most
   ``CHOICES``) or answers "none of these";
4. otherwise nothing matches.

The LLM gets a multiple choice with "none" as option A, not a yes/no question: asked "can tool B
do what A needs?", the embedded 1.5B model answered yes to 14 of 14 pairs, 9 of them wrong, and it
favours option A, which here is the safe answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from copilot import embeddings
from copilot.llm.base import ChatModel, Message
from copilot.prompts import PromptFolder

PROMPTS = PromptFolder(Path(__file__).resolve().parent / "prompts")

CHOICES = 3
CHOICE_TOKENS = 4


@dataclass(frozen=True)
class Card:
    """A function as the matcher sees it: a name, embedding text and a one-line description."""

    name: str
    text: str  # embedded: the name in words plus what it does
    line: str  # shown to the LLM: signature, description, an example use


@dataclass(frozen=True)
class Thresholds:
    auto: float
    ask: float
    margin: float


@dataclass(frozen=True)
class Match:
    target: str
    score: float
    method: str  # "name", "embedding" or "llm"


def words(name: str) -> str:
    return re.sub(r"[_\W]+", " ", name).strip()


def card(name: str, params: Sequence[str], returns: str, description: str, example: str = "") -> Card:
    signature = f"{name}({', '.join(params)})" + (f" -> {returns}" if returns else "")
    what = description or words(name)
    line = f"{signature}: {what}" + (f" (used as: {example})" if example else "")
    return Card(name=name, text=f"{words(name)}: {what}", line=line)


def choose(llm: ChatModel, needed: Card, options: Sequence[Card]) -> int | None:
    """Index of the option the LLM picks as doing what ``needed`` does, or None."""
    listing = "\n".join(f"{chr(ord('B') + i)}) {o.line}" for i, o in enumerate(options))
    reply = llm.complete([Message("system", PROMPTS.template("confirm_system")),
                          Message("user", PROMPTS.render("choose", needed=needed.line, options=listing))],
                         max_tokens=CHOICE_TOKENS).text
    letter = re.search(r"[A-Z]", reply.upper())
    index = ord(letter.group()) - ord("B") if letter else -1
    return index if 0 <= index < len(options) else None


def similarities(a: Sequence[Card], b: Sequence[Card]) -> np.ndarray:
    """Cosine of each ``a`` (by its text, or by its name alone, whichever is closer) with each ``b``.

    The name alone counts because small models often describe a module by its output values
    (``"american", "indian", ...``), which hides what an ``accent_recognition`` does.
    """
    if not a or not b:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    targets = embeddings.embed([c.text for c in b])
    by_text = embeddings.embed([c.text for c in a]) @ targets.T
    by_name = embeddings.embed([words(c.name) for c in a]) @ targets.T
    return np.maximum(by_text, by_name)


def match_one(llm: ChatModel, query: Card, targets: Sequence[Card], scores: np.ndarray,
              limits: Thresholds) -> Match | None:
    """Apply the rule above to one query whose similarity to each target is ``scores``."""
    for target in targets:
        if target.name == query.name:
            return Match(target.name, 1.0, "name")
    if not len(targets):
        return None
    order = np.argsort(-scores, kind="stable")
    best = float(scores[order[0]])
    second = float(scores[order[1]]) if len(order) > 1 else best  # one target: no clear winner
    if best >= limits.auto or (best >= limits.ask and best - second >= limits.margin):
        return Match(targets[order[0]].name, best, "embedding")
    close = [int(i) for i in order[:CHOICES] if scores[i] >= limits.ask]
    if not close:
        return None
    picked = choose(llm, query, [targets[i] for i in close])
    return None if picked is None else Match(targets[close[picked]].name, float(scores[close[picked]]), "llm")


def match_each(llm: ChatModel, queries: Sequence[Card], targets: Sequence[Card],
               limits: Thresholds) -> list[Match | None]:
    """For each query, the target it matches, or None."""
    sims = similarities(queries, targets)
    return [match_one(llm, q, targets, sims[i], limits) for i, q in enumerate(queries)]
