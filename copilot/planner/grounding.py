"""Static check that a program's answer can come from what the audio tools found, by data flow.

A small model answers from its own head when it can: ``return "Hello, world!"``, ``choose(question,
options)`` with no facts, ``if detect_noise(audio): return "noisy"`` (a result dict is always
true), a substitute assigned in an ``except`` around a tool. Such a program looks fine on the input
it was written for and is wrong everywhere else, so it is refused before it runs and never stored.

A value is *evidence* when it derives from an audio tool's result (a tool with an audio parameter,
or a helper function that calls one): through assignments, loops over evidence, ``+=``,
``.append``/``.update``, subscript assignment, comprehensions, or by being assigned under a
condition that evidence decides (counting, majority votes and set sizes are honest). ``choose``
and ``query_llm`` cannot hear: their result is evidence only when an argument is. A condition
decides only when it can go either way: a bare dict-returning tool result, ``is (not) None`` on a
tool result and ``len(x) >= 0`` decide nothing. Every return of ``main`` that is not an explicit
abstention must be evidence or sit under a deciding condition.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from copilot.errors import ErrorKind
from copilot.options import normalise
from copilot.planner import feedback
from copilot.planner.answers import ABSTENTIONS
from copilot.planner.question import Program
from copilot.planner.records import Refusal
from copilot.tools import Toolset

_COLLECTING = {"append", "extend", "update", "add", "insert", "setdefault", "appendleft"}


@dataclass(frozen=True)
class Hearing:
    """What the grounding check needs to know of a toolset, worked out once per toolset."""

    tools: frozenset[str]
    audio: frozenset[str]  # tools with an audio parameter: the sources of evidence
    dicts: frozenset[str]  # ... those that return a dict, which as a condition is always true

    @classmethod
    def of(cls, toolset: Toolset) -> Hearing:
        audio = [t for t in toolset if t.audio_params]
        return cls(frozenset(toolset.tools), frozenset(t.name for t in audio),
                   frozenset(t.name for t in audio if t.returns == "dict"))


def check_grounding(program: Program, hearing: Hearing) -> Refusal | None:
    """The first grounding problem of a program that compiles, or None."""
    tree, main = program.tree, program.main
    shadowed = _shadowed(tree, hearing.tools)
    if shadowed:
        return _refuse(f"the variable `{shadowed}` has the same name as the tool `{shadowed}()`, so the tool can "
                       f"no longer be called after it is assigned. Rename the variable (for example "
                       f"`{shadowed}_result = {shadowed}(...)`).")
    sources = hearing.audio | _helpers_calling(tree, hearing.audio)
    if main is None:
        return None  # the sandbox reports the missing main()
    if not _called(tree) & sources:
        return _refuse("the program calls no tool that listens to the recording (choose() and query_llm() cannot "
                       "hear), so its answer cannot come from the recording. Call the tools that measure what the "
                       "question asks about and return what they found.")
    flow = _Flow(main, sources, hearing.dicts)
    masked = flow.masked_error()
    if masked:
        return _refuse(f"line {masked}: an `except` around a tool call puts a substitute in place of what the tool "
                       "would have found, so a failing tool looks like a real answer. Remove the try/except; if a "
                       'tool reports that there is nothing to measure (no speech), return "no speech" instead.')
    returns = list(_returns(main))
    values = [leaf for r, _ in returns for leaf in leaves(r.value)]
    if values and all(isinstance(x, ast.Constant) for x in values) and len({repr(x.value) for x in values}) == 1:
        return Refusal(ErrorKind.CONSTANT_ANSWER, f"main() always returns {values[0].value!r}",
                       feedback.refused(f"main() returns {values[0].value!r} whatever happens: what it returns never "
                                 "depends on what the tools returned. Decide the answer from the tools' results."))
    for ret, path in returns:
        if not _abstains(ret.value) and not flow.grounded(ret, path):
            return flow.why_not(ret, path)
    return None


class _Flow:
    """Which names in ``main`` carry evidence, and which conditions decide."""

    def __init__(self, main: ast.FunctionDef, sources: set[str], dict_sources: set[str]) -> None:
        self.sources = sources
        self.dict_sources = dict_sources
        self.main = main
        self.raw: set[str] = set()  # names bound to a tool call's whole result, as it came
        self.evidence: set[str] = set()
        while True:
            before = len(self.evidence)
            self._visit(main.body, False)
            if len(self.evidence) == before:
                return

    # -- propagation ----------------------------------------------------------------------------
    def _visit(self, body: list[ast.stmt], under: bool) -> None:
        for node in body:
            if isinstance(node, (ast.If, ast.While)):
                decides = under or self.decides(node.test)
                self._visit(node.body, decides)
                self._visit(node.orelse, decides)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                over = self.carries(node.iter)
                if over or under:
                    self.evidence.update(_names(node.target))
                self._visit(node.body, under or over)
                self._visit(node.orelse, under)
            elif isinstance(node, ast.Try):
                for part in (node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody):
                    self._visit(part, under)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                self._visit(node.body, under)
            elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._statement(node, under)

    def _statement(self, node: ast.stmt, under: bool) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.NamedExpr) and (under or self.carries(sub.value)):
                self.evidence.add(sub.target.id)
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in _COLLECTING \
                    and (under or any(self.carries(a) for a in [*sub.args, *(k.value for k in sub.keywords)])):
                self.evidence.update(_names(sub.func.value))
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            keyed = any(isinstance(t, ast.Subscript) and self.carries(t.slice) for t in targets)
            if under or keyed or self.carries(node.value):
                self.evidence.update(n for t in targets for n in _names(t))
            if isinstance(node, ast.Assign) and self._raw(node.value):
                self.raw.update(t.id for t in targets if isinstance(t, ast.Name))

    def _raw(self, expr: ast.expr) -> bool:
        return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in self.sources

    def carries(self, expr: ast.AST | None) -> bool:
        """Whether an expression's value derives from an audio tool's result."""
        if expr is None:
            return False
        return any((isinstance(n, ast.Name) and n.id in self.evidence)
                   or (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in self.sources)
                   for n in ast.walk(expr))

    # -- conditions -------------------------------------------------------------------------------
    def decides(self, test: ast.expr) -> bool:
        return self.carries(test) and self.vacuous(test) is None

    def vacuous(self, test: ast.expr) -> str | None:
        """Why a condition on evidence cannot go either way, or None when it can."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.vacuous(test.operand)
        if isinstance(test, ast.BoolOp):
            reasons = [self.vacuous(v) for v in test.values if self.carries(v)]
            return reasons[0] if reasons and all(reasons) else None
        if self._dict_result(test):
            return "a tool's result dict is never empty, so as a condition it is always true"
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            left, op, right = test.left, test.ops[0], test.comparators[0]
            if isinstance(op, (ast.Is, ast.IsNot)) and _is_none(right) and self._whole_result(left):
                return "a tool never returns None, so this comparison always has the same outcome"
            if ast.dump(left) == ast.dump(right):
                return "it compares a value with itself"
            if (_is_len(left) and _is_zero(right) and isinstance(op, (ast.GtE, ast.Lt))) or \
                    (_is_len(right) and _is_zero(left) and isinstance(op, (ast.LtE, ast.Gt))):
                return "a length is never negative, so this comparison always has the same outcome"
        return None

    def _whole_result(self, expr: ast.expr) -> bool:
        return self._raw(expr) or (isinstance(expr, ast.Name) and expr.id in self.raw)

    def _dict_result(self, expr: ast.expr) -> bool:
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
            return expr.func.id in self.dict_sources
        if isinstance(expr, ast.Name) and expr.id in self.raw:
            value = next((n.value for n in ast.walk(self.main) if isinstance(n, ast.Assign)
                          and any(isinstance(t, ast.Name) and t.id == expr.id for t in n.targets)), None)
            return value is not None and self._dict_result(value)
        return False

    # -- returns --------------------------------------------------------------------------------
    def grounded(self, ret: ast.Return, path: list[ast.AST]) -> bool:
        if any(self.decides(n.test) for n in path if isinstance(n, (ast.If, ast.While))) or \
                any(self.carries(n.iter) for n in path if isinstance(n, ast.For)):
            return True
        return self._value_grounded(ret.value)

    def _value_grounded(self, expr: ast.expr | None) -> bool:
        if isinstance(expr, ast.IfExp):
            return self.decides(expr.test) or self._value_grounded(expr.body) or self._value_grounded(expr.orelse)
        return self.carries(expr)

    def why_not(self, ret: ast.Return, path: list[ast.AST]) -> Refusal:
        """The real reason a return is not grounded, for the LLM."""
        tests = [n.test for n in path if isinstance(n, (ast.If, ast.While))] + \
            [n.test for n in ast.walk(ret) if isinstance(n, ast.IfExp)]
        for test in tests:
            reason = self.carries(test) and self.vacuous(test)
            if reason:
                return _refuse(f"line {test.lineno}: `{ast.unparse(test)}` decides nothing: {reason}. Test the "
                               "field of the result that answers the question (for example `result[\"present\"]` "
                               "or `result[\"label\"]`).")
        blind = [n for n in ast.walk(ret) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                 and n.func.id in ("choose", "query_llm")]
        if blind:
            name = blind[0].func.id
            return _refuse(f"line {ret.lineno}: {name}() is given nothing an audio tool returned, so its answer "
                           "would come from the language model's own head, not from the recording. First call the "
                           f"audio tool that measures what the question asks about, then pass what it found to "
                           f"{name}() (for example `facts={{\"speaker gender\": gender}}`).")
        return Refusal(ErrorKind.CONSTANT_ANSWER, f"line {ret.lineno}: the returned value does not depend on a tool",
                       feedback.refused(f"line {ret.lineno}: what main() returns there never depends on what the tools "
                                 "returned (it only uses constants, the options or the question). Decide the answer "
                                 "from the tools' results."))

    # -- except -----------------------------------------------------------------------------------
    def masked_error(self) -> int | None:
        """The line of an ``except`` around a tool call that neither re-raises nor abstains."""
        for node in ast.walk(self.main):
            if isinstance(node, ast.Try) and any(self.carries(s) for s in node.body):
                for handler in node.handlers:
                    inside = list(ast.walk(handler))
                    raises = any(isinstance(n, ast.Raise) for n in inside)
                    abstains = any(isinstance(n, ast.Return) and _abstains(n.value) for n in inside)
                    substitutes = any(isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr))
                                      or (isinstance(n, ast.Return) and not _abstains(n.value)) for n in inside)
                    if substitutes or not (raises or abstains):
                        return handler.lineno
        return None


