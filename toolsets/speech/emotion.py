"""Emotion in speech: how the voice sounds, fused with what the words say.

Backends for "emotion" (``estimate(audio)`` -> ``{"scores": {class: p}, "arousal", "reliability",
"note", "evidence"}``; the tool maps the classes onto the question's candidates):
- ``prosody-lexicon`` (offline default): no registry package ships emotion-model weights, so this
  scores seven classes from prosody (pitch level and spread, speaking rate, and vocal effort as the
  balance of 1-3.4 kHz over 0.3-1 kHz energy), each cue compared with a profile per
  emotion from the literature on vocal expression, plus the emotion words of the transcript (a
  small lexicon below). Loudness in dBFS is left out on purpose: it measures the microphone's gain
  as much as the voice. Its reliability is always "low"; benchmarks/bench_emotion.py measures it.
- ``transformers-emotion``: a transformers audio-classification model (default
  superb/wav2vec2-base-superb-er, IEMOCAP classes; emotion2vec or any other audio-classification
  checkpoint through ``COPILOT_MODEL_TRANSFORMERS_EMOTION``): the route to full quality.
"""

from __future__ import annotations

import re

import numpy as np

from copilot.audio import SAMPLE_RATE, Audio
from copilot.errors import ToolError
from copilot.options import normalise
from copilot.tools import Backend, backend, current_runtime, tool
from toolsets.speech.evidence import without_speech
from toolsets.speech.hub_models import AudioClassifier
from toolsets.speech.prosody import prosody
from toolsets.speech.transcription import transcribe

CLASSES = ("neutral", "happy", "angry", "sad", "fear", "surprise", "disgust")
# Words a question (or a model's label list) uses for each class, in the shape of the shared
# candidates vocabulary ({label: [words]}); compared after copilot.options.normalise (lower case,
# "_" -> " "), as the whole candidate or as one whole word inside it ("a happy voice").
EMOTION_WORDS: dict[str, list[str]] = {
    "neutral": ["neutral", "neu", "calm", "no emotion", "none", "normal", "relaxed", "boredom", "bored",
                "indifferent"],
    "happy": ["happy", "hap", "happiness", "joy", "joyful", "glad", "excited", "exc", "excitement", "amused",
              "amusement", "pleased", "cheerful", "delighted", "elated", "enthusiastic"],
    "angry": ["angry", "ang", "anger", "mad", "annoyed", "annoyance", "frustrated", "fru", "frustration", "furious",
              "irritated", "rage", "hostile"],
    "sad": ["sad", "sadness", "unhappy", "sorrow", "sorrowful", "depressed", "disappointed", "grief", "upset",
            "melancholy"],
    "fear": ["fear", "fea", "afraid", "scared", "fearful", "anxious", "anxiety", "nervous", "worried", "terrified",
             "frightened", "panic"],
    "surprise": ["surprise", "sur", "surprised", "amazed", "astonished", "shocked", "amazement"],
    "disgust": ["disgust", "dis", "disgusted", "contempt", "revulsion", "repulsed"],
}
# Candidates that name a group of classes score the sum of their probabilities.
EMOTION_GROUPS: dict[str, tuple[str, ...]] = {
    "positive": ("happy",),
    "negative": ("angry", "sad", "fear", "disgust"),
    "emotional": ("happy", "angry", "sad", "fear", "surprise", "disgust"),
}
_CLASS_OF = {normalise(w): cls for cls, words in EMOTION_WORDS.items() for w in words}


def classes_named(candidate: str) -> tuple[str, ...]:
    """The classes a candidate names: the whole text, else exactly one class word inside it; () if none."""
    text = normalise(candidate)
    if text in EMOTION_GROUPS:
        return EMOTION_GROUPS[text]
    if text in _CLASS_OF:
        return (_CLASS_OF[text],)
    inside = {_CLASS_OF[w] for w in text.split() if w in _CLASS_OF}
    return tuple(inside) if len(inside) == 1 else ()


