"""Hosted and server LLMs: OpenAI, any OpenAI-compatible server, and LangChain chat models.

OpenAI-compatible servers (vLLM, Ollama, llama.cpp server, LM Studio) take ``base_url``; the key
comes from ``OPENAI_API_KEY`` (a placeholder is sent to servers that need none). Transient failures
are retried with backoff here, once; the client's own retries are off so they are not doubled.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import os
import time
from collections.abc import Sequence
from typing import Any

from copilot.config import Settings
from copilot.errors import ConfigError, LLMError
from copilot.llm.base import ChatModel, Completion, Message
from copilot.llm.retry import is_transient, with_retries

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
SCORE_REPLY_TOKENS = 8  # enough for "B" or "(b) cow" from a server that sends no logprobs
TOP_LOGPROBS = 20  # the most the OpenAI API allows


class OpenAILLM(ChatModel):
    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 timeout: float = 120.0, retry_wait: float = 1.0) -> None:
        import openai

        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            if not base_url:
                raise ConfigError("the openai LLM needs OPENAI_API_KEY, or --llm-base-url for a local server")
            key = "not-needed"
        self.name, self.backend = model, "openai"
        self.base_url = base_url or "https://api.openai.com/v1"
        self._retry_wait = retry_wait
        self._client = openai.OpenAI(api_key=key, base_url=base_url or None, timeout=timeout, max_retries=0)

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] = ()) -> Completion:
        start = time.perf_counter()
        response = self._create(messages, max_tokens=max_tokens, temperature=temperature, stop=list(stop) or None)
        return self._completion(response, start)

    def score_options(self, messages: Sequence[Message], letters: Sequence[str]) -> Completion:
        """Answer letters scored by the server's logprobs (``top_logprobs`` of the first token).

        Servers that ignore the request for logprobs still reply with a short text, which is
        returned for mapping (``letter_logprobs`` None); one that refuses it is asked again
        without.
        """
        start = time.perf_counter()
        try:
            response = self._create(messages, max_tokens=SCORE_REPLY_TOKENS, temperature=0.0,
                                    logprobs=True, top_logprobs=TOP_LOGPROBS)
        except LLMError as exc:
            if is_transient(exc.__cause__):
                raise
            response = self._create(messages, max_tokens=SCORE_REPLY_TOKENS, temperature=0.0)
        completion = self._completion(response, start)
        return dataclasses.replace(completion, letter_logprobs=_letter_logprobs(response, letters))

    def _create(self, messages: Sequence[Message], **options: Any) -> Any:
        def call():
            return self._client.chat.completions.create(
                model=self.name, messages=[{"role": m.role, "content": m.content} for m in messages], **options)

        try:
            response = with_retries(call, initial_wait=self._retry_wait)
        except Exception as exc:
            raise LLMError(self._failure(exc)) from exc
        if not response.choices:
            raise LLMError(f"LLM {self.name} at {self.base_url} returned no choices")
        return response

    def _completion(self, response: Any, start: float) -> Completion:
        usage = response.usage
        details = getattr(usage, "prompt_tokens_details", None) if usage else None
        return Completion(
            text=response.choices[0].message.content or "",
            model=self.name,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            seconds=time.perf_counter() - start,
            cached_tokens=getattr(details, "cached_tokens", 0) or 0,
        )

    def _failure(self, exc: Exception) -> str:
        """One line that names the server, so a user sees which URL is down or refusing."""
        import openai

        where = f"LLM {self.name} at {self.base_url}"
        if isinstance(exc, openai.APIConnectionError) and not isinstance(exc, openai.APITimeoutError):
            return f"{where}: cannot connect (is the server running? set --llm-base-url)"
        kind = "after retries" if is_transient(exc) else "request refused"
        return f"{where} failed ({kind}): {type(exc).__name__}: {exc}"


def _letter_logprobs(response: Any, letters: Sequence[str]) -> dict[str, float] | None:
    """Each letter's log-probability from the first non-blank reply token's alternatives.

    Tokens count for a letter when they are that letter up to spaces, brackets and a full stop
    ("B", " B", "(B"). A letter outside the alternatives gets just less than the least likely one
    listed. None when the server sent no logprobs or no letter is among them.
    """
    content = getattr(getattr(response.choices[0], "logprobs", None), "content", None) or []
    first = next((t for t in content if t.token.strip()), None)
    if first is None or not first.top_logprobs:
        return None
    found: dict[str, float] = {}
    for alt in first.top_logprobs:
        letter = alt.token.strip(" \n(.)*").upper()
        if letter in letters:
            found[letter] = float(math.log(math.exp(found[letter]) + math.exp(alt.logprob))) \
                if letter in found else float(alt.logprob)
    if not found:
        return None
    floor = min(alt.logprob for alt in first.top_logprobs) - 1.0
    return {letter: found.get(letter, floor) for letter in letters}


class LangChainLLM(ChatModel):
    """Adapter for any LangChain ``BaseChatModel`` (Anthropic, Bedrock, Ollama, ...)."""

    def __init__(self, chat_model: Any, retry_wait: float = 1.0, backend: str = "langchain") -> None:
        self.chat_model, self.backend = chat_model, backend
        self.name = getattr(chat_model, "model_name", None) or getattr(chat_model, "model", None) \
            or type(chat_model).__name__
        self._retry_wait = retry_wait

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] = ()) -> Completion:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
        converted = [kinds[m.role](content=m.content) for m in messages]
        start = time.perf_counter()
        try:
            model = self.chat_model.bind(max_tokens=max_tokens, temperature=temperature)
            reply = with_retries(lambda: model.invoke(converted, stop=list(stop) or None),
                                 initial_wait=self._retry_wait)
        except Exception as exc:
            raise LLMError(f"LangChain model {self.name} failed: {type(exc).__name__}: {exc}") from exc
        usage = getattr(reply, "usage_metadata", None) or {}
        content = reply.content if isinstance(reply.content, str) else "".join(
            part.get("text", "") if isinstance(part, dict) else str(part) for part in reply.content)
        return Completion(text=content, model=str(self.name), prompt_tokens=usage.get("input_tokens", 0),
                          completion_tokens=usage.get("output_tokens", 0), seconds=time.perf_counter() - start)


def langchain_from_spec(spec: str) -> LangChainLLM:
    """Build from ``langchain:<module>:<factory>``; the factory returns a chat model."""
    try:
        _, module_name, factory_name = spec.split(":", 2)
        factory = getattr(importlib.import_module(module_name), factory_name)
    except (ValueError, ImportError, AttributeError) as exc:
        raise ConfigError(f"--llm {spec!r}: expected langchain:<module>:<factory> naming an importable "
                          f"function that returns a LangChain chat model ({exc})") from exc
    return LangChainLLM(factory(), backend=spec)


def make_remote(settings: Settings) -> ChatModel:
    if settings.llm == "openai":
        return OpenAILLM(settings.llm_model or DEFAULT_OPENAI_MODEL, base_url=settings.llm_base_url or None)
    if settings.llm.startswith("langchain:"):
        return langchain_from_spec(settings.llm)
    raise ConfigError(f"unknown LLM {settings.llm!r}: use local, openai or langchain:<module>:<factory>")
