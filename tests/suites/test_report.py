"""The HTML run report, built from predictions the real Copilot wrote on the bench fixtures.

The LLM is scripted (programs over the real ``audio_properties`` tool); planner, sandbox, runner
and scoring are the real ones, so the predictions have the shape a real run writes.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from copilot.api import Copilot
from copilot.cli import main
from copilot.pools import load_pool
from copilot.suites.dynamic_superb import instance_items
from copilot.suites.report import build_report
from copilot.suites.runner import read_predictions, run_items
from copilot.suites.sakura import sakura_items
from copilot.suites.scoring import score_tasks
from copilot.testing import bench_fixtures as fixtures
from copilot.testing.llm import ScriptedLLM
from tests.ui.browser import chromium, console_errors, screenshot

PROGRAMS = {  # task -> the program the scripted LLM writes for it
    "NoiseDetection_LJSpeech_MUSAN-Gaussian":
        # sorted(options): "clean" before "noisy", "major" before "minor", whatever the item's order
        'def main(audio, options):\n    return sorted(options)[0 if audio_properties(audio)["silence_ratio"] > 0 else 1]\n',
    "SpeechDetection_LJSpeech":
        'def main(audio):\n    return "yes" if audio_properties(audio)["duration_s"] >= 1.0 else "no"\n',
    "ChordClassification_AcousticGuitarAndPiano":
        'def main(audio, options):\n    return sorted(options)[0 if audio_properties(audio)["rms_dbfs"] > -20 else 1]\n',
}
SAKURA_PROGRAMS = {
    "single": 'def main(audio, options):\n    return sorted(options)[1 if audio_properties(audio)["duration_s"] > 2.5 else 0]\n',
    "multi": 'def main(audio, options):\n    return sorted(options)[0 if audio_properties(audio)["rms_dbfs"] > -20 else 1]\n',
}
VOID = {"meta", "br", "img", "input", "link", "hr"}


class _Balance(HTMLParser):
    """Fails on a closing tag that does not match the open one; collects ids."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(v for k, v in attrs if k == "id")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()


def parse(page: str) -> _Balance:
    parser = _Balance()
    parser.feed(page)
    parser.close()
    assert parser.stack == ["html"] or parser.stack == [], parser.stack[-5:]
    return parser


def _copilot(reply, cache: Path) -> Copilot:
    # Plans get the program; option-mapping questions get "NONE" (the program's answer stays unmapped).
    return Copilot(llm=ScriptedLLM([lambda m: reply(m) if m[0].role == "system" else "NONE"] * 50),
                   retrieval=False, cache_dir=cache, max_repairs=0)


@pytest.fixture(scope="module")
def ds_run(tmp_path_factory) -> tuple[Path, Path]:
    """A Dynamic-SUPERB run folder over three fixture tasks, and the program cache it filled."""
    root = tmp_path_factory.mktemp("ds-data")
    fixtures.build_dynamic_superb(root, tasks=list(PROGRAMS), items=4)
    run, cache = tmp_path_factory.mktemp("ds-run"), tmp_path_factory.mktemp("ds-cache")
    pool = {r.task: r for r in load_pool("dynamic_superb_phase1")}
    for task, program in PROGRAMS.items():
        total, items = instance_items(pool[task], root)
        copilot = _copilot(lambda m, p=program: f"```python\n{p}```", cache)
        run_items(copilot, items, run / "predictions.jsonl", total=total, progress=False)
    return run, cache / "programs"


