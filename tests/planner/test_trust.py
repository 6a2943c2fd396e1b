"""Never an invented answer, never a poisoned store: the cases seen in use, with scripted replies.

The programs run for real in the sandbox over the real tools; only the LLM's replies are scripted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from copilot.api import Copilot
from copilot.audio import load_audio
from copilot.config import Settings
from copilot.errors import ConfigError, ErrorKind, SetupError
from copilot.planner.answers import caveats, to_answer
from copilot.planner.checks import written_answer
from copilot.planner.question import Question
from copilot.sandbox.records import Limits
from copilot.testing import corpus
from copilot.testing.llm import ScriptedLLM

SPEECH = corpus.librivox()[0].path  # 7.1 s
FRENCH_PATH = Path(__file__).resolve().parents[2] / "examples" / "french.flac"
SHORT = corpus.cards()[0].path  # 1.1 s
LONG_QUESTION = "Is this recording longer than three seconds? The answer could be yes or no."
GOOD = "def main(audio, options, question):\n    return audio_properties(audio)['duration_s'] > 3"


def fence(code: str) -> str:
    return f"```python\n{code}\n```"


def make(replies, tmp_path, **settings) -> tuple[Copilot, ScriptedLLM]:
    llm = ScriptedLLM([fence(r) if r.startswith("def ") else r for r in replies])
    cp = Copilot(llm=llm, settings=Settings(cache_dir=tmp_path, **{"max_repairs": 3, **settings}),
                 limits=Limits(wall_s=10, cpu_s=5))
    return cp, llm


@pytest.fixture(scope="module")
def tone(tmp_path_factory):
    path = tmp_path_factory.mktemp("tone") / "tone.wav"
    t = np.arange(3 * 16_000) / 16_000
    sf.write(path, 0.3 * np.sin(2 * np.pi * 440 * t), 16_000)
    return path


def test_a_tone_has_nothing_to_say_and_an_invented_answer_is_refused(tmp_path, tone):
    raw = "def main(audio, question):\n    return transcribe(audio)['text']"
    invented = "def main(audio, question):\n    return 'Hello, world!'"
    honest = ("def main(audio, question):\n    text = transcribe(audio)['text'].strip()\n"
              "    return text if text else 'no speech'")
    cp, llm = make([raw, honest], tmp_path / "a")
    ans = cp.ask("What does the speaker say?", audio=[tone])
    assert [a.failure for a in ans.trace.attempts] == [ErrorKind.BAD_ANSWER, None]
    assert 'return "no speech"' in llm.calls[1][-1].content  # the empty answer's feedback says how to abstain
    assert ans.answer == "no speech" and ans.caveats and "could not tell" in ans.caveats[0]
    cp, llm = make([invented, honest], tmp_path / "b")
    ans = cp.ask("What does the speaker say?", audio=[tone])
    assert [a.failure for a in ans.trace.attempts] == [ErrorKind.UNGROUNDED, None]
    assert "calls no tool" in llm.calls[1][-1].content and ans.answer == "no speech"
    # Only the honest program is stored: the same question on real speech now transcribes it.
    speech = cp.ask("What does the speaker say?", audio=[SPEECH])
    assert speech.source == "cache" and "dashwood" in speech.answer.lower() and len(llm.calls) == 2


def test_a_literal_returned_from_an_except_around_a_tool_is_refused(tmp_path):
    masked = ("def main(audio, options, question):\n    try:\n        return audio_properties(audio)['duration_s'] > 3\n"
              "    except Exception:\n        return 'Unknown error occurred'")
    cp, llm = make([masked, GOOD], tmp_path)
    ans = cp.ask(LONG_QUESTION, audio=[SPEECH])
    assert ans.trace.attempts[0].failure is ErrorKind.UNGROUNDED and ans.trace.attempts[0].run is None
    assert "except" in llm.calls[1][-1].content and ans.answer == "yes"


def test_a_condition_on_the_options_only_is_a_constant_answer(tmp_path):
    options_only = ("def main(audio, options, question):\n    props = audio_properties(audio)\n"
                    "    return options[0] if 'yes' in options else options[1]")
    cp, llm = make([options_only, GOOD], tmp_path)
    ans = cp.ask(LONG_QUESTION, audio=[SHORT])
    assert ans.trace.attempts[0].failure is ErrorKind.CONSTANT_ANSWER and ans.answer == "no"


def test_a_variable_shadowing_a_tool_is_named_before_anything_runs(tmp_path):
    shadow = ("def main(audio, options, question):\n    audio_properties = audio_properties(audio)\n"
              "    return audio_properties['duration_s'] > 3")
    cp, llm = make([shadow, GOOD], tmp_path)
    ans = cp.ask(LONG_QUESTION, audio=[SPEECH])
    first = ans.trace.attempts[0]
    assert first.failure is ErrorKind.UNGROUNDED and first.run is None
    assert "`audio_properties` has the same name as the tool" in llm.calls[1][-1].content and ans.ok


def test_an_identical_resubmission_is_not_run_again_and_the_planner_follows_its_schedule(tmp_path):
    broken = "def main(audio, options, question):\n    return audio_properties(audio)['length'] > 3"
    cp, llm = make([broken, broken + "  # same again", "I am not sure.", GOOD], tmp_path)
    ans = cp.ask(LONG_QUESTION, audio=[SPEECH])
    kinds = [a.failure for a in ans.trace.attempts]
    assert kinds == [ErrorKind.RUNTIME, ErrorKind.REPEATED, ErrorKind.FORMAT, None] and ans.answer == "yes"
    assert [a.run is not None for a in ans.trace.attempts] == [True, False, False, True]
    assert [c.purpose for c in ans.trace.llm_calls] == ["plan", "repair", "fallback", "fresh"]
    assert "Reply with the tool's name only" in llm.calls[2][-1].content  # the fallback names no tool here
    assert [c.temperature for c in ans.trace.llm_calls] == [0.0, 0.5, 0.0, 0.9]
    assert "fresh plan" in ans.trace.attempts[3].note
    assert len(llm.calls[3]) == 2  # the fresh plan starts from the first prompt, not the long conversation


def test_an_unknown_backend_name_is_a_config_error_at_start(tmp_path):
    with pytest.raises(ConfigError, match="not a backend of asr"):
        Copilot(llm=ScriptedLLM([]), settings=Settings(cache_dir=tmp_path, backends={"asr": "whisper-large-v9"}))


def test_a_backend_that_cannot_run_goes_to_the_user_not_to_the_repair_loop(tmp_path):
    # whisper-hub is a real backend; offline, without its weights cached, it cannot load here.
    program = "def main(audio, question):\n    return transcribe(audio)['text']"
    cp, llm = make([program], tmp_path, backends={"asr": "whisper-hub"})
    with pytest.raises(SetupError, match="transcribe cannot run here"):
        cp.ask("What does the speaker say?", audio=[SPEECH])
    assert len(llm.calls) == 1 and cp.store.entries() == []


def test_a_stored_program_that_ignores_its_tools_is_flagged_and_planned_anew(tmp_path):
    parrot = ("def main(audio, question):\n    words = transcribe(audio)['words']\n"
              "    return 'the quick brown fox' if len(words) < 1000 else 'nothing'")
    honest = "def main(audio, question):\n    return transcribe(audio)['text']"
    cp, llm = make([parrot, honest], tmp_path)
    first = cp.ask("What does the speaker say?", audio=[SPEECH])
    second = cp.ask("What does the speaker say?", audio=[SHORT])  # same answer, different tool results
    entry = cp.store.entries()[0]
    assert first.answer == second.answer == "the quick brown fox" and entry["flagged"]
    third = cp.ask("What does the speaker say?", audio=[SHORT])
    assert third.source == "planned" and third.answer != "the quick brown fox" and len(llm.calls) == 2


def test_resending_a_stored_program_that_failed_on_this_item_is_a_repeat(tmp_path):
    fragile = ("def main(audio, options, question):\n    d = audio_properties(audio)['duration_s']\n"
               "    return 'yes' if d > 3 else options[5]")
    # After the repair resends it, the planner falls back to the tool the LLM names, then choose()
    # (scored in both option orders), instead of asking for yet another repair.
    cp, llm = make([fragile, fragile, "audio_properties", "no", "no"], tmp_path)
    assert cp.ask(LONG_QUESTION, audio=[SPEECH]).answer == "yes"  # stored; fails on short audio only
    ans = cp.ask(LONG_QUESTION, audio=[SHORT])
    assert [a.failure for a in ans.trace.attempts] == [ErrorKind.RUNTIME, ErrorKind.REPEATED, None]
    assert ans.answer == "no" and [a.run is not None for a in ans.trace.attempts] == [True, False, True]
    assert [c.name for c in ans.tool_calls] == ["audio_properties", "choose"]
    assert ans.program.endswith('    return choose(question, options, facts=found)["label"]\n')


def test_options_of_another_kind_given_to_a_tool_send_the_program_back_for_a_second_hop(tmp_path):
    """Countries given to a language identifier as candidates: it maps none, so its own label is no
    option, and mapping it to one would be a guess. The program goes back with the two-hop hint."""
    one_hop = "def main(audio, options, question):\n    return identify_language(audio, candidates=options)['label']"
    two_hop = ("def main(audio, options, question):\n    language = identify_language(audio)['label']\n"
               "    return choose(question, options, facts={'spoken language': language})['label']")
    cp, llm = make([one_hop, two_hop, "United States", "United States"], tmp_path)  # then choose()'s two orders
    ans = cp.ask("In which country is the spoken language an official language?", audio=[SPEECH],
                 options=["United States", "Germany", "Spain", "Italy"])
    assert [a.failure for a in ans.trace.attempts] == [ErrorKind.UNGROUNDED, None]
    sent_back = llm.calls[1][-1].content
    assert "identify_language() without them" in sent_back and "choose(question, options" in sent_back
    assert ans.answer == "United States"
    assert [c.name for c in ans.tool_calls] == ["identify_language", "choose"]
    assert ans.tool_calls[0].result["label"] == "English"


def test_a_question_no_tool_can_measure_gets_an_answer_that_names_the_capability(tmp_path):
    cp, llm = make(["NO TOOL: the speaker's age"], tmp_path)
    ans = cp.ask("How old is the speaker?", audio=[SPEECH])
    assert (ans.ok, ans.answer, ans.program, len(llm.calls)) == (True, "cannot tell", "", 1)
    assert ans.caveats == ["no tool here can measure the speaker's age, so the recording cannot answer this question"]
    assert ans.timings["total_s"] < 5 and cp.store.entries() == []  # seconds, and nothing stored


def test_an_open_question_gets_a_program_that_never_touches_options(tmp_path):
    reaching = "def main(audio, options, question):\n    return round(audio_properties(audio)['duration_s'])"
    open_one = "def main(audio, question):\n    return round(audio_properties(audio)['duration_s'])"
    cp, llm = make([reaching, open_one], tmp_path)
    ans = cp.ask("How many seconds long is this recording?", audio=[SPEECH])
    first = ans.trace.attempts[0]
    assert first.failure is ErrorKind.NO_OPTIONS and first.run is None
    assert "this question lists no options" in llm.calls[1][-1].content
    assert ans.answer == "seven" and "options" not in ans.program


def test_after_a_failed_repair_the_planner_falls_back_to_the_tool_with_candidates(tmp_path):
    """The model writes the options into code twice; the planner asks only which tool measures the
    question and runs that tool with candidates=options."""
    literal = ("def main(audio, options, question):\n    lang = identify_language(audio)['label']\n"
               "    return 'French' if lang == 'French' else 'English'")
    cp, llm = make([literal, literal.replace("English", "German"), "identify_language"], tmp_path)
    ans = cp.ask("Which language is spoken? The answer could be English or French.", audio=[FRENCH_PATH])
    assert [a.failure for a in ans.trace.attempts] == [ErrorKind.KNOWLEDGE, ErrorKind.KNOWLEDGE, None]
    assert "line 3" in llm.calls[1][-1].content and "candidates=options" in llm.calls[1][-1].content
    assert ans.program == ('def main(audio, options, question):\n'
                           '    return identify_language(audio, candidates=options)["label"]\n')
    assert ans.answer == "French" and [c.purpose for c in ans.trace.llm_calls] == ["plan", "repair", "fallback"]


def test_a_stored_program_with_another_questions_words_is_never_reused(tmp_path):
    """An older store entry returns option words of the question it was written for: on a question
    with other options the gate refuses it before it runs, and the new program is literal-free."""
    old = ("def main(audio, options, question):\n    lang = identify_language(audio)['label']\n"
           "    return 'French' if lang == 'French' else 'English'")
    honest = "def main(audio, options, question):\n    return identify_language(audio, candidates=options)['label']"
    cp, llm = make([honest], tmp_path)
    asked = "Which language is spoken? (a) German (b) French (c) Spanish"
    question = Question.make(asked, [load_audio(FRENCH_PATH)], None, None, None, cp.toolset.version)
    cp.store.put(question.store_key, old, task=question.task, signature=question.signature.key(),
                 toolset=question.toolset, llm="an older model")
    ans = cp.ask(asked, audio=[FRENCH_PATH])
    assert [a.failure for a in ans.trace.attempts] == [ErrorKind.KNOWLEDGE, None]
    assert ans.trace.attempts[0].run is None and ans.answer == "French"
    # Reuse across two option sets: the program now served carries no option words.
    again = cp.ask("Which language is spoken? (a) English (b) French", audio=[FRENCH_PATH])
    assert again.source == "cache" and again.answer == "French" and len(llm.calls) == 1
    assert written_answer(ast.parse(again.program), again.options) is None and "French" not in again.program


def test_no_speech_is_an_abstention_before_option_matching():
    mapped = to_answer("no speech", ["yes", "no"], lambda text, options: "no")
    assert (mapped.answer, mapped.abstained) == ("no speech", True)
    assert "could not tell" in caveats(mapped, ["yes", "no"], [])[0]
