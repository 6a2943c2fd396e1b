"""Choose the program library's reuse threshold on one pool's phrasings, report it on another pool.

In each pool, each task family's first phrasing stands for a planned program; every other phrasing
of every family is a new question. A question reuses the stored program whose option-free
instruction is most similar (same input signature only) when that similarity reaches the
threshold and beats every other stored program by at least the margin (two stored tasks that read
alike, "reverberation from a small room" and "... a medium room", leave no margin, so neither is
reused for the other). Reusing the own family's program is right, and so is reusing the program of a family
that shares a phrasing word for word (the pools hold such twins, e.g. noise detection with Gaussian
and with music noise: the same question has the same program); anything else is wrong. The
threshold and margin are those with the highest recall whose wrong-reuse rate is at most
``--max-wrong`` on the dev pool (the Phase-1 *train-side* tasks), counting as wrong also every reuse for a question whose own task is
not stored at all (the library of a new user holds few programs); precision, recall and wrong reuse are then reported on the test pool
(the Phase-1 benchmark tasks), which shares no task with it.

    .venv/bin/python benchmarks/calibrate_library.py [--dev dynamic_superb_phase1_train] [--test dynamic_superb_phase1]
"""

from __future__ import annotations

import argparse

import numpy as np

from copilot import embeddings
from copilot.options import split_options
from copilot.pools import load_pool

THRESHOLDS = np.round(np.arange(0.60, 0.99, 0.01), 2)
MARGINS = np.round(np.arange(0.0, 0.16, 0.01), 2)


def decisions(pool: str) -> list[tuple[float, float, bool]]:
    """For each new phrasing: the best same-signature program's similarity, its margin over the next
    one, and whether it is its own task's."""
    stored: dict[tuple[str, str], str] = {}  # (family, signature) -> the planned phrasing
    queries: list[tuple[str, str, str]] = []  # (family, signature, phrasing)
    for record in load_pool(pool):
        family, signature = record.family or record.task, ",".join(record.inputs)
        texts = list(dict.fromkeys(split_options(i)[1] for i in record.instructions))
        if texts and (family, signature) not in stored:
            stored[(family, signature)] = texts.pop(0)
        queries += [(family, signature, t) for t in texts if t != stored.get((family, signature))]
    same = _twins(pool)
    keys = list(stored)
    stored_vectors = embeddings.embed([stored[k] for k in keys])
    out = []
    for (family, signature, _), vector in zip(queries, embeddings.embed([q[2] for q in queries])):
        candidates = [i for i, k in enumerate(keys) if k[1] == signature]
        out.append(_best(stored_vectors, keys, candidates, vector, same, family))
        # the same question when its own task was never planned: any reuse is wrong
        others = [i for i in candidates if same[keys[i][0]] != same[family]]
        if others:
            score, margin, _ = _best(stored_vectors, keys, others, vector, same, family)
            out.append((score, margin, False))
    print(f"{pool}: {len(keys)} planned task families, {len(queries)} other phrasings, each asked with "
          f"and without its own task stored ({len(out)} decisions)")
    return out


def _best(vectors: np.ndarray, keys: list, candidates: list[int], query: np.ndarray, same: dict[str, str],
          family: str) -> tuple[float, float, bool]:
    scores = vectors[candidates] @ query
    order = np.argsort(-scores)
    margin = float(scores[order[0]] - scores[order[1]]) if len(order) > 1 else 1.0
    return float(scores[order[0]]), margin, same[keys[candidates[order[0]]][0]] == same[family]


def _twins(pool: str) -> dict[str, str]:
    """Family -> a representative of the families that share at least one phrasing with it."""
    parent: dict[str, str] = {}

    def find(f: str) -> str:
        while parent.setdefault(f, f) != f:
            f = parent[f]
        return f

    owner: dict[str, str] = {}
    for record in load_pool(pool):
        family = record.family or record.task
        find(family)
        for text in record.instructions:
            other = owner.setdefault(split_options(text)[1], family)
            parent[find(family)] = find(other)
    return {f: find(f) for f in parent}


def rates(rows: list[tuple[float, float, bool]], threshold: float, margin: float) -> tuple[float, float, float]:
    """Precision of reuse, recall (right reuses / questions), wrong reuses / questions."""
    reused = [own for score, gap, own in rows if score >= threshold and gap >= margin]
    right = sum(reused)
    return (right / len(reused) if reused else 1.0), right / len(rows), (len(reused) - right) / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", default="dynamic_superb_phase1_train")
    parser.add_argument("--test", default="dynamic_superb_phase1")
    parser.add_argument("--max-wrong", type=float, default=0.003, help="wrong-reuse rate allowed on dev")
    args = parser.parse_args()
    dev, test = decisions(args.dev), decisions(args.test)
    allowed = [(rates(dev, t, m)[1], -t, -m) for t in THRESHOLDS for m in MARGINS if rates(dev, t, m)[2] <= args.max_wrong]
    _, threshold, margin = max(allowed)
    threshold, margin = -threshold, -margin
    print(f"chosen on {args.dev} (highest recall with wrong reuse <= {args.max_wrong:.0%}): "
          f"threshold {threshold:.2f}, margin {margin:.2f}")
    print(f"{'pool':28} {'threshold':>9} {'margin':>6} {'precision':>9} {'recall':>7} {'wrong':>6}")
    for name, rows in ((args.dev, dev), (args.test, test)):
        for t, m in sorted({(threshold, margin), (0.85, 0.0), (0.90, 0.0), (threshold, 0.0)}):
            p, r, w = rates(rows, t, m)
            chosen = "  <- chosen" if (t, m) == (threshold, margin) else ""
            print(f"{name:28} {t:9.2f} {m:6.2f} {p:9.1%} {r:7.1%} {w:6.1%}{chosen}")


if __name__ == "__main__":
    main()
