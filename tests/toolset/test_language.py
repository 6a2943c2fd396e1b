"""Spoken language ID on espeak-ng speech in four languages, with and without candidates."""

from __future__ import annotations

import pytest

from copilot.audio import load_audio
from copilot.errors import ToolError
from copilot.testing import corpus
from toolsets.speech.language import identify_language

SENTENCES = {
    "en": ("English", "The weather was cold this morning, so we stayed at home and read books by the fire."),
    "fr": ("French", "Le temps était froid ce matin, alors nous sommes restés à la maison pour lire des livres."),
    "de": ("German", "Das Wetter war heute Morgen kalt, also sind wir zu Hause geblieben und haben Bücher gelesen."),
    "es": ("Spanish", "El tiempo estaba frío esta mañana, así que nos quedamos en casa leyendo libros junto al fuego."),
}
NAMES = [name for name, _ in SENTENCES.values()]


def _speech(code: str):
    return load_audio(corpus.espeak(SENTENCES[code][1], code))


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_identifies_espeak_languages(code):
    free = identify_language(_speech(code))
    assert free["label"] == free["name"] == SENTENCES[code][0] and free["code"] == code
    assert len(free["scores"]) == 5 and 0 < free["scores"][code] <= 1

    chosen = identify_language(_speech(code), candidates=NAMES)
    assert chosen["label"] == SENTENCES[code][0]
    assert set(chosen["scores"]) == set(NAMES)
    assert sum(chosen["scores"].values()) == pytest.approx(1, abs=1e-3)
    assert "reliability" not in chosen


def test_candidates_as_codes_and_aliases():
    result = identify_language(_speech("es"), candidates=["pt", "castilian", "it"])
    assert result["label"] == "castilian" and result["code"] == "es"


def test_candidates_the_model_does_not_believe_are_flagged():
    result = identify_language(_speech("en"), candidates=["Japanese", "Korean"])
    assert result["reliability"] == "low"
    assert "English" in result["note"]


def test_candidates_in_other_forms_and_ones_that_name_no_language():
    audio = _speech("fr")
    result = identify_language(audio, candidates=["en-US", "French (France)", "de", "Elvish"])
    assert result["label"] == "French (France)" and result["code"] == "fr"
    assert result["unmapped"] == ["Elvish"] and result["scores"]["Elvish"] == 0.0
    books = identify_language(audio, candidates=["War and Peace", "The English Patient", "Don Quixote"])
    assert books["label"] == "French" and "choose(" in books["note"]
    assert books["unmapped"] == ["War and Peace", "Don Quixote"]
    with pytest.raises(ToolError, match="at least one"):
        identify_language(audio, candidates=[])


def test_a_single_candidate_is_a_yes_no_check():
    assert identify_language(_speech("fr"), candidates=["French"])["label"] == "French"
    other = identify_language(_speech("en"), candidates=["French"])
    assert other["label"] == "English" and other["scores"]["French"] < 0.5
