"""The tool framework: stubs and schemas come from code, arguments are checked, results cached."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.audio import Audio, load_audio
from copilot.config import Settings
from copilot.errors import BackendUnavailableError, ToolError
from copilot.testing import corpus
from copilot.tools import Backend, Runtime, backend, load_toolset, tool, use_runtime
from copilot.tools.arguments import validate_arguments
from copilot.tools.backends import _REGISTRY

CALLS: list[str] = []


@tool(uses=("test_counter",))
def loudest_second(audio: Audio, frame_s: float = 1.0) -> dict:
    """Find the loudest stretch of a recording.

    Args:
        audio: The recording.
        frame_s: Length of the stretches compared, in seconds.

    Returns:
        {"start_s": float, "rms": float}

    Example:
        >>> loudest_second(audio)["start_s"]
    """
    CALLS.append(audio.sha256)
    hop = int(frame_s * 16000)
    frames = audio.samples[: len(audio.samples) // hop * hop].reshape(-1, hop)
    rms = np.sqrt((frames**2).mean(axis=1))
    return {"start_s": float(np.argmax(rms) * frame_s), "rms": float(rms.max())}


class _Counter(Backend):
    capability = "test_counter"

    def load(self) -> None:
        self.loaded = True


@pytest.fixture(autouse=True)
def _backends():
    saved = dict(_REGISTRY.get("test_counter", {}))

    @backend
    class Offline(_Counter):
        name = "offline-counter"
        quality = 1

    @backend
    class Hub(_Counter):
        name = "hub-counter"
        offline = False
        quality = 9

        @classmethod
        def check(cls, runtime):
            return "hub weights are not cached"

    yield
    _REGISTRY["test_counter"] = saved


def test_stub_and_schema_come_from_the_function():
    stub = loudest_second.stub()
    assert stub.startswith("def loudest_second(audio: Audio, frame_s: float = 1.0) -> dict:")
    assert "Find the loudest stretch" in stub and "Example:" in stub
    assert [p.name for p in loudest_second.params] == ["audio", "frame_s"]
    assert loudest_second.params[1].description.startswith("Length of the stretches")


def test_undocumented_tools_are_refused():
    def bare(audio: Audio) -> dict:
        return {}

    with pytest.raises(ValueError, match="docstring"):
        tool(bare)


def test_results_are_cached_by_content_and_arguments(tmp_path):
    runtime = Runtime(Settings(cache_dir=tmp_path, disk_cache=True))
    audio = load_audio(corpus.librivox()[0].path)
    CALLS.clear()
    with use_runtime(runtime):
        first = loudest_second(audio)
        again = loudest_second(load_audio(corpus.librivox()[0].path))
        other = loudest_second(audio, frame_s=0.5)
    assert first == again and "rms" in other
    assert len(CALLS) == 2  # the second call with the same content and arguments was a cache hit
    fresh = Runtime(Settings(cache_dir=tmp_path, disk_cache=True))  # a new process: disk cache
    with use_runtime(fresh):
        assert loudest_second(audio) == first
    assert len(CALLS) == 2


def test_a_changed_data_table_is_a_new_tool_version(tmp_path):
    """A vocabulary edit changes answers as much as a code edit: cached results must not survive it."""
    from copilot.tools.tool import _folder_version

    (tmp_path / "data").mkdir()
    (tmp_path / "tool.py").write_text("x = 1\n")
    (tmp_path / "data" / "vocabulary.json").write_text('{"male": ["sir"]}')
    before = _folder_version(tmp_path)
    (tmp_path / "data" / "vocabulary.json").write_text('{"male": ["male"]}')
    _folder_version.cache_clear()
    assert _folder_version(tmp_path) != before


def test_validation_maps_handles_and_rejects_bad_values():
    audio = Audio.from_array(np.sin(np.arange(16000) / 5.0), 16000)
    handles = {"audio": audio}
    assert validate_arguments(loudest_second, {"audio": "audio"}, handles)["audio"] is audio
    for bad, message in [({"audio": "/etc/passwd"}, "audio inputs"), ({"audio": "http://x/y.wav"}, "audio inputs"),
                         ({"audio": "audio", "frame_s": float("nan")}, "finite"),
                         ({"audio": "audio", "frame_s": 1e12}, "out of range"),
                         ({"audio": "audio", "extra": 1}, "unexpected"), ({}, "missing"),
                         ({"audio": "audio", "frame_s": "1"}, "expected float"),
                         ({"audio": "audio", "frame_s": True}, "expected float"),
                         ({"audio": "audio", "frame_s": [[1]]}, "expected float")]:
        with pytest.raises(ToolError, match=message):
            validate_arguments(loudest_second, bad, handles)


def test_auto_picks_the_best_available_backend_and_named_ones_fail_clearly():
    runtime = Runtime(Settings())
    assert runtime.resolve("test_counter").name == "offline-counter"
    named = Runtime(Settings(backends={"test_counter": "hub-counter"}))
    with pytest.raises(BackendUnavailableError, match="hub weights are not cached"):
        named.resolve("test_counter")
    with pytest.raises(BackendUnavailableError, match="choose from"):
        Runtime(Settings(backends={"test_counter": "nope"})).resolve("test_counter")


def test_backend_loads_once_per_runtime():
    runtime = Runtime(Settings())
    first = runtime.get("test_counter")
    assert runtime.get("test_counter") is first and first.loaded
    assert runtime.get(_Counter) is first  # by its interface class: typed as one
    assert "test_counter:offline-counter" in runtime.load_seconds


def test_audio_properties_on_real_speech():
    toolset = load_toolset("speech")
    props = toolset["audio_properties"](load_audio(corpus.librivox()[0].path))
    assert abs(props["duration_s"] - 7.1) < 0.01
    assert -40 < props["rms_dbfs"] < -10 and props["clipped_ratio"] < 0.001
    gappy = corpus.concat([corpus.librivox()[1].path, corpus.librivox()[4].path], gap_s=2.0)
    assert toolset["audio_properties"](load_audio(gappy))["silence_ratio"] > props["silence_ratio"] + 0.15
