"""Candidates-mapped accuracy of classify_sounds on real labelled sounds from Debian packages.

Clips: Tux Paint stamp sounds (animals, household, instruments) and GCompris recordings
(copilot.testing.package_sounds); a clip counts when its label names at least one YAMNet class.
Two question shapes, both answered by the tool alone:
  - "ten animals": the issue's option list (dog, rooster, pig, cow, frog, cat, hen, insects, sheep,
    crow), for the clips whose label is one of them (bee, hornet, mosquito, grasshopper -> insects);
  - "four options": the true label plus three other labels of the set, drawn with a fixed seed.
"before" is what programs did: the top AudioSet class mapped to the options by
copilot.options.match_option; "after" is classify_sounds(audio, candidates=options)["label"].

    PYTHONPATH=$PWD python benchmarks/bench_sound_candidates.py
"""

from __future__ import annotations

import random
from collections import Counter

from copilot.audio import load_audio
from copilot.options import match_option
from copilot.testing import package_sounds
from toolsets.speech.events import classify_sounds, matching_classes

TEN = ["dog", "rooster", "pig", "cow", "frog", "cat", "hen", "insects", "sheep", "crow"]
INSECTS = {"bee", "hornet", "mosquito", "grasshopper"}


def main() -> None:
    clips = package_sounds.tuxpaint("animals") + package_sounds.tuxpaint("household") + \
        package_sounds.tuxpaint("hobbies") + package_sounds.gcompris()
    usable = [c for c in clips if matching_classes(c.label)]
    skipped = sorted({c.label for c in clips} - {c.label for c in usable})
    labels = sorted({c.label for c in usable})
    rng = random.Random(0)
    tally: Counter = Counter()
    misses = []
    for clip in usable:
        audio = load_audio(clip.path)
        top = classify_sounds(audio)["label"]
        shapes = [("four options", [clip.label] + rng.sample([x for x in labels if x != clip.label], 3))]
        truth10 = "insects" if clip.label in INSECTS else clip.label
        if truth10 in TEN:
            shapes.append(("ten animals", TEN))
        for shape, options in shapes:
            options = sorted(options, key=lambda _: rng.random())
            truth = truth10 if shape == "ten animals" else clip.label
            after = classify_sounds(audio, candidates=options)["label"]
            tally[shape, "n"] += 1
            tally[shape, "before"] += match_option(top, options) == truth
            tally[shape, "after"] += after == truth
            if after != truth:
                misses.append(f"{clip.source}: {truth} -> {after} (top class {top})")
    print(f"clips: {len(usable)} usable of {len(clips)}; labels with no YAMNet class: {skipped}")
    for shape in ("ten animals", "four options"):
        n = tally[shape, "n"]
        print(f"{shape:13s} n={n:3d}  before (top class + match_option) {tally[shape, 'before'] / n:6.1%}"
              f"  after (candidates) {tally[shape, 'after'] / n:6.1%}")
    print("misses:", *misses, sep="\n  ")


if __name__ == "__main__":
    main()
