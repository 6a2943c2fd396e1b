"""The shipped toolsets/speech/toolset.json is the derive command's output and bound to real tools."""

from __future__ import annotations

import json

from copilot.pools import load_pool
from copilot.tools import load_toolset
from copilot.tools.toolset import TOOLSETS_DIR

SPEC = json.loads((TOOLSETS_DIR / "speech" / "toolset.json").read_text())


def test_every_binding_names_an_implemented_tool():
    tools = load_toolset("speech").tools
    bound = [m["binding"]["tool"] for m in SPEC["modules"] if m.get("binding")]
    assert bound and set(bound) <= set(tools)


def test_spec_covers_the_phase1_pool_and_reports_both_coverages():
    tasks = {t.task for t in load_pool("dynamic_superb_phase1")}
    assert set(SPEC["tasks"]) == tasks
    assert SPEC["coverage"] and SPEC["held_out"]
