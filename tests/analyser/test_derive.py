import json

import pytest

from copilot.analyser import CachedLLM, derive, read_spec, write
from copilot.analyser.decompose import Decomposition, ModuleCall
from copilot.analyser.spec import SPEC_FORMAT, coverage
from copilot.errors import CopilotError
from copilot.testing.llm import ScriptedLLM

from .conftest import scripted_reply


def test_coverage_counts_a_task_only_when_all_its_programs_are_bound():
    c = lambda n: ModuleCall(n, ("audio",), "", "", ())  # noqa: E731
    decs = [Decomposition("A", "i", "p", (c("asr"),), 1),
            Decomposition("A", "j", "p", (c("asr"), c("dist")), 1),
            Decomposition("B", "i", "p", (c("asr_alias"),), 1),
            Decomposition("C", "i", "", (), 3, "no code")]
    resolve = {"asr": "asr", "asr_alias": "asr", "dist": "dist"}
    cov = coverage(["A", "B", "C"], decs, resolve, {"asr"})
    assert cov.covered == ("B",) and cov.any_phrasing == ("A", "B")
    assert cov.missing == {"A": ("dist",), "C": ("",)}
    assert cov.share == pytest.approx(1 / 3) and cov.any_phrasing_share == pytest.approx(2 / 3)
    assert cov.to_json()["uncovered"] == {"A": ["dist"], "C": [""]}


def run(pool, toolset, folder, **kw):
    llm = CachedLLM(ScriptedLLM([scripted_reply] * 40), folder)
    return llm, derive(llm, str(pool), phrasings=2, toolset=toolset, progress=False, **kw)


def test_derive_writes_spec_report_and_programs(tiny_pool, other_pool, fake_toolset, tmp_path):
    llm, d = run(tiny_pool, fake_toolset, tmp_path / "cache", held_out=str(other_pool))
    out = tmp_path / "out"
    spec_path, report_path, programs_path = write(d, str(tiny_pool), out)

    spec = json.loads(spec_path.read_text())
    assert spec["format"] == SPEC_FORMAT and spec["source"]["tasks"] == 3
    assert spec["source"]["bound_to"] == "fake" and spec["source"]["phrasings_per_task"] == 2
    mods = {m["name"]: m for m in spec["modules"]}
    assert set(mods) == {"speech_recognition", "query_llm", "speaker_verification", "distance_estimation"}
    assert mods["speech_recognition"]["binding"]["tool"] == "transcribe"
    assert mods["speech_recognition"]["tasks"] == ["Term"]
    assert mods["distance_estimation"]["binding"] is None
    assert mods["distance_estimation"]["examples"] == ["return distance_estimation(audio)"]
    assert spec["tasks"]["Distance"] == {"modules": ["distance_estimation"], "covered": False}
    assert spec["tasks"]["Term"]["covered"] and spec["tasks"]["Verify"]["covered"]
    assert spec["coverage"]["share"] == round(2 / 3, 4)
    # held out: "Words" needs transcribe_speech (matches speech_recognition, bound); "Far" is not bound
    assert spec["held_out"]["in_spec"]["share"] == 1.0
    assert spec["held_out"]["covered"]["share"] == 0.5
    assert d.held_out.matches["transcribe_speech"].target == "speech_recognition"

    report = report_path.read_text()
    assert "modules: **4** (3 bound, 1 need implementation)" in report
    assert "coverage on tiny: **2 / 3 tasks = 66.7 %**" in report
    assert "coverage on held-out other (never seen by the derivation): **1 / 2 tasks = 50.0 %**" in report
    assert "### `distance_estimation(audio) -> float`" in report
    assert "    return distance_estimation(audio)" in report
    assert "- Distance: `distance_estimation`" in report
    assert "`speech_recognition` -> `transcribe`" in report  # the paper's modules, bound to the same tools

    lines = [json.loads(x) for x in programs_path.read_text().splitlines()]
    assert [(x["pool"], x["task"]) for x in lines][:3] == [("tiny", "Term"), ("tiny", "Term"), ("tiny", "Verify")]
    assert len(lines) == 6 and all(x["program"].startswith("#") for x in lines)
    assert llm.usage.live_calls >= 6

    # a rerun is served from the cache: no LLM call, same spec
    again = CachedLLM(ScriptedLLM([]), tmp_path / "cache")
    d2 = derive(again, str(tiny_pool), phrasings=2, toolset=fake_toolset, progress=False, held_out=str(other_pool))
    assert again.usage.live_calls == 0 and again.usage.cache_hits == llm.usage.live_calls
    write(d2, str(tiny_pool), tmp_path / "out2")
    assert (tmp_path / "out2" / "toolset.json").read_text() == spec_path.read_text()

    modules, bindings = read_spec(out)
    assert [m.name for m in modules] == [m["name"] for m in spec["modules"]]
    assert bindings["speech_recognition"].target == "transcribe" and bindings["distance_estimation"] is None


def test_an_interrupted_run_resumes_where_it_stopped(tiny_pool, fake_toolset, tmp_path):
    def crash(_):
        raise KeyboardInterrupt

    first = CachedLLM(ScriptedLLM([scripted_reply, scripted_reply, crash]), tmp_path)
    with pytest.raises(KeyboardInterrupt):
        derive(first, str(tiny_pool), phrasings=2, toolset=fake_toolset, progress=False)
    second = CachedLLM(ScriptedLLM([scripted_reply] * 10), tmp_path)
    d = derive(second, str(tiny_pool), phrasings=2, toolset=fake_toolset, progress=False)
    assert second.usage.cache_hits >= 2
    assert second.usage.live_calls == len(second.llm.calls)
    first_task_prompts = [m[-1].content for m in second.llm.calls]
    assert not any("Is the given word spoken" in p for p in first_task_prompts)  # not asked again
    assert len(d.run.decompositions) == 4


def test_unknown_task_and_unparseable_pool_are_clear_errors(tiny_pool, fake_toolset):
    with pytest.raises(CopilotError, match=r"has no task\(s\) \['Nope'\]"):
        derive(ScriptedLLM([]), str(tiny_pool), task_names=["Nope"], toolset=fake_toolset, progress=False)
    with pytest.raises(CopilotError, match="no program for any task"):
        derive(ScriptedLLM(["no code ("] * 20), str(tiny_pool), task_names=["Verify", "Distance"],
               toolset=fake_toolset, progress=False, phrasings=1)


def test_read_spec_rejects_other_files(tmp_path):
    bad = tmp_path / "toolset.json"
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(CopilotError, match="not a toolset spec"):
        read_spec(tmp_path)
    with pytest.raises(CopilotError, match="cannot read"):
        read_spec(tmp_path / "missing.json")
