"""Dynamic-SUPERB loaders: three local layouts, column-to-input mapping, and clear errors."""

from __future__ import annotations

import collections
import json
import shutil
from importlib.metadata import version
from pathlib import Path

import datasets
import pytest
from click.testing import CliRunner

from copilot.errors import CopilotError, NotAudioError
from copilot.pools import load_pool, select_tasks
from copilot.suites import cli
from copilot.suites.dynamic_superb import (
    column_plan,
    instance_items,
    load_instance,
    open_instance,
    stratified_sample,
)
from copilot.suites.items import AudioRef, BenchDataError, MissingInstanceError
from copilot.testing import bench_fixtures as fixtures

from .fakes import FakeCopilot

POOL = {r.task: r for r in load_pool("dynamic_superb_phase1")}


def _items(root, task, limit=None):
    total, items = instance_items(POOL[task], root, limit=limit)
    return total, list(items)


@pytest.mark.parametrize("fmt", fixtures.FORMATS)
def test_every_layout_gives_the_same_items(instances, fmt):
    reference = {}
    for task, recipe in fixtures.RECIPES.items():
        rows = recipe(4)
        total, items = _items(instances[fmt], task)
        assert total == len(items) == 4
        assert [i.label for i in items] == [r.label for r in rows]
        assert [i.item_id for i in items] == ["0", "1", "2", "3"]
        for item, row in zip(items, rows):
            audio = item.load_audio()
            assert len(audio) == len(row.audio)
            assert item.text == row.text
            assert item.group == POOL[task].dimension
            assert set(item.options) >= {row.label}
            reference[(task, item.item_id)] = [a.sha256 for a in audio]
    # Same decoded samples whichever layout the instance came in.
    baseline = {}
    for task in fixtures.RECIPES:
        _, items = _items(instances["disk"], task)
        baseline.update({(task, i.item_id): [a.sha256 for a in i.load_audio()] for i in items})
    assert reference == baseline


def test_inputs_follow_the_pool(instances):
    _, stm = _items(instances["parquet"], "SpeechTextMatching_LJSpeech")
    assert all(i.text and len(i.audio) == 1 for i in stm)
    _, sv = _items(instances["audiofolder"], "SpeakerVerification_VCTK")
    assert all(len(i.audio) == 2 and i.text is None for i in sv)
    # The two audios are the two files of the row, in order (first voice kal, second slt for "no").
    first, second = sv[1].load_audio()
    assert first.sha256 != second.sha256
    _, chords = _items(instances["disk"], "ChordClassification_AcousticGuitarAndPiano")
    assert chords[0].options == ("major", "minor")
    assert "The answer could be major or minor" in chords[0].instruction


def test_limit_is_a_seeded_sample_over_the_labels(tmp_path):
    """A source sorted by label (all "yes" rows first) still gives both labels under --limit."""
    record = POOL["SpeechDetection_LJSpeech"]
    rows = sorted(fixtures.RECIPES[record.task](6), key=lambda r: r.label != "yes")
    fixtures.write_instance(record, rows, tmp_path / record.task, "parquet")
    total, items = _items(tmp_path, record.task, limit=2)
    assert total == 2 and sorted(i.label for i in items) == ["no", "yes"]
    assert [i.item_id for i in items] == [i.item_id for i in _items(tmp_path, record.task, limit=2)[1]]
    by_id = {i.item_id: i.label for i in _items(tmp_path, record.task)[1]}
    assert all(by_id[i.item_id] == i.label for i in items)  # ids are row numbers of the whole instance


def test_stratified_sample_spreads_and_repeats():
    labels = ["a"] * 6 + ["b"] * 3 + ["c"]
    picked = stratified_sample(labels, 5)
    assert picked == sorted(picked) == stratified_sample(labels, 5)
    assert sorted(collections.Counter(labels[i] for i in picked).values()) == [1, 2, 2]
    assert stratified_sample(labels, 20) == list(range(10))
    assert stratified_sample(labels, 5, seed=1) != picked or stratified_sample(labels, 5, seed=2) != picked


def test_a_transcript_column_is_not_given_to_a_task_without_text_input(tmp_path):
    record = POOL["SpeechDetection_LJSpeech"]
    rows = [fixtures.Row(r.audio, r.label, text="a transcript") for r in fixtures.RECIPES[record.task](2)]
    fixtures.write_instance(record, rows, tmp_path / record.task, "parquet")
    _, items = _items(tmp_path, record.task)
    assert [i.text for i in items] == [None, None]


def test_plain_parquet_without_datasets_metadata(tmp_path, instances):
    """Parquet written by other tools: audio columns are plain {bytes, path} structs."""
    import pyarrow.parquet as pq

    task = "SpeakerVerification_VCTK"
    source = next((instances["parquet"] / task).rglob("*.parquet"))
    table = pq.read_table(source).replace_schema_metadata(None)
    (tmp_path / task).mkdir()
    pq.write_table(table, tmp_path / task / "test.parquet")
    assert pq.read_schema(tmp_path / task / "test.parquet").metadata is None
    _, plain = _items(tmp_path, task)
    _, reference = _items(instances["parquet"], task)
    assert [[a.sha256 for a in i.load_audio()] for i in plain] == \
        [[a.sha256 for a in i.load_audio()] for i in reference]


