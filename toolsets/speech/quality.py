"""Degradations: signal-to-noise ratio, background noise and its type, speech quality, reverberation.

SNR and reverberation are signal processing on top of the voice activity detector, documented
below with their thresholds; the noise type comes from YAMNet on the parts without speech; the
speech quality score is Microsoft's DNSMOS (ONNX, from the ``speechmos`` package).
"""

from __future__ import annotations

import numpy as np

from copilot.audio import SAMPLE_RATE, Audio
from copilot.errors import ToolError
from copilot.tools import Backend, backend, current_runtime, tool
from toolsets.speech import activity  # noqa: F401 - registers the "vad" backend these tools use
from toolsets.speech.events import PATCH_FRAMES, PATCH_HOP_S, SPEECH_OR_SILENCE, summarise

FRAME = 320  # 20 ms frames for SNR
EDGE_S = 0.1  # frames this close to a speech segment count as neither speech nor noise
MIN_NOISE_S = 0.5  # less noise-only audio than this: estimate the noise floor inside speech instead
FLOOR_PERCENTILE = 2
# Below this SNR background noise counts as present: the real LibriVox and cards recordings
# measure 22-36 dB, the same with white noise added at 20 dB 17-22 dB, at 10 dB 10-13 dB.
NOISE_SNR_DB = 20.0
SNR_RANGE_DB = (-10.0, 60.0)
# Reverberation: the 25th percentile of T60 estimates from free decays; calibrated on LibriVox,
# cards, espeak and flite speech, dry (0.12-0.21 s; 0.23 s with noise at 10 dB) and through sox
# reverb (0.39-0.57 s; a small room, room-scale 30, gives 0.29 s).
REVERB_THRESHOLD_S = 0.27
MIN_DECAYS = 8
DECAY_MIN_FRAMES = 5  # 50 ms
DECAY_MIN_DROP_DB = 10.0


def _frame_powers(x: np.ndarray, frame: int) -> np.ndarray:
    n = len(x) // frame
    if n == 0:
        raise ToolError(f"the recording is too short ({len(x) / SAMPLE_RATE:.3f} s) to measure; answer that "
                        "it is too short to tell")
    return np.mean(x[: n * frame].astype(np.float64).reshape(n, frame) ** 2, axis=1)


def _speech_mask(segments: list[dict], n_frames: int, frame_s: float, widen_s: float = 0.0) -> np.ndarray:
    mask = np.zeros(n_frames, dtype=bool)
    for s in segments:
        a = max(0, int((s["start_s"] - widen_s) / frame_s))
        b = min(n_frames, int(np.ceil((s["end_s"] + widen_s) / frame_s)))
        mask[a:b] = True
    return mask


def measure_snr(audio: Audio, segments: list[dict]) -> dict:
    """SNR from speech segments: (speech-frame power - noise power) / noise power, in dB.

    Noise power is the mean power of frames more than 0.1 s away from any speech; with less than
    0.5 s of such frames it is the 2nd percentile of the 20 ms frame powers inside speech (the
    floor in the pauses between words), which is less accurate.
    """
    powers = _frame_powers(audio.samples, FRAME)
    frame_s = FRAME / SAMPLE_RATE
    speech = _speech_mask(segments, len(powers), frame_s)
    if not speech.any():
        raise ToolError("no speech found, so there is no signal-to-noise ratio to measure; use detect_noise "
                        "to describe the background, or answer that no one speaks")
    noise_only = ~_speech_mask(segments, len(powers), frame_s, EDGE_S)
    if noise_only.sum() * frame_s >= MIN_NOISE_S:
        noise, method = float(np.mean(powers[noise_only])), "noise-only frames"
    else:
        noise, method = float(np.percentile(powers[speech], FLOOR_PERCENTILE)), "floor within speech"
    signal = max(float(np.mean(powers[speech])) - noise, 1e-12)
    snr = float(np.clip(10 * np.log10(signal / max(noise, 1e-12)), *SNR_RANGE_DB))
    return {"snr_db": round(snr, 1), "method": method, "noise_only_s": round(float(noise_only.sum() * frame_s), 2)}


