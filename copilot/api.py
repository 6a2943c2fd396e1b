"""The Python API: ``Copilot(...).ask(instruction, audio=[...]) -> Answer``.

A ``Copilot`` holds the loaded LLM, the toolset and every model a tool has loaded, so asking many
questions on one instance pays each load once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from copilot.audio import Audio, load_audio
from copilot.config import Settings, load_settings
from copilot.llm.base import ChatModel
from copilot.options import extract_options
from copilot.planner.cache import ProgramCache
from copilot.planner.planner import Planner
from copilot.planner.records import Answer
from copilot.planner.retrieval import Retriever, load_examples
from copilot.planner.signature import infer_signature
from copilot.sandbox import Limits
from copilot.sandbox.layers import check_setting as check_sandbox_setting
from copilot.tools import Runtime, load_toolset

__all__ = ["Answer", "Copilot"]


class Copilot:
    """Answers questions about audio.

    Args:
        llm: a chat model (``copilot.llm``), or a backend name as in settings ("local", "openai",
            "langchain:<module>:<factory>"); default: the one settings name (the embedded model).
        settings: full settings; default: config file + environment, then ``overrides``.
        toolset: toolset name or folder; default: ``settings.toolset`` ("speech").
        retrieval: put only the relevant tools and examples in the prompt (off: all of them).
        program_cache: reuse validated programs for repeated questions.
        limits: sandbox limits for each program run.
        **overrides: any ``Settings`` field (``max_repairs=5``, ``llm="openai"``...).
    """

    def __init__(self, llm: ChatModel | str | None = None, settings: Settings | None = None,
                 toolset: str | Path | None = None, *, retrieval: bool = True, program_cache: bool = True,
                 limits: Limits | None = None, **overrides: Any) -> None:
        if isinstance(llm, str):
            overrides["llm"], llm = llm, None
        self.settings = settings or load_settings(**overrides)
        self.runtime = Runtime(self.settings, llm=llm)
        self.toolset = load_toolset(toolset or self.settings.toolset)
        cache_dir = self.settings.cache_dir / "programs" if program_cache and self.settings.disk_cache else None
        self._cache = ProgramCache(cache_dir) if program_cache else _NoCache()
        self._retriever = Retriever(self.toolset, load_examples(), enabled=retrieval)
        self._limits = limits
        self._planner: Planner | None = None
        self._lock = threading.Lock()

    @property
    def llm(self) -> ChatModel:
        return self.runtime.llm

    @property
    def planner(self) -> Planner:
        with self._lock:  # benchmark worker threads share one Copilot
            if self._planner is None:
                check_sandbox_setting(self.settings.sandbox)
                self._planner = Planner(self.llm, self.toolset, self.runtime, self._retriever, self._cache,
                                        max_repairs=self.settings.max_repairs, limits=self._limits)
            return self._planner

    def ask(self, instruction: str, audio: Sequence[str | Path | Audio] = (), text: str | None = None,
            options: Sequence[str] | None = None, program_key: str | None = None) -> Answer:
        """Answer ``instruction`` about the recordings in ``audio``.

        ``text`` is an extra text or word the question is about; ``options`` the allowed answers
        (default: those the instruction lists, if any). ``program_key`` groups questions that
        should share one program (a benchmark task), instead of the instruction text.
        """
        recordings = [a if isinstance(a, Audio) else load_audio(a, self.settings.max_audio_seconds)
                      for a in audio]
        signature = infer_signature(len(recordings), text)
        chosen = list(options) if options is not None else extract_options(instruction)
        return self.planner.solve(instruction, signature, dict(zip(signature.audio, recordings)), text,
                                  chosen, program_key)


class _NoCache(ProgramCache):
    """A cache that never remembers: for measuring the cost of planning every time."""

    def __init__(self) -> None:
        super().__init__(None)

    def get(self, key: str) -> str | None:
        return None

    def put(self, key: str, program: str, **about: object) -> None:
        return None
