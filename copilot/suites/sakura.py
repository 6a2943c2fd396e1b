"""SAKURA (arXiv 2505.13237): single- and multi-hop questions about one speech/audio attribute.

Layout of a local copy: ``<DIR>/<Track>/metadata.json``, a dict from an audio path such as
``data/<Track>/audio/x.wav`` to ``{attribute_label, single_instruction, single_answer,
multi_instruction, multi_answer}``, with the audio files in ``<DIR>/<Track>/audio/``. Options are
inline in the instruction (``(a) Male (b) Female``) and answers name one (``(b) Female``).
"""

from __future__ import annotations

import json
from pathlib import Path

from copilot.options import option_letters
from copilot.suites.dynamic_superb import stratified_sample
from copilot.suites.items import AudioRef, BenchDataError, BenchItem

TRACKS = ("Gender", "Language", "Emotion", "Animal")
HOPS = ("single", "multi")
_FIELDS = ("single_instruction", "single_answer", "multi_instruction", "multi_answer")


def find_tracks(root: str | Path) -> list[str]:
    """Tracks present under ``root`` (folders with a metadata.json), the known ones first."""
    root = Path(root)
    if not root.is_dir():
        raise BenchDataError(f"{root}: no such SAKURA folder")
    found = sorted(p.parent.name for p in root.glob("*/metadata.json"))
    if not found:
        raise BenchDataError(f"{root}: no <Track>/metadata.json inside (tracks are {', '.join(TRACKS)})")
    return sorted(found, key=lambda t: (TRACKS.index(t) if t in TRACKS else len(TRACKS), t))


def _resolve(root: Path, track: str, key: str) -> Path:
    """The audio file a metadata key names: ``<Track>/audio/<name>``, else the key relative to root."""
    local = root / track / "audio" / Path(key).name
    return local if local.exists() or not (root / key).exists() else root / key


def track_items(root: str | Path, track: str, hops: tuple[str, ...] = HOPS,
                limit: int | None = None) -> list[BenchItem]:
    """Items of one track in metadata order; ``limit`` audio files per hop, a seeded sample stratified
    by ``attribute_label`` (the metadata files are sorted by label: their first rows are one class)."""
    root = Path(root)
    path = root / track / "metadata.json"
    try:
        metadata = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise BenchDataError(f"{path}: no such file (tracks here: {find_tracks(root)})") from exc
    except json.JSONDecodeError as exc:
        raise BenchDataError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(metadata, dict):
        raise BenchDataError(f"{path}: expected an object mapping audio paths to questions")
    for key, entry in metadata.items():
        missing = [f for f in _FIELDS if not isinstance(entry, dict) or f not in entry]
        if missing:
            raise BenchDataError(f"{path}: entry {key!r} lacks {missing}")
    rows = list(metadata.items())
    if limit is not None and limit < len(rows):
        rows = [rows[i] for i in stratified_sample([str(e.get("attribute_label", "")) for _, e in rows], limit)]
    items = []
    for hop in hops:
        if hop not in HOPS:
            raise BenchDataError(f"unknown hop {hop!r}; use one of {HOPS}")
        for key, entry in rows:
            instruction = str(entry[f"{hop}_instruction"])
            letters = option_letters(instruction)
            items.append(BenchItem(
                task=f"{track}/{hop}",
                item_id=key,
                instruction=instruction,
                label=str(entry[f"{hop}_answer"]),
                audio=(AudioRef(path=str(_resolve(root, track, key))),),
                options=tuple(letters.values()),
                letters=letters,
                group=track,
                source=str(entry.get("attribute_label", "")),
            ))
    return items


def sakura_items(root: str | Path, tracks: list[str] | None = None, hops: tuple[str, ...] = HOPS,
                 limit: int | None = None) -> list[BenchItem]:
    present = find_tracks(root)
    chosen = tracks or present
    unknown = [t for t in chosen if t not in present]
    if unknown:
        raise BenchDataError(f"track(s) {unknown} not found under {root}; present: {present}")
    return [item for track in chosen for item in track_items(root, track, hops, limit)]
