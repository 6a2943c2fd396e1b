"""Backends: the models behind tools, chosen by configuration, loaded lazily once per process.

A capability ("asr", "language_id", "speaker_embedding", …) has one or more backends. Each backend
says whether its weights come inside an installed package (``offline = True``) and how good it is
(``quality``). Configuration names one backend per capability or ``auto``, which takes the best
available one. A backend that cannot run here raises :class:`BackendUnavailableError` that says what
is missing; nothing falls back silently to a worse model once a user has named one.
"""

from __future__ import annotations

import contextvars
import importlib.util
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar, overload

from copilot.config import Settings, load_settings
from copilot.errors import BackendUnavailableError, ConfigError
from copilot.llm.base import ChatModel
from copilot.tools.results import ResultCache

_REGISTRY: dict[str, dict[str, type[Backend]]] = {}
B = TypeVar("B", bound="Backend")


class Backend:
    """One model (or signal-processing method) that serves a capability.

    Subclasses set the class attributes and implement ``load`` (heavy work, called once) plus
    whatever methods their capability's tools call. ``check`` says why the backend cannot run here,
    or returns None when it can.
    """

    capability: ClassVar[str]
    name: ClassVar[str]
    offline: ClassVar[bool] = True
    quality: ClassVar[int] = 0
    requires: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @classmethod
    def identity(cls, settings: Settings) -> str:
        """What makes this backend's results differ from another's: its name (hub backends add their source)."""
        return cls.name

    @classmethod
    def check(cls, runtime: Runtime) -> str | None:
        missing = [m for m in cls.requires if importlib.util.find_spec(m) is None]
        if missing:
            return f"needs the Python module(s) {', '.join(missing)}"
        return None

    def load(self) -> None:
        """Load weights; called once, the first time a tool needs this backend."""


def backend(cls: type[Backend]) -> type[Backend]:
    """Class decorator that registers a backend under its capability."""
    _REGISTRY.setdefault(cls.capability, {})[cls.name] = cls
    return cls


def registered_backends() -> dict[str, dict[str, type[Backend]]]:
    return {cap: dict(items) for cap, items in _REGISTRY.items()}


class Runtime:
    """Process-wide state that tools share: settings, loaded backends, result caches, the LLM.

    Loaded models stay here across calls, so one ``Copilot`` (or one ``copilot bench`` run) loads
    each model once.
    """

    def __init__(self, settings: Settings | None = None, llm: ChatModel | None = None) -> None:
        if llm is not None and not isinstance(llm, ChatModel):
            raise ConfigError(f"llm: {type(llm).__name__} is not a copilot.llm.ChatModel (subclass it, or wrap a "
                              "LangChain chat model in copilot.llm.remote.LangChainLLM)")
        self.settings = settings or load_settings()
        self._llm = llm
        self._loaded: dict[str, Backend] = {}
        self._shared: dict[tuple, Any] = {}
        self.load_seconds: dict[str, float] = {}
        self._lock = threading.RLock()
        folder = self.settings.cache_dir / "results" if self.settings.disk_cache else None
        self.results = ResultCache(folder, lambda cap: self.resolve(cap).identity(self.settings))

    @property
    def llm(self) -> ChatModel:
        """The chat model that ``query_llm`` uses; built from settings on first use."""
        with self._lock:
            if self._llm is None:
                from copilot.llm import make_llm

                self._llm = make_llm(self.settings)
            return self._llm

    def choice(self, capability: str) -> str:
        return self.settings.backends.get(capability, "auto")

    def resolve(self, capability: str) -> type[Backend]:
        """The backend class that configuration selects for a capability."""
        options = _REGISTRY.get(capability)
        if not options:
            raise BackendUnavailableError(f"no backend is registered for capability {capability!r}")
        wanted = self.choice(capability)
        if wanted != "auto":
            if wanted not in options:
                raise BackendUnavailableError(
                    f"unknown backend {wanted!r} for {capability}; choose from {sorted(options)} or auto"
                )
            reason = options[wanted].check(self)
            if reason:
                raise BackendUnavailableError(f"backend {wanted!r} for {capability} is unavailable: {reason}")
            return options[wanted]
        ranked = sorted(options.values(), key=lambda b: -b.quality)
        reasons = []
        for cls in ranked:
            reason = cls.check(self)
            if reason is None:
                return cls
            reasons.append(f"{cls.name}: {reason}")
        raise BackendUnavailableError(f"no backend for {capability} can run here ({'; '.join(reasons)})")

    @overload
    def get(self, capability: type[B]) -> B: ...

    @overload
    def get(self, capability: str) -> Backend: ...

    def get(self, capability: str | type[Backend]) -> Backend:
        """The loaded backend instance for a capability (loaded on first use).

        Given the capability's interface class (``runtime.get(ASR)``), the result is typed as one.
        """
        if not isinstance(capability, str):
            capability = capability.capability
        with self._lock:
            cls = self.resolve(capability)
            key = f"{capability}:{cls.name}"
            if key not in self._loaded:
                started = time.perf_counter()
                instance = cls(self)
                instance.load()
                self.load_seconds[key] = time.perf_counter() - started
                self._loaded[key] = instance
            return self._loaded[key]

    def shared(self, key: tuple, load: Callable[[], Any]) -> Any:
        """A model several backends use (one Whisper for ASR and language ID), loaded once here."""
        with self._lock:
            if key not in self._shared:
                started = time.perf_counter()
                self._shared[key] = load()
                self.load_seconds[":".join(map(str, key))] = time.perf_counter() - started
            return self._shared[key]

    def load_seconds_total(self) -> float:
        """Seconds spent loading models so far, the LLM's included (for the latency breakdown)."""
        return sum(self.load_seconds.values()) + (self._llm.load_seconds if self._llm is not None else 0.0)


_DEFAULT: Runtime | None = None
_CURRENT: contextvars.ContextVar[Runtime | None] = contextvars.ContextVar("copilot_runtime", default=None)


def current_runtime() -> Runtime:
    """The runtime that tools use: the one set by :func:`use_runtime`, else a process default."""
    global _DEFAULT
    runtime = _CURRENT.get()
    if runtime is not None:
        return runtime
    if _DEFAULT is None:
        _DEFAULT = Runtime()
    return _DEFAULT


@contextmanager
def use_runtime(runtime: Runtime) -> Iterator[Runtime]:
    token = _CURRENT.set(runtime)
    try:
        yield runtime
    finally:
        _CURRENT.reset(token)
