"""Answer options: find them in an instruction, and map a free answer onto one of them.

Deterministic on purpose: the planner uses it before any LLM fallback, and benchmark scoring uses
the same rules, so "what counts as answering (b)" lives in one place.
"""

from __future__ import annotations

import re
import string

_LETTERED = re.compile(r"\(([a-zA-Z])\)\s*([^()]+?)(?=\s*\([a-zA-Z]\)|$)", re.S)
_COULD_BE = re.compile(
    r"(?:answer (?:could|can|should|must|will) be(?: either)?|(?:answer|reply|respond)(?: with)?(?: either)?"
    r"|choose (?:one )?(?:from|between|among)"
    r"(?: the following)?(?: options| choices)?|options(?: are)?|choices(?: are)?|select (?:from|between))"
    r"\s*[:\-]?\s*(.+?)(?:\.\s|\.$|$|\n)",
    re.I,
)
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                 "eighteen", "nineteen", "twenty"]
_PUNCT = str.maketrans({c: " " for c in string.punctuation if c not in "'"})


def normalise(text: str) -> str:
    """Lower case, punctuation and underscores to spaces, digits to number words, spaces folded."""
    words = str(text).lower().replace("_", " ").translate(_PUNCT).split()
    return " ".join(NUMBER_WORDS[int(w)] if w.isdecimal() and int(w) <= 20 else w for w in words)


def _listed(match: re.Match[str]) -> list[str]:
    """The options an "answer could be X, Y or Z" clause lists; [] when it is no such list."""
    body = match.group(1).strip().strip("[]")
    parts = re.split(r"\s*,\s*(?:or\s+|and\s+)?|\s+or\s+|\s*/\s*|\s*;\s*", body)
    options = [p.strip(" '\"`.") for p in parts if p.strip(" '\"`.")]
    return options if len(options) >= 2 and all(len(o.split()) <= 4 for o in options) else []


def split_options(instruction: str) -> tuple[list[str], str]:
    """The answer options an instruction lists (in order; [] when none), and the instruction without
    that list: what stays the same across a task's items."""
    lettered = list(_LETTERED.finditer(instruction))
    if len(lettered) >= 2:
        options = [m.group(2).strip(" ,;.") for m in lettered]
        return options, " ".join((instruction[:lettered[0].start()] + instruction[lettered[-1].end():]).split())
    for match in _COULD_BE.finditer(instruction):
        options = _listed(match)
        if options:
            start = match.start()
            lead = re.search(r"(?:\b(?:the|your)\s+)$", instruction[:start], re.I)
            return options, " ".join((instruction[:lead.start() if lead else start] + instruction[match.end():]).split())
    return [], " ".join(instruction.split())


def option_letters(instruction: str) -> dict[str, str]:
    """Letter -> option text for inline ``(a) ... (b) ...`` lists."""
    return {m.group(1).lower(): m.group(2).strip(" ,;.") for m in _LETTERED.finditer(instruction)}


def match_option(answer: object, options: list[str] | tuple[str, ...],
                 letters: dict[str, str] | None = None) -> str | None:
    """The option a free-form answer names, or None when it names none or several.

    Rules, in order: exact match after :func:`normalise`; a leading option letter (``b``,
    ``(b)``, ``b)``, ``(b) Male``) when ``letters`` maps letters to options; exactly one option
    appearing as whole words inside the answer (an option mentioned only inside a longer one
    does not count).
    """
    if answer is None or not options:
        return None
    text = normalise(answer)
    by_norm = {normalise(o): o for o in options}
    if text in by_norm:
        return by_norm[text]
    if letters:
        # "(b)", "(b) Male", "b)", "b.", "b:" or a bare "b"; not the article in "a woman speaks".
        m = re.match(r"^\s*(?:\(([a-zA-Z])\)|([a-zA-Z])(?:[).:]|\s*$))", str(answer))
        letter = m and (m.group(1) or m.group(2)).lower()
        if letter and letter in letters:
            named = by_norm.get(normalise(letters[letter]))
            if named:
                return named
    spans = {norm: [m.span() for m in re.finditer(rf"(?<!\w){re.escape(norm)}(?!\w)", text)]
             for norm in by_norm if norm}
    spans = {norm: s for norm, s in spans.items() if s}
    # An option counts unless every mention of it lies inside a mention of a longer one
    # ("no emotion" names only "no_emotion"; "male or female" names both "male" and "female").
    found = [f for f, own in spans.items()
             if not all(any(f != g and a <= x and y <= b for g in spans for a, b in spans[g]) for x, y in own)]
    if len(found) == 1:
        return by_norm[found[0]]
    return None
