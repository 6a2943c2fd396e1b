"""Hub backends: real loading and inference code run on tiny random checkpoints built here.

Each test writes a checkpoint in the library's own format (SpeechBrain hyperparams.yaml + .ckpt
files, transformers save_pretrained, a pyannote config.yaml with Lightning checkpoints and a PLDA),
points the backend at that folder and checks the documented output shape. Random weights cannot
give right answers; these tests check the loading and inference path, not accuracy.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from copilot.audio import load_audio
from copilot.errors import BackendUnavailableError
from copilot.testing import corpus
from copilot.tools import Runtime, use_runtime

pytestmark = pytest.mark.slow

SPEECHBRAIN_YAML = """
n_mels: 20
pretrained_path: {folder}
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: [16, 16, 16, 16, 48]
    kernel_sizes: [5, 3, 3, 3, 1]
    dilations: [1, 2, 3, 4, 1]
    attention_channels: 8
    lin_neurons: 12
classifier: {classifier}
label_encoder: !new:speechbrain.dataio.encoder.CategoricalEncoder
modules:
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    embedding_model: !ref <embedding_model>
    classifier: !ref <classifier>
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
        classifier: !ref <classifier>
        label_encoder: !ref <label_encoder>
    paths:
        embedding_model: !ref <pretrained_path>/embedding_model.ckpt
        classifier: !ref <pretrained_path>/classifier.ckpt
        label_encoder: !ref <pretrained_path>/label_encoder.txt
"""
# VoxLingua107 ends in an x-vector classifier (log-softmax); CommonAccent and the speaker model in
# an ECAPA cosine classifier.
XVECTOR_CLASSIFIER = """!new:speechbrain.lobes.models.Xvector.Classifier
    input_shape: [null, null, 12]
    lin_blocks: 1
    lin_neurons: 16
    out_neurons: {n}"""
ECAPA_CLASSIFIER = """!new:speechbrain.lobes.models.ECAPA_TDNN.Classifier
    input_size: 12
    out_neurons: {n}"""


def speechbrain_checkpoint(folder: Path, classifier: str, labels: list[str]) -> Path:
    """A tiny EncoderClassifier folder: hyperparams.yaml, random weights, a label encoder."""
    from hyperpyyaml import load_hyperpyyaml

    folder.mkdir(parents=True)
    text = SPEECHBRAIN_YAML.format(folder=folder, classifier=classifier.format(n=len(labels)))
    (folder / "hyperparams.yaml").write_text(text)
    hparams = load_hyperpyyaml(text)
    torch.save(hparams["embedding_model"].state_dict(), folder / "embedding_model.ckpt")
    torch.save(hparams["classifier"].state_dict(), folder / "classifier.ckpt")
    encoder = hparams["label_encoder"]
    encoder.update_from_iterable(labels)
    encoder.save(folder / "label_encoder.txt")
    return folder


def transformers_checkpoint(folder: Path, labels: list[str]) -> Path:
    """A tiny wav2vec2 audio classifier saved with save_pretrained."""
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2ForSequenceClassification

    config = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                            conv_dim=(32, 32), conv_stride=(5, 4), conv_kernel=(10, 8),
                            num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                            classifier_proj_size=16, num_labels=len(labels),
                            id2label=dict(enumerate(labels)), label2id={k: i for i, k in enumerate(labels)})
    torch.manual_seed(0)
    Wav2Vec2ForSequenceClassification(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(sampling_rate=16000, return_attention_mask=True).save_pretrained(folder)
    return folder


def pyannote_checkpoint(folder: Path) -> Path:
    """A pyannote 4 pipeline folder: config.yaml, tiny segmentation and embedding models, a PLDA."""
    import lightning
    from pyannote.audio import __version__ as pyannote_version
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.embedding import XVectorMFCC
    from pyannote.audio.models.segmentation import PyanNet

    def save(model, sub: str) -> None:
        (folder / sub).mkdir(parents=True)
        torch.save({"state_dict": model.state_dict(), "hyper_parameters": dict(model.hparams),
                    "pytorch-lightning_version": lightning.__version__,
                    "pyannote.audio": {"versions": {"pyannote.audio": pyannote_version},
                                       "architecture": {"module": type(model).__module__,
                                                        "class": type(model).__name__},
                                       "specifications": model.specifications}},
                   folder / sub / "pytorch_model.bin")

    segmentation = PyanNet(lstm={"hidden_size": 16, "num_layers": 1}, linear={"hidden_size": 16, "num_layers": 1})
    segmentation.specifications = Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION, resolution=Resolution.FRAME, duration=5.0,
        classes=["speaker#1", "speaker#2", "speaker#3"], powerset_max_classes=2, permutation_invariant=True)
    segmentation.build()
    save(segmentation, "segmentation")
    embedding = XVectorMFCC(dimension=32)
    embedding.specifications = Specifications(problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK,
                                              duration=3.0)
    embedding.build()
    save(embedding, "embedding")
    rng = np.random.default_rng(0)
    (folder / "plda").mkdir()
    np.savez(folder / "plda" / "xvec_transform.npz", mean1=np.zeros(32), mean2=np.zeros(16),
             lda=np.linalg.qr(rng.normal(size=(32, 32)))[0][:, :16])
    np.savez(folder / "plda" / "plda.npz", mu=np.zeros(16), tr=np.eye(16), psi=np.linspace(2.0, 0.5, 16))
    config = {"pipeline": {"name": "pyannote.audio.pipelines.SpeakerDiarization",
                           "params": {"segmentation": "$model/segmentation", "embedding": "$model/embedding",
                                      "plda": "$model/plda", "clustering": "VBxClustering"}},
              "params": {"segmentation": {"min_duration_off": 0.0},
                         "clustering": {"threshold": 0.6, "Fa": 0.07, "Fb": 0.8}}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    return folder


@pytest.fixture
def hub_runtime(runtime, tmp_path):
    """Run the body with one capability's backend pointed at a local checkpoint folder."""

    def make(capability: str, backend: str, folder: Path) -> Runtime:
        settings = dataclasses.replace(runtime.settings, cache_dir=tmp_path / "cache",
                                       models={backend: str(folder)}, backends={capability: backend})
        return Runtime(settings)

    return make


