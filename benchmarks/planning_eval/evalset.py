"""The planning evaluation set: questions whose answers are true by construction, and their audio.

``questions.toml`` holds audio recipes and tasks; each task is phrased several ways and asked over
several items, so one task yields phrasings x items questions. Each phrasing belongs to a split
(dev for tuning, test for reporting), so a planner tuned on dev wordings is measured on others.
Audio is built from installed packages (``copilot.testing.corpus``) and exact numpy signals into
the corpus folder (``$COPILOT_CORPUS_DIR``, default ``<cache dir>/corpus``), once per recipe.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import tomllib

from copilot.fileio import atomic_path
from copilot.testing import corpus

DATA = Path(__file__).with_name("questions.toml")
FSDD = Path(__file__).resolve().parents[2] / "tests" / "data" / "fsdd"  # real voices, digits 0-7
CHECKS = ("choice", "number", "substring", "wer")
SPLITS = ("dev", "test")
RATE = 16000


class EvalSetError(ValueError):
    """The data file is malformed: one line that says where."""


@dataclass(frozen=True)
class Question:
    id: str  # task.phrasing.item
    task: str
    family: str
    hops: int
    phrasing: str
    item: int  # index of the item (audio, options, answer) within its task
    split: str
    instruction: str
    audio: tuple[str, ...]  # recipe names
    text: str | None
    options: tuple[str, ...] | None
    answer: Any
    check: dict[str, Any]  # kind plus its threshold (tolerance, rel_tolerance, max_wer)

    def is_correct(self, answer: str | None) -> bool:
        return is_correct(self.check, self.answer, answer)


def load(path: Path = DATA) -> tuple[list[Question], dict[str, dict]]:
    """The questions and the audio recipes they use, checked for consistency."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EvalSetError(f"{path}: {exc}") from None
    recipes = data.get("audio", {})
    questions = []
    for task in data.get("task", []):
        questions.extend(_expand(task, recipes))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise EvalSetError(f"{path}: duplicate task ids")
    return questions, recipes


def _expand(task: dict, recipes: dict[str, dict]) -> list[Question]:
    name = task.get("id", "?")
    check = {k: task[k] for k in ("tolerance", "rel_tolerance", "max_wer") if k in task}
    check["kind"] = task.get("check")
    if check["kind"] not in CHECKS:
        raise EvalSetError(f"task {name}: check must be one of {CHECKS}")
    out = []
    for n, item in enumerate(task.get("items", [])):
        missing = [a for a in item["audio"] if a not in recipes]
        if missing:
            raise EvalSetError(f"task {name} item {n}: no audio recipe named {missing}")
        options = tuple(item["options"]) if "options" in item else None
        if check["kind"] == "choice" and (not options or item["answer"] not in options):
            raise EvalSetError(f"task {name} item {n}: the answer must be one of its options")
        for p in task["phrasings"]:
            if p["split"] not in SPLITS:
                raise EvalSetError(f"task {name} phrasing {p['id']}: split must be one of {SPLITS}")
            out.append(Question(
                id=f"{name}.{p['id']}.{n}", task=name, family=task["family"], hops=task.get("hops", 1),
                phrasing=p["id"], item=n, split=p["split"], instruction=_render(p["text"], options),
                audio=tuple(item["audio"]), text=item.get("text"), options=options,
                answer=item["answer"], check=check))
    return out


def _render(template: str, options: tuple[str, ...] | None) -> str:
    if not options:
        return template
    listed = ", ".join(options[:-1]) + (", or " if len(options) > 2 else " or ") + options[-1]
    lettered = " ".join(f"({chr(97 + i)}) {o}" for i, o in enumerate(options))
    return template.replace("{options}", listed).replace("{choices}", lettered)


# ---------------------------------------------------------------------------------------- checking

