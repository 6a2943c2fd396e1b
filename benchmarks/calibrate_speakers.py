"""Calibrate and measure the speaker tools on real, speaker-labelled speech, split by speaker.

Usage: ``python benchmarks/calibrate_speakers.py [--fsdd ../shared/data/fsdd] [--mixtures 8] [--json out.json]``

Speakers (all real recordings): the six FSDD digit speakers (men), the LibriVox reader and the
"cards" speaker (pocketsphinx-testdata), and the two women of the pyannote.audio sample (their
single-speaker turns cut out by the RTTM). They form two folds of five; settings are chosen on one
fold and reported on the other, both ways round, so no figure comes from voices it was tuned on.
Every recording is band-limited to 8 kHz (FSDD's rate), so the channel is no cue to the speaker.

- Verification: every pair of utterances within a fold (an FSDD "utterance" is four digits with
  short pauses; LibriVox sentences are cut into about 3 s pieces); the threshold is the EER point of
  the calibration fold; accuracy is balanced (mean of same-pair and different-pair accuracy).
- Counting: mixtures of 1-5 speakers of a fold, each speaking 1-2 turns in shuffled order with
  pauses of 0.1-1 s between turns; an FSDD turn is 3-5 digits (each under 1 s) with pauses of
  0.1-0.3 s, so short segments and silence within a turn are part of every mixture. The clustering
  distance and minimum cluster share are chosen for the best mean accuracy over the counts.
  Multi-speaker detection is "count >= 2", balanced over one-speaker and several-speaker mixtures.
- The suggested settings are the means of the two folds' choices; the backend classes in
  toolsets/speech/speaker.py hold the ones in use, printed beside them.
- DER on the pyannote sample against its RTTM (pyannote.metrics, no collar, overlap scored), with
  the settings in use.
- Real-time factor of each embedding backend on the windows of the 30 s pyannote sample.

"before" is the resemblyzer backend at the settings the repository had before this calibration
(same-speaker 0.74, clustering distance 0.30, minimum share 0.10), measured in the same run.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from copilot.audio import SAMPLE_RATE, Audio, load_audio  # noqa: E402
from copilot.config import Settings, load_settings  # noqa: E402
from copilot.errors import CopilotError, ToolError  # noqa: E402
from copilot.testing import corpus  # noqa: E402
from copilot.tools import Runtime, use_runtime  # noqa: E402
from toolsets.speech import diarization, speaker  # noqa: E402

FOLDS = {"A": ["george", "jackson", "lucas", "librivox", "pyannote:A"],
         "B": ["nicolas", "theo", "yweweler", "cards", "pyannote:B"]}
WOMEN = {"pyannote:A", "pyannote:B"}  # FSDD's six speakers are men (its metadata), so are LibriVox and cards
BEFORE = {"backend": "resemblyzer", "same": 0.74, "distance": 0.30, "share": 0.10}
DISTANCES = np.round(np.arange(0.10, 1.21, 0.02), 2)
SHARES = (0.15, 0.10, 0.08, 0.05)  # on a tie the larger share wins: fewer phantom speakers
UTTERANCES_PER_SPEAKER = 10


def band_limit(x: np.ndarray, rate: int) -> np.ndarray:
    import soxr

    if rate != 8000:
        x = soxr.resample(x, rate, 8000)
    return soxr.resample(x, 8000, SAMPLE_RATE).astype(np.float32)


def pause(rng: np.random.Generator, low: float, high: float) -> np.ndarray:
    return np.zeros(int(rng.uniform(low, high) * SAMPLE_RATE), dtype=np.float32)


def join(parts: list[np.ndarray], rng: np.random.Generator, low: float, high: float) -> np.ndarray:
    out = [parts[0]]
    for p in parts[1:]:
        out += [pause(rng, low, high), p]
    return np.concatenate(out)


@dataclasses.dataclass
class Voice:
    """One speaker's material: utterances for verification, turn makers for mixtures."""

    name: str
    utterances: list[np.ndarray]
    pieces: list[np.ndarray]  # FSDD: single digits, joined into turns; others: whole turns
    digits: bool

    def turn(self, rng: np.random.Generator) -> np.ndarray:
        if not self.digits:
            return self.pieces[rng.integers(len(self.pieces))]
        picks = rng.choice(len(self.pieces), size=rng.integers(3, 6), replace=False)
        return join([self.pieces[i] for i in picks], rng, 0.1, 0.3)


