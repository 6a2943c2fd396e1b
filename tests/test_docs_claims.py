"""Figures the docs quote that code can recompute: each is recomputed here, so a change that moves
one fails until the text says the new figure."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.planning_eval.evalset import load
from copilot.integrations.langchain import speech_tools

ROOT = Path(__file__).resolve().parents[1]


def _read(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def test_the_readme_counts_the_hosted_tools():
    tools = speech_tools()
    claimed = re.search(r"speech_tools\(\)\s+# (\d+) speech tools \+ `ask`", _read("README.md"))
    assert claimed and int(claimed.group(1)) == len(tools) - 1 and tools[-1].name == "ask"


def test_the_planning_eval_counts_are_the_sets():
    questions, recipes = load()
    test = [q for q in questions if q.split == "test"]
    tasks = {q.task for q in questions}
    two_hop = [q for q in questions if q.hops == 2]
    readme = _read("benchmarks/planning_eval/README.md")
    assert f"{len(questions)} questions ({len(test)} test, {len(questions) - len(test)} dev) in {len(tasks)} " \
           f"tasks over {len(recipes)} recordings" in readme
    assert f"There are {len(two_hop)} such questions, {sum(q.split == 'test' for q in two_hop)} of them in test" \
        in readme.replace("\n", " ")
    choice = sum(q.check["kind"] == "choice" for q in questions)
    assert f"| {choice} questions |" in readme
    doc = " ".join(_read("docs/planning-eval.md").split())
    assert f"holds {len(questions)} questions" in doc and f"They come in {len(tasks)} tasks" in doc
    assert f"and {len(two_hop)} two-hop questions" in doc
