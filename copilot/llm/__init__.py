"""LLM backends behind one interface: embedded llama.cpp, OpenAI-compatible servers, LangChain."""

from copilot.config import Settings
from copilot.llm.base import ChatModel, Completion, Message

__all__ = ["ChatModel", "Completion", "Message", "make_llm"]


def make_llm(settings: Settings) -> ChatModel:
    """The chat model that settings name: ``local`` (default), ``openai``, ``langchain:mod:factory``."""
    if settings.llm == "local":
        from copilot.llm.local import LocalLLM

        return LocalLLM(settings)
    from copilot.llm.remote import make_remote

    return make_remote(settings)
