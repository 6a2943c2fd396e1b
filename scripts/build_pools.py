"""Build the shipped instruction pools in copilot/instructions/ from the shared Dynamic-SUPERB data.

Run once when the source data changes: python scripts/build_pools.py ../shared/data
The pools are committed, so neither users nor CI need the source data.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Input signature per task family: which recordings and text fields an item carries.
TWO_AUDIO = {"SpeakerVerification", "DialogueActPairing"}
AUDIO_TEXT = {"SpeechTextMatching", "SpokenTermDetection"}


def inputs_for(family: str) -> list[str]:
    if family in TWO_AUDIO:
        return ["audio", "audio2"]
    if family in AUDIO_TEXT:
        return ["audio", "text"]
    return ["audio"]


def family_of(name: str) -> str:
    return name.split("_", 1)[0]


def main(source: Path) -> None:
    out = Path(__file__).resolve().parents[1] / "copilot" / "instructions"
    tasks = [json.loads(line) for line in (source / "dynamic_superb_tasks.jsonl").open()]
    phase1 = []
    for r in tasks:
        if r.get("phase") != 1:
            continue
        published = {k: v for k, v in (r.get("baselines_phase1_paper_acc") or {}).items()}
        published.update(r.get("sift50m_paper_acc") or {})
        phase1.append({
            "task": r["task"], "dimension": r["dimension"], "family": r["task_family"],
            "instructions": r["instructions"], "labels": r["labels"], "inputs": inputs_for(r["task_family"]),
            "metric": r["metric"], "note": r.get("note") or "", "hf_dataset": r.get("hf_dataset", ""),
            "source": "dynamic_superb_tasks.jsonl (see shared/data/README.md)", "published": published,
        })
    train = []
    for r in (json.loads(line) for line in (source / "dynamic_superb_phase1_train_side_instructions.jsonl").open()):
        family = family_of(r["source_instance"])
        train.append({
            "task": r["source_instance"], "dimension": "", "family": family,
            "instructions": r["instructions"], "labels": r["labels"], "inputs": inputs_for(family),
            "metric": "accuracy", "source": "dynamic_superb_phase1_train_side_instructions.jsonl",
        })
    for name, rows in (("dynamic_superb_phase1", phase1), ("dynamic_superb_phase1_train", train)):
        with open(out / f"{name}.jsonl", "w") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} tasks")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
