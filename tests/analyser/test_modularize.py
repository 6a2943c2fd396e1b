import numpy as np

from copilot.analyser import modularize
from copilot.analyser.decompose import Decomposition, ModuleCall
from copilot.analyser.modularize import merge_modules
from copilot.testing.llm import ScriptedLLM


def call(name, description, params=("audio",), returns="str", example=""):
    return ModuleCall(name, tuple(params), returns, description, (example or f"x = {name}(audio)",))


def dec(task, *calls):
    return Decomposition(task, "instruction", "program", tuple(calls), 1)


def test_renamed_module_merges_into_the_most_used_name():
    said = "transcribe the words spoken in the audio"
    decs = [
        dec("A", call("speech_recognition", said), call("query_llm", "answer a question about text", ["prompt"])),
        dec("B", call("speech_recognition", said)),
        dec("C", call("speech_to_text", said, example="t = speech_to_text(audio)")),
        dec("D", call("emotion_recognition", "the emotion in the voice")),
    ]
    modules, merges = merge_modules(ScriptedLLM([lambda m: "A"] * 10), decs)
    by_name = {m.name: m for m in modules}
    assert set(by_name) == {"speech_recognition", "query_llm", "emotion_recognition"}
    sr = by_name["speech_recognition"]
    assert sr.aliases == ("speech_to_text",)
    assert sr.tasks == ("A", "B", "C")
    assert sr.examples == ("x = speech_recognition(audio)", "t = speech_to_text(audio)")
    assert sr.signature == "speech_recognition(audio) -> str"
    assert modules[0].name == "speech_recognition"  # most needed first
    assert [(m.name, m.into, m.method) for m in merges] == [("speech_to_text", "speech_recognition", "embedding")]


def test_borderline_pairs_are_settled_by_the_llm(monkeypatch):
    decs = [dec("A", call("count_speakers", "how many people speak")),
            dec("B", call("count_speakers", "how many people speak")),
            dec("C", call("speaker_number", "number of talkers")),
            dec("D", call("verify_speaker", "same person or not"))]
    sims = np.array([[1.0, 0.75, 0.7], [0.75, 1.0, 0.3], [0.7, 0.3, 1.0]])
    monkeypatch.setattr(modularize, "similarities", lambda a, b: sims)
    llm = ScriptedLLM(["B", "A"])  # yes to speaker_number, none for verify_speaker
    modules, merges = merge_modules(llm, decs)
    assert [(m.name, m.aliases, len(m.tasks)) for m in modules] == [
        ("count_speakers", ("speaker_number",), 3), ("verify_speaker", (), 1)]
    assert [(m.name, m.method) for m in merges] == [("speaker_number", "llm")]
    assert len(llm.calls) == 2


def test_merged_module_takes_what_its_leader_lacks_from_the_others(monkeypatch):
    monkeypatch.setattr(modularize, "similarities", lambda a, b: np.array([[1.0, 0.9], [0.9, 1.0]]))
    modules, merges = merge_modules(ScriptedLLM([]), [
        dec("A", ModuleCall("snr", ("audio",), "", "", ())),
        dec("B", ModuleCall("snr", ("audio",), "", "", ())),
        dec("C", ModuleCall("snr_db", ("audio",), "float", "the signal-to-noise ratio in dB", ())),
    ])
    [snr] = modules
    assert (snr.name, snr.aliases, snr.tasks) == ("snr", ("snr_db",), ("A", "B", "C"))
    assert (snr.returns, snr.description, snr.examples) == ("float", "the signal-to-noise ratio in dB", ())


def test_a_module_without_description_is_described_by_its_name():
    [module], _ = merge_modules(ScriptedLLM([]), [dec("A", ModuleCall("pitch_tracking", ("audio",), "", "", ()))])
    assert module.description == "pitch tracking"