def _refuse(reason: str) -> Refusal:
    return Refusal(ErrorKind.UNGROUNDED, reason, feedback.refused(reason))


def _abstains(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str) and normalise(expr.value) in ABSTENTIONS


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def _is_zero(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value == 0 and not isinstance(expr.value, bool)


def _is_len(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "len"


def _names(target: ast.AST) -> list[str]:
    """The names a target binds or changes: ``x``, ``a, b``, the ``x`` of ``x[k]`` and ``x.attr``."""
    while isinstance(target, (ast.Subscript, ast.Attribute, ast.Starred)):
        target = target.value
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _names(e)]
    return []


def _called(node: ast.AST) -> set[str]:
    return {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _helpers_calling(tree: ast.Module, tools: set[str]) -> set[str]:
    """The program's own functions (not main) that call an audio tool, directly or through each other."""
    functions = {n.name: _called(n) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    helpers: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, calls in functions.items():
            if name not in helpers and calls & (tools | helpers):
                helpers.add(name)
                changed = True
    return helpers - {"main"}


def _returns(main: ast.FunctionDef) -> Iterator[tuple[ast.Return, list[ast.AST]]]:
    """Each ``return`` of main with the statements that decide whether it is reached (its control
    path): those that enclose it, and an earlier ``if`` that returns (``if x: return a`` / ``return b``)."""
    def walk(node: ast.AST, path: list[ast.AST]) -> Iterator[tuple[ast.Return, list[ast.AST]]]:
        exits: list[ast.AST] = []
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Return):
                yield child, path + exits
            elif not isinstance(child, (ast.FunctionDef, ast.Lambda)):
                yield from walk(child, path + exits + [child])
                if isinstance(child, ast.If) and any(isinstance(n, ast.Return) for n in ast.walk(child)):
                    exits.append(child)
    yield from walk(main, [])


def leaves(expr: ast.expr | None) -> list[ast.expr]:
    """The values a return expression can take: both branches of every ``a if c else b``."""
    if expr is None:
        return [ast.Constant(None)]
    if isinstance(expr, ast.IfExp):
        return leaves(expr.body) + leaves(expr.orelse)
    return [expr]


def _shadowed(tree: ast.Module, tools: Iterable[str]) -> str | None:
    names = set(tools)
    for node in ast.walk(tree):
        bound = [n for t in getattr(node, "targets", [getattr(node, "target", None)]) if t is not None
                 for n in _names(t) if isinstance(t, (ast.Name, ast.Tuple, ast.List))]
        if isinstance(node, ast.arg):
            bound.append(node.arg)
        hit = next((n for n in bound if n in names), None)
        if hit:
            return hit
    return None
