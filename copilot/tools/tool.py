"""The tool record: a typed, documented function whose stub and schema come from the code.

``@tool`` wraps a function. The stub the LLM reads (``def name(arg: type) -> type: \"\"\"doc\"\"\"``)
and the schema come from its signature and Google-style docstring, never kept by hand. Calling a
tool goes through the current runtime's result cache, and every result must be plain JSON data.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docstring_parser

from copilot.audio import Audio
from copilot.tools.backends import current_runtime


@dataclass(frozen=True)
class Param:
    name: str
    annotation: str
    description: str
    required: bool
    default: Any = None


@dataclass(frozen=True)
class Tool:
    """A function the planner's programs may call."""

    func: Callable[..., Any]
    name: str
    summary: str
    params: tuple[Param, ...]
    returns: str
    uses: tuple[str, ...] = ()
    cacheable: bool = True

    # -- what the LLM sees ------------------------------------------------------------------
    def stub(self) -> str:
        """The Python stub shown in prompts: signature plus the function's own docstring."""
        args = []
        for p in self.params:
            text = f"{p.name}: {p.annotation}"
            if not p.required:
                text += f" = {p.default!r}"
            args.append(text)
        doc = inspect.getdoc(self.func) or ""
        body = "\n".join(("    " + line) if line else "" for line in doc.splitlines())
        return f'def {self.name}({", ".join(args)}) -> {self.returns}:\n    """\n{body}\n    """'

    @property
    def audio_params(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params if "Audio" in p.annotation)

    # -- calling ----------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        bound = inspect.signature(self.func).bind(*args, **kwargs)
        bound.apply_defaults()
        runtime = current_runtime()
        key = runtime.results.key(self.name, self.uses, _cache_parts(bound.arguments), _code_version(self.func)) \
            if self.cacheable else None
        if key is not None:
            hit = runtime.results.get(key)
            if hit is not None:
                return hit.value
        result = self.func(*bound.args, **bound.kwargs)
        try:
            encoded = json.dumps(result, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"tool {self.name} returned non-JSON data: {exc}") from exc
        if key is not None:
            runtime.results.put(key, encoded)
        return json.loads(encoded)


@functools.cache
def _folder_version(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted([*folder.glob("*.py"), *folder.glob("data/*.json")]):  # tables such as vocabularies too
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def _code_version(func: Callable[..., Any]) -> str:
    """A hash of the code of the tool's folder: a result cached by older code is not served after an update."""
    try:
        return _folder_version(Path(inspect.getfile(func)).parent)
    except (OSError, TypeError):
        return "unknown"


def _cache_parts(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as cache-key data: recordings by content hash, everything else as given."""
    parts: dict[str, Any] = {}
    for name, value in arguments.items():
        if isinstance(value, Audio):
            parts[name] = {"audio": value.sha256}
        elif isinstance(value, list) and any(isinstance(v, Audio) for v in value):
            parts[name] = [{"audio": v.sha256} if isinstance(v, Audio) else v for v in value]
        else:
            parts[name] = value
    return parts


def tool(func: Callable[..., Any] | None = None, *, uses: tuple[str, ...] = (), cacheable: bool = True) -> Any:
    """Decorator: turn a typed, documented function into a :class:`Tool`.

    ``uses`` names the backend capabilities the function calls (they enter the cache key and the
    ``copilot tools`` listing); ``cacheable=False`` for tools whose result is not a pure function of
    their arguments (``query_llm``).
    """

    def wrap(f: Callable[..., Any]) -> Tool:
        doc = docstring_parser.parse(inspect.getdoc(f) or "")
        if not doc.short_description:
            raise ValueError(f"tool {f.__name__} needs a docstring: it is what the LLM reads")
        described = {p.arg_name: (p.description or "") for p in doc.params}
        sig = inspect.signature(f)
        params = []
        for name, p in sig.parameters.items():
            if name not in described:
                raise ValueError(f"tool {f.__name__}: argument {name!r} is not documented under Args:")
            annotation = p.annotation if isinstance(p.annotation, str) else inspect.formatannotation(p.annotation)
            params.append(Param(name, annotation, described[name], p.default is inspect.Parameter.empty,
                                None if p.default is inspect.Parameter.empty else p.default))
        returns = sig.return_annotation
        returns = returns if isinstance(returns, str) else inspect.formatannotation(returns)
        summary = doc.short_description.strip()
        return Tool(func=f, name=f.__name__, summary=summary, params=tuple(params), returns=returns,
                    uses=tuple(uses), cacheable=cacheable)

    return wrap(func) if func is not None else wrap
