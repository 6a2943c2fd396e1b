"""Toolsets: a folder of tool modules, imported by name (shipped) or by path (a user's own)."""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import pkgutil
import sys
import typing
from dataclasses import dataclass
from pathlib import Path

from copilot.errors import CopilotError
from copilot.tools.tool import Tool

TOOLSETS_DIR = Path(__file__).resolve().parents[2] / "toolsets"


@dataclass(frozen=True, eq=False)
class Toolset:
    """The tools of one toolset folder, in definition order, plus its derived spec (if any)."""

    name: str
    path: Path
    tools: dict[str, Tool]

    def __getitem__(self, name: str) -> Tool:
        return self.tools[name]

    def __iter__(self):
        return iter(self.tools.values())

    def __len__(self) -> int:
        return len(self.tools)

    @functools.cached_property
    def version(self) -> str:
        """The toolset's name and a hash of every stub: stored programs are only valid for the same tools."""
        return f"{self.name}-{hashlib.sha256(self.stubs().encode()).hexdigest()[:12]}"

    def stubs(self, names: typing.Iterable[str] | None = None) -> str:
        chosen = self.tools.values() if names is None else (self.tools[n] for n in names)
        return "\n\n".join(t.stub() for t in chosen)


def load_toolset(name_or_path: str | Path = "speech") -> Toolset:
    """Import a toolset by name (a folder under ``toolsets/``) or by folder path."""
    text = str(name_or_path)
    # A bare name is a shipped toolset; only something that looks like a path is a user folder.
    path = Path(text) if ("/" in text or text.startswith(".") or isinstance(name_or_path, Path)) \
        else TOOLSETS_DIR / text
    if not path.is_dir():
        raise CopilotError(f"no toolset {name_or_path!r}: expected a folder name under {TOOLSETS_DIR} or a path")
    path = path.resolve()
    if path.parent == TOOLSETS_DIR:
        package = f"toolsets.{path.name}"
        modules = [importlib.import_module(package)]
        pkg_path = [str(path)]
    else:
        package = f"copilot_user_toolset_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
        init = path / "__init__.py"
        spec = importlib.util.spec_from_file_location(package, init if init.exists() else None,
                                                      submodule_search_locations=[str(path)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[package] = module
        if spec.loader is not None:
            spec.loader.exec_module(module)
        modules = [module]
        pkg_path = [str(path)]
    for info in sorted(pkgutil.iter_modules(pkg_path), key=lambda i: i.name):
        if not info.name.startswith("_"):
            modules.append(importlib.import_module(f"{package}.{info.name}"))
    tools: dict[str, Tool] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, Tool) and value.func.__module__ == module.__name__:
                if value.name in tools:
                    raise CopilotError(f"toolset {path.name}: two tools are named {value.name!r}")
                tools[value.name] = value
    return Toolset(name=path.name, path=path, tools=tools)
