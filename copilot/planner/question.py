"""What the planner is given and what it handles: one ``Question``, built once, and ``Program`` versions.

``Question.make`` is the one place that reads an instruction: its options and option-free task
text (one :func:`~copilot.options.split_options`), the input signature, the inputs a program gets
and the keys it is stored under. A ``Program`` is one version of the LLM's code, parsed and
compiled once; every check, the run and the store read it from there.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from copilot.audio import Audio
from copilot.options import normalise, split_options
from copilot.planner.signature import Signature, infer_signature
from copilot.sandbox.policy import CompiledProgram, compile_program


@dataclass(frozen=True)
class Question:
    """One question as asked: immutable from ``Copilot.ask`` to the ``Answer``."""

    instruction: str
    recordings: Mapping[str, Audio]  # handle ("audio", "audio_1", ...) -> recording
    options: tuple[str, ...]
    task: str  # what stays the same across a task's items: the program key, else the option-free text
    signature: Signature
    inputs: Mapping[str, Any] = field(repr=False)  # what main() is called with
    program_key: str | None = None  # a caller's name for the task: the library is not consulted
    toolset: str = ""  # the toolset's version: programs are stored and reused per version
    store_key: str = ""

    @classmethod
    def make(cls, instruction: str, recordings: Sequence[Audio], text: str | None, options: Sequence[str] | None,
             program_key: str | None, toolset_version: str) -> Question:
        listed, task_text = split_options(instruction)
        chosen = tuple(options) if options is not None else tuple(listed)
        signature = infer_signature(len(recordings), text, has_options=bool(chosen))
        inputs: dict[str, Any] = {name: name for name in signature.audio}
        if signature.text:
            inputs[signature.text] = text
        if signature.options:
            inputs["options"] = list(chosen)
        inputs["question"] = instruction
        task = program_key or task_text or instruction
        return cls(instruction, dict(zip(signature.audio, recordings)), chosen, task, signature, inputs,
                   program_key, toolset_version, store_key(task, signature.key(), toolset_version))


@dataclass(frozen=True)
class Program:
    """One program version: its text, syntax tree, layout-free text, ``main``'s parameters, bytecode."""

    source: str
    tree: ast.Module | None  # None: it does not parse
    normal: str  # without comments and layout: how a resubmission is recognised
    params: tuple[str, ...] | None  # None: no main(), or one taking *args/**kwargs
    compiled: CompiledProgram
    main: ast.FunctionDef | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, source: str) -> Program:
        try:
            tree = ast.parse(source)
            normal = ast.unparse(tree)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree, normal = None, source.strip()
        main = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"), None) \
            if tree else None
        params = None if main is None or main.args.vararg or main.args.kwarg else \
            tuple(a.arg for a in main.args.args + main.args.kwonlyargs)
        return cls(source, tree, normal, params, compile_program(source), main)

    def inputs(self, question: Question) -> dict[str, Any]:
        """The question's inputs without ``options`` or ``question`` when main() does not take them.

        A program that needs neither (``speaker_gender(audio, ...)``, whose label the answer mapping
        matches to the options) may leave them out; any other mismatch is the program's to repair.
        """
        if self.params is None:
            return dict(question.inputs)
        return {k: v for k, v in question.inputs.items() if k in self.params or k not in ("options", "question")}


def store_key(task: str, signature: str, toolset: str) -> str:
    """Where a task's program is stored: its option-free wording, input signature and toolset version."""
    return hashlib.sha256(json.dumps([normalise(task), signature, toolset]).encode()).hexdigest()[:24]