def fsdd_voice(folder: Path, name: str, rng: np.random.Generator) -> Voice:
    import soundfile as sf

    files = sorted(folder.glob(f"*_{name}_*.wav"))
    if not files:
        raise CopilotError(f"no FSDD recordings of {name} under {folder}")
    chosen = [files[i] for i in rng.choice(len(files), size=70, replace=False)]
    digits = []
    for f in chosen:
        x, rate = sf.read(f, dtype="float32")
        digits.append(band_limit(x, rate))
    utterances = [join(digits[i:i + 4], rng, 0.1, 0.2) for i in range(0, 4 * UTTERANCES_PER_SPEAKER, 4)]
    return Voice(name, utterances, digits[4 * UTTERANCES_PER_SPEAKER:], True)


def chunks(x: np.ndarray, seconds: float = 3.0) -> list[np.ndarray]:
    size = int(seconds * SAMPLE_RATE)
    n = max(1, round(len(x) / size))
    return [c for c in np.array_split(x, n) if len(c) >= SAMPLE_RATE]


def pocketsphinx_voice(name: str, utterances: list[corpus.Utterance]) -> Voice:
    clips = [band_limit(load_audio(u.path).samples, SAMPLE_RATE) for u in utterances]
    pieces = [c for clip in clips for c in chunks(clip)]
    return Voice(name, pieces[:UTTERANCES_PER_SPEAKER], pieces, False)


def pyannote_voices() -> dict[str, Voice]:
    path, turns, _ = corpus.pyannote_sample()
    x = band_limit(load_audio(path).samples, SAMPLE_RATE)
    out: dict[str, list[np.ndarray]] = {}
    for t in turns:
        start, end = t.start, t.end
        for o in turns:  # keep only the part no one else talks over
            if o.speaker != t.speaker and o.start < end and o.end > start:
                if o.start <= start:
                    start = max(start, o.end)
                else:
                    end = min(end, o.start)
        if end - start >= 0.8:
            out.setdefault(t.speaker, []).append(x[int(start * SAMPLE_RATE): int(end * SAMPLE_RATE)])
    names = sorted(out, key=lambda s: -sum(len(c) for c in out[s]))[:2]
    voices = {}
    for label, spk in zip("AB", names, strict=True):
        pieces = [c for turn in out[spk] for c in chunks(turn)]
        voices[f"pyannote:{label}"] = Voice(f"pyannote:{label}", pieces[:UTTERANCES_PER_SPEAKER], pieces, False)
    return voices


def load_voices(fsdd: Path, rng: np.random.Generator) -> dict[str, Voice]:
    folder = fsdd / "recordings"
    if not folder.is_dir():
        raise CopilotError(f"{fsdd} holds no FSDD recordings/ folder (pass --fsdd)")
    voices = {n: fsdd_voice(folder, n, rng) for fold in FOLDS.values() for n in fold if ":" not in n
              and n not in ("librivox", "cards")}
    voices["librivox"] = pocketsphinx_voice("librivox", corpus.librivox())
    voices["cards"] = pocketsphinx_voice("cards", corpus.cards())
    voices.update(pyannote_voices())
    return voices


@dataclasses.dataclass
class Mixture:
    audio: Audio
    speakers: list[str]

    @property
    def count(self) -> int:
        return len(set(self.speakers))

    @property
    def mixed_gender(self) -> bool:
        women = {s in WOMEN for s in self.speakers}
        return len(women) == 2


def make_mixtures(voices: dict[str, Voice], fold: list[str], per_count: int,
                  rng: np.random.Generator) -> list[Mixture]:
    out = []
    for k in range(1, 6):
        for _ in range(per_count):
            who = list(rng.choice(fold, size=k, replace=False))
            turns = who + [s for s in who if rng.random() < 0.5]
            while True:  # shuffle so that no speaker follows itself (a change at every pause)
                rng.shuffle(turns)
                if k == 1 or all(a != b for a, b in itertools.pairwise(turns)):
                    break
            x = join([voices[s].turn(rng) for s in turns], rng, 0.1, 1.0)
            x = np.concatenate([pause(rng, 0.2, 0.6), x, pause(rng, 0.2, 0.6)])
            out.append(Mixture(Audio.from_array(x, SAMPLE_RATE, f"mix{k}"), who))
    return out


# ---- verification ----

