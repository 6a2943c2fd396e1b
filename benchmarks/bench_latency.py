"""Latency of a new question in a fresh `copilot ask` process: the retrieved prompt against the static one.

For each prompt shape (or, with ``--baseline REV``, for the static shape at REV and now), in one
run and on the same machine: a warm-up process (for the static shape it computes and saves the
prompt prefix's KV state, unless the usual cache folder has it), then one fresh process per new question,
then a paraphrase of an answered question (the library reuses its program: no LLM call). Each
process's wall time is split into start-up (interpreter, imports, toolset; the wall time outside
`Copilot.ask`), model loads, the prefix state, prefill, decode, tools and sandbox, from `--json`.
Printed per question and as medians, with the issue's ratios: wall / (decode + tools) for a new
question, wall / tools for a paraphrase; "in-process" leaves out what a process that already has its
models loaded would not pay again (start-up, model loads, the prefix state). The summary names the
demo question (`make demo`'s), a two-hop question and the paraphrase.

    .venv/bin/python benchmarks/bench_latency.py [--shapes retrieved,static] [--baseline REV]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from copilot import assets, embeddings
from copilot.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
WARM_UP = ("Is anyone speaking in this recording? Answer yes or no.", EX / "reading.flac")
QUESTIONS = [
    ("How many different people are speaking in this recording?", EX / "phone_call.flac"),
    ("What language is spoken? The answer could be English, French or German.", EX / "french.flac"),
    ("What does the speaker say?", EX / "reading.flac"),
    ("Is the recording noisy? The answer could be clean or noisy.", EX / "phone_call.flac"),
    ("Is the speaker male or female? The answer could be male or female.", EX / "reading.flac"),
    ("In which country is the language spoken here an official language? "
     "The answer could be France, Japan or Brazil.", EX / "french.flac"),  # two hops: language, then choose()
]
DEMO, TWO_HOP = 0, 5  # `make demo`'s question and the two-hop one, in QUESTIONS
PARAPHRASE = ("What is the speaker saying?", EX / "french.flac")  # of "What does the speaker say?"
PHASES = ("startup_s", "model_load_s", "llm_prefix_s", "llm_prefill_s", "llm_decode_s", "tools_s", "sandbox_s")


def cache_folder(root: Path) -> Path:
    """A fresh cache folder (no tool results, no programs) sharing the joined LLM weights and the
    saved prefix states with the usual one: what a user's machine has after its first question."""
    usual = load_settings().cache_dir
    weights = assets.ensure(assets.QWEN_CODER_1_5B, usual)
    (root / "assets").mkdir(parents=True)
    for name in (weights.name, weights.name + ".sha256"):
        (root / "assets" / name).symlink_to(weights.with_name(name))
    for kept in ("llm-prefix", "embeddings"):  # computed once per machine, like the joined weights
        (usual / kept).mkdir(exist_ok=True)
        (root / kept).symlink_to(usual / kept)
    return root


def ask(question: str, audio: Path, cache: Path, shape: str, tree: Path = ROOT) -> dict:
    env = dict(os.environ, COPILOT_CACHE_DIR=str(cache), PYTHONPATH=str(tree))
    command = [sys.executable, "-c", "from copilot.cli import main; main()", "ask", "--json", "-q", question,
               str(audio)] + (["--retrieval"] if shape == "retrieved" else [])
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800, cwd=tree)
    wall = time.perf_counter() - started
    record = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {"ok": False, "error": done.stderr}
    timings = record.get("timings", {})
    row = {"question": question, "wall_s": wall, "answer": record.get("answer"), "ok": record.get("ok"),
           "llm_calls": record.get("tokens", {}).get("llm_calls"), "source": record.get("source"),
           "prompt_tokens": record.get("tokens", {}).get("prompt"), **{k: timings.get(k, 0.0) for k in PHASES[1:]}}
    row["startup_s"] = wall - timings.get("total_s", 0.0)
    return row


def ratios(row: dict, base: tuple[str, ...]) -> tuple[float, float]:
    """wall / base, and the same without start-up, model loads and the prefix state (in one process)."""
    denominator = max(sum(row[b] for b in base), 1e-9)
    warm = row["wall_s"] - row["startup_s"] - row["model_load_s"] - row["llm_prefix_s"]
    return row["wall_s"] / denominator, warm / denominator


def show(rows: list[dict], label: str, base: tuple[str, ...]) -> list[tuple[float, float]]:
    print(f"\n{label}")
    print(f"  {'wall':>6} " + " ".join(f"{p[:-2]:>9}" for p in PHASES) + "  calls  ratio  in-process  question -> answer")
    found = [ratios(r, base) for r in rows]
    for r, (ratio, warm) in zip(rows, found):
        print(f"  {r['wall_s']:6.1f} " + " ".join(f"{r[p]:9.1f}" for p in PHASES) +
              f"  {r['llm_calls']!s:>5}  {ratio:5.1f}  {warm:10.1f}  {r['question'][:40]} -> {str(r['answer'])[:30]}")
    med = {k: statistics.median(r[k] for r in rows) for k in ("wall_s", *PHASES)}
    print(f"  {med['wall_s']:6.1f} " + " ".join(f"{med[p]:9.1f}" for p in PHASES) +
          f"         {statistics.median(f[0] for f in found):5.1f}  {statistics.median(f[1] for f in found):10.1f}"
          f"  median (ratio = wall / ({' + '.join(base)}))")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="retrieved,static")
    parser.add_argument("--paraphrase-only", action="store_true",
                        help="plan the paraphrased question, then time only its paraphrase")
    parser.add_argument("--baseline", metavar="REV",
                        help="compare the static shape at git revision REV (a temporary worktree) with this tree")
    args = parser.parse_args()
    summary = {}
    embeddings.embed(["the kept sentence-embedding export, built once like the prefix state"])
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        runs = [(shape, shape, ROOT) for shape in args.shapes.split(",")]
        if args.baseline:
            baseline = Path(tmp) / "baseline"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline), args.baseline],
                           check=True, capture_output=True)
            runs = [(f"static at {args.baseline}", "static", baseline), ("static now", "static", ROOT)]
        try:
            for label, shape, tree in runs:
                cache = cache_folder(Path(tmp) / label.replace(" ", "-"))
                warm = ask(*WARM_UP, cache, shape, tree)
                print(f"[{label}] warm-up (builds the prefix state for the static shape): {warm['wall_s']:.1f} s, "
                      f"prefix {warm['llm_prefix_s']:.1f} s, {warm['prompt_tokens']} prompt tokens")
                if args.paraphrase_only:
                    ask(*QUESTIONS[2], cache, shape, tree)
                else:
                    new = [ask(q, a, cache, shape, tree) for q, a in QUESTIONS]
                    found = show(new, f"[{label}] new questions, fresh process each", ("llm_decode_s", "tools_s"))
                    summary[label + " demo question"] = found[DEMO]
                    summary[label + " two-hop"] = found[TWO_HOP]
                para = [ask(*PARAPHRASE, cache, shape, tree)]
                print(f"  paraphrase served from: {para[0]['source']}")
                summary[label + " paraphrase"] = show(para, f"[{label}] a paraphrase of a planned question",
                                                      ("tools_s",))[0]
        finally:
            if args.baseline:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], check=False)
    print("\nratios, fresh process / in one process (goals: new <= 2, paraphrase <= 1.5):")
    for k, (ratio, warm) in summary.items():
        print(f"  {k}: {ratio:.1f} / {warm:.1f}")


if __name__ == "__main__":
    main()
