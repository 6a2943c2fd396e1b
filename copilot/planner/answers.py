"""From what main() returned to the answer a user gets, with the caveats the tools raised.

"No speech", "none" and "cannot tell" are answers, not failures: a tone has nothing to transcribe,
and a program that says so is right. They are accepted even when the question lists options, with
a caveat, so the user sees that none of the options was chosen; they are recognised before option
matching, so "no speech" never becomes the option "no". Anything else must be a short text (or a
number or a boolean) and, when there are options, name exactly one of them; when only the LLM can
tell which one, the answer says so ("mapped by the LLM from ...").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from copilot.options import NUMBER_WORDS, match_option, normalise
from copilot.sandbox.records import ToolCallRecord

ABSTENTIONS = ("no speech", "none", "cannot tell", "unknown", "nothing")


@dataclass(frozen=True)
class Mapped:
    answer: str | None
    reason: str = ""  # why there is no answer, for the repair feedback
    abstained: bool = False
    mapped_from: str | None = None  # the program's own answer, when the LLM mapped it onto an option
    missing: str | None = None  # the capability no tool has, when the LLM said none can answer


def short(value: Any, limit: int = 300) -> str:
    """JSON text of a (JSON-decoded) value, cut to a length the LLM can read."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"


def to_answer(value: Any, options: Sequence[str], fallback: Callable[[str, Sequence[str]], str | None]) -> Mapped:
    """Map a program's return value to an answer; ``fallback`` maps free text onto an option (an LLM)."""
    if isinstance(value, (list, dict)):
        return Mapped(None, f"it is a {type(value).__name__}, not a short text answer (if it holds the answer, "
                            "build one string from it)")
    if isinstance(value, bool):
        value = "yes" if value else "no"
    text = value if isinstance(value, str) else (None if value is None else json.dumps(value))
    if text is None or not text.strip():
        return Mapped(None, "it is empty. If the tools found nothing to measure (an empty transcript, no speech), "
                            'return "no speech" (or "none") instead of inventing an answer')
    if normalise(text) in ABSTENTIONS:
        return Mapped(text.strip(), abstained=True)
    if not options:
        if isinstance(value, int) and 0 <= value < len(NUMBER_WORDS):  # a count reads as a word: "two"
            return Mapped(NUMBER_WORDS[value])
        return Mapped(text.strip())
    matched = match_option(text, options)
    if matched is not None:
        return Mapped(matched)
    if len(text) <= 2000:  # the fallback only for answers worth reading
        mapped = fallback(text[:500], options)
        if mapped is not None:
            return Mapped(mapped, mapped_from=text[:500])
    return Mapped(None, "it is not one of the options")


def caveats(mapped: Mapped, options: Sequence[str], calls: Sequence[ToolCallRecord]) -> list[str]:
    """What the user should know about this answer: an abstention, and every low-reliability tool result."""
    found = []
    if mapped.missing:
        found.append(f"no tool here can measure {mapped.missing}, so the recording cannot answer this question")
    elif mapped.abstained:
        found.append(f"the program could not tell ({mapped.answer!r})" +
                     (": none of the options was chosen" if options else ""))
    if mapped.mapped_from is not None:
        found.append(f"mapped by the LLM from {short(mapped.mapped_from, 120)}")
    for call in calls:
        result = call.result
        if isinstance(result, dict) and str(result.get("reliability", "")).lower() == "low":
            why = result.get("note") or result.get("reason") or "the tool reports low reliability"
            found.append(f"{call.name}: {why}")
    return list(dict.fromkeys(found))
