"""Benchmark fixtures: small true-labelled instances in every layout (see copilot/testing/bench_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest

from copilot.testing import bench_fixtures as fixtures

ITEMS = 4


@pytest.fixture(scope="session")
def instances(tmp_path_factory) -> dict[str, Path]:
    """``{format: root}`` with every fixture recipe written as ``<root>/<task>/`` in that format."""
    roots = {}
    for fmt in fixtures.FORMATS:
        root = tmp_path_factory.mktemp(f"ds-{fmt}")
        fixtures.build_dynamic_superb(root, items=ITEMS, fmt=fmt)
        roots[fmt] = root
    return roots


@pytest.fixture(scope="session")
def sakura_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sakura")
    fixtures.build_sakura(root, items=ITEMS)
    return root


@pytest.fixture(autouse=True)
def _datasets_cache(tmp_path, monkeypatch) -> None:
    """Arrow caches that parquet/audiofolder loads write go to the test's folder, not the user's."""
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-datasets")
