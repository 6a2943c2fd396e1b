"""Step 1, decomposition: the LLM writes a placeholder program per task; ``ast`` reads its modules.

A module is any function the program calls by bare name that it neither defines nor gets from Python
(builtins, standard library imports). The program's header comments (``# name(args) -> type: what``)
give the module's intended signature and description; modules declared there but never called count
too, because a small model often declares the right module and then forgets to call it.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from copilot.llm.base import ChatModel, Message
from copilot.planner.extract import extract_program
from copilot.pools import TaskRecord
from copilot.prompts import PromptFolder

PROMPTS = PromptFolder(Path(__file__).resolve().parent / "prompts")

MAX_ATTEMPTS = 3  # first try plus two retries with the parse error fed back
MAX_TOKENS = 320
_BUILTINS = frozenset(dir(builtins))
_HEADER = re.compile(r"^\s*#\s*([A-Za-z_]\w*)\s*\(([^)]*)\)\s*(?:->\s*([^:]+?))?\s*:\s*(.*?)\s*$")
_INPUT_NOTES = {"text": "text: the word or sentence given with the audio",
                "audio2": "audio2: a second recording"}


@dataclass(frozen=True)
class ModuleCall:
    """One module as one program uses it."""

    name: str  # normalised snake_case
    params: tuple[str, ...]
    returns: str  # declared in the header, else inferred from how the result is used ("" if unknown)
    description: str  # from the header comment ("" if none)
    examples: tuple[str, ...]  # the program lines that call it
    called: bool = True


@dataclass(frozen=True)
class Decomposition:
    """The program written for one phrasing of one task, and the modules read from it."""

    task: str
    instruction: str
    program: str  # "" when every attempt failed
    calls: tuple[ModuleCall, ...]
    attempts: int
    error: str = ""


def snake_case(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    name = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", name)  # SNREstimation -> SNR_Estimation
    return re.sub(r"_+", "_", name).strip("_").lower()


def phrasings(task: TaskRecord, n: int) -> list[str]:
    """The first ``n`` phrasings (pools list the most frequent first); a task without any gets one
    written from its name, so that it is still decomposed."""
    if task.instructions:
        return list(task.instructions[: max(1, n)])
    words = re.sub(r"(?<=[a-z])([A-Z])", r" \1", task.family or task.task.split("_")[0]).lower()
    options = f" The answer could be {', '.join(task.labels)}." if task.labels else ""
    return [f"Perform {words} on the audio.{options}"]


def input_note(task: TaskRecord) -> str:
    """What the non-obvious inputs hold, e.g. ``  (text: the word or sentence ...)``."""
    notes = [_INPUT_NOTES[i] for i in task.inputs if i in _INPUT_NOTES]
    return f"  ({'; '.join(notes)})" if notes else ""


def messages_for(task: TaskRecord, instruction: str) -> list[Message]:
    """A fixed prefix (system prompt and two worked examples) then the task: the prefix stays
    byte-identical across calls so llama.cpp reuses it from its KV cache."""
    return [
        Message("system", PROMPTS.template("decompose_system")),
        Message("user", PROMPTS.template("decompose_example1_user")),
        Message("assistant", PROMPTS.template("decompose_example1_program")),
        Message("user", PROMPTS.template("decompose_example2_user")),
        Message("assistant", PROMPTS.template("decompose_example2_program")),
        Message("user", PROMPTS.render("decompose_user", instruction=instruction, inputs=", ".join(task.inputs),
                                note=input_note(task))),
    ]


def _defined_names(tree: ast.AST) -> set[str]:
    names = {"main"}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in sys.stdlib_module_names:
            names.update(a.asname or a.name for a in node.names)
    return names


def _infer_returns(tree: ast.AST, call: ast.Call, parents: dict[ast.AST, ast.AST]) -> str:
    """Guess the result type from how the program uses it (compared with text, looped over...)."""
    parent = parents.get(call)
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        var = parent.targets[0].id
        uses = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == var and isinstance(n.ctx, ast.Load)]
    else:
        uses = [call]
    for use in uses:
        up = parents.get(use)
        if isinstance(up, ast.Compare):
            others = [up.left, *up.comparators]
            if any(isinstance(o, ast.Constant) and isinstance(o.value, str) for o in others):
                return "str"
            if any(isinstance(op, (ast.Lt, ast.Gt, ast.LtE, ast.GtE)) for op in up.ops):
                return "float"
            if any(isinstance(op, (ast.In, ast.NotIn)) for op in up.ops) and up.left is not use:
                return "list"
        if isinstance(up, ast.For) and up.iter is use:
            return "list"
        if isinstance(up, ast.Subscript) and up.value is use:
            key = up.slice
            return "dict" if isinstance(key, ast.Constant) and isinstance(key.value, str) else "list"
        if isinstance(up, (ast.If, ast.While, ast.IfExp)) and up.test is use:
            return "bool"
        if isinstance(up, ast.BoolOp) or (isinstance(up, ast.UnaryOp) and isinstance(up.op, ast.Not)):
            return "bool"
        if isinstance(up, ast.Attribute) and up.attr in {"lower", "upper", "strip", "split", "startswith"}:
            return "str"
    return ""


def parse_program(code: str) -> tuple[ModuleCall, ...]:
    """The modules a placeholder program uses, in order of first appearance.

    Raises ``SyntaxError`` if the code is not Python.
    """
    tree = ast.parse(code)
    lines = code.splitlines()
    header: dict[str, tuple[tuple[str, ...], str, str]] = {}
    for line in lines:
        m = _HEADER.match(line)
        if m and m.group(1) != "main":
            params = tuple(p.split(":")[0].split("=")[0].strip() for p in m.group(2).split(",") if p.strip())
            header.setdefault(snake_case(m.group(1)), (params, (m.group(3) or "").strip(), m.group(4)))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    defined = _defined_names(tree)
    found: dict[str, dict] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        raw = node.func.id
        if raw in defined or raw in _BUILTINS:
            continue
        name = snake_case(raw)
        params = tuple(a.id if isinstance(a, ast.Name) else f"arg{i + 1}" for i, a in enumerate(node.args))
        params += tuple(k.arg for k in node.keywords if k.arg)
        entry = found.setdefault(name, {"params": params, "returns": "", "examples": [], "line": node.lineno})
        entry["examples"].append(lines[node.lineno - 1].strip())
        entry["returns"] = entry["returns"] or _infer_returns(tree, node, parents)
    calls = []
    for name, entry in sorted(found.items(), key=lambda kv: kv[1]["line"]):
        declared = header.get(name)
        calls.append(ModuleCall(
            name=name,
            params=declared[0] if declared and declared[0] else entry["params"],
            returns=(declared[1] if declared else "") or entry["returns"],
            description=declared[2] if declared else "",
            examples=tuple(dict.fromkeys(entry["examples"])),
        ))
    for name, (params, returns, description) in header.items():
        if name not in found:
            calls.append(ModuleCall(name=name, params=params, returns=returns, description=description,
                                    examples=(), called=False))
    return tuple(calls)


def extract_code(reply: str) -> tuple[str | None, str]:
    """The program in a reply; unlike a planner program it needs no ``main``: a placeholder
    program is judged only by the modules it calls."""
    return extract_program(reply, require_main=False)


def decompose(llm: ChatModel, task: TaskRecord, instruction: str) -> Decomposition:
    """Ask for one program; on a reply that does not parse or calls no module, say why and retry."""
    messages = messages_for(task, instruction)
    error = ""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        reply = llm.complete(messages, max_tokens=MAX_TOKENS).text
        program, error = extract_code(reply)
        if program is not None:
            calls = parse_program(program)
            if calls:
                return Decomposition(task.task, instruction, program, calls, attempt)
            error = "the program calls no module"
        messages = [*messages, Message("assistant", reply),
                    Message("user", PROMPTS.render("decompose_retry", error=error, inputs=", ".join(task.inputs)))]
    return Decomposition(task.task, instruction, "", (), MAX_ATTEMPTS, error)


def decompose_pool(llm: ChatModel, tasks: Sequence[TaskRecord], n_phrasings: int,
                   progress: Iterable | None = None) -> list[Decomposition]:
    """Decompose every sampled phrasing of every task, each on its own: a program sees no other
    task's modules, because the 1.5B model, shown the modules found so far, copied them into
    unrelated tasks (``bird_detection`` into speaker verification). Merging unifies names instead.

    ``progress`` is an optional tqdm-like object updated once per task.
    """
    out = []
    for task in tasks:
        for instruction in phrasings(task, n_phrasings):
            out.append(decompose(llm, task, instruction))
        if progress is not None:
            progress.update(1)
    return out