def test_column_plan_names_what_is_missing():
    audio, text = datasets.Audio(), datasets.Value("string")
    stm = POOL["SpeechTextMatching_LJSpeech"]
    assert column_plan(stm, {"audio": audio, "instruction": text, "label": text, "word": text}) == (["audio"], "word")
    term = POOL["SpokenTermDetection_LJSpeech"]  # a transcript beside the word: the word is the input
    assert column_plan(term, {"audio": audio, "instruction": text, "label": text, "text": text, "word": text}) == \
        (["audio"], "word")
    with pytest.raises(BenchDataError, match="text input"):
        column_plan(stm, {"audio": audio, "instruction": text, "label": text})
    sv = POOL["SpeakerVerification_VCTK"]
    with pytest.raises(BenchDataError, match="2 audio input"):
        column_plan(sv, {"audio": audio, "instruction": text, "label": text})
    assert column_plan(sv, {"audio2": audio, "audio": audio, "instruction": text, "label": text})[0] == \
        ["audio", "audio2"]
    with pytest.raises(BenchDataError, match="label"):
        column_plan(sv, {"audio": audio, "audio2": audio, "instruction": text})


def test_select_tasks():
    pool = "dynamic_superb_phase1"
    assert len(select_tasks(pool, "all")) == len(select_tasks(pool)) == 55
    picked = select_tasks(pool, "SpeakerVerification_VCTK, SpeechDetection_LJSpeech")
    assert [r.task for r in picked] == ["SpeakerVerification_VCTK", "SpeechDetection_LJSpeech"]
    assert select_tasks(pool, ["SpeechDetection_LJSpeech", "SpeakerVerification_VCTK"]) == picked[::-1]
    with pytest.raises(CopilotError, match="did you mean SpeechDetection_LJSpeech"):
        select_tasks(pool, "SpeechDetection_LJspeech")


def test_local_folder_errors(tmp_path):
    record = POOL["SpeechDetection_LJSpeech"]
    with pytest.raises(MissingInstanceError, match="no such instance folder"):
        open_instance(record, tmp_path)
    (tmp_path / record.task).mkdir()
    (tmp_path / record.task / "notes.txt").write_text("nothing here")
    with pytest.raises(BenchDataError, match="not a save_to_disk folder"):
        open_instance(record, tmp_path)


def test_split_choice(tmp_path):
    record = POOL["SpeechDetection_LJSpeech"]
    row = {"audio": [{"bytes": b"", "path": "x.wav"}], "instruction": ["q"], "label": ["yes"]}
    features = datasets.Features({"audio": datasets.Audio(), "instruction": datasets.Value("string"),
                                  "label": datasets.Value("string")})
    ds = datasets.Dataset.from_dict(row, features=features)
    datasets.DatasetDict({"train": ds, "test": ds}).save_to_disk(str(tmp_path / "a" / record.task))
    assert len(open_instance(record, tmp_path / "a")) == 1
    datasets.DatasetDict({"train": ds, "dev": ds}).save_to_disk(str(tmp_path / "b" / record.task))
    with pytest.raises(BenchDataError, match="no 'test' split"):
        open_instance(record, tmp_path / "b")


def test_hub_instances_are_loaded_whole_and_sampled(monkeypatch, instances):
    """``--data hf``: the pool's repo id is loaded; a limit samples it like a local copy."""
    task = "SpeakerVerification_VCTK"
    files = [str(p) for p in (instances["parquet"] / task).rglob("*.parquet")]
    local_total, local = _items(instances["parquet"], task, limit=3)
    real = datasets.load_dataset
    asked = []

    def hub(repo, split):
        asked.append((repo, split))
        return real("parquet", data_files={"test": files}, split=split)

    monkeypatch.setattr(datasets, "load_dataset", hub)
    total, items = _items("hf", task, limit=3)
    assert asked == [(f"DynamicSuperb/{task}", "test")]
    assert total == local_total == 3
    assert [[a.sha256 for a in i.load_audio()] for i in items] == [[a.sha256 for a in i.load_audio()] for i in local]


def test_hub_unreachable_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    with pytest.raises(BenchDataError, match="--data DIR"):
        open_instance(POOL["SpeechDetection_LJSpeech"], "hf")


def test_bad_audio_bytes_are_a_typed_error():
    with pytest.raises(NotAudioError, match="undecodable"):
        AudioRef(path="x.wav", data=b"not audio at all").load()
    with pytest.raises(NotAudioError, match="empty audio cell"):
        AudioRef().load()


def test_audiofolder_metadata_lists_both_audio_files(instances):
    meta = instances["audiofolder"] / "SpeakerVerification_VCTK" / "test" / "metadata.jsonl"
    first = json.loads(meta.read_text().splitlines()[0])
    assert {"file_name", "audio2_file_name", "instruction", "label"} <= set(first)


