"""Accent of spoken English.

No installable package carries accent-ID weights, so this capability has only a hub backend:
``speechbrain-commonaccent`` (ECAPA trained on CommonAccent: 16 English accents). Without it the
tool raises an error that says how to enable it, rather than guessing.
"""

from __future__ import annotations

from copilot.audio import Audio
from copilot.tools import backend, tool
from toolsets.speech.candidates import Vocabulary, rank
from toolsets.speech.evidence import without_speech
from toolsets.speech.hub_models import SpeechBrainClassifier, hub_only


@backend
class CommonAccent(SpeechBrainClassifier):
    capability = "accent"
    name = "speechbrain-commonaccent"
    quality = 30
    description = "SpeechBrain ECAPA accent ID over 16 English accents (CommonAccent)"
    DEFAULT = "Jzuluaga/accent-id-commonaccent_ecapa"


@tool(uses=("accent", "vad"))
def accent(audio: Audio, candidates: list[str] | None = None) -> dict:
    """Identify the accent of an English speaker (needs the hub accent model; none works offline).

    Args:
        audio: A recording of one person speaking English.
        candidates: Accents to choose from in the question's words ("American", "British",
            "Indian English"), e.g. the options of a question; None lists the model's accents.

    Returns:
        {"label": str, "scores": {accent: float}}: accents such as "us", "england", "australia",
        "indian", "scotland", "canada", "african", ... with probabilities. With candidates,
        "label" is the best candidate as written, "scores" maps each candidate to its
        probability, and "unmapped" lists candidates that name no accent the model knows.
        With no speech "label" is "no speech".

    Example:
        >>> answer = accent(audio, candidates=options)["label"]
    """
    silent = without_speech(audio, "the accent", scores={})
    if silent:
        return silent
    scores = hub_only("accent", "accent recognition").classify(audio)
    scores = {label.strip().lower(): round(p, 4) for label, p in scores.items()}
    own = max(scores, key=scores.get)
    if candidates is None:
        return {"label": own, "scores": scores}
    return rank(candidates, Vocabulary.section("accent").labels, scores, normalise_scores=True, own_label=own,
                what="accent")
