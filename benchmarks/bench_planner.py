"""Latency and tokens of the whole system, with and without retrieval and program caching.

For a set of questions about real and synthetic recordings it prints, per question and as medians:
cold latency (first time: model loads and planning included) and warm latency (asked again), each
broken down into model loads, LLM prefill, LLM decode, tools and sandbox, plus prompt and completion
tokens. Then the same with retrieval and the program cache turned off, and the ratios against the
full system measured in the same run.

    .venv/bin/python benchmarks/bench_planner.py [--questions N] [--llm local|openai ...]
"""

from __future__ import annotations

import argparse
import statistics
import time

from copilot.api import Copilot
from copilot.config import load_settings
from copilot.testing import corpus

PARTS = ("model_load_s", "llm_prefill_s", "llm_decode_s", "tools_s", "sandbox_s")


def questions() -> list[tuple[str, list, str | None]]:
    lib = corpus.librivox()
    return [
        ("How many speakers are in the conversation? The answer could be one, two, three, or four.",
         [corpus.pyannote_sample()[0]], None),
        ("Which language is spoken? The answer could be English, French, German, or Spanish.",
         [corpus.espeak("Guten Morgen, ich hätte gern einen Kaffee.", voice="de")], None),
        ("Are the two recordings spoken by the same person? The answer could be yes or no.",
         [lib[1].path, lib[3].path], None),
        ("Is there background noise in this recording? The answer could be clean or noisy.",
         [corpus.with_noise(lib[2].path, snr_db=5, pad_s=0.5)], None),
        ("Is the given word spoken in the audio? The answer could be yes or no.", [lib[0].path], "dashwood"),
        ("What is the gender of the speaker? The answer could be male or female.",
         [corpus.flite("The weather is lovely today.", voice="slt")], None),
    ]


def run(label: str, retrieval: bool, cache: bool, qs, args) -> dict[str, list[dict]]:
    settings = load_settings(disk_cache=False, **({"llm": args.llm} if args.llm else {}))
    cp = Copilot(settings=settings, retrieval=retrieval, store_programs=cache)
    out: dict[str, list[dict]] = {"cold": [], "warm": []}
    for phase in ("cold", "warm"):
        for instruction, audio, text in qs:
            started = time.perf_counter()
            ans = cp.ask(instruction, audio=audio, text=text)
            row = {"wall_s": time.perf_counter() - started, **{k: ans.timings.get(k, 0.0) for k in PARTS},
                   "prompt": ans.tokens["prompt"], "completion": ans.tokens["completion"],
                   "answer": ans.answer, "ok": ans.ok, "attempts": ans.attempts}
            out[phase].append(row)
            print(f"[{label} {phase}] {row['wall_s']:6.1f}s  answer={ans.answer!r:12} attempts={ans.attempts} "
                  f"tokens={row['prompt']}+{row['completion']}  {instruction[:50]}", flush=True)
    return out


def summary(rows: list[dict]) -> dict[str, float]:
    keys = ("wall_s", *PARTS, "prompt", "completion")
    return {k: statistics.median(r[k] for r in rows) for k in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=6)
    parser.add_argument("--llm", default=None)
    args = parser.parse_args()
    qs = questions()[: args.questions]
    full = run("full", True, True, qs, args)
    bare = run("no-retrieval-no-cache", False, False, qs, args)
    header = f"{'configuration':28} {'wall':>7} " + " ".join(f"{p.replace('_s', ''):>12}" for p in PARTS) + \
        f" {'prompt tok':>10} {'compl tok':>9}"
    print("\nMedians over", len(qs), "questions (seconds; tokens per question)")
    print(header)
    table = {}
    for name, result in (("full", full), ("no retrieval, no cache", bare)):
        for phase in ("cold", "warm"):
            s = summary(result[phase])
            table[(name, phase)] = s
            print(f"{name + ' ' + phase:28} {s['wall_s']:7.1f} " + " ".join(f"{s[p]:12.2f}" for p in PARTS)
                  + f" {s['prompt']:10.0f} {s['completion']:9.0f}")
    print("\nRatios, no-retrieval-no-cache / full (same run):")
    for phase in ("cold", "warm"):
        a, b = table[("full", phase)], table[("no retrieval, no cache", phase)]
        ratio = {k: (b[k] / a[k] if a[k] else float("inf")) for k in ("wall_s", "prompt")}
        print(f"  {phase}: latency x{ratio['wall_s']:.2f}, prompt tokens x{ratio['prompt']:.2f}")
    correct = sum(r["ok"] for r in full["cold"])
    print(f"\nfull system answered {correct}/{len(qs)} questions with a valid answer (cold)")


if __name__ == "__main__":
    main()