def _band_energies_db(x: np.ndarray) -> np.ndarray:
    """Energy in 8 mel bands (125-7500 Hz), dB, 10 ms hop, smoothed over 3 frames."""
    import librosa

    spec = np.abs(librosa.stft(x, n_fft=512, hop_length=160, win_length=400, center=False)) ** 2
    bank = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=512, n_mels=8, fmin=125, fmax=7500, htk=True)
    bands = 10 * np.log10(bank @ spec + 1e-10)
    kernel = np.ones(3) / 3
    return np.stack([np.convolve(b, kernel, mode="same") for b in bands])


def free_decay_t60s(x: np.ndarray) -> np.ndarray:
    """T60 estimates (s) from every free decay: a run of falling band energy after a sound stops.

    A run must fall for at least 50 ms and by at least 10 dB, staying 5 dB above the band's noise
    floor (its 10th percentile); its least-squares slope in dB/s gives T60 = -60 / slope. A room
    cannot make sound die faster than its own decay, so the fast end of these estimates tracks
    the reverberation while speech offsets in a dry room give short ones.
    """
    if len(x) < 512:
        return np.zeros(0)
    out = []
    for band in _band_energies_db(x):
        floor = np.percentile(band, 10) + 5
        top = band.max() - 50
        falling = np.diff(band) < 0
        i, n = 0, len(band)
        while i < n - 1:
            if not (falling[i] and band[i] > floor and band[i] > top):
                i += 1
                continue
            j = i
            while j < n - 1 and falling[j] and band[j + 1] > floor:
                j += 1
            if j - i >= DECAY_MIN_FRAMES and band[i] - band[j] >= DECAY_MIN_DROP_DB:
                slope = np.polyfit(np.arange(i, j + 1) * 0.01, band[i: j + 1], 1)[0]
                out.append(-60.0 / slope)
            i = j + 1
    return np.asarray(out)


@backend
class DNSMOS(Backend):
    capability = "speech_quality"
    name = "dnsmos"
    requires = ("speechmos", "onnxruntime", "librosa")
    description = "Microsoft DNSMOS P.835 and P.808 (ONNX) from the speechmos package"

    def load(self) -> None:
        from pathlib import Path

        import speechmos
        from speechmos.dnsmos import DNSMOS as Model

        folder = Path(speechmos.__file__).parent / "dnsmos_models"
        self.model = Model(str(folder / "sig_bak_ovr.onnx"), str(folder / "model_v8.onnx"))

    def scores(self, audio: Audio) -> dict[str, float]:
        samples = np.clip(audio.samples, -1.0, 1.0)
        raw = self.model(samples, SAMPLE_RATE, False)
        return {k: float(raw[k]) for k in ("ovrl_mos", "sig_mos", "bak_mos", "p808_mos")}


@tool(uses=("vad",))
def estimate_snr(audio: Audio) -> dict:
    """Estimate the speech signal-to-noise ratio (SNR) of a recording in decibels.

    Args:
        audio: A recording that contains speech.

    Returns:
        {"snr_db": float, "method": str, "noise_only_s": float}. Clean recordings give 25 dB
        or more, clearly noisy ones under 20 dB, speech as loud as the noise about 0 dB.
        Noise is measured where nobody speaks; "method" says "floor within speech" when such
        parts were too short (then "reliability" is "low").

    Example:
        >>> snr = estimate_snr(audio)["snr_db"]
        >>> noisy = snr < 20
    """
    result = measure_snr(audio, current_runtime().get("vad").segments(audio))
    if result["method"] != "noise-only frames":
        result["reliability"] = "low"
        result["note"] = "almost no speech-free audio: noise measured in the pauses between words"
    return result


