"""SAKURA loader: the metadata layout, inline lettered options and lettered answers."""

from __future__ import annotations

import json
import shutil

import pytest

from copilot.suites.items import BenchDataError
from copilot.suites.runner import item_record
from copilot.suites.sakura import find_tracks, sakura_items, track_items
from copilot.suites.scoring import choice_verdict


def test_tracks_hops_and_options(sakura_root):
    assert find_tracks(sakura_root) == ["Gender", "Language"]
    items = sakura_items(sakura_root)
    assert len(items) == 2 * 2 * 4  # tracks x hops x items
    assert {i.task for i in items} == {"Gender/single", "Gender/multi", "Language/single", "Language/multi"}
    first = items[0]
    assert first.instruction == "What is the gender of the speaker? (a) Male (b) Female"
    assert first.options == ("Male", "Female") and first.letters == {"a": "Male", "b": "Female"}
    assert first.label == "(a) Male" and first.group == "Gender" and first.source == "male"
    assert first.load_audio()[0].duration > 1.0


def test_gold_answers_map_to_the_attribute(sakura_root):
    """Every gold answer names an option, and the single-hop one is the recorded attribute."""
    for item in sakura_items(sakura_root, hops=("single",)):
        gold = choice_verdict(item_record(item, None, None, 0.0)).gold
        assert gold in item.options
        assert gold.lower() == item.source
    multi = sakura_items(sakura_root, ["Language"], hops=("multi",))
    assert [choice_verdict(item_record(i, None, None, 0.0)).gold for i in multi] == \
        ["United States", "Germany", "Spain", "Italy"]


def test_filters_and_limit(sakura_root):
    items = sakura_items(sakura_root, ["Language"], hops=("multi",), limit=2)
    assert [i.task for i in items] == ["Language/multi"] * 2
    with pytest.raises(BenchDataError, match="not found"):
        sakura_items(sakura_root, ["Animal"])
    with pytest.raises(BenchDataError, match="unknown hop"):
        track_items(sakura_root, "Gender", hops=("triple",))


def test_limit_is_stratified_by_label_and_shared_by_hops(tmp_path, sakura_root):
    """SAKURA's metadata files are sorted by label; a limit must not take one class only."""
    root = tmp_path / "sorted"
    shutil.copytree(sakura_root, root)
    path = root / "Gender" / "metadata.json"
    metadata = json.loads(path.read_text())
    path.write_text(json.dumps(dict(sorted(metadata.items(), key=lambda kv: kv[1]["attribute_label"]))))
    assert [e["attribute_label"] for e in json.loads(path.read_text()).values()][:2] == ["female", "female"]
    items = track_items(root, "Gender", limit=2)
    single = [i for i in items if i.task == "Gender/single"]
    assert sorted(i.source for i in single) == ["female", "male"]
    assert [i.item_id for i in single] == [i.item_id for i in items if i.task == "Gender/multi"]
    assert [i.item_id for i in track_items(root, "Gender", limit=2)] == [i.item_id for i in items]  # seeded


def test_layout_errors(tmp_path, sakura_root):
    with pytest.raises(BenchDataError, match="no such SAKURA folder"):
        find_tracks(tmp_path / "missing")
    with pytest.raises(BenchDataError, match="metadata.json inside"):
        find_tracks(tmp_path)
    broken = tmp_path / "copy"
    shutil.copytree(sakura_root, broken)
    (broken / "Gender" / "metadata.json").write_text("{not json")
    with pytest.raises(BenchDataError, match="not valid JSON"):
        track_items(broken, "Gender")
    (broken / "Gender" / "metadata.json").write_text(json.dumps({"data/Gender/audio/x.wav": {"single_answer": "a"}}))
    with pytest.raises(BenchDataError, match="lacks"):
        track_items(broken, "Gender")


def test_audio_found_by_the_key_when_not_under_track_audio(tmp_path, sakura_root):
    root = tmp_path / "sakura"
    shutil.copytree(sakura_root, root)
    key, entry = next(iter(json.loads((root / "Gender" / "metadata.json").read_text()).items()))
    moved = root / "elsewhere" / "a.wav"
    moved.parent.mkdir()
    shutil.move(root / "Gender" / "audio" / key.split("/")[-1], moved)
    (root / "Gender" / "metadata.json").write_text(json.dumps({"elsewhere/a.wav": entry}))
    (item,) = track_items(root, "Gender", hops=("single",))
    assert item.load_audio()[0].duration > 1.0