@pytest.fixture(scope="module")
def sakura_run(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sakura-data")
    fixtures.build_sakura(root, items=4)
    run, cache = tmp_path_factory.mktemp("sakura-run"), tmp_path_factory.mktemp("sakura-cache")
    items = sakura_items(root, ["Gender"], ("single", "multi"), None)
    copilot = _copilot(lambda m: "```python\n" + SAKURA_PROGRAMS["multi" if "pronoun" in m[-1].content
                                                                else "single"] + "```", cache)
    run_items(copilot, items, run / "predictions.jsonl", total=len(items), progress=False)
    return run, cache / "programs"


def test_dynamic_superb_report_has_every_task_its_scores_matrices_and_programs(ds_run):
    run, programs = ds_run
    records = read_predictions(run / "predictions.jsonl")
    page = build_report(run, program_dirs=[programs])
    ids = parse(page).ids
    scores = {s.task: s for s in score_tasks(records)}
    assert set(scores) == set(PROGRAMS)
    for task, score in scores.items():
        assert {f"programs-{task}", f"confusion-{task}"} <= ids
        assert f"<title>Ours: {score.score:.1f}</title>" in page  # the task's bar carries its accuracy
        assert f'href="#programs-{task}"' in page
        # The program that served the task is shown under it, with how many items it served.
        assert html.escape(PROGRAMS[task].splitlines()[1].strip()) in page
        assert re.search(rf'id="programs-{re.escape(task)}">.*?<b>program \w+</b>: {score.n} items', page, re.S)
    # Baselines are beside ours: the pool's per-instance Qwen2-Audio figure for the chord task.
    qwen = load_pool("dynamic_superb_phase1")
    chord = next(r for r in qwen if r.task == "ChordClassification_AcousticGuitarAndPiano")
    assert f"Qwen2-Audio-7B-Instruct: {chord.published['Qwen2-Audio-7B-Instruct']:.1f}" in page


def test_a_program_whose_values_are_no_options_is_flagged_not_credited(tmp_path):
    """The program answers "zero" (a level word of another task); the LLM maps it to "noisy" every time.

    The system's answers are scored as given, but the program is flagged, and its own values are
    correct on no item."""
    task = "NoiseDetection_LJSpeech_MUSAN-Gaussian"
    root, run = tmp_path / "data", tmp_path / "run"
    fixtures.build_dynamic_superb(root, tasks=[task], items=4)
    (record,) = [r for r in load_pool("dynamic_superb_phase1") if r.task == task]
    total, items = instance_items(record, root)
    program = 'def main(audio):\n    return "zero" if audio_properties(audio)["duration_s"] > 0 else "one"\n'
    llm = ScriptedLLM([lambda m: "noisy" if "Which option does that answer mean" in m[-1].content
                       else f"```python\n{program}```"] * 50)
    copilot = Copilot(llm=llm, retrieval=False, cache_dir=tmp_path / "cache", max_repairs=0)
    run_items(copilot, items, run / "predictions.jsonl", total=total, progress=False)
    records = read_predictions(run / "predictions.jsonl")
    assert {r["value"] for r in records} == {"zero"} and {r["answer"] for r in records} == {"noisy"}
    (score,) = score_tasks(records)
    assert score.mapped == 4 and 0 < score.score < 100  # the fixture holds clean and noisy items
    page = build_report(run, program_dirs=[tmp_path / "cache" / "programs"])
    assert re.search(r"4 items, ran without error on 100%, correct by its own values on 0% "
                     r"<b class=\"flag\">FLAGGED: 4 of its answers", page)


def test_sakura_report_has_per_track_and_per_hop_views(sakura_run):
    run, programs = sakura_run
    page = build_report(run, program_dirs=[programs])
    ids = parse(page).ids
    assert {"programs-Gender-single", "programs-Gender-multi"} <= ids
    assert "Per hop, beside the paper's models" in page and "Qwen2-Audio-Instruct (paper)" in page
    single = next(s for s in score_tasks(read_predictions(run / "predictions.jsonl")) if s.task == "Gender/single")
    assert f"single-hop: {single.score:.1f}" in page


def test_the_command_writes_the_page_and_a_bad_folder_gets_one_line(ds_run, tmp_path, monkeypatch):
    run, programs = ds_run
    monkeypatch.setenv("COPILOT_CACHE_DIR", str(programs.parent))
    out = tmp_path / "r" / "report.html"
    result = CliRunner().invoke(main, ["bench", "report", str(run), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    assert PROGRAMS["SpeechDetection_LJSpeech"].splitlines()[0] in out.read_text()
    missing = CliRunner().invoke(main, ["bench", "report", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1
    assert missing.output.strip() == f"Error: {tmp_path / 'nowhere' / 'predictions.jsonl'}: no such file " \
                                     "(give the --out folder of a bench run)"


@pytest.mark.parametrize("line", ['[1, 2]', '{"task": "t"}'])
def test_a_predictions_file_that_is_not_one_gets_one_line(tmp_path, line):
    (tmp_path / "predictions.jsonl").write_text(line + "\n")
    result = CliRunner().invoke(main, ["bench", "report", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path / 'predictions.jsonl'}: record 1 is not a prediction (it needs task, " \
                            "id and label)\n"


def test_the_report_renders_in_chromium_without_console_errors(ds_run, tmp_path):
    run, programs = ds_run
    page = tmp_path / "report.html"
    page.write_text(build_report(run, program_dirs=[programs]))
    with chromium(height=2400) as driver:
        driver.get(page.as_uri())
        assert driver.title == "Dynamic-SUPERB Phase 1 run report"
        assert len(driver.find_elements("css selector", "svg")) >= 5
        assert driver.find_element("css selector", "svg").size["width"] > 500
        screenshot(driver, "report.png")
        assert console_errors(driver) == []
        assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