_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_NUMBER_WORDS.update({w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)})


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def parse_number(text: str) -> float | None:
    """The first number in an answer, written in digits ("47", "-3.5") or English words ("forty-seven")."""
    digits = re.search(r"-?\d+(?:\.\d+)?", text)
    if digits:
        return float(digits.group())
    total, current, seen = 0, 0, False
    for word in _norm(text.replace("-", " ")).split():
        if word in _NUMBER_WORDS:
            current, seen = current + _NUMBER_WORDS[word], True
        elif word == "hundred" and seen:
            current *= 100
        elif word == "thousand" and seen:
            total, current = total + current * 1000, 0
        elif word == "and" and seen:
            continue
        elif seen:
            break
    return float(total + current) if seen else None


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance over the reference length, on lower-cased words without punctuation."""
    ref, hyp = _norm(reference).split(), _norm(hypothesis).split()
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))


def is_correct(check: dict[str, Any], expected: Any, answer: str | None) -> bool:
    if answer is None:
        return False
    kind = check["kind"]
    if kind == "choice":
        return _norm(answer) == _norm(expected)
    if kind == "substring":
        return any(_norm(e) in _norm(answer) for e in expected)
    if kind == "wer":
        return word_error_rate(expected, answer) <= check["max_wer"]
    value = parse_number(answer)
    if value is None:
        return False
    allowed = max(check.get("tolerance", 0), check.get("rel_tolerance", 0) * abs(expected))
    return abs(value - expected) <= allowed + 1e-9


# ---------------------------------------------------------------------------------------- audio


class AudioBuilder:
    """Turns recipe names into files, building each once (recipes can refer to other recipes)."""

    def __init__(self, recipes: dict[str, dict]) -> None:
        self.recipes = recipes
        self._built: dict[str, Path] = {}

    def path(self, name: str) -> Path:
        if name not in self._built:
            self._built[name] = self._make(dict(self.recipes[name]))
        return self._built[name]

    def _make(self, r: dict) -> Path:
        kind = r.pop("kind")
        if kind == "librivox":
            return corpus.librivox()[r["index"]].path
        if kind == "cards":
            return corpus.cards()[r["index"]].path
        if kind == "pyannote":
            return corpus.pyannote_sample()[0]
        if kind == "freedesktop":
            return corpus.freedesktop(r["name"])
        if kind == "espeak":
            return corpus.espeak(r["text"], voice=r["voice"], speed=r.get("speed", 160))
        if kind == "flite":
            return corpus.flite(r["text"], voice=r["voice"])
        if kind == "fsdd":
            return corpus.concat([FSDD / f"{digit}_{r['speaker']}_0.wav" for digit in r["digits"]], gap_s=r["gap_s"])
        if kind == "noise":
            return corpus.with_noise(self.path(r["of"]), r["snr_db"], seed=r.get("seed", 0), pad_s=r.get("pad_s", 0.0),
                                     color=r.get("color", "white"))
        if kind == "reverb":
            return corpus.with_reverb(self.path(r["of"]), r.get("reverberance", 90), r.get("room_scale", 100))
        if kind == "room":
            return corpus.in_room(self.path(r["of"]), r["rt60_s"], seed=r.get("seed", 0))
        if kind == "concat":
            return corpus.concat([self.path(p) for p in r["of"]], gap_s=r.get("gap_s", 0.5))
        if kind == "triad":
            return corpus.triad(r["root"], r["quality"], seconds=r.get("seconds", 2.0))
        if kind == "progression":
            chords = [corpus.triad(root, quality, seconds=1.5) for root, quality in r["chords"]]
            return corpus.concat(chords, gap_s=0.0)
        if kind in _SIGNALS:
            return _signal_file(kind, r)
        raise EvalSetError(f"unknown audio recipe kind {kind!r}")


def _tone(hz: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    fade = np.minimum(1, np.minimum(t, seconds - t) / 0.02)
    return 0.25 * np.sin(2 * np.pi * hz * t) * fade


def _clicks(bpm: float, seconds: float) -> np.ndarray:
    """A 1 kHz click, 30 ms with a fast decay, on every beat."""
    y = np.zeros(int(seconds * RATE))
    t = np.arange(int(0.03 * RATE)) / RATE
    click = 0.8 * np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.005)
    for start in np.arange(0, seconds - 0.03, 60.0 / bpm):
        i = int(start * RATE)
        y[i:i + len(click)] += click
    return y


def _quiet(seconds: float) -> np.ndarray:
    """Near-silence: white noise at -70 dBFS RMS (an all-zero file is refused as input)."""
    return np.random.default_rng(0).standard_normal(int(seconds * RATE)) * 10 ** (-70 / 20)


_SIGNALS = {"tone": lambda r: _tone(r["hz"], r["seconds"]), "clicks": lambda r: _clicks(r["bpm"], r["seconds"]),
            "quiet": lambda r: _quiet(r["seconds"])}


def _signal_file(kind: str, recipe: dict) -> Path:
    key = hashlib.sha1(json.dumps([kind, recipe], sort_keys=True).encode()).hexdigest()[:16]
    path = corpus.corpus_dir() / "planning_eval" / f"{kind}-{key}.wav"
    if not path.exists():
        with atomic_path(path) as tmp:
            sf.write(tmp, _SIGNALS[kind](recipe), RATE, format="WAV")
    return path
