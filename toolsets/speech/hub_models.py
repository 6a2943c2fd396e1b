"""Shared loading code for hub backends (SpeechBrain, transformers), plus VoxLingua107 language ID.

Every hub backend here loads with the library's own call (``from_hparams``,
``AutoModelForAudioClassification.from_pretrained``) from a hub repo id or from a local folder that
holds the same files (``COPILOT_MODEL_<BACKEND>``). Nothing here downloads unless the user allowed
downloads; ``check()`` says what is missing instead.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from copilot.audio import SAMPLE_RATE, Audio
from copilot.errors import BackendUnavailableError
from copilot.tools import Backend, backend, current_runtime
from copilot.tools.hub import HubBackend
from toolsets.speech.language import LanguageIdentifier

# ECAPA classifiers are trained with additive angular margin softmax at this scale; their outputs are
# cosines, and softmax(scale * cosine) turns them into the posteriors the model was trained for.
AAM_SCALE = 30.0


def torch_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_speechbrain(interface: type, source: str, settings: Any) -> Any:
    """A SpeechBrain pretrained interface (``EncoderClassifier`` …) from a repo id or local folder."""
    from speechbrain.utils.fetching import LocalStrategy

    savedir = Path(settings.cache_dir) / "speechbrain" / re.sub(r"[^A-Za-z0-9_.-]+", "_", source)
    return interface.from_hparams(source=source, savedir=str(savedir), run_opts={"device": torch_device()},
                                  local_strategy=LocalStrategy.COPY)


def padded_batch(signals: list[np.ndarray]) -> tuple[Any, Any]:
    """Zero-padded (batch, time) tensor plus relative lengths, the way SpeechBrain takes batches."""
    import torch

    longest = max(len(s) for s in signals)
    batch = torch.zeros(len(signals), longest)
    for i, s in enumerate(signals):
        batch[i, : len(s)] = torch.tensor(np.asarray(s, dtype=np.float32))
    lengths = torch.tensor([len(s) / longest for s in signals])
    return batch, lengths


def scores_to_probabilities(scores: np.ndarray) -> np.ndarray:
    """Class posteriors from a SpeechBrain classifier output: log-probabilities or AAM cosines."""
    scores = np.asarray(scores, dtype=np.float64)
    if np.all(scores <= 0) and abs(np.exp(scores).sum() - 1) < 1e-3:
        return np.exp(scores)
    z = AAM_SCALE * scores
    z = np.exp(z - z.max())
    return z / z.sum()


class SpeechBrainClassifier(HubBackend):
    """A SpeechBrain ``EncoderClassifier`` (ECAPA language or accent ID): label -> probability."""

    requires = ("speechbrain", "torch")

    def load(self) -> None:
        from speechbrain.inference.classifiers import EncoderClassifier

        self.model = load_speechbrain(EncoderClassifier, self.local_or_repo(), self.runtime.settings)
        encoder = self.model.hparams.label_encoder
        self.labels = [encoder.ind2lab[i] for i in range(len(encoder))]

    def classify(self, audio: Audio) -> dict[str, float]:
        import torch

        batch, lengths = padded_batch([audio.samples])
        with torch.no_grad():
            out, _, _, _ = self.model.classify_batch(batch.to(self.model.device), lengths)
        probs = scores_to_probabilities(out[0].float().cpu().numpy())
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}


class AudioClassifier(HubBackend):
    """A transformers audio-classification model (``AutoModelForAudioClassification``)."""

    requires = ("transformers", "torch")

    def load(self) -> None:
        from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

        source = self.local_or_repo()
        local_only = not self.runtime.settings.allow_downloads
        self.extractor = AutoFeatureExtractor.from_pretrained(source, local_files_only=local_only)
        model = AutoModelForAudioClassification.from_pretrained(source, local_files_only=local_only)
        self.model = model.to(torch_device()).eval()

    def classify(self, audio: Audio) -> dict[str, float]:
        """Probability of each of the model's labels (softmax over its logits)."""
        import soxr
        import torch

        samples = audio.samples
        rate = getattr(self.extractor, "sampling_rate", SAMPLE_RATE)
        if rate != SAMPLE_RATE:
            samples = soxr.resample(samples, SAMPLE_RATE, rate)
        inputs = self.extractor(samples, sampling_rate=rate, return_tensors="pt")
        inputs = {k: v.to(self.model.device) for k, v in inputs.items()}
        with torch.no_grad():
            logits = self.model(**inputs).logits[0].float()
        probs = torch.softmax(logits, dim=-1).cpu().numpy()
        labels = self.model.config.id2label
        return {str(labels[i]): float(p) for i, p in enumerate(probs)}


@backend
class VoxLingua107(LanguageIdentifier, SpeechBrainClassifier):
    """SpeechBrain ECAPA trained on VoxLingua107: 107 spoken languages."""

    name = "speechbrain-voxlingua107"
    quality = 30
    description = "SpeechBrain ECAPA language ID over 107 languages (VoxLingua107)"
    DEFAULT = "speechbrain/lang-id-voxlingua107-ecapa"

    def probabilities(self, audio: Audio) -> dict[str, float]:
        """Probabilities keyed by ISO 639-1 code; the model's labels read "fr: French"."""
        out: dict[str, float] = {}
        for label, p in self.classify(audio).items():
            code = label.split(":", 1)[0].strip().lower()
            out[code] = out.get(code, 0.0) + p
        return out


def hub_only(capability: str, task: str) -> Backend:
    """The backend for a capability that has no offline model, or an error that says how to enable one."""
    try:
        return current_runtime().get(capability)
    except BackendUnavailableError as exc:
        raise BackendUnavailableError(
            f"{task} has no offline model (no installable package carries its weights); {exc}"
        ) from exc


def normalise_scores(scores: dict[str, float], aliases: dict[str, str]) -> dict[str, float]:
    """Model labels mapped to our label names (case-insensitive), probabilities summed per name."""
    out: dict[str, float] = {}
    for label, p in scores.items():
        name = aliases.get(label.strip().lower(), label.strip().lower())
        out[name] = round(out.get(name, 0.0) + p, 4)
    return out
