"""One real derivation with the embedded model on two tasks (a few minutes on CPU)."""

import json

import pytest

from copilot.analyser import CachedLLM, derive, write
from copilot.config import load_settings
from copilot.llm import make_llm
from copilot.tools import load_toolset

pytestmark = pytest.mark.llm


def test_embedded_model_derives_bound_modules_for_two_tasks(tmp_path):
    llm = CachedLLM(make_llm(load_settings(llm="local")), tmp_path / "cache")
    tasks = ["SpeakerCounting_LibriTTS-TestClean", "AccentClassification_AccentdbExtended"]
    d = derive(llm, "dynamic_superb_phase1", phrasings=1, task_names=tasks, toolset=load_toolset("speech"),
               progress=False)
    assert all(x.calls for x in d.run.decompositions), [x.error for x in d.run.decompositions]
    spec = json.loads(write(d, "dynamic_superb_phase1", tmp_path / "out")[0].read_text())
    assert set(spec["tasks"]) == set(tasks)
    bound_to = {m["binding"]["tool"] for m in spec["modules"] if m["binding"]}
    # speaker counting and accent recognition are both implemented in the speech toolset
    assert bound_to & {"count_speakers", "diarize", "multiple_speakers"} and "accent" in bound_to
    assert llm.usage.live_calls >= 2 and llm.usage.completion_tokens > 0
