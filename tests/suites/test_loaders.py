"""Dynamic-SUPERB loaders: three local layouts, column-to-input mapping, and clear errors."""

from __future__ import annotations

import json

import datasets
import pytest

from copilot.testing import bench_fixtures as fixtures
from copilot.suites.dynamic_superb import column_plan, instance_items, open_instance, select_tasks
from copilot.suites.items import AudioRef, BenchDataError
from copilot.errors import NotAudioError
from copilot.pools import load_pool

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


def test_limit_takes_the_first_rows(instances):
    total, items = _items(instances["parquet"], "SpeechDetection_LJSpeech", limit=2)
    assert total == 2 and [i.item_id for i in items] == ["0", "1"]


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
    assert len(select_tasks("all")) == 55
    picked = select_tasks("SpeakerVerification_VCTK, SpeechDetection_LJSpeech")
    assert [r.task for r in picked] == ["SpeakerVerification_VCTK", "SpeechDetection_LJSpeech"]
    with pytest.raises(BenchDataError, match="did you mean SpeechDetection_LJSpeech"):
        select_tasks("SpeechDetection_LJspeech")


def test_local_folder_errors(tmp_path):
    record = POOL["SpeechDetection_LJSpeech"]
    with pytest.raises(BenchDataError, match="no such instance folder"):
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


def test_hub_instances_load_whole_or_streamed(monkeypatch, instances):
    """``--data hf``: the pool's repo id is loaded; with a limit, rows are streamed, not downloaded."""
    task = "SpeakerVerification_VCTK"
    files = [str(p) for p in (instances["parquet"] / task).rglob("*.parquet")]
    real = datasets.load_dataset
    asked = []

    def hub(repo, split, streaming=False):
        asked.append((repo, split, streaming))
        return real("parquet", data_files={"test": files}, split=split, streaming=streaming)

    monkeypatch.setattr(datasets, "load_dataset", hub)
    total, items = instance_items(POOL[task], "hf", limit=3)
    streamed = list(items)
    total_all, all_items = instance_items(POOL[task], "hf")
    assert asked == [(f"DynamicSuperb/{task}", "test", True), (f"DynamicSuperb/{task}", "test", False)]
    assert total == len(streamed) == 3 and total_all == 4
    assert [[a.sha256 for a in i.load_audio()] for i in streamed] == \
        [[a.sha256 for a in i.load_audio()] for i in list(all_items)[:3]]


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
