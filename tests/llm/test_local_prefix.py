"""The embedded model's kept prompt prefix: built and saved once, loaded by a later process, never
trusted when damaged, and keyed by what changes it. Runs the real llama.cpp model on a small prefix.
"""

from __future__ import annotations

import pytest

from copilot import assets
from copilot.config import Settings, load_settings
from copilot.doctor import setup_lines
from copilot.llm.base import Message
from copilot.llm.local import LocalLLM

pytestmark = pytest.mark.llm

SYSTEM = Message("system", "You answer with one word.")
FRUIT = Message("user", "Fruits in this basket: apple, banana, cherry, date, elderberry, fig, grape. " * 8)


@pytest.fixture()
def settings(tmp_path) -> Settings:
    # The joined weights come from the usual cache; the prefix states go to a fresh folder.
    (tmp_path / "assets").mkdir()
    weights = assets.ensure(assets.QWEN_CODER_1_5B, load_settings().cache_dir)
    (tmp_path / "assets" / weights.name).symlink_to(weights)
    (tmp_path / "assets" / (weights.name + ".sha256")).symlink_to(weights.with_name(weights.name + ".sha256"))
    return Settings(cache_dir=tmp_path, llm_threads=2)


def ask(llm: LocalLLM, prefix: Message):
    return llm.complete([SYSTEM, Message("user", prefix.content + "\nWhich fruit is listed first?")], max_tokens=6)


def test_prefix_state_is_saved_loaded_and_rebuilt_when_damaged(settings):
    first = LocalLLM(settings, progress=False)
    first.keep_prefix([SYSTEM, FRUIT])
    state = first.prefix_state_path(first._prefix[1])
    assert state.is_file() and state.with_suffix(".sha256").is_file()
    assert "apple" in ask(first, FRUIT).text.lower()

    later = LocalLLM(settings, progress=False)  # another process: loads the state instead of prefilling
    later.keep_prefix([SYSTEM, FRUIT])
    reply = ask(later, FRUIT)
    prefix_tokens = len(later._prefix[1])
    assert reply.cached_tokens >= prefix_tokens and reply.prompt_tokens - reply.cached_tokens < 20
    assert "apple" in reply.text.lower()

    with open(state, "r+b") as fh:  # damage it: the checksum no longer matches, so it is rebuilt
        fh.seek(state.stat().st_size // 2)
        fh.write(b"\x00" * 64)
    damaged = LocalLLM(settings, progress=False)
    damaged.keep_prefix([SYSTEM, FRUIT])
    assert "apple" in ask(damaged, FRUIT).text.lower()
    assert state.with_suffix(".sha256").read_text().strip() == assets.sha256_of(state)

    other = Message("user", FRUIT.content.replace("apple", "apricot"))
    damaged.keep_prefix([SYSTEM, other])  # a changed prefix gets its own file
    assert len(list(state.parent.glob("*.state"))) == 2
    tokens = later._prefix[1]
    later._model_identity = "another model file"  # and so does another model
    assert later.prefix_state_path(tokens) != state


def test_a_scoring_call_in_between_does_not_cost_the_prefix(settings):
    """choose() scores letters on a prompt of its own, which replaces the prefix in the context; the
    next plan loads the kept state back instead of prefilling the whole prefix again."""
    llm = LocalLLM(settings, progress=False)
    llm.keep_prefix([SYSTEM, FRUIT])
    scored = llm.score_options([Message("user", "Is a banana a fruit? A: yes B: no. Answer with the letter.")],
                               ["A", "B"])
    assert scored.text == "A"
    assert llm._llama.n_tokens < len(llm._prefix[1])  # the prefix is no longer in the context
    reply = ask(llm, FRUIT)
    assert reply.cached_tokens >= len(llm._prefix[1]) and reply.prompt_tokens - reply.cached_tokens < 20
    assert "apple" in reply.text.lower()


def test_the_prefix_is_built_in_slices_with_progress_and_resumes_after_an_interruption(settings, monkeypatch):
    """The first build reports tokens done out of the total after each slice; one interrupted after a
    checkpoint is finished by the next process from there, and the result answers like a whole one."""
    from copilot.llm import local

    monkeypatch.setattr(local, "PREFILL_SLICE", 32)
    monkeypatch.setattr(local, "CHECKPOINT_SECONDS", 0.0)  # a checkpoint after every slice
    monkeypatch.setattr(local, "REPORT_EVERY", 0.0)
    lines: list[str] = []

    def stop_after_three_slices(line: str) -> None:
        lines.append(line)
        if sum("computing the prompt prefix" in x for x in lines) == 3:
            raise KeyboardInterrupt

    first = LocalLLM(settings, progress=False)
    with pytest.raises(KeyboardInterrupt):
        first.keep_prefix([SYSTEM, FRUIT], on_progress=stop_after_three_slices)
    counts = [int(line.split(": ")[1].split("/")[0]) for line in lines if "computing the prompt prefix" in line]
    assert counts == [32, 64, 96]
    total = int(lines[-1].split("/")[1].split(" ")[0])
    assert total > 96 and "left" in lines[-1]
    state = first.prefix_state_path(first._prefix[1])
    assert not state.exists() and state.with_suffix(".partial.state").is_file()

    lines.clear()
    later = LocalLLM(settings, progress=False)  # another process picks the build up
    later.keep_prefix([SYSTEM, FRUIT], on_progress=lines.append)
    counts = [int(line.split(": ")[1].split("/")[0]) for line in lines if "computing the prompt prefix" in line]
    assert counts[0] == 96 and "resumed at 64" in lines[-1]  # the last checkpoint came before the stop
    assert counts == sorted(counts) and counts[-1] == total
    assert state.is_file() and not state.with_suffix(".partial.state").exists()
    assert "apple" in ask(later, FRUIT).text.lower()
    assert any(line.startswith(f"  first use: computing the prompt prefix state ({total - 64} of {total} tokens): ")
               for line in setup_lines(settings))  # what `copilot doctor` shows


def test_decoding_stops_at_the_token_budget_whatever_the_caller_asks(settings):
    llm = LocalLLM(settings, progress=False, decode_tokens=12)
    reply = llm.complete([Message("user", "Count from 1 to 300, one number per line.")], max_tokens=300)
    assert reply.text.startswith("1\n2\n") and 0 < reply.completion_tokens <= 12
