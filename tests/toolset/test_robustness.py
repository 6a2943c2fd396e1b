"""Every tool over clips of the kinds users bring: a JSON result, or a ToolError that says what to do.

The clips (copilot.testing.corpus.robustness_clips) are unusual but valid: very short, near
silent, clipped, phone-band, speech under music or laughter, no speech at all. A tool may refuse
input it is not for (no speech for a speech tool) with a ToolError whose message tells the
program's author what to do instead; any other exception is a bug.
"""

from __future__ import annotations

import json
import re

import pytest

from copilot.audio import load_audio
from copilot.errors import BackendUnavailableError, ToolError
from copilot.testing import corpus
from copilot.tools import load_toolset

pytestmark = pytest.mark.slow
TOOLS = load_toolset("speech")
NOT_AUDIO = {"query_llm", "choose"}
# A refusal must tell the program what to do next: answer something, or use/pass/call something else.
ACTIONABLE = re.compile(r"\b(answer|use|pass|give|call|choose|try)\b", re.I)
MUSIC_TOOLS = {"musical_key", "chord_quality", "tempo"}
# Clips with plenty of audible speech: a speech tool must answer these, however unusual.
CLEAR_SPEECH = {"read_librivox", "read_cards", "synthetic_excited", "synthetic_slow_male", "synthetic_flite",
                "speech_with_music", "speech_with_laughter", "phone_band", "clipped_loud_speech", "short_1s_speech"}
CANDIDATES = {"emotion": ["joy", "anger", "sadness", "no_emotion", "pizza"],
              "identify_language": ["English", "French"]}


@pytest.fixture(scope="module")
def clips():
    return {name: load_audio(path) for name, path in corpus.robustness_clips().items()}


def _arguments(tool, clip, reference) -> list[dict]:
    """Argument sets for one call per clip: the audio, plus a plain value for any other required input."""
    args = {}
    for p in tool.params:
        if p.annotation.startswith("list") and "Audio" in p.annotation:
            args[p.name] = [clip, reference]
        elif "Audio" in p.annotation:
            args[p.name] = clip if not args else reference
        elif p.required and p.name == "name":
            args[p.name] = "dog"
        elif p.required and p.name == "text":
            args[p.name] = "ten of clubs"
    calls = [args]
    if tool.name in CANDIDATES:
        calls.append({**args, "candidates": CANDIDATES[tool.name]})
    return calls


@pytest.mark.parametrize("name", [t.name for t in TOOLS if t.name not in NOT_AUDIO])
def test_tool_copes_with_every_clip(name, clips, runtime):
    tool = TOOLS[name]
    try:
        for capability in tool.uses:
            runtime.get(capability)
    except BackendUnavailableError as exc:
        pytest.skip(f"backend not installed or configured here: {exc}")
    reference = clips["read_cards"]
    problems, refused = [], []
    for clip_name, clip in clips.items():
        for args in _arguments(tool, clip, reference):
            try:
                result = tool(**args)
            except ToolError as exc:
                refused.append(clip_name)
                if not ACTIONABLE.search(str(exc)):
                    problems.append(f"{clip_name}: refusal says nothing to do: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - the point is to catch whatever escapes
                problems.append(f"{clip_name}: {type(exc).__name__}: {exc}")
                continue
            json.dumps(result, allow_nan=False)
            if isinstance(result, dict) and result.get("label") == "no speech":
                refused.append(clip_name)  # a speech tool that hears no speech refuses the clip
            if isinstance(result, dict) and result.get("reliability") == "low":
                assert result.get("note"), f"{clip_name}: low reliability without a note"
    assert not problems, "\n".join(problems)
    if name not in MUSIC_TOOLS:
        assert not CLEAR_SPEECH & set(refused), f"{name} refused speech: {sorted(CLEAR_SPEECH & set(refused))}"
