"""ASR: WER on real read speech, language handling, and each backend's inference path."""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil

import jiwer
import pytest

from copilot.assets import WHISPER_BASE, ensure
from copilot.audio import load_audio
from copilot.config import Settings
from copilot.errors import BackendUnavailableError, ToolError
from copilot.testing import corpus
from copilot.tools import Runtime, use_runtime
from toolsets.speech.transcription import transcribe


def _normalise():
    """Whisper's English normaliser: case, punctuation, hyphens, "Mr."/"mister", "ten"/"10"."""
    from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

    return EnglishTextNormalizer({})


def _wer(pairs: list[tuple[str, str]]) -> float:
    norm = _normalise()
    return jiwer.wer([norm(ref) for ref, _ in pairs], [norm(hyp) for _, hyp in pairs])


def _with_backend(runtime: Runtime, name: str, **models: str) -> Runtime:
    settings = dataclasses.replace(runtime.settings, backends={"asr": name}, models=models)
    return Runtime(settings)


@pytest.mark.slow
def test_whisper_wer_on_read_speech(read_speech):
    results = [(ref, transcribe(audio)) for audio, ref in read_speech]
    assert {r["language"] for _, r in results} == {"en"}
    wer = _wer([(ref, r["text"]) for ref, r in results])
    assert wer <= 0.15, wer


@pytest.mark.slow
def test_word_timestamps_are_ordered_and_inside_the_recording(read_speech):
    audio, ref = read_speech[0]
    result = transcribe(audio, language="English")
    words = result["words"]
    assert len(words) >= len(ref.split()) - 3
    starts = [w["start_s"] for w in words]
    assert starts == sorted(starts)
    assert all(0 <= w["start_s"] <= w["end_s"] <= audio.duration + 0.5 for w in words)
    assert all(0 <= w["probability"] <= 1 for w in words)
    assert result["segments"][0]["start_s"] <= words[0]["start_s"] + 0.01


@pytest.mark.slow
def test_french_goes_to_the_multilingual_model():
    text = "Bonjour, je m'appelle Marie et j'habite à Paris depuis dix ans."
    result = transcribe(load_audio(corpus.espeak(text, "fr", speed=120)))
    assert result["language"] == "fr"
    assert "je m'appelle marie" in result["text"].lower()


def test_unknown_language_is_a_tool_error(read_speech):
    with pytest.raises(ToolError, match="unknown language"):
        transcribe(read_speech[0][0], language="Klingonese")


@pytest.mark.slow
def test_pocketsphinx_backend_transcribes_english(runtime, read_speech):
    with use_runtime(_with_backend(runtime, "pocketsphinx")):
        results = [(ref, transcribe(audio)) for audio, ref in read_speech]
        with pytest.raises(ToolError, match="English only"):
            transcribe(read_speech[0][0], language="fr")
    assert _wer([(ref, r["text"]) for ref, r in results]) <= 0.3
    assert all(r["words"] and r["language"] == "en" for _, r in results)


def test_hub_backend_without_weights_names_what_is_missing(tmp_path):
    settings = Settings(cache_dir=tmp_path, backends={"asr": "whisper-hub"},
                        models={"whisper-hub": "nobody/no-such-whisper"}, disk_cache=False)
    with pytest.raises(BackendUnavailableError, match="not in the local cache"):
        Runtime(settings).get("asr")


@pytest.mark.skipif(importlib.util.find_spec("transformers") is None, reason="needs transformers to build")
def test_hub_backend_loads_a_converted_checkpoint(runtime, tmp_path, read_speech):
    """A random-weight Whisper in transformers' format, converted by CTranslate2's own converter."""
    import ctranslate2
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    config = WhisperConfig(d_model=64, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                           decoder_attention_heads=2, encoder_ffn_dim=128, decoder_ffn_dim=128)
    WhisperForConditionalGeneration(config).save_pretrained(tmp_path / "hf")
    tokenizer = ensure(WHISPER_BASE, runtime.settings.cache_dir).parent / "tokenizer.json"
    shutil.copy(tokenizer, tmp_path / "hf" / "tokenizer.json")
    ctranslate2.converters.TransformersConverter(str(tmp_path / "hf"), copy_files=["tokenizer.json"]).convert(
        str(tmp_path / "ct2"))

    with use_runtime(_with_backend(runtime, "whisper-hub", **{"whisper-hub": str(tmp_path / "ct2")})):
        result = transcribe(read_speech[5][0], language="en")
    assert set(result) == {"text", "language", "segments", "words"}
    assert result["language"] == "en" and isinstance(result["text"], str)
    assert all({"start_s", "end_s", "text"} <= set(s) for s in result["segments"])
