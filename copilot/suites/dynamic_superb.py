"""Dynamic-SUPERB instances: from the Hugging Face hub or a local copy, rows mapped to planner inputs.

An instance (``DynamicSuperb/<task>``, test split) has the columns ``audio``, ``file``,
``instruction``, ``label``, and for some tasks a second audio (``audio2``) or a text field
(``text``, ``word``). Which inputs a task takes comes from the instruction pool, so a text column
that merely holds a transcript is never handed to the planner for a task that does not take text.

Local copies are folders ``<DIR>/<task>/`` in any of three layouts: a ``save_to_disk`` folder,
parquet files (as on the hub, ``data/test-*.parquet``), or an ``audiofolder`` with
``metadata.jsonl``/``metadata.csv`` (``file_name``, ``audio2_file_name``, ...). A Hugging Face hub
cache (``<DIR>/datasets--DynamicSuperb--<task>/snapshots/<rev>/``) is read too, and with
``HF_HUB_OFFLINE`` set, ``hf`` reads the user's own hub cache (``datasets`` alone refuses offline).

Data from the wild is messy. A problem with a whole instance (no folder, an unknown layout, a
metadata file ``datasets`` cannot read) is a :class:`BenchDataError` for that instance only; a
problem with one row (its audio file is missing, its label is not in the task's label map) makes
the row a *data error*: it is left out of the items and listed in :attr:`Instance.data_errors`,
so it is reported before the run and never scored as a wrong answer.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from copilot.options import option_letters, split_options
from copilot.pools import TaskRecord
from copilot.suites.items import AudioRef, BenchDataError, BenchItem, MissingInstanceError

PHASE1_POOL = "dynamic_superb_phase1"
# Columns that may carry the text input, most specific first: a term-detection row can hold both
# the word to find and the transcript.
TEXT_COLUMNS = ("word", "text", "sentence", "transcription")
_METADATA_FILES = ("metadata.jsonl", "metadata.csv")
SAMPLE_SEED = 0  # --limit samples are the same on every run, so a rerun resumes the same items
_SHOWN_ERRORS = 3


def open_instance(record: TaskRecord, data: str | Path):
    """The instance's test split with audio left encoded."""
    import datasets
    from huggingface_hub import constants

    repo = record.extra.get("hf_dataset") or f"DynamicSuperb/{record.task}"
    if str(data) == "hf":
        cached = hub_snapshot(Path(constants.HF_HUB_CACHE), repo) if constants.HF_HUB_OFFLINE else None
        try:
            split = _open_local(cached) if cached else datasets.load_dataset(repo, split="test")
        except BenchDataError:
            raise
        except Exception as exc:  # the hub client raises many unrelated types for "cannot get it"
            raise BenchDataError(
                f"{record.task}: cannot load {repo} from the hub ({type(exc).__name__}: {exc}); "
                "offline, give a local copy with --data DIR"
            ) from exc
    else:
        folder = Path(data) / record.task
        split = _open_local(folder if folder.is_dir() else hub_snapshot(Path(data), repo) or folder)
    audio_columns = [n for n, f in split.features.items() if isinstance(f, datasets.Audio)]
    for name in audio_columns:
        split = split.cast_column(name, datasets.Audio(decode=False))
    return split


def hub_snapshot(cache: Path, repo: str) -> Path | None:
    """The files of dataset ``repo`` in a Hugging Face hub cache: the snapshot ``refs/main`` names,
    else the newest one; None when the cache does not hold the repo."""
    base = cache / f"datasets--{repo.replace('/', '--')}"
    ref = base / "refs" / "main"
    if ref.is_file() and (base / "snapshots" / ref.read_text().strip()).is_dir():
        return base / "snapshots" / ref.read_text().strip()
    snapshots = sorted((base / "snapshots").glob("*/"), key=lambda p: p.stat().st_mtime)
    return snapshots[-1] if snapshots else None


