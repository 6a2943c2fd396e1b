"""The gate on a table of programs a small model plausibly writes: each is refused (with its kind) or accepted.

The shapes seen in use (issue 23) and more; half answer from the model's own head, half are honest.
They go through the real checks before the run (policy, open question, grounding, knowledge) with
the real speech toolset; the planner tests run programs like these end to end.
"""

from __future__ import annotations

import numpy as np
import pytest

from copilot.audio import Audio
from copilot.errors import ErrorKind
from copilot.planner.checks import before_run, first_refusal
from copilot.planner.question import Program, Question
from copilot.tools import load_toolset

TOOLSET = load_toolset("speech")
CHECKS = before_run(TOOLSET)
RECORDING = Audio.from_array(np.full(1600, 0.1, np.float32), 16_000)
MC = "def main(audio, options, question):\n"
OPEN = "def main(audio, question):\n"
GARMENT = ("Which traditional garment matches the speaker's gender?", ["Barong Tagalog", "Huipil"])
YES_NO = ("Is there background noise? Answer yes or no.", None)
ANIMAL = ("Which animal makes the sound?", ["dog", "cat", "cow"])
EMOTION = ("What emotion does the speaker express?", [])
COUNT = ("How many speakers are there? The answer could be one, two or three.", None)
NOISY = ("Is the recording noisy?", ["clean", "noisy"])
UNGROUNDED, CONSTANT, KNOWLEDGE, NO_OPTIONS = (ErrorKind.UNGROUNDED, ErrorKind.CONSTANT_ANSWER, ErrorKind.KNOWLEDGE,
                                               ErrorKind.NO_OPTIONS)

REFUSED = [
    # choose()/query_llm() given nothing an audio tool found: the LLM answers from its own head
    (GARMENT, MC + "    return choose(question, options)['label']", UNGROUNDED),
    (GARMENT, MC + "    return choose(question, options, facts={'speaker': 'an adult'})['label']", UNGROUNDED),
    (EMOTION, OPEN + "    transcribe(audio)\n    return query_llm(question)", UNGROUNDED),
    (GARMENT, MC + "    g = speaker_gender(audio)\n    return choose(question, options, facts={'q': question})['label']",
     UNGROUNDED),
    # conditions that decide nothing
    (YES_NO, MC + "    if detect_noise(audio):\n        return 'yes'\n    return 'no'", UNGROUNDED),
    (YES_NO, MC + "    r = detect_noise(audio)\n    return 'yes' if r else 'no'", UNGROUNDED),
    (YES_NO, MC + "    r = detect_noise(audio)\n    if r is not None:\n        return 'yes'\n    return 'no'", UNGROUNDED),
    (EMOTION, OPEN + "    words = transcribe(audio)['words']\n    return 'happy' if len(words) >= 0 else 'sad'",
     UNGROUNDED),
    (YES_NO, MC + "    n = len(speech_segments(audio))\n    return 'yes' if n == n else 'no'", UNGROUNDED),
    # an except around a tool that puts a substitute in place of the evidence
    (GARMENT, MC + "    try:\n        gender = speaker_gender(audio)['label']\n    except Exception:\n"
     "        gender = 'female'\n    return choose(question, options, facts={'gender': gender})['label']", UNGROUNDED),
    (ANIMAL, MC + "    try:\n        return classify_sounds(audio, candidates=options)['label']\n"
     "    except Exception:\n        return options[0]", UNGROUNDED),
    (EMOTION, OPEN + "    try:\n        return emotion(audio)['label']\n    except Exception:\n        pass\n"
     "    return emotion(audio)['label']", UNGROUNDED),
    # no tool that hears, or answers that ignore it
    (EMOTION, OPEN + "    return 'Hello, world!'", UNGROUNDED),
    (YES_NO, MC + "    props = audio_properties(audio)\n    return options[0] if 'yes' in options else options[1]",
     CONSTANT),
    (YES_NO, MC + "    d = audio_properties(audio)['duration_s']\n    return 'no' if d > 3 else 'no'", CONSTANT),
    # knowledge and option words written into code
    (GARMENT, MC + "    gender = speaker_gender(audio)['label']\n    if gender == 'male':\n"
     "        return 'Lederhosen'\n    return 'Paranja'", KNOWLEDGE),
    (ANIMAL, MC + "    animal = classify_sounds(audio)['label']\n    return 'cat' if animal == 'cat' else 'sheep'",
     KNOWLEDGE),
    (ANIMAL, MC + "    return classify_sounds(audio, candidates=['sheep', 'pig', 'cat', 'rooster'])['label']", KNOWLEDGE),
    # a two-way reading whose words are not this question's two options (reused from another question)
    (("Is the recording reverberant?", ["dry", "reverberant"]),
     MC + "    return 'noisy' if detect_noise(audio)['present'] else 'clean'", KNOWLEDGE),
    (("Which animal makes the sound?", ["cat", "sheep"]),  # the question's two words, but a label read by hand
     MC + "    animal = classify_sounds(audio)['label']\n    return 'cat' if animal == 'cat' else 'sheep'", KNOWLEDGE),
    (("Which vocal range fits the speaker?", ["Spinto soprano", "Baritone"]),
     MC + "    g = speaker_gender(audio)['label']\n    answer = 'Contralto' if g == 'female' else 'Baritone'\n"
     "    return answer", KNOWLEDGE),
    (("Estimate the SNR. The answer could be zero, five or clean.", None),
     MC + "    snr = estimate_snr(audio)['snr_db']\n    levels = {'zero': 0, 'five': 5, 'clean': 30}\n"
     "    return min(levels, key=lambda k: abs(levels[k] - snr))", KNOWLEDGE),
    # an open question reaching for options it does not have
    (EMOTION, MC + "    return emotion(audio, candidates=options)['label']", NO_OPTIONS),
    (EMOTION, OPEN + "    return detect_speech(audio)['present'] and options[0]", NO_OPTIONS),
]

