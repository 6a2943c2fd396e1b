"""Dynamic-SUPERB instances: from the Hugging Face hub or a local copy, rows mapped to planner inputs.

An instance (``DynamicSuperb/<task>``, test split) has the columns ``audio``, ``file``,
``instruction``, ``label``, and for some tasks a second audio (``audio2``) or a text field
(``text``, ``word``). Which inputs a task takes comes from the instruction pool, so a text column
that merely holds a transcript is never handed to the planner for a task that does not take text.

Local copies are folders ``<DIR>/<task>/`` in any of three layouts: a ``save_to_disk`` folder,
parquet files (as on the hub, ``data/test-*.parquet``), or an ``audiofolder`` with
``metadata.jsonl``/``metadata.csv`` (``file_name``, ``audio2_file_name``, ...).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path

from copilot.options import extract_options, option_letters
from copilot.pools import TaskRecord, load_pool
from copilot.suites.items import AudioRef, BenchDataError, BenchItem

PHASE1_POOL = "dynamic_superb_phase1"
# Columns that may carry the text input, most specific first.
TEXT_COLUMNS = ("text", "word", "transcription", "sentence")
_METADATA_FILES = ("metadata.jsonl", "metadata.csv")


def select_tasks(names: str, pool: str | Path = PHASE1_POOL) -> list[TaskRecord]:
    """The pool's records for ``all`` or a comma-separated list of instance names, in pool order."""
    records = load_pool(pool)
    if names.strip().lower() == "all":
        return records
    by_name = {r.task: r for r in records}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        hints = {n: difflib.get_close_matches(n, by_name, n=2) for n in unknown}
        detail = "; ".join(f"{n!r} (did you mean {', '.join(h)}?)" if h else repr(n) for n, h in hints.items())
        raise BenchDataError(f"unknown task(s) in pool {pool}: {detail}")
    return [by_name[n] for n in dict.fromkeys(wanted)]


def open_instance(record: TaskRecord, data: str | Path, streaming: bool = False):
    """The instance's test split with audio left encoded.

    ``streaming`` (hub only) reads rows as they are needed instead of downloading the whole
    instance first: what ``--limit`` wants, since some instances hold thousands of recordings.
    """
    import datasets

    if str(data) == "hf":
        repo = record.extra.get("hf_dataset") or f"DynamicSuperb/{record.task}"
        try:
            split = datasets.load_dataset(repo, split="test", streaming=streaming)
        except Exception as exc:  # the hub client raises many unrelated types for "cannot get it"
            raise BenchDataError(
                f"{record.task}: cannot load {repo} from the hub ({type(exc).__name__}: {exc}); "
                "offline, give a local copy with --data DIR"
            ) from exc
        if split.features is None:
            raise BenchDataError(f"{repo}: the hub copy declares no columns; download it and use --data DIR")
    else:
        split = _open_local(Path(data) / record.task)
    audio_columns = [n for n, f in split.features.items() if isinstance(f, datasets.Audio)]
    for name in audio_columns:
        split = split.cast_column(name, datasets.Audio(decode=False))
    return split


def _open_local(folder: Path):
    import datasets

    if not folder.is_dir():
        raise BenchDataError(f"{folder}: no such instance folder (expected <DIR>/<task>/ holding a "
                             "save_to_disk copy, parquet files or an audiofolder with metadata)")
    if (folder / "dataset_dict.json").is_file() or (folder / "state.json").is_file():
        return _test_split(datasets.load_from_disk(str(folder)), folder)
    parquet = sorted(folder.rglob("*.parquet"))
    if parquet:
        test = [p for p in parquet if "test" in p.relative_to(folder).as_posix()] or parquet
        return datasets.load_dataset("parquet", data_files={"test": [str(p) for p in test]}, split="test")
    if any(next(folder.rglob(name), None) for name in _METADATA_FILES):
        return _test_split(datasets.load_dataset("audiofolder", data_dir=str(folder)), folder)
    raise BenchDataError(f"{folder}: not a save_to_disk folder, and holds no parquet files and no "
                         f"audiofolder {' or '.join(_METADATA_FILES)}")


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
    if len(audio) < max(1, len(record.audio_inputs)):
        raise BenchDataError(f"{record.task}: the task takes {len(record.audio_inputs) or 1} audio input(s) "
                             f"but the instance has the audio column(s) {audio}")
    audio = audio[: max(1, len(record.audio_inputs))]
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
    refs = []
    for name in audio_columns:
        cell = row.get(name) or {}
        refs.append(AudioRef(path=cell.get("path"), data=cell.get("bytes")))
    return BenchItem(
        task=record.task,
        item_id=str(index),
        instruction=instruction,
        label=str(row["label"]),
        audio=tuple(refs),
        text=None if text_column is None else str(row[text_column]),
        options=tuple(extract_options(instruction) or record.labels),
        letters=option_letters(instruction),
        group=record.dimension,
        metric=record.metric,
        source=str(row.get("file") or ""),
    )


def instance_items(record: TaskRecord, data: str | Path, limit: int | None = None,
                   ) -> tuple[int, Iterator[BenchItem]]:
    """The number of items and a lazy iterator over them (the first ``limit`` rows when given).

    From the hub with a limit the rows are streamed, and the count is the limit (an upper bound).
    """
    stream = str(data) == "hf" and limit is not None
    split = open_instance(record, data, streaming=stream)
    audio_columns, text_column = column_plan(record, dict(split.features))
    if stream:
        split, total = split.take(limit), limit
    else:
        total = len(split) if limit is None else min(limit, len(split))
        split = split.select(range(total))

    def rows() -> Iterator[BenchItem]:
        for index, row in enumerate(split):
            yield row_item(record, row, index, audio_columns, text_column)

    return total, rows()