# -- the voice: where each cue counts as neutral and how much change is one unit (z = 1) ----------
# Pitch level is in semitones from a typical male (120 Hz) or female (210 Hz) speaking pitch.
# Tension is 1-3.4 kHz over 0.3-1 kHz energy in voiced frames (dB; inside the phone band on purpose).
# Centres: the neutral clips of the tuning split in benchmarks/bench_emotion.py (espeak-ng, flite and
# real read speech); units: about the spread between those voices, so one unit is a clear change.
NORMS = {"pitch_level": (-2.5, 3.0), "pitch_range": (7.0, 4.0), "rate": (3.5, 0.8), "tension": (-8.0, 4.0)}
# Each emotion's cue profile in those units, after the direction of the effects reviewed by Juslin &
# Laukka (2003, Psychological Bulletin 129:770) and Murray & Arnott (1993, JASA 93:1097).
PROFILES = {
    "neutral": {"pitch_level": 0.0, "pitch_range": 0.0, "rate": 0.0, "tension": 0.0},
    "happy": {"pitch_level": 1.0, "pitch_range": 1.0, "rate": 0.5, "tension": 0.5},
    "angry": {"pitch_level": 0.5, "pitch_range": 1.0, "rate": 0.5, "tension": 1.5},
    "sad": {"pitch_level": -0.5, "pitch_range": -1.0, "rate": -1.0, "tension": -1.0},
    "fear": {"pitch_level": 1.5, "pitch_range": 0.0, "rate": 1.0, "tension": 0.5},
    "surprise": {"pitch_level": 1.5, "pitch_range": 1.5, "rate": 0.0, "tension": 0.0},
    "disgust": {"pitch_level": -0.5, "pitch_range": 0.0, "rate": -0.5, "tension": 0.5},
}

# -- the words: a small lexicon of emotion words and phrases, matched as whole words -----------------
# Everyday words that often carry no emotion ("sorry", "help", "great", "miss", "run", "no idea")
# are left out on purpose: one hit weighs as much as the whole voice.
LEXICON: dict[str, tuple[str, ...]] = {
    "happy": ("happy", "glad", "wonderful", "love", "lovely", "awesome", "fantastic", "amazing", "excited", "yay",
              "hooray", "congratulations", "won", "delighted", "beautiful", "brilliant", "excellent", "enjoy",
              "enjoyed", "celebrate"),
    "angry": ("angry", "hate", "furious", "damn", "stupid", "idiot", "shut up", "how dare", "sick of",
              "ridiculous", "unacceptable", "fed up", "annoying", "get out", "liar", "mad at", "pissed",
              "outrageous", "leave me alone"),
    "sad": ("sad", "cry", "crying", "died", "dead", "alone", "lonely", "hurt", "unfortunately", "funeral",
            "broke up", "heartbroken", "tears", "miserable", "depressed", "passed away", "lost",
            "never again"),
    "fear": ("afraid", "scared", "terrified", "frightened", "worried", "nervous", "danger", "dangerous",
             "what was that", "someone is there", "panic", "scary", "help me"),
    "surprise": ("wow", "no way", "can't believe", "cannot believe", "oh my god", "oh my gosh", "unbelievable",
                 "seriously", "surprise", "surprised", "whoa", "incredible"),
    "disgust": ("gross", "disgusting", "yuck", "ew", "eww", "nasty", "revolting", "filthy", "rotten", "vile"),
}
NEGATIONS = {"not", "never", "no", "don't", "didn't", "isn't", "wasn't", "aren't", "can't", "won't", "nothing"}
NO_SPEECH = ("no speech: the recording has no voice to judge emotion from; answer that no one speaks, or "
             "use classify_sounds to say what is heard")
MIN_WORD_PROBABILITY = 0.1  # Whisper gives correct words 0.15 in flat TTS, and guesses in noise 0.002

# Fusion weights, chosen on the tuning split of benchmarks/bench_emotion.py (see its output).
VOICE_SCALE = 0.5  # 1 / (2 sigma^2) of the voice's Gaussian around each profile
WORD_WEIGHT = 8.0  # log-odds per lexicon hit
NEUTRAL_PRIOR = 1.5  # log-odds for neutral before any evidence: most speech is neutral
NOTE = ("offline estimate from prosody and emotion words (benchmarks/bench_emotion.py, 7 classes, chance 14 %, "
        "test split): 18 % on emotional lines written independently of its word list (it calls most of "
        "them neutral), 81 % only on lines written around that list, 29 % on synthetic acted voices "
        "with neutral words (the voice cues mostly tell only neutral from fast and high), real read "
        "speech kept neutral; a weak hint")


