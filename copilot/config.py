"""Settings: defaults < config file < environment variables < explicit arguments.

The config file is TOML at ``$COPILOT_CONFIG`` or ``<user config dir>/speech-copilot/config.toml``.
Environment variables are the upper-cased field names with the ``COPILOT_`` prefix
(``COPILOT_LLM=openai``, ``COPILOT_CACHE_DIR=/data/cache``). Tool backends are chosen with
``[backends]`` in the file or ``COPILOT_BACKEND_<CAPABILITY>=<backend>``; where a hub backend loads
its weights from, with ``[models]`` or ``COPILOT_MODEL_<BACKEND>=<repo id or folder>``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
import tomllib

from copilot.errors import ConfigError

APP_NAME = "speech-copilot"
ENV_PREFIX = "COPILOT_"


@dataclass(frozen=True)
class Settings:
    cache_dir: Path = field(default_factory=lambda: Path(platformdirs.user_cache_dir(APP_NAME)))
    max_audio_seconds: float = 3600.0
    # LLM: "local" (embedded Qwen2.5-Coder-1.5B), "openai" (OpenAI or any compatible server via
    # base_url), or "langchain:<module>:<factory>" for a LangChain chat model.
    llm: str = "local"
    llm_model: str = ""
    llm_base_url: str = ""
    llm_threads: int = 0  # 0: llama.cpp picks
    max_repairs: int = 3
    toolset: str = "speech"
    backends: dict[str, str] = field(default_factory=dict)
    # Where a hub backend loads from: a hub repo id or a local folder, keyed by backend name.
    models: dict[str, str] = field(default_factory=dict)
    # Hub backends count as available in ``auto`` only when their weights are already cached
    # locally, unless downloads are allowed.
    allow_downloads: bool = False
    disk_cache: bool = True
    # "strict": refuse to run generated code where the kernel sandbox layers are unavailable;
    # "warn": say so once and run it with what is there (docs/sandbox.md).
    sandbox: str = "warn"


# Settings that are tables of strings, and the environment prefix that fills each.
_TABLES = {"backends": ENV_PREFIX + "BACKEND_", "models": ENV_PREFIX + "MODEL_"}


def config_path() -> Path:
    explicit = os.environ.get(ENV_PREFIX + "CONFIG")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def _coerce(name: str, raw: object, target: object) -> object:
    try:
        if isinstance(target, bool):
            return raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "yes", "on"}
        if isinstance(target, Path):
            return Path(str(raw)).expanduser()
        if isinstance(target, (int, float, str)):
            return type(target)(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}={raw!r} is not a valid {type(target).__name__}") from exc
    return raw


def load_settings(**overrides: object) -> Settings:
    """Build settings from the config file, the environment and explicit overrides (None = unset)."""
    base = Settings()
    values: dict[str, object] = {}
    path = config_path()
    if path.is_file():
        try:
            values.update(tomllib.loads(path.read_text()))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"config file {path} cannot be read: {exc}") from exc
    for name in _TABLES:
        if not isinstance(values.get(name, {}), dict):
            raise ConfigError(f"config file {path}: [{name}] must be a table of names to strings")
    tables = {name: dict(values.pop(name, {}) or {}) for name in _TABLES}
    for f in dataclasses.fields(Settings):
        env = os.environ.get(ENV_PREFIX + f.name.upper())
        if env is not None and f.name not in _TABLES:
            values[f.name] = env
    for name, env_prefix in _TABLES.items():
        for key, value in os.environ.items():
            if key.startswith(env_prefix) and value:
                tables[name][key[len(env_prefix):].lower()] = value
    for name in _TABLES:
        tables[name].update(overrides.pop(name, None) or {})
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in dataclasses.fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown setting(s) {sorted(unknown)} in {path}; known: {sorted(known)}")
    coerced = {k: _coerce(k, v, getattr(base, k)) for k, v in values.items()}
    for name in ("max_repairs", "max_audio_seconds", "llm_threads"):
        if name in coerced and coerced[name] < 0:
            raise ConfigError(f"setting {name} must not be negative, got {coerced[name]}")
    return dataclasses.replace(base, **tables, **coerced)
