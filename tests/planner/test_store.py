"""One program per task: options and wording are inputs, paraphrases reuse it through the library.

Scripted LLM replies over the real sandbox and tools on real recordings.
"""

from __future__ import annotations

from pathlib import Path

from copilot.api import Copilot
from copilot.config import Settings
from copilot.sandbox.records import Limits
from copilot.testing import corpus
from copilot.testing.llm import ScriptedLLM

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SPEECH = corpus.librivox()[0].path  # 7.1 s
SHORT = corpus.cards()[0].path  # 1.1 s
LANGUAGE = "```python\ndef main(audio, options, question):\n    return identify_language(audio, candidates=options)['label']\n```"
DURATION = "```python\ndef main(audio, question):\n    return round(audio_properties(audio)['duration_s'], 1)\n```"


def make(replies, tmp_path, **kw) -> tuple[Copilot, ScriptedLLM]:
    llm = ScriptedLLM(replies)
    return Copilot(llm=llm, settings=Settings(cache_dir=tmp_path), limits=Limits(wall_s=10, cpu_s=5), **kw), llm


def test_one_plan_answers_items_with_other_option_lists(tmp_path):
    cp, llm = make([LANGUAGE], tmp_path)
    a = cp.ask("Which language is spoken? The answer could be English or French.", audio=[EXAMPLES / "french.flac"])
    b = cp.ask("Which language is spoken? The answer could be German, French, or Spanish.",
               audio=[EXAMPLES / "french.flac"])
    c = cp.ask("Which language is spoken? (a) German (b) English", audio=[EXAMPLES / "reading.flac"])
    assert (a.answer, b.answer, c.answer) == ("French", "French", "English")
    assert (a.source, b.source, c.source) == ("planned", "cache", "cache") and len(llm.calls) == 1
    assert "English" not in a.program and "options" in a.program  # the options are an input, not in the source


def test_a_paraphrase_reuses_the_program_with_no_llm_call(tmp_path):
    cp, llm = make([DURATION], tmp_path)
    cp.ask("How long is this recording, in seconds?", audio=[SPEECH])
    again = cp.ask("How many seconds long is this recording?", audio=[SHORT])
    assert again.source == "library" and again.answer == "1.1" and len(llm.calls) == 1
    assert again.source_instruction == "How long is this recording, in seconds?"
    assert again.tokens["llm_calls"] == 0
    # ... and is stored under its own wording too: the next time is an exact hit.
    assert cp.ask("How many seconds long is this recording?", audio=[SPEECH]).source == "cache"


def test_no_reuse_across_tasks_or_signatures(tmp_path):
    loudness = "```python\ndef main(audio, question):\n    return round(audio_properties(audio)['rms_dbfs'])\n```"
    both = ("```python\ndef main(audio_1, audio_2, question):\n"
            "    return round(audio_properties(audio_1)['duration_s'] + audio_properties(audio_2)['duration_s'], 1)\n```")
    cp, llm = make([DURATION, loudness, both], tmp_path)
    cp.ask("How long is this recording, in seconds?", audio=[SPEECH])
    other_task = cp.ask("How loud is this recording?", audio=[SPEECH])
    other_signature = cp.ask("How many seconds long are these recordings?", audio=[SPEECH, SHORT])
    assert (other_task.source, other_signature.source) == ("planned", "planned") and len(llm.calls) == 3


def test_no_cache_bypasses_the_store_and_the_library(tmp_path):
    cp, llm = make([DURATION], tmp_path)
    cp.ask("How long is this recording, in seconds?", audio=[SPEECH])
    bare, bare_llm = make([DURATION, DURATION], tmp_path, store_programs=False)
    for question in ("How long is this recording, in seconds?", "How many seconds long is this recording?"):
        assert bare.ask(question, audio=[SPEECH]).source == "planned"
    assert len(bare_llm.calls) == 2 and len(cp.store.entries()) == 1


def test_the_store_lists_and_drops_entries(tmp_path):
    cp, _ = make([DURATION], tmp_path)
    cp.ask("How long is this recording, in seconds?", audio=[SPEECH])
    entry = Copilot(llm=ScriptedLLM([]), settings=Settings(cache_dir=tmp_path)).store.entries()[0]  # a new process
    assert entry["instruction"] == "How long is this recording, in seconds?" and entry["llm"] == "scripted"
    assert entry["uses"][0]["answer"] == "7.1"
    assert cp.store.drop(entry["key"]) and cp.store.entries() == []


def test_one_answer_is_suspicious_only_when_the_tools_decided_differently():
    """Label-sorted benchmark data: five items of one class give one answer while the tool's scores
    differ; that is not a program ignoring its tools. Five differing decisions with one answer are."""
    from copilot.planner.store import ProgramStore, fingerprint, key_outputs

    def uses(results) -> str | None:
        store = ProgramStore(None)
        store.put("k" * 24, "def main(audio):\n    ...", task="t", signature="s", toolset="v", llm="x")
        flagged = None
        for i, result in enumerate(results):
            flagged = store.record("k" * 24, inputs=f"item{i}", answer="female",
                                   tools=fingerprint([key_outputs(result)]), open_text=False)
        return flagged

    same_label = [{"label": "female", "scores": {"female": 0.6 + i / 100, "male": 0.4 - i / 100}} for i in range(6)]
    assert uses(same_label) is None
    counts = [{"count": i + 1, "support": {str(i + 1): 0.9}} for i in range(6)]
    assert "differ" in uses(counts)
    assert key_outputs({"text": "a long transcript " * 5, "words": [1, 2], "present": True, "snr_db": 3.2}) == \
        {"words": 2, "present": True}
