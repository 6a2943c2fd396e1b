"""LangChain chat models that always reply with one fixed program, for ``--llm langchain:<module>:<factory>``.

They stand in for the planner's LLM only; the programs they return run for real (sandbox, tools,
bundled recordings), so every answer a test checks is computed from the audio.
"""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage

# Question: "Does the recording contain speech? The answer could be yes or no."
SPEECH_PROGRAM = '''```python
def main(audio):
    found = detect_speech(audio)
    return "yes" if found["present"] else "no"
```'''

# Question: "Is the recording long or short?" (longer than five seconds)
LENGTH_PROGRAM = '''```python
def main(audio):
    props = audio_properties(audio)
    return "long" if props["duration_s"] > 5 else "short"
```'''


def speech_model() -> FakeMessagesListChatModel:
    return FakeMessagesListChatModel(responses=[AIMessage(content=SPEECH_PROGRAM)])


def length_model() -> FakeMessagesListChatModel:
    return FakeMessagesListChatModel(responses=[AIMessage(content=LENGTH_PROGRAM)])