def _open_local(folder: Path):
    import datasets

    if not folder.is_dir():
        raise MissingInstanceError(f"{folder}: no such instance folder (expected <DIR>/<task>/ holding a "
                             "save_to_disk copy, parquet files or an audiofolder with metadata)")
    try:
        if (folder / "dataset_dict.json").is_file() or (folder / "state.json").is_file():
            return _test_split(datasets.load_from_disk(str(folder)), folder)
        parquet = sorted(folder.rglob("*.parquet"))
        if parquet:
            test = [p for p in parquet if "test" in p.relative_to(folder).as_posix()] or parquet
            return datasets.load_dataset("parquet", data_files={"test": [str(p) for p in test]}, split="test")
        metadata = [p for name in _METADATA_FILES for p in folder.rglob(name)]
        if metadata:
            _check_metadata(metadata)
            return _test_split(datasets.load_dataset("audiofolder", data_dir=str(folder)), folder)
    except BenchDataError:
        raise
    except Exception as exc:  # datasets and pyarrow raise ValueError, OSError, ArrowInvalid, ... on bad files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise BenchDataError(f"{folder}: the instance cannot be read ({type(exc).__name__}: {first[:300]})") from exc
    raise BenchDataError(f"{folder}: not a save_to_disk folder, and holds no parquet files and no "
                         f"audiofolder {' or '.join(_METADATA_FILES)}")


def _check_metadata(files: list[Path]) -> None:
    """The audiofolder mistakes ``datasets`` reports only as a bare ValueError, named plainly."""
    for folder in {p.parent for p in files}:
        present = [name for name in _METADATA_FILES if (folder / name).is_file()]
        if len(present) > 1:
            raise BenchDataError(f"{folder}: holds both {' and '.join(present)}; keep one")
    for path in files:
        with path.open(encoding="utf-8", errors="replace") as fh:
            head = fh.readline()
        columns = re.findall(r'"([^"]+)"\s*:', head) if path.suffix == ".jsonl" else head.strip().split(",")
        if head.strip() and not any(c.strip() == "file_name" or c.strip().endswith("_file_name") for c in columns):
            raise BenchDataError(f"{path}: no file_name column (each row must name its audio file); "
                                 f"it has {sorted(c.strip() for c in columns)}")


def _test_split(obj, where: Path):
    import datasets

    if isinstance(obj, datasets.Dataset):
        return obj
    if "test" in obj:
        return obj["test"]
    if len(obj) == 1:
        return next(iter(obj.values()))
    raise BenchDataError(f"{where}: no 'test' split among {sorted(obj)}")


def _is_audio(name: str, feature: object) -> bool:
    """An ``Audio`` feature, or an ``audio*`` column of ``{bytes, path}`` structs (parquet without
    the ``datasets`` schema metadata)."""
    import datasets

    if isinstance(feature, datasets.Audio):
        return True
    return (re.fullmatch(r"audio\d*", name) is not None and isinstance(feature, dict)
            and {"bytes", "path"} <= set(feature))


def column_plan(record: TaskRecord, columns: dict[str, object]) -> tuple[list[str], str | None]:
    """Which columns feed the planner: the audio columns in input order, and the text column.

    ``columns`` maps column names to ``datasets`` features. Raises when the task's inputs (from the
    pool) cannot be filled from these columns.
    """
    audio = sorted((n for n, f in columns.items() if _is_audio(n, f)), key=lambda n: (n != "audio", len(n), n))
    missing = [c for c in ("instruction", "label") if c not in columns]
    if missing:
        raise BenchDataError(f"{record.task}: the instance lacks the column(s) {missing}; it has {sorted(columns)}")
    wanted = max(1, len(record.audio_inputs))
    if len(audio) < wanted:
        raise BenchDataError(f"{record.task}: the task takes {wanted} audio input(s) "
                             f"but the instance has the audio column(s) {audio}")
    if not record.extra.get("inputs_from_columns"):  # Phase 2: every audio column is an input
        audio = audio[:wanted]
    text = None
    if "text" in record.inputs:
        text = next((c for c in TEXT_COLUMNS if c in columns), None)
        if text is None:
            raise BenchDataError(f"{record.task}: the task takes a text input but the instance has none of "
                                 f"the columns {list(TEXT_COLUMNS)}; it has {sorted(columns)}")
    return audio, text


