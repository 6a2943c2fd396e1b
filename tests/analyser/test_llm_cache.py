import pytest

from copilot.analyser.llm_cache import CachedLLM
from copilot.llm.base import Message
from copilot.testing.llm import ScriptedLLM

ASK = [Message("user", "hello")]


def test_a_repeated_call_is_served_from_disk(tmp_path):
    first = CachedLLM(ScriptedLLM(["hi there"]), tmp_path)
    assert first.complete(ASK, max_tokens=5).text == "hi there"
    # a new process: a fresh wrapper over an LLM with no replies left must not be called
    again = CachedLLM(ScriptedLLM([]), tmp_path)
    reply = again.complete(ASK, max_tokens=5)
    assert reply.text == "hi there" and reply.completion_tokens == 2
    assert (again.usage.live_calls, again.usage.cache_hits) == (0, 1)
    assert again.usage.completion_tokens == 2  # the recorded cost of the original call


def test_the_key_covers_prompt_and_options(tmp_path):
    llm = CachedLLM(ScriptedLLM(["a", "b", "c"]), tmp_path)
    assert llm.complete(ASK, max_tokens=5).text == "a"
    assert llm.complete(ASK, max_tokens=6).text == "b"
    assert llm.complete([Message("user", "hello!")], max_tokens=5).text == "c"
    assert llm.complete(ASK, max_tokens=5).text == "a"
    assert (llm.usage.live_calls, llm.usage.cache_hits) == (3, 1)


def test_a_damaged_entry_is_asked_again(tmp_path):
    llm = CachedLLM(ScriptedLLM(["a", "fresh"]), tmp_path)
    llm.complete(ASK)
    [entry] = list(tmp_path.rglob("*.json"))
    entry.write_text("{not json")
    assert llm.complete(ASK).text == "fresh"


def test_no_folder_means_no_cache(tmp_path):
    llm = CachedLLM(ScriptedLLM(["a", "b"]), None)
    assert [llm.complete(ASK).text for _ in range(2)] == ["a", "b"]
    assert not list(tmp_path.iterdir())


def test_a_failed_call_caches_nothing(tmp_path):
    def boom(_):
        raise RuntimeError("backend down")

    llm = CachedLLM(ScriptedLLM([boom]), tmp_path)
    with pytest.raises(RuntimeError):
        llm.complete(ASK)
    assert not list(tmp_path.rglob("*.json"))