# -- data from the wild ----------------------------------------------------------------------------

def _audiofolder(instances, tmp_path, task="SpeechDetection_LJSpeech"):
    """A private copy of the audiofolder fixture, to break."""
    shutil.copytree(instances["audiofolder"] / task, tmp_path / task)
    meta = tmp_path / task / "test" / "metadata.jsonl"
    return meta, [json.loads(line) for line in meta.read_text().splitlines()]


def _write(meta, rows):
    meta.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_metadata_without_file_name_is_one_clear_instance_error(instances, tmp_path):
    meta, rows = _audiofolder(instances, tmp_path)
    _write(meta, [{("name" if k == "file_name" else k): v for k, v in r.items()} for r in rows])
    with pytest.raises(BenchDataError, match=r"metadata.jsonl: no file_name column \(each row must name"):
        load_instance(POOL["SpeechDetection_LJSpeech"], tmp_path)


def test_two_metadata_files_in_one_folder_is_one_clear_instance_error(instances, tmp_path):
    meta, rows = _audiofolder(instances, tmp_path)
    (meta.parent / "metadata.csv").write_text("file_name,instruction,label\n" +
                                             "".join(f"{r['file_name']},q,{r['label']}\n" for r in rows))
    with pytest.raises(BenchDataError, match="holds both metadata.jsonl and metadata.csv; keep one"):
        load_instance(POOL["SpeechDetection_LJSpeech"], tmp_path)


def test_an_unreadable_file_is_an_instance_error_not_a_traceback(tmp_path):
    record = POOL["SpeechDetection_LJSpeech"]
    (tmp_path / record.task / "data").mkdir(parents=True)
    (tmp_path / record.task / "data" / "test-00000.parquet").write_bytes(b"PAR1 but not really parquet")
    with pytest.raises(BenchDataError, match=r"the instance cannot be read \(\w+"):
        load_instance(record, tmp_path)


def test_a_row_naming_a_missing_audio_file_is_a_data_error(instances, tmp_path):
    meta, rows = _audiofolder(instances, tmp_path)
    rows[1]["file_name"] = "gone.wav"
    _write(meta, rows)
    instance = load_instance(POOL["SpeechDetection_LJSpeech"], tmp_path)
    items = list(instance.items)
    assert instance.total == len(items) == 3 and [i.item_id for i in items] == ["0", "2", "3"]
    assert instance.data_errors == ["row 1: audio file gone.wav not found"]
    assert instance.describe_errors() == ("SpeechDetection_LJSpeech: 1 row(s) left out as data errors "
                                          "(row 1: audio file gone.wav not found)")
    assert all(item.load_audio() for item in items)


def test_language_identification_has_a_label_map_and_options(tmp_path):
    record = POOL["LanguageIdentification_VoxForge"]
    assert record.labels and set(record.labels) == set(record.extra["label_map"].values()) == \
        {"German", "English", "Spanish", "French", "Italian", "Russian"}
    speech = fixtures.RECIPES["SpeechDetection_LJSpeech"](6)[0].audio
    rows = [fixtures.Row(speech, raw) for raw in ("0", "1", "5", "7")]
    fixtures.write_instance(record, rows, tmp_path / record.task, "parquet")
    instance = load_instance(record, tmp_path)
    items = list(instance.items)
    assert [i.label for i in items] == ["German", "English", "Russian"]
    assert all(i.options == record.labels for i in items)  # the instructions list none
    assert instance.data_errors == ["row 3: label '7' is not in the task's label map ['0', '1', '2', '3', '4', '5']"]


def test_all_tasks_against_a_partial_copy_is_summarised(instances, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "make_copilot", lambda settings=None, retrieval=False: FakeCopilot())
    root = tmp_path / "partial"
    shutil.copytree(instances["parquet"] / "SpeechDetection_LJSpeech", root / "SpeechDetection_LJSpeech")
    meta, rows = _audiofolder(instances, root, "NoiseDetection_LJSpeech_MUSAN-Gaussian")
    rows[0]["file_name"] = "gone.wav"
    _write(meta, rows)
    result = CliRunner().invoke(cli.bench, ["dynamic-superb", "--data", str(root), "--out", str(tmp_path / "out"),
                                            "--no-progress"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    data_line = "NoiseDetection_LJSpeech_MUSAN-Gaussian: 1 row(s) left out as data errors (row 0: audio file gone.wav"
    assert sum(line.startswith(data_line) for line in lines) == 1
    assert sum(line.startswith(f"skipping 53 of 55 instances not in {root}: ") for line in lines) == 1
    assert not any("no such instance folder" in line for line in lines)
    assert lines.index(next(x for x in lines if x.startswith(data_line))) < \
        lines.index(next(x for x in lines if x.startswith("|")))  # reported before the results


def test_the_tested_datasets_version_is_the_pinned_one():
    pins = [line.strip() for line in (Path(__file__).parents[2] / "pyproject.toml").read_text().splitlines()
            if line.strip().startswith('"datasets')]
    assert len(pins) == 1 and pins[0].startswith(f'"datasets=={version("datasets")}",')