def row_item(record: TaskRecord, row: dict, index: int, audio_columns: list[str], text_column: str | None,
             ) -> BenchItem:
    """One dataset row as a :class:`BenchItem` (options from the row's instruction, else the pool)."""
    instruction = str(row["instruction"])
    labels = [str(row["label"])]
    while row.get(f"label{len(labels) + 1}") is not None:  # multi-answer rows: label, label2, ...
        labels.append(str(row[f"label{len(labels) + 1}"]))
    label = ",".join(labels)
    refs = []
    for name in audio_columns:
        cell = row.get(name) or {}
        refs.append(AudioRef(path=cell.get("path"), data=cell.get("bytes")))
    return BenchItem(
        task=record.task,
        item_id=str(index),
        instruction=instruction,
        label=record.extra.get("label_map", {}).get(label, label),
        audio=tuple(refs),
        text=None if text_column is None else str(row[text_column]),
        options=tuple(split_options(instruction)[0] or record.labels),
        letters=option_letters(instruction),
        group=record.dimension,
        metric=record.metric,
        source=str(row.get("file") or ""),
    )


@dataclass
class Instance:
    """One instance ready to run: the items (lazy), their number, and the rows left out as data errors."""

    task: str
    total: int
    items: Iterator[BenchItem]
    data_errors: list[str] = field(default_factory=list)

    def describe_errors(self) -> str:
        """One line: how many rows are data errors, and the first few."""
        shown = "; ".join(self.data_errors[:_SHOWN_ERRORS])
        more = f"; and {len(self.data_errors) - _SHOWN_ERRORS} more" if len(self.data_errors) > _SHOWN_ERRORS else ""
        return f"{self.task}: {len(self.data_errors)} row(s) left out as data errors ({shown}{more})"


def load_instance(record: TaskRecord, data: str | Path, limit: int | None = None) -> Instance:
    """Open an instance, set its bad rows apart, and (with ``limit``) draw a seeded sample of the
    good rows stratified over their labels. Item ids are row numbers, stable across runs."""
    split = open_instance(record, data)
    audio_columns, text_column = column_plan(record, dict(split.features))
    labels = [str(label) for label in split["label"]]
    errors = dict(_row_problems(record, split, audio_columns, labels))
    good = [i for i in range(len(split)) if i not in errors]
    chosen = good if limit is None or limit >= len(good) else \
        [good[i] for i in stratified_sample([labels[i] for i in good], limit)]

    def rows() -> Iterator[BenchItem]:
        for index, row in zip(chosen, split.select(chosen)):
            yield row_item(record, row, index, audio_columns, text_column)

    return Instance(record.task, len(chosen), rows(), [f"row {i}: {why}" for i, why in sorted(errors.items())])


def instance_items(record: TaskRecord, data: str | Path, limit: int | None = None,
                   ) -> tuple[int, Iterator[BenchItem]]:
    """``(total, items)`` of :func:`load_instance`, for callers that need no data errors."""
    instance = load_instance(record, data, limit)
    return instance.total, instance.items


def _row_problems(record: TaskRecord, split, audio_columns: list[str], labels: list[str],
                  ) -> Iterator[tuple[int, str]]:
    """Rows that cannot be asked or scored: an audio file that is not there, a label off the map."""
    label_map = record.extra.get("label_map")
    for index, cells in enumerate(split.select_columns(audio_columns)):
        for name in audio_columns:
            cell = cells.get(name) or {}
            if not cell.get("bytes") and not (cell.get("path") and os.path.isfile(cell["path"])):
                yield index, (f"{name} file {Path(cell['path']).name} not found" if cell.get("path")
                              else f"empty {name} cell")
                break
        else:
            if label_map and labels[index] not in label_map:
                yield index, f"label {labels[index]!r} is not in the task's label map {sorted(label_map)}"


def stratified_sample(labels: Sequence[str], n: int, seed: int = SAMPLE_SEED) -> list[int]:
    """Indices of ``n`` rows spread over the labels as evenly as the labels allow, in row order.

    Each label's rows are shuffled with ``seed``; then the labels, in a seeded order, take turns
    giving one row until ``n`` are chosen. Sources sorted by label thus still give every label.
    """
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    queues = [by_label[label] for label in sorted(by_label)]
    for queue in queues:
        rng.shuffle(queue)
    rng.shuffle(queues)
    chosen: list[int] = []
    while len(chosen) < n and any(queues):
        for queue in queues:
            if queue and len(chosen) < n:
                chosen.append(queue.pop())
    return sorted(chosen)
