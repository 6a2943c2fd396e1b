"""Accuracy of ``stressed_word`` on sentences where espeak-ng stresses one word through SSML.

Usage: ``python benchmarks/bench_stress.py``

Each sentence is read with one word raised in pitch and volume under ``<emphasis>`` (the same
markup as tests/toolset/test_prosody.py, which uses one other sentence), by three espeak-ng voices,
stressing an early, a middle and a late word. The tool's weights (0.5 loudness, 0.3 pitch, 0.2
length) were set before this set existed and nothing here tunes them. This is synthetic stress of a
known size, so the figure says whether the cues are measured as designed, not how the tool fares
on natural emphasis. A miss is counted when the stressed index differs (or the transcript has
another word count, which shifts every index). Chance is about 1/8.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from copilot.audio import load_audio  # noqa: E402
from copilot.config import Settings  # noqa: E402
from copilot.tools import Runtime, use_runtime  # noqa: E402
from toolsets.speech.prosody import stressed_word  # noqa: E402

STRESS = '<prosody pitch="+40%" volume="+60%"><emphasis level="strong">{}</emphasis></prosody>'
SENTENCES = ["We should leave the house before the rain starts", "My brother bought a green car last summer",
             "The children walked to the park after lunch", "Please put the blue cup on the top shelf",
             "Our neighbours painted their fence bright yellow today", "She found an old letter inside the drawer"]
VOICES = ("en-us", "en-gb+m3", "en-us+f3")


def clip(words: list[str], index: int, voice: str, folder: Path) -> Path:
    path = folder / f"{abs(hash((tuple(words), index, voice)))}.wav"
    markup = "<speak>" + " ".join(STRESS.format(w) if i == index else w for i, w in enumerate(words)) + "</speak>"
    subprocess.run(["espeak-ng", "-m", "-v", voice, "-w", str(path), markup], check=True, capture_output=True)
    return path


def main() -> None:
    right, total = Counter(), Counter()
    with tempfile.TemporaryDirectory() as tmp, use_runtime(Runtime(Settings(disk_cache=False))):
        for sentence in SENTENCES:
            words = sentence.split()
            for index in (1, len(words) // 2, len(words) - 2):
                for voice in VOICES:
                    result = stressed_word(load_audio(clip(words, index, voice, Path(tmp))))
                    total[voice] += 1
                    right[voice] += result["index"] == index and len(result["words"]) == len(words)
    for voice in VOICES:
        print(f"{voice:<10} {right[voice]}/{total[voice]}")
    print(f"{'all':<10} {sum(right.values())}/{sum(total.values())} = {sum(right.values()) / sum(total.values()):.0%}")


if __name__ == "__main__":
    main()
