"""The shared candidate mapping: vocabularies for gender, yes/no, counts and accents, and ranking."""

from __future__ import annotations

import json

import pytest

from toolsets.speech.candidates import VOCABULARY_FILE, Vocabulary, number_vocabulary, rank


@pytest.mark.parametrize("words, label", [
    ("male", "male"), ("A man", "male"), ("(a) Male", "male"), ("a male voice", "male"), ("men", "male"),
    ("female", "female"), ("Woman", "female"), ("the speaker is a woman", "female"), ("feminine", "female"),
    ("male or female", None), ("a child", None), ("", None)])
def test_gender_words(words, label):
    assert Vocabulary.section("gender").labels(words) == ({label} if label else set())


@pytest.mark.parametrize("words", ["sir", "madam", "Mr.", "Ms", "mother", "uncle", "king", "queen", "soprano",
                                   "bass", "tenor", "he", "she", "a girl", "boy", "lady", "gentleman"])
def test_second_hops_are_not_gender_words(words):
    """Address, kinship, vocal range, pronouns, age: each is a second hop that choose() makes."""
    assert Vocabulary.section("gender").labels(words) == set()


@pytest.mark.parametrize("words, label", [
    ("Yes", "yes"), ("yes, it is present", "yes"), ("True", "yes"), ("present", "yes"), ("No", "no"),
    ("not present", "no"), ("absent", "no"), ("there is no dog", "no"), ("false", "no"), ("maybe", None)])
def test_yes_no_words(words, label):
    assert Vocabulary.section("yes_no").labels(words) == ({label} if label else set())


@pytest.mark.parametrize("words, label", [
    ("2", "2"), ("two", "2"), ("two speakers", "2"), ("3 people", "3"), ("a single speaker", "1"),
    ("only one", "1"), ("nobody", "0"), ("one or two", None), ("many", None)])
def test_number_words(words, label):
    assert number_vocabulary().labels(words) == ({label} if label else set())


def test_accent_words_and_every_section_is_well_formed():
    accents = Vocabulary.section("accent")
    assert accents.labels("American English") == {"us"} and accents.labels("British") == {"england"}
    assert accents.labels("an Indian accent") == {"indian"} and accents.labels("Martian") == set()
    sections = json.loads(VOCABULARY_FILE.read_text())
    for name, table in sections.items():
        if name != "about":
            words = [w for ws in table.values() for w in ws]
            assert len(words) == len(set(words)), f"a word names two labels in {name}"


def test_rank_scores_candidates_and_reports_what_it_cannot_map():
    labels = {"hen": {"Chicken", "Cluck"}, "rooster": {"Chicken", "Crowing"}, "dog": {"Dog", "Bark"},
              "unicorn": set()}
    scores = {"Chicken": 0.9, "Cluck": 0.2, "Crowing": 0.7, "Dog": 0.1}
    result = rank(["hen", "rooster", "dog", "unicorn"], labels.get, scores)
    # The shared class decides nothing: Crowing (0.7) beats Cluck (0.2).
    assert result == {"label": "rooster", "scores": {"hen": 0.2, "rooster": 0.7, "dog": 0.1, "unicorn": 0.0},
                      "unmapped": ["unicorn"]}
    shares = rank(["hen", "dog"], labels.get, scores, normalise_scores=True)
    assert shares["label"] == "hen" and sum(shares["scores"].values()) == pytest.approx(1)
    lost = rank(["unicorn", "griffin"], lambda c: set(), scores, own_label="Chicken", what="sound")
    assert lost["label"] == "Chicken" and lost["unmapped"] == ["unicorn", "griffin"]
    assert "no sound" in lost["note"] and "choose(question, options, facts)" in lost["note"]
