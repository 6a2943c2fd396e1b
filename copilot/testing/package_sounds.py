"""Real animal and everyday sounds from Debian packages, labelled with the word a question would use.

- ``tuxpaint-stamps-default``: each stamp's sound (``stamps/animals/birds/rooster.ogg``, ...);
  the file name is the label, reduced to the common word (``cow_white`` -> cow, ``drake`` -> duck).
- ``gcompris-qt-data``: the farm-animal explorer's calls (cat, dog, cow, pig, sheep, chickens...)
  and the sound-memory game's recordings (barks, frogs, rain, applause, a train, a car engine),
  read out of the Qt resource bundles (``.rcc``) they ship in.

Labels are true by construction (the packages name the sound); which files belong to which label
is fixed below, so the set does not change with what a model hears.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from copilot.errors import CopilotError
from copilot.fileio import atomic_write
from copilot.testing.corpus import corpus_dir

TUXPAINT_STAMPS = Path("/usr/share/tuxpaint/stamps")
GCOMPRIS_RCC = Path("/usr/share/gcompris-qt/rcc")
# Tux Paint file stems that a question would name by a more common word.
TUXPAINT_WORDS = {"cow_white": "cow", "bull": "cow", "sheep_lamb": "sheep", "ram": "sheep",
                  "pig_golden": "pig", "pig_golden2": "pig", "drake": "duck", "gander": "goose",
                  "doe": "deer", "dromedary": "camel", "blackcat": "cat", "bat_left": "bat",
                  "heron_greatblue_flying": "heron", "mountaingoat": "goat", "cymbal_crash": "cymbal",
                  "drum_tomtom_floor": "drum", "drumkit": "drum", "vacuum_cleaner": "vacuum cleaner",
                  "washing-machine": "washing machine", "mallet_metal": "hammer"}
# GCompris recordings: (bundle, file inside it) -> label.
GCOMPRIS_SOUNDS = {
    ("explore_farm_animals", "cat.ogg"): "cat", ("explore_farm_animals", "chickens.ogg"): "hen",
    ("explore_farm_animals", "cow.ogg"): "cow", ("explore_farm_animals", "dog.ogg"): "dog",
    ("explore_farm_animals", "duck.ogg"): "duck", ("explore_farm_animals", "horse.ogg"): "horse",
    ("explore_farm_animals", "owl.ogg"): "owl", ("explore_farm_animals", "pig.ogg"): "pig",
    ("explore_farm_animals", "sheep.ogg"): "sheep",
    ("memory-sound", "LRBark_1_LA_cut.ogg"): "dog", ("memory-sound", "LRBark_3_LA_cut.ogg"): "dog",
    ("memory-sound", "LRFrogsInPondDuringStormLACut.ogg"): "frog",
    ("memory-sound", "LRRain_in_garden_01_LA_cut.ogg"): "rain",
    ("memory-sound", "LRApplauses_1_LA_cut.ogg"): "applause",
    ("memory-sound", "LRTrain_slowing_down_01_LA_cut.ogg"): "train",
    ("memory-sound", "LRStartAndStopCarEngine1LACut.ogg"): "car",
    ("memory-sound", "LRHeart_beat_01_LA.ogg"): "heartbeat",
    ("memory-sound", "LRBuddhist_gong_05_LA.ogg"): "gong",
    ("memory-sound", "LRDoor_Open_2_LA.ogg"): "door",
    ("memory-sound", "guitar_melody.ogg"): "guitar",
}


@dataclass(frozen=True)
class LabelledSound:
    path: Path
    label: str
    source: str  # "tuxpaint:<stamp path>" or "gcompris:<bundle>/<file>"


def tuxpaint(category: str = "animals") -> list[LabelledSound]:
    """Tux Paint stamp sounds under ``stamps/<category>`` (spoken ``_desc`` files left out)."""
    base = TUXPAINT_STAMPS / category
    if not base.is_dir():
        raise CopilotError(f"{base} is missing: install the Debian package tuxpaint-stamps-default")
    out = []
    for path in sorted(base.rglob("*.ogg")):
        if "_desc" not in path.stem:
            stem = path.stem.lower()
            label = TUXPAINT_WORDS.get(stem, stem.replace("_", " "))
            out.append(LabelledSound(path, label, f"tuxpaint:{path.relative_to(TUXPAINT_STAMPS)}"))
    return out


def gcompris() -> list[LabelledSound]:
    """The GCompris recordings listed in :data:`GCOMPRIS_SOUNDS`, extracted once into the corpus folder."""
    out = []
    bundles: dict[str, dict[str, bytes]] = {}
    for (bundle, name), label in GCOMPRIS_SOUNDS.items():
        target = corpus_dir() / "gcompris" / bundle / name
        if not target.exists():
            if bundle not in bundles:
                rcc = GCOMPRIS_RCC / f"{bundle}.rcc"
                if not rcc.is_file():
                    raise CopilotError(f"{rcc} is missing: install the Debian package gcompris-qt-data")
                bundles[bundle] = {path.rsplit("/", 1)[-1]: data for path, data in rcc_files(rcc.read_bytes())}
            atomic_write(target, bundles[bundle][name])
        out.append(LabelledSound(target, label, f"gcompris:{bundle}/{name}"))
    return out


def rcc_files(blob: bytes) -> list[tuple[str, bytes]]:
    """The files in a Qt binary resource bundle (``rcc`` format 1-3), as (path, content) pairs.

    Layout: a 'qres' header with the offsets of the tree, data and names sections; tree nodes of
    14 bytes (22 from format 2 on) hold a name offset, flags (2 = directory, 1 = zlib) and either
    the children's first index and count or the data offset; data is a 4-byte size plus bytes.
    """
    magic, version, tree, data, names = struct.unpack(">4sIIII", blob[:20])
    if magic != b"qres":
        raise CopilotError("not a Qt resource bundle (no 'qres' header)")
    node_size = 22 if version >= 2 else 14

    def name_at(offset: int) -> str:
        length = struct.unpack(">H", blob[names + offset:names + offset + 2])[0]
        return blob[names + offset + 6:names + offset + 6 + 2 * length].decode("utf-16-be")

    out: list[tuple[str, bytes]] = []
    todo = [(0, "")]
    while todo:
        index, prefix = todo.pop()
        node = tree + index * node_size
        name_offset, flags = struct.unpack(">IH", blob[node:node + 6])
        path = f"{prefix}/{name_at(name_offset)}" if index else ""
        if flags & 2:
            count, first = struct.unpack(">II", blob[node + 6:node + 14])
            todo += [(i, path) for i in range(first, first + count)]
        elif not flags & 4:  # 4 = zstd, which these bundles do not use
            offset = data + struct.unpack(">I", blob[node + 10:node + 14])[0]
            size = struct.unpack(">I", blob[offset:offset + 4])[0]
            content = blob[offset + 4:offset + 4 + size]
            out.append((path, zlib.decompress(content[4:]) if flags & 1 else content))
    return out
