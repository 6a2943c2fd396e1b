"""The speech tools inside a LangChain tool-calling loop.

Runs offline as it is: a scripted chat model stands in for your agent's model and asks for three
tool calls; the tools really run on the bundled recordings and their JSON results go back to the
model. Return your own model from ``agent_model`` (``ChatOpenAI(...).bind_tools(tools)``,
``ChatAnthropic``, ``ChatOllama``: any chat model with tool calling) to let it choose the calls.

    .venv/bin/python examples/langchain_agent.py
"""

from pathlib import Path

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage

from copilot.integrations.langchain import speech_tools

HERE = Path(__file__).parent


def agent_model(tools):
    """Your agent's model goes here, e.g. ``return ChatOpenAI(model="gpt-4o-mini").bind_tools(tools)``."""
    calls = [
        {"name": "detect_speech", "args": {"audio": str(HERE / "reading.flac")}, "id": "call-1"},
        {"name": "identify_language", "args": {"audio": str(HERE / "french.flac"),
                                               "candidates": ["English", "French", "German"]}, "id": "call-2"},
        {"name": "audio_properties", "args": {"audio": "https://example.com/talk.wav"}, "id": "call-3"},
    ]
    return FakeMessagesListChatModel(responses=[AIMessage(content="", tool_calls=calls),
                                                AIMessage(content="Both recordings hold speech; one is French.")])


def run_agent(question, model, tools):
    """The standard loop: call the model, run the tools it asks for, hand back the results, repeat."""
    by_name = {t.name: t for t in tools}
    messages = [HumanMessage(question)]
    while True:
        reply = model.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            return messages
        messages += [by_name[call["name"]].invoke(call) for call in reply.tool_calls]


if __name__ == "__main__":
    tools = speech_tools()  # every speech tool plus `ask`; speech_tools(allow=[...]) confines paths
    print(f"{len(tools)} tools, e.g. {tools[0].name}: {tools[0].args}")
    for message in run_agent("Is there speech in reading.flac, and which language is french.flac?",
                             agent_model(tools), tools):
        print(f"{type(message).__name__:>12}: {message.content or message.tool_calls}")
