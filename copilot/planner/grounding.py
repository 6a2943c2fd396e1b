"""Static checks that a program's answer can come from what the tools found, before it runs.

A small model answers from its own head when it can: ``return "Hello, world!"``, a literal
returned from an ``except`` around a tool, ``return X if X in options else Y``. Such a program
looks fine on the input it was written for and is wrong everywhere else, so it is refused and
never stored. A name is *tool-derived* when it is assigned from an expression that calls a tool
(or a helper function that does), or from another tool-derived name. A ``return`` is grounded
when its value, or a condition it sits under, is tool-derived.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    kind: str  # "no_tool_call" | "constant_answer" | "masked_tool_error" | "shadowed_tool"
    message: str  # for the LLM: what is wrong and what to do instead


def check_grounding(program: str, tools: Iterable[str], options: list[str]) -> Problem | None:
    """The first grounding problem of a program that parses, or None."""
    tree = ast.parse(program)
    tool_names = set(tools)
    shadowed = _shadowed(tree, tool_names)
    if shadowed:
        return Problem("shadowed_tool", f"the variable `{shadowed}` has the same name as the tool `{shadowed}()`, "
                       f"so the tool can no longer be called after it is assigned. Rename the variable "
                       f"(for example `{shadowed}_result = {shadowed}(...)`).")
    calling = _functions_calling(tree, tool_names)
    if not calling & tool_names:
        return Problem("no_tool_call", "the program calls no tool, so its answer cannot come from the recording. "
                       "Call the tools that measure what the question asks about and return what they found.")
    main = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"), None)
    if main is None:
        return None  # the sandbox reports the missing main()
    derived = _derived_names(main, calling)
    masked = _literal_in_except(main, calling)
    if masked:
        return Problem("masked_tool_error", f"line {masked}: an `except` around a tool call returns a fixed answer, "
                       "so a failing tool looks like a real answer. Remove the try/except; if a tool reports "
                       "that there is nothing to measure (no speech), return that instead.")
    returns = list(_returns(main))
    leaves = [leaf for r, _ in returns for leaf in _leaves(r.value)]
    one_constant = bool(leaves) and all(isinstance(x, ast.Constant) for x in leaves) and \
        len({repr(x.value) for x in leaves}) == 1
    if returns and len(options) != 1 and (one_constant or
                                          not any(_grounded(r, path, derived, calling) for r, path in returns)):
        return Problem("constant_answer", "what main() returns never depends on what the tools returned (it only "
                       "tests constants, the options or the question). Decide the answer from the tools' results.")
    return None


def _called_names(node: ast.AST) -> set[str]:
    return {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _functions_calling(tree: ast.Module, tools: set[str]) -> set[str]:
    """Tool names called anywhere, plus the program's own functions that (transitively) call a tool."""
    functions = {n.name: _called_names(n) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    called = _called_names(tree) & tools
    helpers: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, calls in functions.items():
            if name not in helpers and calls & (tools | helpers):
                helpers.add(name)
                changed = True
    return called | (helpers - {"main"})


def _mentions(node: ast.AST | None, derived: set[str], calling: set[str]) -> bool:
    if node is None:
        return False
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in derived:
            return True
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in calling:
            return True
    return False


def _targets(node: ast.AST) -> list[str]:
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    elif isinstance(node, (ast.For, ast.comprehension)):
        targets = [node.target]
    elif isinstance(node, ast.NamedExpr):
        targets = [node.target]
    else:
        return []
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def _derived_names(main: ast.FunctionDef, calling: set[str]) -> set[str]:
    derived: set[str] = set()
    while True:
        before = len(derived)
        for node in ast.walk(main):
            if isinstance(node, ast.If):  # names assigned under a tool-derived condition carry it
                if _mentions(node.test, derived, calling):
                    derived.update(name for sub in ast.walk(node) for name in _targets(sub))
                continue
            source = node.iter if isinstance(node, (ast.For, ast.comprehension)) else getattr(node, "value", None)
            if _targets(node) and _mentions(source, derived, calling):
                derived.update(_targets(node))
        if len(derived) == before:
            return derived


def _returns(main: ast.FunctionDef) -> Iterable[tuple[ast.Return, list[ast.AST]]]:
    """Each ``return`` of main with the statements that enclose it (its control path)."""
    def walk(node: ast.AST, path: list[ast.AST]):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Return):
                yield child, path
            elif not isinstance(child, (ast.FunctionDef, ast.Lambda)):
                yield from walk(child, path + [child])
    yield from walk(main, [])


def _leaves(expr: ast.expr | None) -> list[ast.expr]:
    """The values a return expression can take: both branches of every ``a if c else b``."""
    if expr is None:
        return [ast.Constant(None)]
    if isinstance(expr, ast.IfExp):
        return _leaves(expr.body) + _leaves(expr.orelse)
    return [expr]


def _grounded(ret: ast.Return, path: list[ast.AST], derived: set[str], calling: set[str]) -> bool:
    if _mentions(ret.value, derived, calling):
        return True
    return any(_mentions(node.iter if isinstance(node, ast.For) else getattr(node, "test", None), derived, calling)
               for node in path if isinstance(node, (ast.If, ast.While, ast.For)))


def _literal_in_except(main: ast.FunctionDef, calling: set[str]) -> int | None:
    for node in ast.walk(main):
        if isinstance(node, ast.Try) and any(_mentions(s, set(), calling) for s in node.body):
            for handler in node.handlers:
                for sub in ast.walk(handler):
                    if isinstance(sub, ast.Return) and isinstance(sub.value, ast.Constant):
                        return sub.lineno
    return None


def _shadowed(tree: ast.Module, tools: set[str]) -> str | None:
    for node in ast.walk(tree):
        for name in _targets(node):
            if name in tools:
                return name
        if isinstance(node, ast.arg) and node.arg in tools:
            return node.arg
    return None