@tool(uses=("vad", "sound_events"))
def detect_noise(audio: Audio) -> dict:
    """Decide whether speech has background noise, how strong it is, and what kind it is.

    Args:
        audio: A recording with speech (a recording without speech is all background).

    Returns:
        {"present": bool, "snr_db": float | None, "type": str, "scores": {class: float}}.
        present means SNR below 20 dB (or, without speech, any sound class other than silence
        scoring at least 0.3); type is the top AudioSet class heard where nobody speaks
        (e.g. "White noise", "Static", "Traffic noise, roadway noise", "Music", "Rain"),
        scores the top 3 such classes.

    Example:
        >>> noise = detect_noise(audio)
        >>> answer = noise["type"] if noise["present"] else "no noise"
    """
    runtime = current_runtime()
    segments = runtime.get("vad").segments(audio)
    probs = runtime.get("sound_events").scores(audio)
    starts = np.arange(len(probs)) * PATCH_HOP_S
    ends = starts + PATCH_FRAMES * 0.01
    quiet = np.array([not any(s["start_s"] < e and b < s["end_s"] for s in segments)
                      for b, e in zip(starts, ends, strict=True)], dtype=bool)
    background = probs[quiet] if quiet.any() else probs
    found = summarise(background, 3, exclude=SPEECH_OR_SILENCE)
    result = {"snr_db": None, "type": found["label"], "scores": found["scores"]}
    if segments:
        result["snr_db"] = measure_snr(audio, segments)["snr_db"]
        result["present"] = result["snr_db"] < NOISE_SNR_DB
    else:
        result["present"] = max(found["scores"].values()) >= 0.3
    if not quiet.any():
        result["reliability"] = "low"
        result["note"] = "speech everywhere: the noise type was judged under the speech"
    return result


@tool(uses=("speech_quality",))
def speech_quality(audio: Audio) -> dict:
    """Rate perceived speech quality with DNSMOS (mean opinion scores from 1 bad to 5 excellent).

    Args:
        audio: A speech recording (scored in 9 s windows; shorter audio is looped).

    Returns:
        {"ovrl_mos": float, "sig_mos": float, "bak_mos": float, "p808_mos": float}: overall
        quality, speech signal quality, background noise quality (higher = less noise) and the
        ITU-T P.808 overall score. Clean read speech scores about 3-3.5 overall, noisy speech
        under 2.5.

    Example:
        >>> q = speech_quality(audio)
        >>> good = q["ovrl_mos"] >= 3.0
    """
    return {k: round(v, 3) for k, v in current_runtime().get("speech_quality").scores(audio).items()}


@tool
def detect_reverb(audio: Audio) -> dict:
    """Decide whether a recording is reverberant (echoey room) and estimate how much.

    Args:
        audio: The recording to check (speech or other sounds with clear stops).

    Returns:
        {"present": bool, "score": float, "decay_t60_s": float | None, "decays": int}.
        decay_t60_s is a blind reverberation-time estimate from how fast sound dies away after
        it stops (dry rooms about 0.1-0.2 s, reverberant ones 0.3 s and up); present means
        decay_t60_s >= 0.27 s; score (0-1) grows with it. Few decays give "reliability": "low".

    Example:
        >>> if detect_reverb(audio)["present"]:
        ...     answer = "recorded in a reverberant room"
    """
    t60s = free_decay_t60s(audio.samples)
    if len(t60s) == 0:
        return {"present": False, "score": 0.0, "decay_t60_s": None, "decays": 0, "reliability": "low",
                "note": "no sound offsets to measure (too short, too noisy or continuous sound)"}
    t60 = float(np.percentile(t60s, 25))
    score = float(1 / (1 + np.exp(-(t60 - REVERB_THRESHOLD_S) / 0.04)))
    result = {"present": t60 >= REVERB_THRESHOLD_S, "score": round(score, 3), "decay_t60_s": round(t60, 3),
              "decays": len(t60s)}
    if len(t60s) < MIN_DECAYS:
        result["reliability"] = "low"
        result["note"] = f"only {len(t60s)} sound offsets to measure; noise or short audio hides decays"
    return result
