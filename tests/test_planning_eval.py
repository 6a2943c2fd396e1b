"""The planning evaluation set is well-formed: it loads, its audio builds, its answers check.

No LLM runs here: these tests guard the set that every planner change is measured on
(benchmarks/bench_planning.py), so that a broken recipe or an answer outside its options is caught
before a long benchmark run, and the facts the answers rest on hold for the built audio.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from benchmarks.planning_eval.evalset import AudioBuilder, is_correct, load, parse_number, word_error_rate
from copilot.audio import load_audio
from copilot.testing import corpus

FAMILIES = {"transcription", "language", "speaker", "gender", "pitch_prosody", "noise", "reverb",
            "sound_events", "music", "activity"}


@pytest.fixture(scope="module")
def evalset():
    return load()


@pytest.fixture(scope="module")
def built(evalset):
    questions, recipes = evalset
    builder = AudioBuilder(recipes)
    names = sorted({a for q in questions for a in q.audio})
    return {name: load_audio(builder.path(name)) for name in names}


def test_size_and_coverage(evalset):
    questions, _ = evalset
    assert len(questions) >= 150
    assert FAMILIES <= {q.family for q in questions}
    assert sum(q.hops == 2 for q in questions) >= 40
    assert {q.check["kind"] for q in questions} == {"choice", "number", "substring", "wer"}
    assert {len(q.audio) for q in questions} >= {1, 2}
    texts = [q.text for q in questions if q.text]
    assert any(len(t.split()) == 1 for t in texts) and any(len(t.split()) > 1 for t in texts)
    assert sum(q.split == "test" for q in questions) >= 150


def test_every_task_is_phrased_several_ways_on_both_splits(evalset):
    questions, _ = evalset
    phrasings: dict[str, set] = {}
    splits: dict[str, set] = {}
    for q in questions:
        phrasings.setdefault(q.task, set()).add(q.phrasing)
        splits.setdefault(q.task, set()).add(q.split)
    assert all(len(p) >= 3 for p in phrasings.values())
    assert all(s == {"dev", "test"} for s in splits.values())
    # a phrasing belongs to one split for all its items, so dev wordings never leak into test
    assert len({(q.task, q.phrasing, q.split) for q in questions}) == len({(q.task, q.phrasing) for q in questions})


def test_answers_are_options_and_options_are_in_the_instruction(evalset):
    questions, _ = evalset
    for q in questions:
        if q.check["kind"] == "choice":
            assert q.answer in q.options, q.id
            assert all(o in q.instruction for o in q.options), q.id
        assert "{" not in q.instruction, q.id
    # within a task the right answer changes (as a word or as a position), so no constant scores well
    variants: dict[str, set] = {}
    for q in questions:
        if q.check["kind"] == "choice":
            variants.setdefault(q.task, set()).add((q.answer, q.options.index(q.answer)))
    assert all(len(v) > 1 for v in variants.values()), [t for t, v in variants.items() if len(v) == 1]


def test_every_recording_builds_and_is_valid_input(built):
    for name, audio in built.items():
        assert 0.3 < audio.duration < 60, name
        assert np.max(np.abs(audio.samples)) > 0, name


def _dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * 16000 / len(samples))


def test_signal_facts_hold(built):
    for name, hz in (("tone220", 220), ("tone440", 440), ("tone880", 880)):
        assert abs(_dominant_hz(built[name].samples) - hz) < 2
    for name, bpm in (("clicks90", 90), ("clicks120", 120), ("clicks150", 150)):
        x = np.abs(built[name].samples)
        onsets = np.flatnonzero((x[1:] > 0.3) & (x[:-1] <= 0.3))
        gaps = np.diff(onsets[np.insert(np.diff(onsets) > 800, 0, True)]) / 16000
        assert abs(60 / np.median(gaps) - bpm) < 1
    assert np.sqrt(np.mean(built["quiet3"].samples ** 2)) < 10 ** (-60 / 20)


def test_noise_and_reverb_items_avoid_what_the_thresholds_were_calibrated_on(evalset):
    """Calibration used LibriVox, cards, espeak and flite voices, white noise and sox reverb
    (toolsets/speech/quality.py): the noise and reverb questions use none of them."""
    questions, recipes = evalset

    def sources(name: str) -> list[dict]:
        recipe = recipes[name]
        of = recipe.get("of", [])
        return [recipe] + [s for parent in ([of] if isinstance(of, str) else of) for s in sources(parent)]

    for q in (q for q in questions if q.family in ("noise", "reverb")):
        for name in q.audio:
            kinds = [r["kind"] for r in sources(name)]
            assert kinds[-1] == "fsdd" and "reverb" not in kinds, (q.id, name, kinds)
            assert all(r.get("color") in ("pink", "brown") for r in sources(name) if r["kind"] == "noise"), q.id


def test_coloured_noise_is_at_its_snr_and_the_room_decays_at_its_rt60(built, tmp_path):
    clean = built["george_digits"].samples
    for name, speaker, snr, slope in (("george_pink0", "george_digits", 0, -3.0),
                                      ("jackson_brown5", "jackson_digits", 5, -6.0)):
        x = built[name].samples.astype(np.float64)
        pad = np.zeros(8000)
        speech = np.concatenate([pad, built[speaker].samples, pad])
        gain = np.dot(x, speech) / np.dot(speech, speech)  # the mixture was scaled to its peak
        noise = x - gain * speech
        assert 10 * np.log10(gain**2 * np.mean(built[speaker].samples ** 2) / np.mean(noise**2)) == \
            pytest.approx(snr, abs=0.5)
        spectrum = np.abs(np.fft.rfft(noise)) ** 2
        hz = np.fft.rfftfreq(len(noise), 1 / 16000)
        octave = [spectrum[(hz >= f) & (hz < 2 * f)].mean() for f in (250, 500, 1000, 2000)]
        assert np.mean(np.diff(10 * np.log10(octave))) == pytest.approx(slope, abs=1.0)  # dB per octave
    room = built["george_room08"].samples
    assert len(room) - len(clean) == pytest.approx(1.2 * 16000, abs=2)  # the 1.5 x RT60 tail
    click = tmp_path / "click.wav"
    sf.write(click, np.eye(1, 16000)[0] * 0.5, 16000)
    response = load_audio(corpus.in_room(click, 0.8)).samples
    energy = np.cumsum(response[::-1] ** 2)[::-1]  # Schroeder backward integration
    decay = 10 * np.log10(np.maximum(energy / energy[0], 1e-12))
    t5, t25 = np.argmax(decay < -5) / 16000, np.argmax(decay < -25) / 16000
    assert 3 * (t25 - t5) == pytest.approx(0.8, rel=0.15)  # RT60 from the -5..-25 dB slope


@pytest.mark.parametrize("name, start", [("late_speech", 2.5), ("late_slt", 3.6)])
def test_speech_start_answers_match_the_audio(built, name, start):
    x = built[name].samples
    frames = np.sqrt(np.mean(x[: len(x) // 160 * 160].reshape(-1, 160) ** 2, axis=1))
    first_loud = np.argmax(frames > 0.01) / 100  # first 10 ms frame above -40 dBFS
    assert abs(first_loud - start) <= 0.5


def test_checkers():
    assert parse_number("forty-seven") == 47
    assert parse_number("three hundred and five") == 305
    assert parse_number("The tempo is 119.7 BPM") == 119.7
    assert parse_number("two speakers") == 2
    assert parse_number("no idea") is None
    assert word_error_rate("he was not an ill disposed young man", "He was not an ill-disposed young man.") == 0
    assert word_error_rate("a b c d", "a x c") == 0.5
    assert is_correct({"kind": "choice"}, "German", "german.")
    assert not is_correct({"kind": "choice"}, "German", "French")
    assert is_correct({"kind": "number", "rel_tolerance": 0.05}, 440, "437.5 Hz")
    assert not is_correct({"kind": "number", "rel_tolerance": 0.05}, 440, "220 Hz")
    assert is_correct({"kind": "number", "tolerance": 0}, 2, "two")
    assert is_correct({"kind": "substring"}, ["Greek"], "The language is Greek.")
    assert not is_correct({"kind": "substring"}, ["Greek"], None)
    assert is_correct({"kind": "wer", "max_wer": 0.35}, "he was not an ill disposed young man",
                      "he was not an ill-disposed young man")