def trials(emb: dict[str, list[np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Cosine scores of all utterance pairs, and whether each pair is one speaker."""
    rows = [(s, e) for s, es in emb.items() for e in es]
    scores, same = [], []
    for (sa, ea), (sb, eb) in itertools.combinations(rows, 2):
        scores.append(float(ea @ eb))
        same.append(sa == sb)
    return np.array(scores), np.array(same)


def eer(scores: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """Equal error rate and the threshold where false accepts and false rejects cross."""
    best = (1.0, 0.0)
    for t in np.unique(scores):
        far = float(np.mean(scores[~same] >= t))
        frr = float(np.mean(scores[same] < t))
        gap = abs(far - frr)
        if gap < best[0]:
            best, rate = (gap, t), (far + frr) / 2
    return rate, float(best[1])


def balanced_accuracy(scores: np.ndarray, same: np.ndarray, threshold: float) -> float:
    return float((np.mean(scores[same] >= threshold) + np.mean(scores[~same] < threshold)) / 2)


# ---- counting ----

def count_table(found: list[diarization.WindowEmbeddings | None], distance: float, share: float) -> list[int]:
    return [0 if f is None else len(set(f.labels(distance, share))) for f in found]


def count_scores(mixtures: list[Mixture], counts: list[int]) -> dict:
    truth = np.array([m.count for m in mixtures])
    got = np.array(counts)
    mixed = np.array([m.mixed_gender for m in mixtures])
    several = truth >= 2
    detect = ((got[~several] == 1).mean() + (got[several] >= 2).mean()) / 2
    return {"per_count": {k: float((got[truth == k] == k).mean()) for k in range(1, 6)},
            "mean": float((got == truth).mean()),
            "same_gender": float((got[~mixed & several] == truth[~mixed & several]).mean()),
            "mixed_gender": float((got[mixed] == truth[mixed]).mean()) if mixed.any() else float("nan"),
            "multi_detect": float(detect)}


def choose_clustering(mixtures: list[Mixture], found: list) -> tuple[float, float]:
    truth = np.array([m.count for m in mixtures])
    best = (-1.0, 0.0, 0.0)
    for share in SHARES:
        for d in DISTANCES:
            acc = float(np.mean([np.mean(np.array(count_table(found, d, share))[truth == k] == k)
                                 for k in range(1, 6)]))
            if acc > best[0] + 1e-9:
                best = (acc, float(d), share)
    return best[1], best[2]


# ---- DER and speed ----

def der(audio: Audio, reference: list[corpus.Turn], found: diarization.WindowEmbeddings, labels) -> float:
    from pyannote.core import Annotation, Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref, hyp = Annotation(), Annotation()
    for t in reference:
        ref[Segment(t.start, t.end)] = t.speaker
    for t in diarization._turns(found, labels):
        hyp[Segment(t["start_s"], t["end_s"])] = t["_k"]
    metric = DiarizationErrorRate(collar=0.0, skip_overlap=False)
    return float(metric(ref, hyp, uem=Timeline([Segment(0, audio.duration)])))


def real_time_factor(embedder, audio: Audio) -> float:
    stream = speaker.speech_stream(audio)
    windows = [stream.cut(w) for w in stream.windows(embedder.WINDOW_S, embedder.HOP_S)]
    embedder.embed_windows(windows[:4])  # warm up
    times = []
    for _ in range(3):
        started = time.perf_counter()
        embedder.embed_windows(windows)
        times.append(time.perf_counter() - started)
    return statistics.median(times) / audio.duration


def embed_or_none(embedder, samples: np.ndarray) -> np.ndarray | None:
    """The embedding, or None where the backend finds too little speech (left out of the trials)."""
    try:
        return embedder.embed(Audio.from_array(samples, SAMPLE_RATE, "utterance"))
    except ToolError:
        return None


def measure(name: str, runtime: Runtime, voices: dict[str, Voice], mixtures: dict[str, list[Mixture]],
            fixed: dict | None) -> dict:
    """Per held-out fold: settings from the other fold (or ``fixed``), figures on this one."""
    embedder = runtime.get("speaker_embedding")
    emb = {n: [e for u in v.utterances if (e := embed_or_none(embedder, u)) is not None]
           for n, v in voices.items()}
    refused = sum(len(v.utterances) - len(emb[n]) for n, v in voices.items())
    found = {f: [diarization.window_embeddings(m.audio, embedder) for m in ms] for f, ms in mixtures.items()}
    folds = {}
    for test, calib in (("B", "A"), ("A", "B")):
        s_cal, y_cal = trials({n: emb[n] for n in FOLDS[calib]})
        s_test, y_test = trials({n: emb[n] for n in FOLDS[test]})
        cal_eer, cal_thr = eer(s_cal, y_cal)
        if fixed:
            same, distance, share = fixed["same"], fixed["distance"], fixed["share"]
        else:
            same = cal_thr
            distance, share = choose_clustering(mixtures[calib], found[calib])
        test_eer, test_thr = eer(s_test, y_test)
        folds[test] = {"same_threshold": same, "distance": distance, "share": share,
                       "eer": test_eer, "eer_threshold": test_thr,
                       "accuracy": balanced_accuracy(s_test, y_test, same),
                       "counting": count_scores(mixtures[test], count_table(found[test], distance, share))}
    suggested = {"same": np.mean([f["same_threshold"] for f in folds.values()]),
                 "distance": np.mean([f["distance"] for f in folds.values()]),
                 "share": np.mean([f["share"] for f in folds.values()])}
    shipped = fixed or {"same": embedder.SAME_THRESHOLD, "distance": embedder.CLUSTER_DISTANCE,
                        "share": embedder.MIN_CLUSTER_SHARE}
    path, turns, _ = corpus.pyannote_sample()
    audio = load_audio(path)
    sample = diarization.window_embeddings(audio, embedder)
    labels = sample.labels(shipped["distance"], shipped["share"])
    return {"name": name, "folds": folds, "refused": refused, "suggested": suggested, "shipped": shipped,
            "der": der(audio, turns, sample, labels), "der_count": len(set(labels)),
            "rtf": real_time_factor(embedder, audio)}


def runtime_for(backend_name: str) -> Runtime:
    base = Settings()
    settings = dataclasses.replace(base, cache_dir=load_settings().cache_dir, disk_cache=False,
                                   backends={**base.backends, "speaker_embedding": backend_name})
    return Runtime(settings)


def report(results: list[dict]) -> None:
    def row(label: str, values: list[str]) -> None:
        print(f"  {label:<34}" + "".join(f"{v:>22}" for v in values))

    print("\nheld-out figures (fold B tuned on A | fold A tuned on B)")
    row("", [r["name"] for r in results])
    fmt = lambda r, f: " | ".join(f(r["folds"][k]) for k in ("B", "A"))  # noqa: E731
    row("utterances refused (too short)", [str(r["refused"]) for r in results])
    row("same-speaker threshold used", [fmt(r, lambda f: f"{f['same_threshold']:.3f}") for r in results])
    row("verification EER", [fmt(r, lambda f: f"{100 * f['eer']:.1f}%") for r in results])
    row("threshold at EER (held-out)", [fmt(r, lambda f: f"{f['eer_threshold']:.3f}") for r in results])
    row("accuracy at used threshold", [fmt(r, lambda f: f"{100 * f['accuracy']:.1f}%") for r in results])
    row("clustering distance / share", [fmt(r, lambda f: f"{f['distance']:.2f}/{f['share']:.2f}")
                                        for r in results])
    for k in range(1, 6):
        row(f"counting accuracy, {k} speaker(s)",
            [fmt(r, lambda f, k=k: f"{100 * f['counting']['per_count'][k]:.0f}%") for r in results])
    for key, label in (("mean", "counting accuracy, mean"), ("same_gender", "  2-5 speakers, one gender"),
                       ("mixed_gender", "  2-5 speakers, both genders"),
                       ("multi_detect", "more than one speaker? (bal.)")):
        row(label, [fmt(r, lambda f, key=key: f"{100 * f['counting'][key]:.0f}%") for r in results])
    settings = lambda d: f"{d['same']:.2f} {d['distance']:.2f}/{d['share']:.2f}"  # noqa: E731
    row("suggested: same, distance/share", [settings(r["suggested"]) for r in results])
    row("in use:    same, distance/share", [settings(r["shipped"]) for r in results])
    row("DER, pyannote sample (count)", [f"{100 * r['der']:.1f}% ({r['der_count']})" for r in results])
    row("embedding real-time factor", [f"{r['rtf']:.4f}" for r in results])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/fsdd")
    parser.add_argument("--mixtures", type=int, default=8, help="mixtures per speaker count and fold")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backends", default="resemblyzer,campplus")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    try:
        started = time.perf_counter()
        voices = load_voices(args.fsdd, rng)
        mixtures = {f: make_mixtures(voices, names, args.mixtures, rng) for f, names in FOLDS.items()}
        seconds = sum(m.audio.duration for ms in mixtures.values() for m in ms)
        print(f"{len(voices)} speakers, {sum(len(v.utterances) for v in voices.values())} utterances; "
              f"{sum(len(ms) for ms in mixtures.values())} mixtures, {seconds:.0f} s")
        results = []
        for name in args.backends.split(","):
            rt = runtime_for(name)
            with use_runtime(rt):
                if name == BEFORE["backend"]:
                    results.append(measure("before: resemblyzer", rt, voices, mixtures, BEFORE))
                results.append(measure(f"{name} (calibrated)", rt, voices, mixtures, None))
        report(results)
        print(f"\n{time.perf_counter() - started:.0f} s in all")
    except CopilotError as exc:
        sys.exit(f"calibrate_speakers: {exc}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
