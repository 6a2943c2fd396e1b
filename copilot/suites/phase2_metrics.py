"""Dynamic-SUPERB Phase 2 metrics, as the benchmark's evaluation defines them per instance.

Each instance names its metric function (``metric`` in the Phase-2 pool, copied from the final
``task_metrics.py`` of cyhuang-tw/speechlm_eval@7181c58). Implemented here:

- ``llm_classification``: an LLM judge reads (instruction, label, response) with the benchmark's
  published prompt ``INSTRUCTION_REFINE_COT_SINGLE_AND_MULTI_CHOICE`` (the Phase-2 evaluation's
  ``prompt.py``, copied verbatim into ``prompts/phase2_judge.md``; public copies of the scorer use it
  unchanged) and ends with ``Result: YES|NO``; the score is the share of YES. A reply without that
  line counts as NO, as in the public scorer. GPT-4o is the official judge; any chat model can be used.
  An answer equal to the label (case and punctuation aside) is YES without a call: the embedded
  judge takes minutes per verdict on a busy 2-core machine, and no judge rejects the label itself.
- ``word_error_rate``, ``character_error_rate``, ``phoneme_error_rate``: jiwer over the instance
  (corpus level) after removing ASCII punctuation and lowercasing; phonemes are the label's
  space-separated tokens, so PER is WER over them. ``pos_estimation``: WER over the tag strings after
  punctuation removal (no lowercasing), per a public copy of the metric.
- ``sacre_bleu``: sacreBLEU corpus BLEU with its default settings.
- ``pearson_correlation_coefficient``: Pearson r between the first number in each answer and the label,
  over the answers that hold a number; the share without one is reported beside it.

Every other metric function (speaker_count, sound_event_detection, music_beat_tracking, ...) has
no public definition: its instances are run and reported as *not scored*, never guessed.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jiwer

from copilot.llm.base import ChatModel, Message
from copilot.options import normalise
from copilot.suites.scoring import PROMPTS, _number, answer_text, cached_verdicts

_VERDICT = re.compile(r"result:\s*(yes|no)")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


class Phase2Judge:
    """The benchmark's LLM judge: True (YES), False (NO) or None (no ``Result:`` line; scored as NO).

    Verdicts are cached by (judge model, instruction, label, response) in memory and, with
    ``cache_path``, in an append-only JSONL file, so a rerun of the report asks nothing again.
    """

    def __init__(self, llm: ChatModel, cache_path: str | Path | None = None) -> None:
        self.llm = llm
        self.cache_path = Path(cache_path) if cache_path else None
        self._cache: dict[str, bool | None] = {}
        self._cache.update(cached_verdicts(self.cache_path))

    @property
    def name(self) -> str:
        return getattr(self.llm, "name", type(self.llm).__name__)

    def __call__(self, instruction: str, label: str, response: str) -> bool | None:
        key = hashlib.sha1(json.dumps([self.name, instruction, label, response]).encode()).hexdigest()
        if key in self._cache:
            return self._cache[key]
        prompt = PROMPTS.render("phase2_judge", instruction=instruction, label=label, response=response).strip()
        reply = self.llm.complete([Message("user", prompt)], max_tokens=512, temperature=0.0).text
        found = _VERDICT.search(reply.lower())
        verdict = None if found is None else found.group(1) == "yes"
        self._cache[key] = verdict
        if self.cache_path:
            with self.cache_path.open("a") as fh:
                fh.write(json.dumps({"key": key, "response": response, "reply": reply, "verdict": verdict}) + "\n")
        return verdict


@dataclass(frozen=True)
class Outcome:
    """One instance's figure: ``score`` None when not scored; ``unusable``: answers the metric could
    not use (no answer, no judge verdict, no number), out of all items."""

    score: float | None
    unusable: int = 0
    note: str = ""


Records = Sequence[Mapping[str, Any]]


def _judged(records: Records, judge: Phase2Judge | None) -> Outcome:
    if judge is None:
        return Outcome(None, note="needs the LLM judge")
    yes = unusable = 0
    for record in records:
        text, label = answer_text(record), str(record["label"])
        if text is not None and normalise(text) == normalise(label):
            verdict: bool | None = True  # the same answer as the label: any judge says YES, so none is asked
        else:
            verdict = None if text is None else judge(record["instruction"], label, text)
        yes += verdict is True
        unusable += verdict is None
    return Outcome(100.0 * yes / len(records), unusable)


def _error_rate(measure: Callable[..., float], lower: bool) -> Callable[[Records, Any], Outcome]:
    def score(records: Records, _judge: Any = None) -> Outcome:
        def clean(text: str) -> str:
            text = " ".join(text.translate(_PUNCTUATION).split())
            return text.lower() if lower else text

        pairs = [(clean(str(r["label"])), clean(answer_text(r) or "")) for r in records]
        pairs = [p for p in pairs if p[0]]
        unusable = sum(answer_text(r) is None for r in records)
        if not pairs:
            return Outcome(None, unusable, "every reference is empty")
        return Outcome(100.0 * measure([p[0] for p in pairs], [p[1] for p in pairs]), unusable)

    return score


def _bleu(records: Records, _judge: Any = None) -> Outcome:
    import sacrebleu

    hypotheses = [answer_text(r) or "" for r in records]
    bleu = sacrebleu.corpus_bleu(hypotheses, [[str(r["label"]) for r in records]])
    return Outcome(bleu.score, sum(answer_text(r) is None for r in records))


def _pearson(records: Records, _judge: Any = None) -> Outcome:
    from scipy.stats import pearsonr

    pairs = [(_number(str(r["label"])), _number(answer_text(r))) for r in records]
    usable = [(gold, guess) for gold, guess in pairs if gold is not None and guess is not None]
    unusable = len(records) - len(usable)
    if len(usable) < 2 or len({g for _, g in usable}) < 2 or len({t for t, _ in usable}) < 2:
        return Outcome(None, unusable, "fewer than two distinct numeric answers and labels")
    r = float(pearsonr([t for t, _ in usable], [g for _, g in usable]).statistic)
    return Outcome(None if math.isnan(r) else r, unusable)


@dataclass(frozen=True)
class Metric:
    """How one metric function is computed and shown."""

    name: str  # column heading, e.g. "WER %"
    higher_is_better: bool
    compute: Callable[[Records, Phase2Judge | None], Outcome]


METRICS: dict[str, Metric] = {
    "llm_classification": Metric("judge accuracy %", True, _judged),
    "word_error_rate": Metric("WER %", False, _error_rate(jiwer.wer, lower=True)),
    "character_error_rate": Metric("CER %", False, _error_rate(jiwer.cer, lower=True)),
    "phoneme_error_rate": Metric("PER %", False, _error_rate(jiwer.wer, lower=True)),
    "pos_estimation": Metric("tag WER %", False, _error_rate(jiwer.wer, lower=False)),
    "sacre_bleu": Metric("BLEU", True, _bleu),
    "pearson_correlation_coefficient": Metric("Pearson r", True, _pearson),
}


def score_instance(metric_fn: str, records: Records, judge: Phase2Judge | None = None) -> Outcome:
    """The instance's figure under its benchmark metric; unknown metric functions are not scored."""
    if not records:
        raise ValueError("score_instance needs at least one record")
    metric = METRICS.get(metric_fn)
    if metric is None:
        return Outcome(None, note=f"not scored: no public definition of {metric_fn}")
    return metric.compute(records, judge)
