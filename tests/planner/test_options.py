"""Options found in Dynamic-SUPERB and SAKURA phrasings, and answers mapped onto them."""

from __future__ import annotations

import pytest

from copilot.options import match_option, option_letters, split_options
from copilot.pools import load_pool


@pytest.mark.parametrize(("instruction", "options"), [
    ("Detect whether there are bird noises present. The answer could be presence or absence.",
     ["presence", "absence"]),
    ("Choose the correct action from the following options: question, inform, directive, or commissive.",
     ["question", "inform", "directive", "commissive"]),
    ("What is the speaker's gender? (a) Male (b) Female", ["Male", "Female"]),
    ("Estimate the SNR. The answer could be zero, five, ten, fifteen, or clean.",
     ["zero", "five", "ten", "fifteen", "clean"]),
    ("Transcribe the recording.", []),
])
def test_split_options(instruction, options):
    assert split_options(instruction)[0] == options


def test_options_are_found_in_most_phase1_instructions():
    """Most pooled phrasings that state their answer set are parsed to exactly that set."""
    hits = total = 0
    for task in load_pool("dynamic_superb_phase1"):
        labels = {label.lower() for label in task.labels}
        for phrase in task.instructions:
            if "answer could be" in phrase.lower() and labels:
                total += 1
                hits += {o.lower() for o in split_options(phrase)[0]} == labels
    assert total > 100 and hits / total > 0.8


@pytest.mark.parametrize(("answer", "expected"), [
    ("noisy", "noisy"), ("Noisy.", "noisy"), ("The recording is noisy", "noisy"), ("2", "two"),
    ("There are two speakers.", "two"), ("clean or noisy", None), ("", None), ("NONE", None),
])
def test_match_option(answer, expected):
    options = ["clean", "noisy"] if expected in ("noisy", None) else ["one", "two", "three"]
    assert match_option(answer, options) == expected


def test_letters_and_longer_options_win():
    letters = option_letters("(a) Male (b) Female")
    assert match_option("(b) Female", ["Male", "Female"], letters) == "Female"
    assert match_option("b", ["Male", "Female"], letters) == "Female"
    assert match_option("no emotion", ["emotion", "no_emotion"]) == "no_emotion"


def test_unicode_digits_do_not_break_matching():
    assert match_option("3² ①", ["one", "two"]) is None


@pytest.mark.parametrize(("instruction", "task"), [
    ("What is the speaker's gender? (a) Male (b) Female", "What is the speaker's gender?"),
    ("Detect whether there are bird noises present. The answer could be presence or absence.",
     "Detect whether there are bird noises present."),
    ("Transcribe   the recording.", "Transcribe the recording."),
])
def test_split_options_gives_the_option_free_task_text(instruction, task):
    assert split_options(instruction)[1] == task
