"""Whether given words were spoken: the text aligned to the transcript, tolerant of ASR errors.

Comparing raw strings fails on any recognition slip, casing, punctuation or "5" for "five". Here
both sides go through Whisper's own English text normaliser (numbers, spellings, punctuation), and
the text's words are aligned to the best-matching stretch of the transcript (a free start and end,
so a word or phrase is found inside longer speech); a word that differs by a few letters costs
that share of a word, and a word that ASR split in two or joined ("dashwood" / "dash wood") costs
only the letters that differ. The threshold on the resulting error is chosen by
benchmarks/bench_text_matching.py (docs/speakers.md).
"""

from __future__ import annotations

import functools

import numpy as np

from copilot.audio import Audio
from copilot.errors import ToolError
from copilot.tools import tool
from toolsets.speech.transcription import transcribe

# Aligned word error (0 = every word heard exactly) at or below which the text counts as spoken:
# chosen by benchmarks/bench_text_matching.py on espeak-ng voices, reported on others (docs/speakers.md).
MAX_ERROR = 0.3


@functools.lru_cache(maxsize=2)
def _normaliser(english: bool):
    from transformers.models.whisper.english_normalizer import BasicTextNormalizer, EnglishTextNormalizer

    return EnglishTextNormalizer({}) if english else BasicTextNormalizer()


def words(text: str, english: bool = True) -> list[str]:
    """Normalised words: lower case, no punctuation, numbers as digits (English)."""
    return _normaliser(english)(text).split()


def _cost(a: str, b: str) -> float:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.normalized_distance(a, b)


def align(expected: list[str], heard: list[str]) -> tuple[float, int, int]:
    """Least word-edit cost of ``expected`` against any stretch of ``heard``, and that stretch.

    Returns (cost, start, end): heard[start:end] is the stretch. Substituting a word costs its
    normalised letter distance; a missing or extra word costs 1; one word against two joined
    (either way round) costs twice the letter distance of the joined form (two words' worth).
    """
    m, n = len(expected), len(heard)
    cost = np.zeros((m + 1, n + 1))
    start = np.tile(np.arange(n + 1), (m + 1, 1))  # where the stretch ending here began
    cost[:, 0] = np.arange(m + 1)
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            moves = [(cost[i - 1, j] + 1, start[i - 1, j]), (cost[i, j - 1] + 1, start[i, j - 1]),
                     (cost[i - 1, j - 1] + _cost(expected[i - 1], heard[j - 1]), start[i - 1, j - 1])]
            if j >= 2:
                joined = 2 * _cost(expected[i - 1], heard[j - 2] + heard[j - 1])
                moves.append((cost[i - 1, j - 2] + joined, start[i - 1, j - 2]))
            if i >= 2:
                joined = 2 * _cost(expected[i - 2] + expected[i - 1], heard[j - 1])
                moves.append((cost[i - 2, j - 1] + joined, start[i - 2, j - 1]))
            cost[i, j], start[i, j] = min(moves, key=lambda move: move[0])
    end = int(np.argmin(cost[m]))
    return float(cost[m, end]), int(start[m, end]), end


def match(text: str, transcript: str, language: str = "en") -> dict:
    """The text's aligned error against a transcript, and the stretch of it that matched."""
    english = language == "en"
    expected, heard = words(text, english), words(transcript, english)
    if not expected:
        raise ToolError(f"text_spoken(text={text!r}) holds no words to look for")
    cost, start, end = align(expected, heard)
    error = min(1.0, cost / len(expected))
    return {"spoken": error <= MAX_ERROR, "error": round(error, 3), "threshold": MAX_ERROR,
            "heard": " ".join(heard[start:end])}


@tool(uses=("asr",))
def text_spoken(audio: Audio, text: str, language: str | None = None) -> dict:
    """Decide whether the given text (a word, a phrase or a whole sentence) is spoken in a recording.

    Use it instead of comparing strings with the transcript: it allows for recognition slips,
    casing, punctuation and numbers written as digits or words.

    Args:
        audio: The recording.
        text: The words to look for.
        language: The spoken language (ISO 639-1 code or English name) when known; None detects it.

    Returns:
        {"spoken": bool, "error": float, "threshold": float, "heard": str, "transcript": str}:
        error (0-1) is the share of the text's words missing or misheard in the best-matching
        part of the transcript ("heard"); spoken is error <= threshold. "transcript" is all that
        was recognised, so a program can also check that nothing else was said.

    Example:
        >>> answer = "yes" if text_spoken(audio, text)["spoken"] else "no"
    """
    said = transcribe(audio, language)
    return {**match(text, said["text"], said["language"]), "transcript": said["text"]}
