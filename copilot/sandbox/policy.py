"""Compile-time policy for generated programs: RestrictedPython plus rules for tool programs.

RestrictedPython rejects names and attributes starting with ``_``, ``exec``/``eval`` calls,
``except*``, frame and generator introspection attributes, and rewrites attribute, item, iteration
and write access into guard calls (the guards live in ``namespace.py``). The subclass below adds the
rules for tool programs: no classes, imports only from a tiny allow-list of pure modules, no names
that reach dynamic code, files or introspection. Every message names the line and the rule, because
it goes back to the LLM for repair. This is a policy layer, not the security boundary: the worker
process is (see docs/sandbox.md).
"""

from __future__ import annotations

import ast
import copy
import functools
import marshal
import re
from dataclasses import dataclass, replace

from RestrictedPython import compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer

from copilot.sandbox.namespace import MODULE_MEMBERS, PROGRAM_FILENAME

MAX_SOURCE_CHARS = 100_000

_FORBIDDEN = {
    "dynamic code is not allowed": ("eval", "exec", "compile"),
    "file access is not allowed (tools receive audio as handles)": ("open",),
    "introspection is not allowed": ("globals", "locals", "vars", "dir", "id", "help", "printed"),
    "classes and types are not available: use functions, dicts and lists": (
        "type", "object", "super", "classmethod", "staticmethod", "property", "memoryview"),
    "attributes cannot be set or deleted": ("setattr", "delattr"),
    "a program cannot read input or stop the interpreter": ("input", "exit", "quit"),
}
FORBIDDEN_NAMES = {name: reason for reason, names in _FORBIDDEN.items() for name in names}
_ATTRIBUTE_BUILTINS = ("getattr", "hasattr")
_LINE = re.compile(r"Line (\d+)")


@dataclass(frozen=True)
class CompiledProgram:
    """Marshalled restricted bytecode, or why there is none (``kind`` is "SYNTAX" or "POLICY")."""

    code: bytes | None
    modules: tuple[str, ...] = ()  # allow-listed modules it imports (the worker loads them up front)
    errors: tuple[str, ...] = ()
    kind: str | None = None
    line: int | None = None
    source: str = ""  # the text it was compiled from, for error messages that quote a line


class ProgramPolicy(RestrictingNodeTransformer):
    """RestrictedPython's transformer with the extra rules for tool programs."""

    def visit_Module(self, node: ast.Module) -> ast.AST:
        self.bound_names = _bound_names(node)
        return super().visit_Module(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        reason = FORBIDDEN_NAMES.get(node.id)
        if reason and isinstance(node.ctx, ast.Load) and node.id not in self.bound_names:
            self.error(node, f'"{node.id}" is not allowed: {reason}.')
            return node
        return super().visit_Name(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func, args = node.func, node.args
        if (isinstance(func, ast.Name) and func.id in _ATTRIBUTE_BUILTINS and len(args) >= 2
                and isinstance(args[1], ast.Constant) and isinstance(args[1].value, str)
                and args[1].value.startswith("_")):
            self.error(node, f'{func.id}() with "{args[1].value}" is not allowed: names starting with "_" '
                             "are private.")
        return super().visit_Call(node)

    def visit_Import(self, node: ast.Import) -> ast.AST:
        for alias in node.names:
            if alias.name not in MODULE_MEMBERS:
                self.error(node, _import_refusal(alias.name))
        return super().visit_Import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        members = MODULE_MEMBERS.get(node.module or "") if not node.level else None
        if members is None:
            self.error(node, _import_refusal("." * node.level + (node.module or "")))
        else:
            for alias in node.names:
                if alias.name not in members:
                    self.error(node, f'"{alias.name}" cannot be imported from {node.module}: the sandbox '
                                     f"offers {', '.join(sorted(members))}.")
        return super().visit_ImportFrom(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed: use functions, dicts and lists.")
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        # ``counts[key] += 1`` is everywhere in generated code; RestrictedPython forbids augmented
        # item assignment, so rewrite it as ``counts[key] = counts[key] + 1`` when evaluating the
        # container and key twice cannot change the outcome (no calls in them).
        target = node.target
        if isinstance(target, ast.Subscript) and _pure(target.value) and _pure(target.slice):
            current = copy.deepcopy(target)
            current.ctx = ast.Load()
            assign = ast.Assign(targets=[target], value=ast.BinOp(left=current, op=node.op, right=node.value))
            ast.fix_missing_locations(ast.copy_location(assign, node))
            return self.visit(assign)
        return super().visit_AugAssign(node)


def _pure(node: ast.AST) -> bool:
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Subscript):
        return _pure(node.value) and _pure(node.slice)
    if isinstance(node, ast.Attribute):
        return _pure(node.value)
    if isinstance(node, ast.Tuple):
        return all(_pure(e) for e in node.elts)
    return False


def _bound_names(tree: ast.AST) -> set[str]:
    """Names the program itself binds: a variable called ``type`` or ``input`` is fine."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add(node.asname or node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def _import_refusal(name: str) -> str:
    return (f'import of "{name}" is not allowed: only {", ".join(sorted(MODULE_MEMBERS))} can be imported; '
            "use the tools and builtins for everything else.")


@functools.lru_cache(maxsize=128)
def compile_program(source: str) -> CompiledProgram:
    """Parse, check and compile a program once; the result is what the sandbox runs."""
    return replace(_compile(source), source=source)


def _compile(source: str) -> CompiledProgram:
    if len(source) > MAX_SOURCE_CHARS:
        return _refused("POLICY", f"Line 1: the program has {len(source)} characters; the limit is "
                                  f"{MAX_SOURCE_CHARS}.")
    try:
        tree = ast.parse(source, PROGRAM_FILENAME)
    except SyntaxError as exc:
        text = f": {exc.text.strip()}" if exc.text and exc.text.strip() else ""
        return _refused("SYNTAX", f"Line {exc.lineno or 1}: SyntaxError: {exc.msg}{text}")
    except (ValueError, RecursionError, MemoryError) as exc:
        return _refused("SYNTAX", f"Line 1: the program cannot be parsed: {type(exc).__name__}")
    modules = sorted({alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
                     | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module})
    try:
        result = compile_restricted_exec(tree, filename=PROGRAM_FILENAME, policy=ProgramPolicy)
    except (RecursionError, MemoryError):
        return _refused("POLICY", "Line 1: the program is nested too deeply to check.")
    if result.errors:
        return _refused("POLICY", *result.errors)
    return CompiledProgram(code=marshal.dumps(result.code), modules=tuple(modules))


def _refused(kind: str, *errors: str) -> CompiledProgram:
    match = _LINE.match(errors[0])
    return CompiledProgram(code=None, errors=tuple(errors), kind=kind, line=int(match.group(1)) if match else None)

