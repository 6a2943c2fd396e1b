from copilot.analyser.bind import bind_cards, bind_modules, paper_cards
from copilot.analyser.matching import card
from copilot.analyser.modularize import DerivedModule
from copilot.testing.llm import ScriptedLLM
from copilot.tools import Toolset


def module(name, description, params=("audio",), aliases=()):
    return DerivedModule(name, tuple(params), "str", description, tuple(aliases), ("T",), ())


def test_modules_bind_to_the_tool_that_does_their_job(fake_toolset):
    modules = [module("speech_recognition", "transcribe the words spoken in the audio"),
               module("speaker_verification", "whether two recordings have the same speaker", ("a", "b")),
               module("distance_estimation", "the distance between the speaker and the microphone"),
               module("query_llm", "answer a question about text", ("prompt",))]
    llm = ScriptedLLM([lambda m: "A"] * 4)  # a borderline case is answered "none of these"
    found = bind_modules(llm, modules, fake_toolset)
    assert {k: (v.target if v else None) for k, v in found.items()} == {
        "speech_recognition": "transcribe", "speaker_verification": "same_speaker",
        "distance_estimation": None, "query_llm": "query_llm"}
    assert found["query_llm"].method == "name"
    assert found["speech_recognition"].method == "embedding"


def test_an_alias_that_names_a_tool_binds_by_name(fake_toolset):
    found = bind_modules(ScriptedLLM([]), [module("asr", "speech to text", aliases=("x", "transcribe"))],
                         fake_toolset)
    assert (found["asr"].target, found["asr"].method) == ("transcribe", "name")


def test_without_tools_nothing_binds(tmp_path):
    empty = Toolset(name="empty", path=tmp_path, tools={})
    cards = [card("speech_recognition", ["audio"], "str", "words")]
    assert bind_cards(ScriptedLLM([]), cards, empty) == {"speech_recognition": None}
    assert bind_cards(ScriptedLLM([]), cards, None) == {"speech_recognition": None}


def test_paper_modules_are_the_sixteen_of_the_paper():
    names = [c.name for c in paper_cards()]
    assert len(names) == 16 and names[0] == "query_llm" and "SNR_estimation" in names


def test_paper_modules_bind_sensibly_to_the_speech_toolset():
    """The paper's modules, bound to whatever the shipped speech toolset implements; a borderline
    case is answered "none" here, so only clear embedding matches count."""
    from copilot.tools import load_toolset

    speech = load_toolset("speech")
    found = bind_cards(ScriptedLLM([lambda m: "A"] * 16), paper_cards(), speech)
    expected = {"query_llm": "query_llm", "speech_recognition": "transcribe", "speaker_verification": "same_speaker",
                "SNR_estimation": "estimate_snr", "speaker_diarization": "diarize", "distance_estimation": None}
    got = {name: (found[name].target if found[name] else None) for name in expected}
    wanted = {name: tool for name, tool in expected.items() if tool is None or tool in speech.tools}
    assert {k: got[k] for k in wanted} == wanted
