"""Scoring predictions: option accuracy, WER/CER, MAE, and an optional LLM judge for stray answers.

Only an answer the system gave is scored: an item that failed, or whose program's value the planner
refused, is wrong in every metric, whatever raw value its program returned (scoring that value
would do the hop the planner declined). Accuracy is deterministic: the answer and the gold label are
both mapped onto the item's options with :func:`copilot.options.match_option` (case, punctuation and
option letters understood), so ``"(B) male."`` scores the same as ``"Male"``. An answer that maps
to no option is an *abstention* ("cannot tell", "none") or else *unparseable*; both count as wrong
and their shares are reported apart, as are refusals and other errors. The optional
:class:`OptionJudge` sees only unparseable answers the system gave, never a failed item's raw value,
and never overrules a deterministic match.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jiwer

from copilot.errors import ErrorKind
from copilot.llm.base import ChatModel, Message
from copilot.options import match_option, normalise
from copilot.planner.answers import ABSTENTIONS
from copilot.prompts import PromptFolder

PROMPTS = PromptFolder(Path(__file__).with_name("prompts"))
METRICS = ("accuracy", "wer", "cer", "mae")
# Higher is better for accuracy; lower for the error metrics.
LOWER_IS_BETTER = frozenset({"wer", "cer", "mae"})
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# Failures where a program ran and returned a value, but the planner declined to make it an answer.
REFUSALS = frozenset(k.value for k in (ErrorKind.UNGROUNDED, ErrorKind.BAD_ANSWER, ErrorKind.CONSTANT_ANSWER))


def cached_verdicts(path: Path | None) -> dict[str, Any]:
    """A judge's verdicts kept in an append-only JSONL file (``{"key", "verdict"}`` per line)."""
    verdicts: dict[str, Any] = {}
    if path and path.is_file():
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
                verdicts[row["key"]] = row["verdict"]
            except (ValueError, KeyError):
                continue  # a line torn by an interrupted run
    return verdicts


class OptionJudge:
    """Ask an LLM which option a free-form answer chooses (prompt: ``prompts/judge.md``).

    Verdicts are cached by (instruction, options, answer), in memory and, when ``cache_path`` is
    given, in an append-only JSONL file so a resumed report does not ask again.

    It does not share the system's own option mapper (``choose_option``, which the planner uses to
    map a free answer, always returns some option): the judge only reads which option an answer
    *states*, and says NONE otherwise. Given the mapper, scoring could make the very hop from an
    attribute to an option (a language to a country) that the planner refused to guess, and grade
    the system on an answer it did not give.
    """

    def __init__(self, llm: ChatModel, cache_path: str | Path | None = None) -> None:
        self.llm = llm
        self.cache_path = Path(cache_path) if cache_path else None
        self._cache: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self._cache.update(cached_verdicts(self.cache_path))

    def __call__(self, instruction: str, options: tuple[str, ...] | list[str], answer: str) -> str | None:
        key = hashlib.sha1(json.dumps([instruction, list(options), answer]).encode()).hexdigest()
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        prompt = PROMPTS.render("judge", instruction=instruction, answer=answer,
                                      options="\n".join(f"- {o}" for o in options))
        reply = self.llm.complete([Message("user", prompt)], max_tokens=32, temperature=0.0).text.strip()
        verdict = None if reply.upper().startswith("NONE") else match_option(reply, list(options))
        with self._lock:
            self._cache[key] = verdict
            if self.cache_path:
                with self.cache_path.open("a") as fh:
                    fh.write(json.dumps({"key": key, "answer": answer, "verdict": verdict}) + "\n")
        return verdict


def answer_text(record: Mapping[str, Any]) -> str | None:
    """The answer the system gave, or None when the item failed or was refused (never the raw value)."""
    if not record.get("ok", False) or record.get("answer") is None:
        return None
    return str(record["answer"])


def failure(record: Mapping[str, Any]) -> str | None:
    """``"refused"`` (the planner declined the program's value), ``"error"`` (no value), or None (answered)."""
    if record.get("ok", False) and record.get("answer") is not None:
        return None
    kind = str(record.get("error") or "").split(":", 1)[0].strip()
    return "refused" if kind in REFUSALS else "error"


