"""Validated programs: by task (exact), by paraphrase (the library), with a record of how they fare.

A program takes the question's options and wording as inputs, so it answers a *task*, not one
item. Its key is the instruction with its option list removed, the input signature and the
toolset version (or a caller's ``program_key``). The library finds a stored program for a new
wording of a known task by sentence-embedding similarity of the option-free instructions, with
the same signature and toolset only, when the best program is similar enough and clearly ahead of
the next different program (two stored tasks that read alike are never reused for each other).
Threshold and margin were chosen on the Phase-1 train-side tasks' phrasings and checked on the
Phase-1 tasks (``benchmarks/calibrate_library.py``: 100 % precision, 0 % wrong reuse there).

Each entry records the LLM that wrote it, the inputs it answered and what it answered, so a
program that keeps giving one answer while its tools report different things, or that keeps
failing on new inputs, is flagged and planned anew instead of being served forever. Entries are
small JSON files written atomically; a damaged one is ignored.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from copilot.fileio import atomic_write
from copilot.options import NUMBER_WORDS, normalise

if TYPE_CHECKING:
    from copilot.planner.question import Question

LIBRARY_THRESHOLD = 0.84  # cosine of option-free instructions; see benchmarks/calibrate_library.py
LIBRARY_MARGIN = 0.11  # over the next different program
MAX_USES_KEPT = 50
FAILURES_TO_FLAG = 3
SAME_ANSWER_TO_FLAG = 5  # distinct inputs and tool decisions (key_outputs), one answer: the program ignores its tools
KEY_TEXT_CHARS = 40  # a label, not a transcript
SAME_TEXT_TO_FLAG = 2  # the same for open text answers ("what is said?"), where a repeat is never right


def program_id(program: str) -> str:
    return hashlib.sha256(program.encode()).hexdigest()[:12]


def fingerprint(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def key_outputs(result: Any) -> Any:
    """What a tool decided, without what always varies: its booleans, whole numbers and short labels
    ("label", "present", "count", "same"), and the lengths of its lists; scores, probabilities,
    seconds and long texts are left out. One answer over items whose scores differ but whose tools
    decided the same (label-sorted benchmark data) is not suspicious; one answer over differing
    decisions is."""
    if not isinstance(result, dict):
        return result if isinstance(result, (bool, int, str)) and len(str(result)) <= KEY_TEXT_CHARS else None
    kept = {}
    for name, value in result.items():
        if isinstance(value, list):
            kept[name] = len(value)
        elif isinstance(value, (bool, int)) or (isinstance(value, str) and len(value) <= KEY_TEXT_CHARS):
            kept[name] = value
    return kept


@dataclass(frozen=True)
class Stored:
    key: str
    program: str
    source: str  # "cache" (this task) or "library" (a paraphrase)
    instruction: str  # the stored task's option-free instruction
    similarity: float = 1.0


class ProgramStore:
    """Programs by task key in ``folder`` (None: this process only); ``enabled=False`` stores nothing."""

    def __init__(self, folder: Path | None, enabled: bool = True) -> None:
        self.folder = folder
        self.enabled = enabled
        self._memory: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()

    # -- reuse: what the planner asks ---------------------------------------------------------
    def find(self, question: Question) -> Stored | None:
        """The program to try first for ``question``; a caller's program key names the task exactly,
        so the library's paraphrase matching is only for wordings."""
        return self.lookup(question.store_key, question.task, question.signature.key(), question.toolset,
                           library=question.program_key is None)

    def remember(self, question: Question, program: str, answer: str | None, tool_results: list[Any], llm: str,
                 stored: Stored | None = None) -> None:
        """Note how ``program`` did on ``question`` (``answer`` None: it failed).

        A newly planned program that answered is stored under the question's key; a stored one has
        its use recorded and, when it answered a new wording of its task, is stored under that too.
        """
        if stored is None and answer is None:
            return
        if answer is not None and (stored is None or stored.key != question.store_key):
            self.put(question.store_key, program, task=question.task, signature=question.signature.key(),
                     toolset=question.toolset, llm=llm)
        # A repeated open text ("what is said?") is suspicious at once; a repeated count or yes/no is not.
        open_text = not question.options and answer is not None and not any(ch.isdigit() for ch in answer) \
            and normalise(answer) not in _SHORT_ANSWERS
        self.record(stored.key if stored else question.store_key,
                    inputs=fingerprint([a.sha256 for a in question.recordings.values()]
                                       + [question.inputs.get("word"), question.inputs.get("text")]),
                    answer=answer, tools=fingerprint([key_outputs(r) for r in tool_results]),
                    open_text=open_text)

    # -- lookup -----------------------------------------------------------------------------
    def lookup(self, key: str, task: str, signature: str, toolset: str, library: bool = True) -> Stored | None:
        """The program stored for this task, else (``library``) the closest paraphrase's, else None."""
        if not self.enabled:
            return None
        entry = self.get(key)
        if entry is not None and not entry.get("flagged"):
            return Stored(key, entry["program"], "cache", entry["instruction"])
        if not library:
            return None
        peers = [e for e in self.entries() if e["signature"] == signature and e["toolset"] == toolset
                 and not e.get("flagged") and e["key"] != key]
        if not peers:
            return None
        from copilot import embeddings

        # Embeddings are computed when the library is first consulted, not when a program is stored.
        missing = [e for e in peers if not e.get("embedding")]
        vectors = embeddings.embed([task] + [e["instruction"] for e in missing])
        for entry, vector in zip(missing, vectors[1:]):
            entry["embedding"] = [round(float(x), 5) for x in vector]
            self._write(entry)
        query = vectors[0]
        scores = np.asarray([e["embedding"] for e in peers], dtype=np.float32) @ query
        best_per_program: dict[str, tuple[float, dict[str, Any]]] = {}
        for score, entry in zip(scores.tolist(), peers):
            known = best_per_program.get(entry["program_id"])
            if known is None or score > known[0]:
                best_per_program[entry["program_id"]] = (score, entry)
        ranked = sorted(best_per_program.values(), key=lambda pair: -pair[0])
        score, entry = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else -1.0
        if score < LIBRARY_THRESHOLD or score - runner_up < LIBRARY_MARGIN:
            return None
        return Stored(entry["key"], entry["program"], "library", entry["instruction"], score)

    # -- writing ----------------------------------------------------------------------------
    def put(self, key: str, program: str, *, task: str, signature: str, toolset: str, llm: str) -> None:
        if not self.enabled:
            return
        entry = {"key": key, "program": program, "program_id": program_id(program), "instruction": task,
                 "signature": signature, "toolset": toolset, "llm": llm, "created": time.time(),
                 "embedding": None, "uses": [], "failures": 0, "flagged": None}
        self._write(entry)

    def adopt(self, entry: dict[str, Any]) -> None:
        """Take an entry another process stored (a Ray actor's), as it is."""
        if self.enabled and isinstance(entry.get("program"), str) and re.fullmatch(r"[0-9a-f]{24}", entry.get("key", "")):
            self._write(dict(entry))

    def record(self, key: str, *, inputs: str, answer: str | None, tools: str, open_text: bool) -> str | None:
        """Note one use of a stored program (``answer`` None: it failed); return why it is now flagged, if so."""
        with self._lock:
            entry = self.get(key)
            if entry is None:
                return None
            if answer is None:
                entry["failures"] += 1
            else:
                entry["uses"] = (entry["uses"] + [{"inputs": inputs, "answer": answer, "tools": tools}])[-MAX_USES_KEPT:]
            entry["flagged"] = entry.get("flagged") or _suspicion(entry, open_text)
            self._write(entry)
            return entry["flagged"]

    def drop(self, key: str) -> bool:
        with self._lock:
            found = self._memory.pop(key, None) is not None
            if self.folder is not None:
                path = self.folder / f"{key}.json"
                found = path.exists() or found
                path.unlink(missing_ok=True)
            return found

    def clear(self) -> int:
        keys = [e["key"] for e in self.entries()]
        for key in keys:
            self.drop(key)
        return len(keys)

    # -- reading ----------------------------------------------------------------------------
    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            if key in self._memory:
                return self._memory[key]
            if self.folder is None or not re.fullmatch(r"[0-9a-f]{24}", key):
                return None
            entry = _read(self.folder / f"{key}.json")
            if entry is not None:
                self._memory[key] = entry
            return entry

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            found = dict(self._memory)
            if self.folder is not None and self.folder.is_dir():
                for path in sorted(self.folder.glob("*.json")):
                    if path.stem not in found:
                        entry = _read(path)
                        if entry is not None:
                            found[path.stem] = self._memory.setdefault(path.stem, entry)
            return sorted(found.values(), key=lambda e: e.get("created", 0))

    def _write(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._memory[entry["key"]] = entry
            if self.folder is not None:
                atomic_write(self.folder / f"{entry['key']}.json", json.dumps(entry))


def _read(path: Path) -> dict[str, Any] | None:
    try:
        entry = json.loads(path.read_text())
        if isinstance(entry.get("program"), str) and entry.get("key") == path.stem:
            return entry
    except (OSError, ValueError, AttributeError):
        pass
    return None


_SHORT_ANSWERS = {*NUMBER_WORDS[:11], "yes", "no"}


def _suspicion(entry: dict[str, Any], open_text: bool) -> str | None:
    uses = entry["uses"]
    if entry["failures"] >= FAILURES_TO_FLAG and entry["failures"] >= len(uses):
        return f"failed on {entry['failures']} inputs out of {entry['failures'] + len(uses)}"
    need = SAME_TEXT_TO_FLAG if open_text else SAME_ANSWER_TO_FLAG
    inputs = {u["inputs"] for u in uses}
    tools = {u["tools"] for u in uses}
    answers = {u["answer"] for u in uses}
    if len(inputs) >= need and len(tools) >= need and len(answers) == 1:
        return (f"answered {next(iter(answers))!r} for {len(inputs)} different inputs whose tool results all "
                "differ")
    return None
