"""Choose what goes into the prompt: the few tools and worked examples a question needs.

A 1.5B model on CPU pays for every prompt token and gets confused by long menus, so the prompt holds
the examples most similar to the question (same input signature first) and the tools those examples
use plus the tools most similar to the question. Order follows the toolset and the bank, so the same
question always yields the same prompt (and llama.cpp can reuse its cache).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from copilot import embeddings
from copilot.planner.signature import Signature
from copilot.tools import Toolset

EXAMPLES_FILE = Path(__file__).with_name("examples.jsonl")
ALWAYS = ("query_llm", "choose")


@dataclass(frozen=True)
class Example:
    instruction: str
    options: tuple[str, ...]
    params: tuple[str, ...]
    program: str

    def tools_used(self, names: set[str]) -> list[str]:
        called = {n.func.id for n in ast.walk(ast.parse(self.program))
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        return sorted(called & names)


def load_examples(path: Path = EXAMPLES_FILE) -> list[Example]:
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            raw = json.loads(line)
            out.append(Example(raw["instruction"], tuple(raw.get("options", ())), tuple(raw["params"]),
                               raw["program"]))
    return out


class Retriever:
    def __init__(self, toolset: Toolset, examples: list[Example], k_tools: int = 4, k_examples: int = 3) -> None:
        self.toolset = toolset
        self.examples = examples
        self.k_tools = k_tools
        self.k_examples = k_examples

    @cached_property
    def _tool_vectors(self) -> np.ndarray:
        return embeddings.embed([f"{t.name.replace('_', ' ')}: {t.summary}" for t in self.toolset])

    @cached_property
    def _example_vectors(self) -> np.ndarray:
        return embeddings.embed([e.instruction for e in self.examples])

    def select(self, instruction: str, signature: Signature) -> tuple[list[str], list[Example]]:
        """Tool names and examples for this question."""
        names = list(self.toolset.tools)
        query = embeddings.embed([instruction])[0]
        ex_scores = self._example_vectors @ query if self.examples else np.zeros(0)
        ex_scores = ex_scores + np.array([0.15 if e.params == signature.params else 0.0 for e in self.examples])
        chosen_ex = sorted(np.argsort(-ex_scores)[: self.k_examples].tolist())
        examples = [self.examples[i] for i in chosen_ex]
        wanted = {n for e in examples for n in e.tools_used(set(names))}
        wanted.update(n for n in ALWAYS if n in self.toolset.tools)
        for i in np.argsort(-(self._tool_vectors @ query)):
            if len(wanted) >= self.k_tools + len(ALWAYS):
                break
            wanted.add(names[i])
        return [n for n in names if n in wanted], examples
