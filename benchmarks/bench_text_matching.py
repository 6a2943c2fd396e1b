"""Does the speech say this text? text_spoken's threshold chosen on one split, real ASR in the loop.

Usage: ``python benchmarks/bench_text_matching.py [--fsdd ../shared/data/fsdd]``

Every clip is transcribed once by the offline ASR (the "asr" backend: Whisper tiny.en); each trial
asks whether a text is spoken in a clip. Trials per clip: its own text (yes); another clip's text
(no); its own text with half of its words swapped for another sentence's (no: most of it was not
said); and for sentences, one of its words (yes) and a word from elsewhere (no).

- tune split (the threshold is chosen here): espeak-ng reading the SENTENCES in two voices at
  slow, normal and fast rates (synthetic, eSpeak NG is GPL-3.0).
- test split (reported): flite voices (awb, slt; BSD-like licence) reading the same sentences;
  real read speech from Debian's pocketsphinx-testdata (LibriVox and "cards" speakers, with their
  transcripts); real spoken digits from FSDD (CC BY-SA 4.0, one digit per clip, "is this digit
  said?").
Before/after in one run: "substring" is the program the planner wrote (the whole text must be a
substring of the transcript, case-insensitive); "overlap" is the worked example it replaces (70 %
of the text's words among the transcript's words); "text_spoken" is the tool at its threshold.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from copilot.audio import load_audio  # noqa: E402
from copilot.config import load_settings  # noqa: E402
from copilot.testing import corpus  # noqa: E402
from copilot.tools import Runtime, use_runtime  # noqa: E402
from toolsets.speech import matching  # noqa: E402
from toolsets.speech.transcription import transcribe  # noqa: E402

SENTENCES = [
    "The old bridge was closed for repairs last winter.", "Please bring three apples and a loaf of bread.",
    "My brother plays the violin every Sunday evening.", "The museum opens at ten in the morning.",
    "A strong wind knocked the sign off the roof.", "We watched the boats sail past the harbour.",
    "Her garden is full of roses and tall sunflowers.", "The children laughed at the clumsy puppy.",
    "He forgot his umbrella on the crowded bus.", "The soup needs a little more salt and pepper.",
    "They painted the kitchen a pale shade of green.", "Turn left after the second traffic light.",
]
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TUNE = [("espeak en-us", lambda s, rate: corpus.espeak(s, "en-us", rate)),
        ("espeak en-gb+f3", lambda s, rate: corpus.espeak(s, "en-gb+f3", rate))]
RATES = (120, 170, 230)


def clips(fsdd: Path) -> dict[str, list[tuple[str, str, Path]]]:
    """Per split, (style, text, audio path) triples."""
    tune = [(f"{voice} rate {rate}", s, make(s, rate)) for voice, make in TUNE for rate in RATES
            for s in SENTENCES]
    test = [(f"flite {v}", s, corpus.flite(s, v)) for v in ("awb", "slt") for s in SENTENCES]
    test += [("real read (librivox, cards)", u.text, u.path) for u in corpus.librivox() + corpus.cards()]
    digits = sorted((fsdd / "recordings").glob("*_0.wav")) + sorted((fsdd / "recordings").glob("*_1.wav"))
    test += [("real digits (fsdd)", DIGITS[int(p.name[0])], p) for p in digits]
    return {"tune": tune, "test": test}


def trials(items: list[tuple[str, str, str]], rng: np.random.Generator) -> list[tuple[str, str, str, str, bool]]:
    """(kind, style, text, transcript, truth) for each clip's own and foreign texts."""
    out = []
    for style, text, heard in items:
        others = [t for s, t, _ in items if t != text and s == style] or [t for _, t, _ in items if t != text]
        other = others[rng.integers(len(others))]
        out += [("own text", style, text, heard, True), ("another text", style, other, heard, False)]
        words, foreign = text.split(), other.split()
        if len(words) >= 4:
            half = len(words) // 2
            out.append(("half swapped", style, " ".join(words[:half] + foreign[half:]), heard, False))
            out.append(("one of its words", style, max(words, key=len), heard, True))
            absent = [w for w in foreign if w.lower().strip(".,") not in text.lower()]
            if absent:
                out.append(("absent word", style, max(absent, key=len), heard, False))
    return out


def substring(text: str, transcript: str) -> bool:
    return text.strip().lower() in transcript.lower()


def overlap(text: str, transcript: str) -> bool:
    clean = lambda s: "".join(c if c.isalnum() or c == " " else " " for c in s.lower()).split()  # noqa: E731
    said, expected = clean(transcript), clean(text)
    return sum(1 for w in expected if w in said) / max(len(expected), 1) >= 0.7


def balanced(truth: np.ndarray, said: np.ndarray) -> float:
    parts = [np.mean(said[truth == v] == v) for v in (True, False) if (truth == v).any()]
    return float(np.mean(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/fsdd")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    with use_runtime(Runtime(load_settings())):
        data = {split: [(style, text, transcribe(load_audio(path), "en")["text"]) for style, text, path in items]
                for split, items in clips(args.fsdd).items()}
    runs = {split: trials(items, rng) for split, items in data.items()}
    errors = {split: np.array([matching.match(t, h)["error"] for _, _, t, h, _ in rs]) for split, rs in runs.items()}
    truth = {split: np.array([r[4] for r in rs]) for split, rs in runs.items()}
    grid = np.round(np.arange(0.0, 1.0, 0.05), 2)
    scores = [balanced(truth["tune"], errors["tune"] <= g) for g in grid]
    best = float(grid[int(np.argmax(scores))])
    print(f"tune split: best threshold {best} (balanced accuracy {max(scores):.3f}); in use {matching.MAX_ERROR}")
    for split, rs in runs.items():
        print(f"\n{split} split, {len(rs)} trials: balanced accuracy (substring | overlap | text_spoken)")
        methods = {"substring": np.array([substring(t, h) for _, _, t, h, _ in rs]),
                   "overlap": np.array([overlap(t, h) for _, _, t, h, _ in rs]),
                   "text_spoken": errors[split] <= matching.MAX_ERROR}
        groups = {"all": np.ones(len(rs), bool)}
        for key in (1, 0):
            for name in dict.fromkeys(r[key] for r in rs):
                groups[name] = np.array([r[key] == name for r in rs])
        for name, mask in groups.items():
            y = truth[split][mask]
            cells = " | ".join(f"{100 * (balanced(y, m[mask]) if name == 'all' else np.mean(m[mask] == y)):5.1f}%"
                               for m in methods.values())
            print(f"  {name:<32} n={mask.sum():<4} {cells}")


if __name__ == "__main__":
    main()