def tension_db(audio: Audio) -> float | None:
    """Energy of 1-3.4 kHz over 0.3-1 kHz in the louder frames (dB): tense voices have more highs."""
    import librosa

    spec = np.abs(librosa.stft(audio.samples, n_fft=512, hop_length=160)) ** 2
    freqs = librosa.fft_frequencies(sr=SAMPLE_RATE, n_fft=512)
    power = spec.sum(axis=0)
    if not power.any():
        return None
    loud = power >= np.percentile(power, 50)
    low = spec[(freqs >= 300) & (freqs < 1000)][:, loud].sum()
    high = spec[(freqs >= 1000) & (freqs < 3400)][:, loud].sum()
    return float(10 * np.log10(max(high, 1e-12) / max(low, 1e-12))) if low > 0 else None


def voice_cues(p: dict, tension: float | None) -> dict[str, float]:
    """The prosody measurements in units of NORMS (z); cues that could not be measured are left out."""
    raw: dict[str, float | None] = {"tension": tension}
    if p["f0_median_hz"] is not None:
        reference = 120.0 if p["f0_median_hz"] < 165.0 else 210.0
        raw["pitch_level"] = 12 * np.log2(p["f0_median_hz"] / reference)
        raw["pitch_range"] = p["f0_range_semitones"]
    if p["word_count"] >= 3:
        raw["rate"] = p["words_per_s"]
    return {k: round(float((v - NORMS[k][0]) / NORMS[k][1]), 3) for k, v in raw.items() if v is not None}


def emotion_words(words: list[dict]) -> list[tuple[str, str]]:
    """(class, matched word or phrase) for each lexicon entry in the transcript, unless just negated."""
    tokens = [normalise(w["word"]).replace(" ", "") for w in words if w.get("probability", 1.0) >= MIN_WORD_PROBABILITY]
    tokens = [t for t in tokens if t]
    text = " ".join(tokens)
    spans = [(m.start(), m.end(), cls, entry) for cls, entries in LEXICON.items() for entry in entries
             for m in re.finditer(rf"(?<!\S){re.escape(entry)}(?!\S)", text)]
    found = []
    for a, b, cls, entry in spans:
        if any(x <= a and b <= y and (x, y) != (a, b) for x, y, _, _ in spans):
            continue  # "sick" inside "sick of" counts only as the phrase
        if cls == "happy" and NEGATIONS.intersection(text[:a].split()[-3:]):
            continue  # "not happy" is no evidence of joy
        found.append((cls, entry))
    return found


def fuse(cues: dict[str, float], words: list[tuple[str, str]], voice_scale: float = VOICE_SCALE,
         word_weight: float = WORD_WEIGHT, neutral_prior: float = NEUTRAL_PRIOR) -> dict[str, float]:
    """Class probabilities: a Gaussian around each emotion's cue profile, plus word hits, plus a prior."""
    logits = np.zeros(len(CLASSES))
    for i, cls in enumerate(CLASSES):
        logits[i] -= voice_scale * sum((z - PROFILES[cls][k]) ** 2 for k, z in cues.items())
        logits[i] += word_weight * min(sum(1 for c, _ in words if c == cls), 3)
    logits[CLASSES.index("neutral")] += neutral_prior
    p = np.exp(logits - logits.max())
    return dict(zip(CLASSES, (p / p.sum()).tolist(), strict=True))


def arousal(cues: dict[str, float]) -> float | None:
    """0 (calm: low, narrow, slow, lax) .. 1 (excited) from the voice cues that were measured."""
    used = [cues[k] for k in ("pitch_level", "pitch_range", "rate", "tension") if k in cues]
    return round(float(1 / (1 + np.exp(-2 * np.mean(used)))), 3) if used else None


class EmotionEstimator(Backend):
    """What an "emotion" backend does: ``runtime.get(EmotionEstimator).estimate(audio)``."""

    capability = "emotion"

    def estimate(self, audio: Audio) -> dict:
        """{"label", "scores": {class: probability}, ...} over the backend's emotion classes."""
        raise NotImplementedError


