"""The two-hop knowledge set (``twohop.toml``): an attribute a tool found, then world knowledge.

Split by template (a wording over one kind of option), so the knowledge step is never tuned on
the wordings or option kinds it is scored on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomllib

from benchmarks.planning_eval.evalset import EvalSetError

DATA = Path(__file__).with_name("twohop.toml")
ATTRIBUTES = ("gender", "language", "emotion", "animal")
SPLITS = ("tune", "report")


@dataclass(frozen=True)
class TwoHop:
    id: str  # template.item
    template: str
    attribute: str
    split: str
    question: str
    finding: str  # the attribute's value, as the tool reports it
    options: tuple[str, ...]
    answer: str


def load(path: Path = DATA) -> list[TwoHop]:
    """The questions, checked: known attribute and split, answer among distinct options."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for t in data["template"]:
        if t["attribute"] not in ATTRIBUTES or t["split"] not in SPLITS:
            raise EvalSetError(f"template {t['id']}: attribute must be one of {ATTRIBUTES}, split one of {SPLITS}")
        for n, item in enumerate(t["items"]):
            options = tuple(item["options"])
            if item["answer"] not in options or len(set(options)) != len(options):
                raise EvalSetError(f"template {t['id']} item {n}: the answer must be one of distinct options")
            out.append(TwoHop(f"{t['id']}.{n}", t["id"], t["attribute"], t["split"], t["question"],
                              item["finding"], options, item["answer"]))
    return out
