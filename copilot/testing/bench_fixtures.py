"""Small benchmark instances with true labels, built from the corpus, for tests, demos and timing.

Dynamic-SUPERB-style instances (``save_to_disk``, hub-style parquet, or ``audiofolder``) and a
SAKURA-style folder, from real recordings (LibriVox and "cards" utterances, the pyannote sample,
freedesktop sounds) and synthetic ones (espeak-ng and flite voices, noise at an exact SNR, reverb,
triads). Every label is true by construction: "noisy" items have noise added, "no speech" items
are non-speech sounds, two-speaker pairs use two different voices.

    python -m copilot.testing.bench_fixtures OUT_DIR [--items 8] [--format parquet]
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import soundfile as sf

from copilot.audio import SAMPLE_RATE, load_audio
from copilot.pools import TaskRecord, load_pool
from copilot.testing import corpus

FORMATS = ("disk", "parquet", "audiofolder")
_SENTENCES = [
    "The quick brown fox jumps over the lazy dog.", "Please call Stella and ask her to bring these things.",
    "A rainbow is a division of white light into many beautiful colors.", "The birch canoe slid on the planks.",
    "Glue the sheet to the dark blue background.", "It is easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.", "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.", "The box was thrown beside the parked truck.",
]
_NON_SPEECH = ["bell", "phone-incoming-call", "complete", "alarm-clock-elapsed", "dialog-warning",
               "message-new-instant", "service-login", "window-attention"]
_MALE, _FEMALE = ("kal", "awb", "rms"), ("slt",)


@dataclass(frozen=True)
class Row:
    """One item before it is written: its audio files, gold label and optional text input."""

    audio: tuple[Path, ...]
    label: str
    text: str | None = None
    instruction: str | None = None


def _speech(i: int) -> Path:
    """Varied real and synthetic English speech, different for every ``i``."""
    real = corpus.librivox() + corpus.cards()
    if i % 3 == 0:
        return real[(i // 3) % len(real)].path
    voice = (_MALE + _FEMALE)[i % 4]
    return corpus.flite(f"{_SENTENCES[i % len(_SENTENCES)]} Item {i}.", voice)


def _speech_detection(n: int) -> list[Row]:
    return [Row((_speech(i),), "yes") if i % 2 == 0 else
            Row((corpus.freedesktop(_NON_SPEECH[(i // 2) % len(_NON_SPEECH)]),), "no") for i in range(n)]


def _noise_detection(n: int) -> list[Row]:
    return [Row((_speech(i),), "clean") if i % 2 == 0 else
            Row((corpus.with_noise(_speech(i), snr_db=0.0, seed=i, pad_s=0.3),), "noisy") for i in range(n)]


def _reverb_detection(n: int) -> list[Row]:
    return [Row((_speech(i),), "clean") if i % 2 == 0 else
            Row((corpus.with_reverb(_speech(i), reverberance=95, room_scale=100),), "noisy") for i in range(n)]


def _chords(n: int) -> list[Row]:
    return [Row((corpus.triad(55 + i, "major" if i % 2 == 0 else "minor"),), "major" if i % 2 == 0 else "minor")
            for i in range(n)]


def _speech_text_matching(n: int) -> list[Row]:
    utterances = corpus.librivox() + corpus.cards()
    rows = []
    for i in range(n):
        utt = utterances[i % len(utterances)]
        other = utterances[(i + 3) % len(utterances)]
        match = i % 2 == 0
        rows.append(Row((utt.path,), "yes" if match else "no", text=utt.text if match else other.text))
    return rows


def _speaker_verification(n: int) -> list[Row]:
    instruction = ("Listen to the two utterances and decide whether they are spoken by the same speaker. "
                   "The answer could be yes or no.")
    rows = []
    for i in range(n):
        first = _SENTENCES[i % len(_SENTENCES)]
        second = _SENTENCES[(i + 1) % len(_SENTENCES)]
        voice = _MALE[i % len(_MALE)]
        same = i % 2 == 0
        rows.append(Row((corpus.flite(first, voice), corpus.flite(second, voice if same else "slt")),
                        "yes" if same else "no", instruction=instruction))
    return rows


# Instance name -> how its rows are made. Names are Phase-1 instances, so pool records apply.
RECIPES: dict[str, Callable[[int], list[Row]]] = {
    "SpeechDetection_LJSpeech": _speech_detection,
    "NoiseDetection_LJSpeech_MUSAN-Gaussian": _noise_detection,
    "ReverberationDetection_LJSpeech_RirsNoises-LargeRoom": _reverb_detection,
    "ChordClassification_AcousticGuitarAndPiano": _chords,
    "SpeechTextMatching_LJSpeech": _speech_text_matching,
    "SpeakerVerification_VCTK": _speaker_verification,
}


def _wav_bytes(path: Path) -> bytes:
    """Any corpus file as 16 kHz mono WAV bytes, so every layout holds the same decodable audio."""
    buffer = io.BytesIO()
    sf.write(buffer, load_audio(path).samples, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _columns(record: TaskRecord, rows: list[Row]) -> dict[str, list]:
    """Dataset columns as on the hub: audio, audio2, file, instruction, label (and text)."""
    phrasings = record.instructions or ("",)
    cols: dict[str, list] = {"file": [], "instruction": [], "label": []}
    for i, row in enumerate(rows):
        for k, path in enumerate(row.audio):
            name = "audio" if k == 0 else f"audio{k + 1}"
            cols.setdefault(name, []).append({"bytes": _wav_bytes(path), "path": f"{i:04d}_{name}.wav"})
        cols["file"].append(f"{i:04d}")
        cols["instruction"].append(row.instruction or phrasings[i % len(phrasings)])
        cols["label"].append(row.label)
        if row.text is not None:
            cols.setdefault("text", []).append(row.text)
    return cols


def write_instance(record: TaskRecord, rows: list[Row], folder: str | Path, fmt: str) -> Path:
    """Write rows as a Dynamic-SUPERB instance folder in one of :data:`FORMATS`."""
    import datasets

    folder = Path(folder)
    cols = _columns(record, rows)
    audio_names = [c for c in cols if c.startswith("audio")]
    if fmt == "audiofolder":
        split = folder / "test"
        split.mkdir(parents=True, exist_ok=True)
        with (split / "metadata.jsonl").open("w") as fh:
            for i in range(len(rows)):
                line = {k: v[i] for k, v in cols.items() if k not in audio_names}
                for name in audio_names:
                    cell = cols[name][i]
                    (split / cell["path"]).write_bytes(cell["bytes"])
                    line["file_name" if name == "audio" else f"{name}_file_name"] = cell["path"]
                fh.write(json.dumps(line) + "\n")
        return folder
    features = datasets.Features({k: datasets.Audio() if k in audio_names else datasets.Value("string")
                                  for k in cols})
    dataset = datasets.Dataset.from_dict(cols, features=features)
    if fmt == "disk":
        datasets.DatasetDict({"test": dataset}).save_to_disk(str(folder))
    elif fmt == "parquet":
        (folder / "data").mkdir(parents=True, exist_ok=True)
        dataset.to_parquet(str(folder / "data" / "test-00000-of-00001.parquet"))
    else:
        raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
    return folder


def build_dynamic_superb(root: str | Path, tasks: list[str] | None = None, items: int = 6,
                         fmt: str = "parquet") -> list[str]:
    """Write ``<root>/<task>/`` for each recipe task; returns the task names written."""
    pool = {r.task: r for r in load_pool("dynamic_superb_phase1")}
    names = tasks or list(RECIPES)
    for name in names:
        write_instance(pool[name], RECIPES[name](items), Path(root) / name, fmt)
    return names


_LANGUAGES = {  # name -> (espeak voice, sentence, country for the multi-hop question)
    "English": ("en-us", "The weather is lovely today and we are going for a walk.", "United States"),
    "German": ("de", "Das Wetter ist heute schön und wir gehen spazieren.", "Germany"),
    "Spanish": ("es", "Hoy hace buen tiempo y vamos a dar un paseo.", "Spain"),
    "Italian": ("it", "Oggi il tempo è bello e andiamo a fare una passeggiata.", "Italy"),
}


def _lettered(question: str, options: list[str]) -> str:
    return question + " " + " ".join(f"({chr(97 + k)}) {o}" for k, o in enumerate(options))


def _answer(options: list[str], correct: str) -> str:
    return f"({chr(97 + options.index(correct))}) {correct}"


def _sakura_entry(label: str, single_q: str, single_opts: list[str], single_ok: str, multi_q: str,
                  multi_opts: list[str], multi_ok: str) -> dict[str, str]:
    return {"attribute_label": label,
            "single_instruction": _lettered(single_q, single_opts), "single_answer": _answer(single_opts, single_ok),
            "multi_instruction": _lettered(multi_q, multi_opts), "multi_answer": _answer(multi_opts, multi_ok)}


def build_sakura(root: str | Path, items: int = 4) -> list[str]:
    """A SAKURA-layout folder with Gender and Language tracks (the attributes synthesis gets right)."""
    root = Path(root)
    tracks: dict[str, dict[str, tuple[Path, dict[str, str]]]] = {"Gender": {}, "Language": {}}
    for i in range(items):
        male = i % 2 == 0
        voice = _MALE[i % len(_MALE)] if male else "slt"
        gender = "Male" if male else "Female"
        opts = ["Male", "Female"] if i % 4 < 2 else ["Female", "Male"]
        pronouns = ["he", "she"] if i % 3 else ["she", "he"]
        tracks["Gender"][f"gender_{i:03d}"] = (corpus.flite(_SENTENCES[i % len(_SENTENCES)], voice), _sakura_entry(
            gender.lower(), "What is the gender of the speaker?", opts, gender,
            "Which pronoun would usually be used for the speaker?", pronouns, "he" if male else "she"))
        names = list(_LANGUAGES)
        language = names[i % len(names)]
        voice, sentence, country = _LANGUAGES[language]
        rotated = names[i % 3:] + names[: i % 3]
        countries = [_LANGUAGES[n][2] for n in rotated]
        tracks["Language"][f"language_{i:03d}"] = (corpus.espeak(sentence, voice), _sakura_entry(
            language.lower(), "What language is the speaker speaking?", rotated, language,
            "In which country is the spoken language an official language?", countries, country))
    for track, entries in tracks.items():
        audio_dir = root / track / "audio"
        audio_dir.mkdir(parents=True, exist_ok=True)
        metadata = {}
        for name, (path, entry) in entries.items():
            (audio_dir / f"{name}.wav").write_bytes(_wav_bytes(path))
            metadata[f"data/{track}/audio/{name}.wav"] = entry
        (root / track / "metadata.json").write_text(json.dumps(metadata, indent=1, ensure_ascii=False))
    return list(tracks)


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--items", default=8, show_default=True, help="Items per instance and per SAKURA track.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="parquet", show_default=True)
def main(out_dir: Path, items: int, fmt: str) -> None:
    """Build OUT_DIR/dynamic-superb/<task>/ and OUT_DIR/sakura/<Track>/ from the corpus."""
    tasks = build_dynamic_superb(out_dir / "dynamic-superb", items=items, fmt=fmt)
    tracks = build_sakura(out_dir / "sakura", items=items)
    click.echo(f"{len(tasks)} Dynamic-SUPERB instances ({fmt}) and SAKURA tracks {tracks} under {out_dir}")


if __name__ == "__main__":
    main()
