"""Helpers for hub backends: where their weights come from and whether they can load here.

A hub backend names a default hub repository. Users point it elsewhere (a different repo id or a
local folder with the same files) with ``[models]`` in the config file or
``COPILOT_MODEL_<BACKEND>``; tests point it at small checkpoints they build locally.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, ClassVar

from copilot.config import Settings
from copilot.tools.backends import Backend


def _key(name: str) -> str:
    return name.lower().replace("-", "_")


def model_source(settings: Settings, backend_name: str, default: str) -> str:
    """The repo id or local folder a hub backend loads from."""
    for key, value in settings.models.items():
        if _key(key) == _key(backend_name):
            return value
    return default


def hub_unavailable(settings: Settings, source: str, modules: tuple[str, ...] = ()) -> str | None:
    """Why a hub model cannot load here, or None when it can.

    A local folder always can. A repo id can when its files are already in the local hub cache,
    or when downloads are allowed (``allow_downloads`` / ``COPILOT_ALLOW_DOWNLOADS=1``).
    """
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        return f"needs the Python module(s) {', '.join(missing)} (pip install them)"
    if Path(source).expanduser().is_dir():
        return None
    if settings.allow_downloads and os.environ.get("HF_HUB_OFFLINE", "0") in ("0", ""):
        return None
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(source, local_files_only=True)
        return None
    except Exception:  # noqa: BLE001 - any failure means "not in the local cache"
        return (f"hub model {source!r} is not in the local cache; set COPILOT_ALLOW_DOWNLOADS=1 on a "
                "machine with internet, or point COPILOT_MODEL_<BACKEND> at a local copy")


class HubBackend(Backend):
    """A backend whose weights come from a hub repo (``DEFAULT``) or a local folder with its files."""

    offline = False
    DEFAULT: ClassVar[str] = ""

    @classmethod
    def source(cls, settings: Any) -> str:
        return model_source(settings, cls.name, cls.DEFAULT)

    @classmethod
    def identity(cls, settings: Settings) -> str:
        return f"{cls.name}@{cls.source(settings)}"

    @classmethod
    def check(cls, runtime: Any) -> str | None:
        return hub_unavailable(runtime.settings, cls.source(runtime.settings), cls.requires)

    def local_or_repo(self) -> str:
        source = self.source(self.runtime.settings)
        folder = Path(source).expanduser()
        return str(folder) if folder.is_dir() else source
