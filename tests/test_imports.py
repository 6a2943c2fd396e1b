"""No import circle between the package's modules: each module can be read without the ones above it.

Every import counts, also those inside functions or under ``TYPE_CHECKING``: a lazy import hides a
circle from Python, not from a reader.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import copilot

ROOT = Path(copilot.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (a parent package of the module itself not counted)."""
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}

    def known(name: str) -> str:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {known(a.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) + 1 - node.level] + [base]).strip(".")
                targets |= {known(f"{base}.{a.name}") for a in node.names}
        graph[name] = {t for t in targets if t and t != name and not name.startswith(t + ".")}
    return graph


def test_the_graph_sees_lazy_imports():
    graph = import_graph()
    assert "copilot.llm.local" in graph["copilot.llm"]  # imported inside make_llm()
    assert "copilot.sandbox.layers" in graph["copilot.sandbox.worker"]


def test_no_import_circle():
    try:
        order = list(TopologicalSorter(import_graph()).static_order())
    except CycleError as exc:
        raise AssertionError(f"import circle: {' -> '.join(exc.args[1])}") from None
    assert "copilot.sandbox.host" in order
