"""A chat model that replies from a script: tests of the logic around the LLM, no model needed."""

from __future__ import annotations

from collections.abc import Sequence

from copilot.llm.base import ChatModel, Completion, Message


class ScriptedLLM(ChatModel):
    """Replies from a list, in order: for tests of the logic around the LLM.

    A reply may be a string or a callable taking the messages and returning a string. Every call
    is recorded in ``calls``; running out of replies is an error, so a test sees extra calls.
    """

    name = backend = "scripted"

    def __init__(self, replies: Sequence[object]) -> None:
        self.replies = list(replies)
        self.calls: list[list[Message]] = []

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] = ()) -> Completion:
        self.calls.append(list(messages))
        if not self.replies:
            raise AssertionError("ScriptedLLM ran out of replies")
        reply = self.replies.pop(0)
        text = reply(messages) if callable(reply) else str(reply)
        prompt = sum(len(m.content.split()) for m in messages)
        return Completion(text=text, model=self.name, prompt_tokens=prompt,
                          completion_tokens=len(text.split()))
