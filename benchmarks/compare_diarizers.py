"""Speaker counting by each offline diarization backend on the same mixtures, and at a 0.3 dB lower level.

Usage: ``python benchmarks/compare_diarizers.py [--fsdd ../shared/data/fsdd] [--mixtures 2]``

The mixtures are calibrate_speakers.py's (real speakers of both folds, 1-5 per mixture, turns with
pauses), so the figures are comparable with its tables; the clustering settings were chosen there
on these speakers (by fold), the segmentation backend's settings were not tuned on them. Each
mixture is counted as made and again with its gain lowered by 0.3 dB (a change no listener
hears): a count that moves is a flip. The demo recording examples/phone_call.flac is counted the
same two ways, and from a 16-bit file written 0.3 dB lower (corpus.with_gain), as issue 29 found it. ``count_speakers`` is called through the tool, as a program would.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from calibrate_speakers import FOLDS, load_voices, make_mixtures  # noqa: E402

from copilot.audio import SAMPLE_RATE, Audio, load_audio  # noqa: E402
from copilot.config import Settings, load_settings  # noqa: E402
from copilot.testing import corpus  # noqa: E402
from copilot.tools import Runtime, use_runtime  # noqa: E402
from toolsets.speech.diarization import count_speakers  # noqa: E402

GAIN = 10 ** (-0.3 / 20)
DEMO = Path(__file__).resolve().parents[1] / "examples" / "phone_call.flac"


def quieter(audio: Audio) -> Audio:
    return Audio.from_array(audio.samples * GAIN, SAMPLE_RATE, audio.source + " -0.3 dB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/fsdd")
    parser.add_argument("--mixtures", type=int, default=2, help="mixtures per speaker count and fold")
    parser.add_argument("--backends", default="embedding-clustering,segmentation")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    voices = load_voices(args.fsdd, rng)
    mixtures = [m for names in FOLDS.values() for m in make_mixtures(voices, names, args.mixtures, rng)]
    truth = np.array([m.count for m in mixtures])
    demo = load_audio(DEMO)
    base = Settings()
    for name in args.backends.split(","):
        settings = dataclasses.replace(base, cache_dir=load_settings().cache_dir, disk_cache=False,
                                       backends={**base.backends, "diarization": name})
        with use_runtime(Runtime(settings)):
            started = time.perf_counter()
            got = np.array([count_speakers(m.audio)["count"] for m in mixtures])
            seconds = time.perf_counter() - started
            low = np.array([count_speakers(quieter(m.audio))["count"] for m in mixtures])
            demo_counts = (count_speakers(demo)["count"], count_speakers(quieter(demo))["count"],
                           count_speakers(load_audio(corpus.with_gain(DEMO, -0.3)))["count"])
        several = truth >= 2
        per_count = " ".join(f"{k}:{100 * np.mean(got[truth == k] == k):.0f}%" for k in range(1, 6))
        print(f"{name}: counting {100 * np.mean(got == truth):.0f}% ({per_count}); more than one speaker? "
              f"{100 * (np.mean(got[~several] == 1) + np.mean(got[several] >= 2)) / 2:.0f}% (balanced); "
              f"flips at -0.3 dB {int(np.sum(got != low))} of {len(got)}; demo {demo_counts[0]} -> {demo_counts[1]} "
              f"(as a 16-bit file: {demo_counts[2]}); "
              f"{seconds / sum(m.audio.duration for m in mixtures):.3f} s per s of audio", flush=True)


if __name__ == "__main__":
    main()