ACCEPTED = [
    (ANIMAL, MC + "    return classify_sounds(audio, candidates=options)['label']"),
    (GARMENT, MC + "    gender = speaker_gender(audio)['label']\n"
     "    return choose(question, options, facts={'speaker gender': gender})['label']"),
    (YES_NO, MC + "    return 'yes' if detect_noise(audio)['present'] else 'no'"),
    (NOISY, MC + "    return 'noisy' if detect_noise(audio)['present'] else 'clean'"),  # the question's two words
    (YES_NO, MC + "    return detect_noise(audio)['present']"),
    (EMOTION, OPEN + "    return emotion(audio)['label']"),
    (EMOTION, OPEN + "    text = transcribe(audio)['text']\n    if not text.strip():\n        return 'no speech'\n"
     "    return query_llm(f'Which emotion does this sentence express? {text}')"),
    # counting, collecting, majority votes: derived through loops, +=, .append, subscripts
    (COUNT, MC + "    count = 0\n    for turn in diarize(audio)['segments']:\n        count += 1\n    return count"),
    (COUNT, MC + "    speakers = []\n    for turn in diarize(audio)['segments']:\n"
     "        speakers.append(turn['speaker'])\n    return len(set(speakers))"),
    (ANIMAL, MC + "    votes = {}\n    for window in classify_sounds(audio, candidates=options)['timeline']:\n"
     "        votes[window['label']] = votes.get(window['label'], 0) + 1\n    best = max(votes, key=votes.get)\n"
     "    return choose(question, options, facts={'sound heard most': best})['label']"),
    (COUNT, MC + "    seen = set()\n    seen.update(t['speaker'] for t in diarize(audio)['segments'])\n"
     "    return len(seen)"),
    (EMOTION, OPEN + "    words = [w['word'] for w in transcribe(audio)['words']]\n    return ' '.join(words) or 'no speech'"),
    (("How long does the speaker talk?", []), OPEN + "    segments = speech_segments(audio)\n    if not segments:\n"
     "        return 'no speech'\n    total = sum(s['end_s'] - s['start_s'] for s in segments)\n"
     "    return f'{total:.1f} seconds'"),
    (ANIMAL, MC + "    try:\n        found = classify_sounds(audio)\n    except Exception:\n        return 'cannot tell'\n"
     "    return choose(question, options, facts={'sounds': found['label']})['label']"),
    (ANIMAL, MC + "    try:\n        return classify_sounds(audio, candidates=options)['label']\n    except Exception as e:\n"
     "        raise ValueError(str(e))"),
    (YES_NO, MC + "    r = detect_noise(audio)\n    if r['snr_db'] is not None and r['snr_db'] < 15:\n        return 'yes'\n"
     "    return 'no'"),
    (GARMENT, MC + "    def gender_of(a):\n        return speaker_gender(a)['label']\n"
     "    return choose(question, options, facts={'gender': gender_of(audio)})['label']"),
    (YES_NO, MC + "    if (n := len(speech_segments(audio))) > 1:\n        return 'yes'\n    return 'no'"),
]


def _question(asked: tuple[str, list[str] | None]) -> Question:
    instruction, options = asked
    return Question.make(instruction, [RECORDING], None, options, None, TOOLSET.version)


def test_the_table_is_balanced_and_large_enough():
    assert len(REFUSED) + len(ACCEPTED) >= 30 and abs(len(REFUSED) - len(ACCEPTED)) <= 6


@pytest.mark.parametrize(("asked", "program", "kind"), REFUSED, ids=[f"refused-{i}" for i in range(len(REFUSED))])
def test_ungrounded_programs_are_refused_with_the_real_reason(asked, program, kind):
    refusal = first_refusal(CHECKS, Program.parse(program), None, _question(asked))
    assert refusal is not None and refusal.kind is kind, refusal
    assert "never depends" not in refusal.feedback or kind is CONSTANT


@pytest.mark.parametrize(("asked", "program"), ACCEPTED, ids=[f"accepted-{i}" for i in range(len(ACCEPTED))])
def test_honest_programs_are_accepted(asked, program):
    assert first_refusal(CHECKS, Program.parse(program), None, _question(asked)) is None


@pytest.mark.parametrize(("program", "says"), [
    (MC + "    if detect_noise(audio):\n        return 'yes'\n    return 'no'", "always true"),
    (OPEN + "    words = transcribe(audio)['words']\n    return 'x' if len(words) >= 0 else 'y'", "never negative"),
    (MC + "    g = speaker_gender(audio)['label']\n    return choose(question, options)['label']",
     "nothing an audio tool returned"),
    (MC + "    return choose(question, options)['label']", "calls no tool that listens to the recording"),
    (MC + "    try:\n        g = speaker_gender(audio)['label']\n    except Exception:\n        g = 'female'\n"
     "    return choose(question, options, facts={'g': g})['label']", "substitute"),
])
def test_the_feedback_names_the_real_reason(program, says):
    question = _question(EMOTION if program.startswith(OPEN) else GARMENT)
    assert says in first_refusal(CHECKS, Program.parse(program), None, question).feedback
