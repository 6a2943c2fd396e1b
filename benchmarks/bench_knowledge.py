"""The knowledge step of two-hop questions, alone: the attribute is handed over as a tool's finding.

Runs benchmarks/planning_eval/twohop.toml (no audio) with the embedded Qwen2.5-Coder-1.5B, and
compares, in one run on the same questions:
  - "joint": the whole question at once, facts given, letters scored in two orders (choose());
  - "implied": each option's attribute value, scored over the attribute's labels in two orders;
    the option most likely to imply the finding wins (knowledge_step.implied_choice);
  - "verify": each option asked "is this a right answer?", yes/no scored in two orders.
Prints accuracy per split and attribute, LLM calls and seconds per question (measured as is: the
machine may be shared).

    PYTHONPATH=$PWD python benchmarks/bench_knowledge.py --split report
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from benchmarks.knowledge_step import implied_choice
from benchmarks.planning_eval.twohop import ATTRIBUTES, SPLITS, TwoHop, load
from copilot.config import load_settings
from copilot.llm.base import choose_option
from copilot.llm.local import LocalLLM

FACT_KEYS = {"gender": "speaker gender", "language": "spoken language", "emotion": "speaker emotion",
             "animal": "animal heard"}


class Counted:
    """The LLM, counting its calls."""

    def __init__(self, llm: LocalLLM) -> None:
        self.llm, self.calls, self.name = llm, 0, llm.name

    def complete(self, *args, **kwargs):
        self.calls += 1
        return self.llm.complete(*args, **kwargs)

    def score_options(self, *args, **kwargs):
        self.calls += 1
        return self.llm.score_options(*args, **kwargs)


def joint(llm, q: TwoHop) -> str:
    return choose_option(llm, q.question, q.options, f"{FACT_KEYS[q.attribute]}: {q.finding}").option


def implied(llm, q: TwoHop) -> str:
    return implied_choice(llm, q.question, list(q.options), q.attribute, q.finding)["label"]


def verify(llm, q: TwoHop) -> str:
    facts = f"{FACT_KEYS[q.attribute]}: {q.finding}"
    fit = {o: choose_option(llm, f'{q.question}\nIs "{o}" a right answer?', ["yes", "no"], facts).scores["yes"]
           for o in q.options}
    return max(q.options, key=fit.get)


METHODS = {"joint": joint, "implied": implied, "verify": verify}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="report")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--attribute", choices=ATTRIBUTES)
    parser.add_argument("--templates", help="comma-separated template ids (default: all of the split)")
    parser.add_argument("--items", default="0:", help="which items of each template, as a slice (default: all)")
    args = parser.parse_args()
    questions = [q for q in load() if args.split in ("all", q.split) and args.attribute in (None, q.attribute)
                 and (not args.templates or q.template in args.templates.split(","))]
    first, _, last = args.items.partition(":")
    questions = [q for q in questions if int(first or 0) <= int(q.id.rsplit(".", 1)[1]) < int(last or 1e9)]
    llm = Counted(LocalLLM(load_settings(), progress=False))
    methods = args.methods.split(",")
    right, calls, seconds = defaultdict(int), defaultdict(int), defaultdict(float)
    for q in questions:
        line = []
        for method in methods:
            before, start = llm.calls, time.perf_counter()
            pick = METHODS[method](llm, q)
            seconds[method] += time.perf_counter() - start
            calls[method] += llm.calls - before
            ok = pick == q.answer
            for key in ((method, q.split, q.attribute), (method, q.split, "all")):
                right[key] += ok
            line.append(f"{method} {'ok' if ok else repr(pick)} ({llm.calls - before} calls, "
                        f"{time.perf_counter() - start:.0f} s)")
        print(f"{q.id} ({q.finding} -> {q.answer!r}): " + "; ".join(line), flush=True)
    print(f"{len(questions)} two-hop questions ({args.split}), finding given; embedded Qwen2.5-Coder-1.5B")
    for split in sorted({q.split for q in questions}):
        counts = {a: sum(q.split == split and q.attribute == a for q in questions) for a in ATTRIBUTES}
        n = sum(counts.values())
        print(f"\n[{split}] {'method':8s} " + " ".join(f"{a:>10s}" for a in ATTRIBUTES) +
              f" {'all':>10s} {'calls/q':>8s} {'s/q':>6s}")
        for m in methods:
            cells = [f"{right[m, split, a]:>4d}/{counts[a]:<5d}" for a in ATTRIBUTES]
            acc = right[m, split, "all"] / n
            print(f"[{split}] {m:8s} " + " ".join(cells) + f" {acc:>10.0%} {calls[m] / len(questions):>8.1f}"
                  f" {seconds[m] / len(questions):>6.1f}")


if __name__ == "__main__":
    main()
