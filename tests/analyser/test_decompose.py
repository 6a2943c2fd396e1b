import pytest

from copilot.analyser.decompose import (
    MAX_ATTEMPTS,
    decompose,
    decompose_pool,
    extract_code,
    messages_for,
    parse_program,
    phrasings,
    snake_case,
)
from copilot.pools import TaskRecord
from copilot.testing.llm import ScriptedLLM

TASK = TaskRecord(task="T", instructions=("first", "second", "third"), inputs=("audio", "text"))

PROGRAM = '''
import math
from json import loads
# speechRecognition(audio) -> str: the words spoken
# emotion_recognition(audio): the emotion of the voice
def helper(x):
    return x
def main(audio, text):
    words = speechRecognition(audio)
    events = sound_events(audio)
    for e in events:
        print(e)
    scores = snr_estimation(audio)
    if scores["snr_db"] > 10 and is_noisy(audio):
        return helper(loads("1")) + math.floor(len(words))
    mood = getMood(audio, threshold=0.5)
    if mood == "happy":
        return "yes"
    return query_llm(f"{words} {text}")
'''


def test_parse_program_finds_modules_in_order():
    calls = {c.name: c for c in parse_program(PROGRAM)}
    assert list(calls) == ["speech_recognition", "sound_events", "snr_estimation", "is_noisy", "get_mood",
                           "query_llm", "emotion_recognition"]
    # builtins, local helpers, stdlib imports and attribute calls are not modules
    assert not {"print", "len", "helper", "loads", "floor", "main"} & set(calls)


def test_parse_program_reads_header_and_infers_types():
    calls = {c.name: c for c in parse_program(PROGRAM)}
    sr = calls["speech_recognition"]
    assert (sr.params, sr.returns, sr.description) == (("audio",), "str", "the words spoken")
    assert sr.examples == ("words = speechRecognition(audio)",)
    assert calls["sound_events"].returns == "list"  # looped over
    assert calls["snr_estimation"].returns == "dict"  # indexed with a string key
    assert calls["is_noisy"].returns == "bool"  # tested in an if
    assert calls["get_mood"].returns == "str"  # compared with text
    assert calls["get_mood"].params == ("audio", "threshold")
    assert calls["query_llm"].params == ("arg1",)
    declared_only = calls["emotion_recognition"]
    assert not declared_only.called and declared_only.examples == () and declared_only.returns == ""


def test_parse_program_rejects_invalid_code():
    with pytest.raises(SyntaxError):
        parse_program("def main(:\n")


def test_snake_case():
    assert snake_case("SNREstimation") == "snr_estimation"
    assert snake_case("speakerVerification") == "speaker_verification"
    assert snake_case("__query_llm") == "query_llm"


def test_extract_code_prefers_a_fenced_block_that_parses():
    reply = "Sure!\n```python\ndef main(:\n```\nor\n```python\nx = f(1)\n```\nDone."
    assert extract_code(reply) == ("x = f(1)\n", "")
    assert extract_code("x = g(2)") == ("x = g(2)\n", "")
    assert extract_code("```python\nx = f(1)") == ("x = f(1)\n", "")  # unclosed fence
    code, error = extract_code("This is not ( code")
    assert code is None and "no valid Python" in error
    assert extract_code("  ") == (None, "the reply was empty")


def test_phrasings_samples_the_first_n_or_writes_one_from_the_name():
    assert phrasings(TASK, 2) == ["first", "second"]
    assert phrasings(TASK, 10) == ["first", "second", "third"]
    nameless = TaskRecord(task="SpeakerCounting_X", instructions=(), family="SpeakerCounting", labels=("1", "2"))
    assert phrasings(nameless, 3) == ["Perform speaker counting on the audio. The answer could be 1, 2."]


def test_prompt_prefix_is_identical_across_tasks():
    a = messages_for(TASK, "one thing")
    b = messages_for(TaskRecord(task="U", instructions=("x",)), "another thing")
    assert a[:-1] == b[:-1]
    assert "one thing" in a[-1].content and "main(audio, text)" in a[-1].content
    assert "text: the word or sentence" in a[-1].content
    assert "main(audio)\n" in b[-1].content + "\n"


def test_decompose_retries_with_the_error_fed_back():
    good = "```python\n# f(audio) -> str: x\ndef main(audio):\n    return f(audio)\n```"
    llm = ScriptedLLM(["def main(:", "```python\ndef main(audio, text):\n    return 1\n```", good])
    result = decompose(llm, TASK, "first")
    assert result.attempts == 3 and result.error == ""
    assert [c.name for c in result.calls] == ["f"]
    assert "not valid Python" not in llm.calls[0][-1].content
    assert "no valid Python" in llm.calls[1][-1].content
    assert llm.calls[1][-2].content == "def main(:"  # the bad reply is shown back
    assert "calls no module" in llm.calls[2][-1].content


def test_decompose_gives_up_after_max_attempts():
    llm = ScriptedLLM(["nope ("] * MAX_ATTEMPTS)
    result = decompose(llm, TASK, "first")
    assert result.program == "" and result.calls == () and result.attempts == MAX_ATTEMPTS
    assert "no valid Python" in result.error


def test_decompose_pool_samples_phrasings_and_updates_progress():
    class Bar:
        n = 0

        def update(self, k):
            self.n += k

    program = "```python\ndef main(audio):\n    return g(audio)\n```"
    llm = ScriptedLLM([program] * 4)
    bar = Bar()
    out = decompose_pool(llm, [TASK, TaskRecord(task="U", instructions=("x", "y"))], 2, bar)
    assert [(d.task, d.instruction) for d in out] == [("T", "first"), ("T", "second"), ("U", "x"), ("U", "y")]
    assert bar.n == 2
