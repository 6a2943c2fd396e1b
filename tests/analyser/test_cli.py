import json

import pytest
from click.testing import CliRunner

from copilot.analyser import cli
from copilot.errors import CopilotError
from copilot.testing.llm import ScriptedLLM

from .conftest import scripted_reply


@pytest.fixture
def scripted(monkeypatch, tmp_path, fake_toolset):
    monkeypatch.setenv("COPILOT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cli, "make_llm", lambda settings: ScriptedLLM([scripted_reply] * 40))
    monkeypatch.setattr(cli, "load_toolset", lambda name: fake_toolset)


def test_derive_then_coverage(scripted, tiny_pool, other_pool, tmp_path):
    out = tmp_path / "derived"
    runner = CliRunner()
    result = runner.invoke(cli.toolset, ["derive", str(tiny_pool), "--out", str(out), "--bind-to", "fake",
                                         "--phrasings", "1", "--tasks", "Term,Distance", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "3 modules, 2 bound; coverage 1/2 = 50.0 %" in result.output
    assert "0 from cache" in result.output
    spec = json.loads((out / "toolset.json").read_text())
    assert list(spec["tasks"]) == ["Term", "Distance"]

    again = runner.invoke(cli.toolset, ["derive", str(tiny_pool), "--out", str(out), "--bind-to", "fake",
                                        "--phrasings", "1", "--tasks", "Term", "--tasks", "Distance", "--quiet"])
    assert "LLM: 0 calls made" in again.output

    report = tmp_path / "cov.md"
    cov = runner.invoke(cli.toolset, ["coverage", str(out), str(other_pool), "--phrasings", "1", "--quiet",
                                      "--report", str(report)])
    assert cov.exit_code == 0, cov.output
    # "Words" matches speech_recognition (bound), "Far" matches distance_estimation (unbound)
    assert "modules in the spec: 2/2 tasks = 100.0 %" in cov.output
    assert "covered by bound modules: 1/2 tasks = 50.0 %" in cov.output
    assert "- Far: `distance_estimation`" in report.read_text()


def test_errors_are_one_line_copilot_errors(scripted, tmp_path):
    result = CliRunner().invoke(cli.toolset, ["derive", "no_such_pool", "--out", str(tmp_path / "x")])
    assert isinstance(result.exception, CopilotError)
    assert "no instruction pool 'no_such_pool'" in str(result.exception) and "\n" not in str(result.exception)