@pytest.fixture(scope="module")
def speech():
    return load_audio(corpus.librivox()[1].path)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_ecapa_speaker_embeddings(hub_runtime, tmp_path, speech):
    from toolsets.speech.speaker import same_speaker

    folder = speechbrain_checkpoint(tmp_path / "ecapa", ECAPA_CLASSIFIER, [f"id{i}" for i in range(5)])
    rt = hub_runtime("speaker_embedding", "speechbrain-ecapa", folder)
    with use_runtime(rt):
        vector = rt.get("speaker_embedding").embed(speech)
        result = same_speaker(speech, speech)
    assert vector.shape == (12,)
    assert np.linalg.norm(vector) == pytest.approx(1, abs=1e-5)
    assert result["score"] == pytest.approx(1, abs=1e-4) and result["same"] is True


def test_voxlingua107_language_probabilities(hub_runtime, tmp_path, speech):
    labels = ["en: English", "fr: French", "de: German"]
    folder = speechbrain_checkpoint(tmp_path / "vox", XVECTOR_CLASSIFIER, labels)
    rt = hub_runtime("language_id", "speechbrain-voxlingua107", folder)
    with use_runtime(rt):
        probs = rt.get("language_id").probabilities(speech)
    assert set(probs) == {"en", "fr", "de"}
    assert sum(probs.values()) == pytest.approx(1, abs=1e-4)


def test_commonaccent_accent(hub_runtime, tmp_path, speech):
    from toolsets.speech.accent import accent

    labels = ["us", "england", "australia", "indian"]
    folder = speechbrain_checkpoint(tmp_path / "accent", ECAPA_CLASSIFIER, labels)
    with use_runtime(hub_runtime("accent", "speechbrain-commonaccent", folder)):
        result = accent(speech)
    assert result["label"] in labels
    assert set(result["scores"]) == set(labels)
    assert sum(result["scores"].values()) == pytest.approx(1, abs=1e-3)


def test_transformers_emotion(hub_runtime, tmp_path, speech):
    from toolsets.speech.emotion import emotion

    folder = transformers_checkpoint(tmp_path / "emotion", ["neu", "hap", "ang", "sad"])
    with use_runtime(hub_runtime("emotion", "transformers-emotion", folder)):
        result = emotion(speech)
    assert set(result["scores"]) == {"neutral", "happy", "angry", "sad"}
    assert result["label"] in result["scores"] and result["reliability"] == "normal"


def test_transformers_antispoof(hub_runtime, tmp_path, speech):
    from toolsets.speech.spoof import synthetic_speech

    folder = transformers_checkpoint(tmp_path / "spoof", ["real", "fake"])
    with use_runtime(hub_runtime("spoof", "transformers-antispoof", folder)):
        result = synthetic_speech(speech)
    assert 0 <= result["score"] <= 1
    assert result["present"] == (result["score"] >= 0.5)


def test_pyannote_pipeline_from_local_folder(hub_runtime, tmp_path, pyannote_sample):
    from toolsets.speech.diarization import diarize

    folder = pyannote_checkpoint(tmp_path / "pyannote")
    audio = pyannote_sample[0].slice(0, 12)
    with use_runtime(hub_runtime("diarization", "pyannote", folder)):
        result = diarize(audio, num_speakers=2)
    assert 1 <= result["speaker_count"] <= 2
    for seg in result["segments"]:
        assert 0 <= seg["start_s"] < seg["end_s"] <= audio.duration + 0.1
        assert seg["speaker"] in result["speech_s"]


@pytest.mark.parametrize(("module", "tool", "capability"), [("accent", "accent", "accent recognition"),
                                                           ("spoof", "synthetic_speech", "synthetic")])
def test_hub_only_tools_say_what_to_enable(runtime, module, tool, capability, speech, tmp_path, monkeypatch):
    import importlib

    import huggingface_hub.constants

    func = getattr(importlib.import_module(f"toolsets.speech.{module}"), tool)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    settings = dataclasses.replace(runtime.settings, allow_downloads=False, models={}, backends={})
    with use_runtime(Runtime(settings)), pytest.raises(BackendUnavailableError) as err:
        func(speech)
    message = str(err.value)
    assert capability in message and "no offline model" in message
    assert "COPILOT_ALLOW_DOWNLOADS=1" in message and "COPILOT_MODEL_" in message
