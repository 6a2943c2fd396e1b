"""The Python API: ``Copilot(...).ask(instruction, audio=[...]) -> Answer``.

A ``Copilot`` holds the loaded LLM, the toolset and every model a tool has loaded, so asking many
questions on one instance pays each load once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from copilot.audio import Audio, load_audio
from copilot.config import Settings, load_settings
from copilot.errors import ConfigError
from copilot.llm.base import ChatModel
from copilot.planner.planner import Planner
from copilot.planner.prompt import PromptBuilder
from copilot.planner.question import Question
from copilot.planner.records import Answer
from copilot.planner.retrieval import Retriever, load_examples
from copilot.planner.store import ProgramStore
from copilot.sandbox.host import Sandbox
from copilot.sandbox.records import Limits
from copilot.tools import Runtime, load_toolset
from copilot.tools.backends import registered_backends

__all__ = ["Answer", "Copilot"]


class Copilot:
    """Answers questions about audio.

    Args:
        llm: a chat model (``copilot.llm``), or a backend name as in settings ("local", "openai",
            "langchain:<module>:<factory>"); default: the one settings name (the embedded model).
        settings: full settings; default: config file + environment, then ``overrides``.
        toolset: toolset name or folder; default: ``settings.toolset`` ("speech").
        retrieval: put only the relevant tools and examples in the prompt; off (the default), the
            prompt starts with a static prefix holding all of them, which the embedded model keeps.
        store_programs: reuse validated programs for the same task and, through the library, for
            paraphrases of it (``store`` is the program store: list, drop or clear its entries).
        limits: sandbox limits for each program run.
        **overrides: any ``Settings`` field (``max_repairs=5``, ``llm="openai"``...).
    """

    def __init__(self, llm: ChatModel | str | None = None, settings: Settings | None = None,
                 toolset: str | Path | None = None, *, retrieval: bool = False, store_programs: bool = True,
                 limits: Limits | None = None, **overrides: Any) -> None:
        if isinstance(llm, str):
            overrides["llm"], llm = llm, None
        self.settings = settings or load_settings(**overrides)
        self.runtime = Runtime(self.settings, llm=llm)
        self.toolset = load_toolset(toolset or self.settings.toolset)
        _check_backend_names(self.settings)
        folder = self.settings.cache_dir / "programs" if self.settings.disk_cache else None
        self.store = ProgramStore(folder, enabled=store_programs)
        examples = load_examples()
        self._prompts = PromptBuilder(self.toolset, examples, Retriever(self.toolset, examples) if retrieval else None)
        self.sandbox = Sandbox(limits, self.settings.sandbox)
        self._planner: Planner | None = None
        self._lock = threading.Lock()

    @property
    def llm(self) -> ChatModel:
        return self.runtime.llm

    @property
    def planner(self) -> Planner:
        with self._lock:  # benchmark worker threads share one Copilot
            if self._planner is None:
                self.sandbox.check()
                self._planner = Planner(self.llm, self.toolset, self.runtime, self._prompts, self.store,
                                        self.sandbox, max_repairs=self.settings.max_repairs)
            return self._planner

    def ask(self, instruction: str, audio: Sequence[str | Path | Audio] = (), text: str | None = None,
            options: Sequence[str] | None = None, program_key: str | None = None,
            on_phase: Callable[[str], None] | None = None) -> Answer:
        """Answer ``instruction`` about the recordings in ``audio``.

        ``text`` is an extra text or word the question is about; ``options`` the allowed answers
        (default: those the instruction lists, if any). ``program_key`` groups questions that
        should share one program (a benchmark task), instead of the instruction without its options.
        ``on_phase`` is called with each step's name (for progress displays).
        """
        recordings = [a if isinstance(a, Audio) else load_audio(a, self.settings.max_audio_seconds)
                      for a in audio]
        question = Question.make(instruction, recordings, text, options, program_key, self.toolset.version)
        return self.planner.solve(question, on_phase=on_phase)


def _check_backend_names(settings: Settings) -> None:
    """A misspelt backend or capability is the user's to fix, at start-up, not a tool failure later."""
    known = registered_backends()
    for capability, name in settings.backends.items():
        if capability not in known:
            raise ConfigError(f"[backends] {capability} = {name!r}: there is no capability {capability!r}; "
                              f"known: {', '.join(sorted(known))}")
        if name != "auto" and name not in known[capability]:
            raise ConfigError(f"[backends] {capability} = {name!r} is not a backend of {capability}; "
                              f"choose from {', '.join(sorted(known[capability]))} or auto")