@backend
class ProsodyLexicon(EmotionEstimator):
    name = "prosody-lexicon"
    offline = True
    quality = 1
    requires = ("librosa",)
    description = "prosody cues and transcript emotion words fused over 7 classes (low reliability)"

    def estimate(self, audio: Audio) -> dict:
        try:
            p = prosody(audio)
        except ToolError as exc:
            raise ToolError(NO_SPEECH) from exc
        words = emotion_words(transcribe(audio)["words"])
        cues = voice_cues(p, tension_db(audio))
        missing = sorted(set(NORMS) - set(cues))
        note = NOTE
        if missing:
            note += f"; not measured here: {', '.join(missing)}"
        return {"scores": fuse(cues, words), "arousal": arousal(cues), "reliability": "low", "note": note,
                "evidence": {"voice": cues, "words": [w for _, w in words]}}


@backend
class TransformersEmotion(EmotionEstimator, AudioClassifier):
    name = "transformers-emotion"
    quality = 30
    description = "wav2vec2 emotion classifier (transformers audio-classification; IEMOCAP classes)"
    DEFAULT = "superb/wav2vec2-base-superb-er"

    def estimate(self, audio: Audio) -> dict:
        scores: dict[str, float] = {}
        for label, p in self.classify(audio).items():
            name = normalise(label.split("/")[-1])  # emotion2vec labels read "生气/angry"
            cls = _CLASS_OF.get(name, name)
            scores[cls] = scores.get(cls, 0.0) + p
        return {"scores": scores, "arousal": None, "reliability": "normal",
                "note": f"classifier {self.source(self.runtime.settings)} (voice only)", "evidence": {}}


def over_candidates(scores: dict[str, float], candidates: list[str]) -> tuple[dict[str, float], list[str]]:
    """Each candidate's probability (the sum over the classes it names), renormalised; and the unmappable."""
    raw, unmapped = {}, []
    for c in candidates:
        classes = classes_named(c)
        if not classes:
            unmapped.append(c)
        else:
            raw[c] = sum(scores.get(k, 0.0) for k in classes)
    total = sum(raw.values())
    return {c: round(v / total if total > 0 else 1 / len(raw), 4) for c, v in raw.items()}, unmapped


@tool(uses=("emotion", "vad", "pitch", "asr"))
def emotion(audio: Audio, candidates: list[str] | None = None) -> dict:
    """Estimate the emotion a speaker expresses, from how the voice sounds and what the words say.

    Args:
        audio: A recording of one speaker.
        candidates: Emotions to choose from, e.g. the options of a question ("joy", "anger",
            "no_emotion", "positive" ...); synonyms are understood. None uses the tool's classes.

    Returns:
        {"label": str, "scores": {str: float}, "arousal": float | None, "reliability": "low" |
        "normal", "note": str, "evidence": dict, "unmapped": [str]}. With candidates, "label" is
        the best candidate exactly as written and "scores" holds every candidate it understood
        (probabilities over them); "unmapped" lists candidates that name no emotion. Without,
        labels are "neutral", "happy", "angry", "sad", "fear", "surprise", "disgust". arousal is
        0 calm .. 1 excited. The offline estimate always says reliability "low"; its "evidence"
        shows the voice cues (0 = typical) and the emotion words heard.

    Example:
        >>> answer = emotion(audio, candidates=options)["label"]
    """
    if candidates is not None and not candidates:
        raise ToolError("emotion(candidates=[]): give the question's emotion options, or None")
    silent = without_speech(audio, "the emotion", scores={}, unmapped=[])
    if silent:
        return silent  # Whisper's words alone do not count: it hears "Thank you." in music
    result = current_runtime().get(EmotionEstimator).estimate(audio)
    scores, unmapped = {k: round(v, 4) for k, v in result["scores"].items()}, []
    if candidates is not None:
        scores, unmapped = over_candidates(result["scores"], candidates)
        if not scores:
            raise ToolError(f"none of the candidates {candidates} names an emotion; emotion() knows "
                            f"{', '.join(CLASSES)} and their synonyms. If the options are not emotions "
                            "(a situation, a person), call emotion(audio) and choose with the label")
    return {"label": max(scores, key=scores.get), **result, "scores": scores, "unmapped": unmapped}
