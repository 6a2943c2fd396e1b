"""Settings: defaults < config file < environment variables < explicit arguments.

The config file is TOML at ``$COPILOT_CONFIG`` or ``<user config dir>/speech-copilot/config.toml``.
Environment variables are the upper-cased field names with the ``COPILOT_`` prefix
(``COPILOT_LLM=openai``, ``COPILOT_CACHE_DIR=/data/cache``); ``OPENAI_BASE_URL`` fills ``llm_base_url``
when ``COPILOT_LLM_BASE_URL`` is unset. Tool backends are chosen with
``[backends]`` in the file or ``COPILOT_BACKEND_<CAPABILITY>=<backend>``; where a hub backend loads
its weights from, with ``[models]`` or ``COPILOT_MODEL_<BACKEND>=<repo id or folder>``.
"""

from __future__ import annotations

import dataclasses
import os
import re
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


# Other programs' environment variables that also fill a setting, below our own COPILOT_* name.
_ENV_ALIASES = {"llm_base_url": "OPENAI_BASE_URL"}


def load_settings(**overrides: object) -> Settings:
    """Build settings from the config file, the environment and explicit overrides (None = unset)."""
    return resolve_settings(**overrides)[0]


def resolve_settings(**overrides: object) -> tuple[Settings, dict[str, str]]:
    """Settings plus where each one came from: ``default``, ``file <path>``, ``env <NAME>`` or ``flag``.

    Table entries are named ``backends.<capability>`` and ``models.<backend>``; ``copilot config
    show`` prints this so a user can see which layer to change.
    """
    base = Settings()
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
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
    sources.update({name: f"file {path}" for name in values})
    sources.update({f"{name}.{key}": f"file {path}" for name, table in tables.items() for key in table})
    for f in dataclasses.fields(Settings):
        if f.name in _TABLES:
            continue
        for env_name in (ENV_PREFIX + f.name.upper(), _ENV_ALIASES.get(f.name)):
            env = os.environ.get(env_name) if env_name else None
            if env is not None:
                values[f.name], sources[f.name] = env, f"env {env_name}"
                break
    for name, env_prefix in _TABLES.items():
        for key, value in os.environ.items():
            if key.startswith(env_prefix) and value:
                tables[name][key[len(env_prefix):].lower()] = value
                sources[f"{name}.{key[len(env_prefix):].lower()}"] = f"env {key}"
    for name in _TABLES:
        given = overrides.pop(name, None) or {}
        tables[name].update(given)
        sources.update({f"{name}.{key}": "flag" for key in given})
    given = {k: v for k, v in overrides.items() if v is not None}
    values.update(given)
    sources.update({k: "flag" for k in given})
    known = {f.name for f in dataclasses.fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown setting(s) {sorted(unknown)} in {path}; known: {sorted(known)}")
    coerced = {k: _coerce(k, v, getattr(base, k)) for k, v in values.items()}
    for name in ("max_repairs", "max_audio_seconds", "llm_threads"):
        if name in coerced and coerced[name] < 0:
            raise ConfigError(f"setting {name} must not be negative, got {coerced[name]}")
    return dataclasses.replace(base, **tables, **coerced), sources


def mask_secret(value: str) -> str:
    """Enough of a key to tell two apart, never enough to use: ``sk-…f3a9``."""
    if not value:
        return ""
    return f"{value[:3]}…{value[-4:]}" if len(value) >= 16 else "…" * 3


def mask_url(url: str) -> str:
    """A URL with any password in it replaced (``http://user:…@host``)."""
    return re.sub(r"(//[^/:@]+:)[^@/]+@", r"\1…@", url)


def describe_settings(**overrides: object) -> list[tuple[str, object, str]]:
    """``(name, value, source)`` for every setting and table entry, secrets masked: ``copilot config show``."""
    settings, sources = resolve_settings(**overrides)
    rows: list[tuple[str, object, str]] = []
    for f in dataclasses.fields(Settings):
        value = getattr(settings, f.name)
        if f.name in _TABLES:
            rows += [(f"{f.name}.{key}", item, sources.get(f"{f.name}.{key}", "default"))
                     for key, item in sorted(value.items())]
            continue
        if isinstance(value, Path):
            value = str(value)
        if f.name == "llm_base_url":
            value = mask_url(value)
        rows.append((f.name, value, sources.get(f.name, "default")))
    key = os.environ.get("OPENAI_API_KEY", "")
    rows.append(("openai_api_key", mask_secret(key), "env OPENAI_API_KEY" if key else "unset"))
    return rows