def raw_text(value: Any) -> str | None:
    """A scalar program value as the planner reads it (booleans as yes/no), else None."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (int, float)) else None


def needed_mapping(record: Mapping[str, Any]) -> bool:
    """The answer is an option the LLM chose for a raw value that names none (``"zero"`` made ``"noisy"``)."""
    options = list(record.get("options") or ())
    answer = answer_text(record)
    if not options or answer is None or match_option(answer, options) is None:
        return False
    raw = raw_text(record.get("value"))
    return raw is None or match_option(raw, options) != match_option(answer, options)


@dataclass(frozen=True)
class Verdict:
    prediction: str | None
    gold: str
    correct: bool
    failed: bool  # the system gave no answer (an error or a refusal)
    judged: bool = False  # the prediction came from the LLM judge
    outcome: str = ""  # correct, wrong, abstained, unparseable, refused or error


def choice_verdict(record: Mapping[str, Any], judge: OptionJudge | None = None) -> Verdict:
    """Map prediction and label onto the options and compare; open labels compare normalised text."""
    options = list(record.get("options") or ())
    letters = record.get("letters") or None
    text = answer_text(record)
    failed = failure(record)
    if not options:
        correct = text is not None and normalise(text) == normalise(record["label"])
        return Verdict(text, record["label"], correct, failed is not None, False,
                       failed or ("correct" if correct else "wrong"))
    gold = match_option(record["label"], options, letters) or record["label"]
    prediction = match_option(text, options, letters) if text is not None else None
    judged = False
    if prediction is None and text is not None and judge is not None and normalise(text) not in ABSTENTIONS:
        prediction, judged = judge(record["instruction"], options, text), True
    correct = prediction is not None and normalise(prediction) == normalise(gold)
    if failed:
        outcome = failed
    elif prediction is None:
        outcome = "abstained" if normalise(text or "") in ABSTENTIONS else "unparseable"
    else:
        outcome = "correct" if correct else "wrong"
    return Verdict(prediction, gold, correct, failed is not None, judged and prediction is not None, outcome)


@dataclass(frozen=True)
class TaskScore:
    """One task's result. ``score`` is a percentage for accuracy/WER/CER, a plain number for MAE."""

    task: str
    group: str
    metric: str
    n: int
    score: float | None
    unparseable_pct: float
    error_pct: float  # failed items other than refusals
    judged: int = 0
    refused_pct: float = 0.0  # the program returned a value the planner declined
    abstained_pct: float = 0.0  # answered "cannot tell" / "none" where options were asked for
    mapped: int = 0  # answers the LLM mapped from a raw value that is not an option

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _number(text: str | None) -> float | None:
    match = _NUMBER.search(text or "")
    return float(match.group()) if match else None


def score_task(records: list[Mapping[str, Any]], judge: OptionJudge | None = None) -> TaskScore:
    """Score one task's prediction records with the metric they carry.

    A failed or refused item is wrong in every metric: a wrong option; an empty hypothesis for WER
    and CER (all its words deleted); for MAE, an error of the task's gold span (max minus min label,
    the worst an answer inside the labels' range could do), and so is an answer with no number.
    """
    if not records:
        raise ValueError("score_task needs at least one record")
    first = records[0]
    metric = first.get("metric", "accuracy")
    n = len(records)
    failures = [failure(r) for r in records]
    abstained = judged = 0
    if metric == "accuracy":
        verdicts = [choice_verdict(r, judge) for r in records]
        unparseable = sum(v.outcome == "unparseable" for v in verdicts)
        abstained = sum(v.outcome == "abstained" for v in verdicts)
        judged = sum(v.judged for v in verdicts)
        score = 100.0 * sum(v.correct for v in verdicts) / n
    elif metric in ("wer", "cer"):
        pairs = [(r["label"], answer_text(r) or "") for r in records if str(r["label"]).strip()]
        unparseable = 0
        measure = jiwer.wer if metric == "wer" else jiwer.cer
        score = 100.0 * measure([p[0] for p in pairs], [p[1] for p in pairs]) if pairs else None
    elif metric == "mae":
        guesses = [(_number(str(r["label"])), _number(answer_text(r))) for r in records]
        golds = [gold for gold, _ in guesses if gold is not None]
        span = max(golds) - min(golds) if golds else 0.0
        unparseable = sum(g is None and f is None for (_, g), f in zip(guesses, failures))
        diffs = [span if g is None else abs(g - gold) for gold, g in guesses if gold is not None]
        score = sum(diffs) / len(diffs) if diffs else None
    else:
        raise ValueError(f"unknown metric {metric!r}; known: {METRICS}")
    return TaskScore(task=first["task"], group=first.get("group", ""), metric=metric, n=n, score=score,
                     unparseable_pct=100.0 * unparseable / n, error_pct=100.0 * failures.count("error") / n,
                     judged=judged, refused_pct=100.0 * failures.count("refused") / n,
                     abstained_pct=100.0 * abstained / n, mapped=sum(needed_mapping(r) for r in records))


def score_tasks(records: Iterable[Mapping[str, Any]], judge: OptionJudge | None = None) -> list[TaskScore]:
    """Group records by task (first-seen order) and score each group."""
    by_task: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        by_task.setdefault(record["task"], []).append(record)
    return [score_task(rows, judge) for rows in by_task.values()]
