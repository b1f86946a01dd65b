"""Benchmark: exhaustive check of Lemma 3.3 networks for k = 5..12, three ways in one run.

For each arity k it builds the tree network of a random predicate (seeded, so
nearly all 2^k Fourier coefficients are non-zero: the largest networks) and times

* the tool: the exact evaluator on all 2^k points of {+-1}^k, with its bound checks
  and bit-length records;
* a fractions.Fraction evaluator (plain loops), the baseline; for k >= 9 it runs on
  a sample of points and its time is scaled to 2^k points (its cost per point does
  not depend on the point); it is skipped beyond k = 10, where it takes an hour;
* a float64 forward pass with the same scipy.sparse matrices and no exactness
  checks, the speed limit.

Run: python scripts/bench_predicates.py [--max-k 12]
"""

from __future__ import annotations

import argparse
import random
import time


from verifier.constructions.lemma33 import build_predicate_network
from verifier.evaluator import evaluate, hypercube_points
from verifier.predicates import predicate_from_truth_table
from verifier.reference import evaluate_fraction
from benchtools import best_of, float_forward

FRACTION_FULL_MAX_K = 8
FRACTION_MAX_K = 10
FRACTION_SAMPLE = 64


def random_predicate(k: int, seed: int):
    rng = random.Random(seed)
    bits = "".join(rng.choice("01") for _ in range(2**k))
    return predicate_from_truth_table(bits, k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-k", type=int, default=5)
    parser.add_argument("--max-k", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()

    header = f"{'k':>3} {'size':>7} {'build s':>8} {'tool s':>9} {'float64 s':>9} {'Fraction s':>11} {'Fraction/tool':>13} {'tool/float64':>12} backends"
    print(header)
    for k in range(arguments.min_k, arguments.max_k + 1):
        predicate = random_predicate(k, arguments.seed + k)
        start = time.perf_counter()
        network = build_predicate_network(predicate, "tree").network
        build_seconds = time.perf_counter() - start
        points = hypercube_points(k)

        repeats = 5 if k <= 10 else 2
        evaluate(network, points, 0, 0)  # warm the layer caches that both passes use
        tool = best_of(lambda: evaluate(network, points, 0, 0), repeats)
        floating = best_of(lambda: float_forward(network, points), repeats)
        backends = sorted({r.backend for r in evaluate(network, points, 0, 0).layers})

        fraction_text, ratio_text = "-", "-"
        if k <= FRACTION_MAX_K:
            count = points.shape[1] if k <= FRACTION_FULL_MAX_K else FRACTION_SAMPLE
            columns = [[int(v) for v in points[:, i]] for i in range(count)]
            start = time.perf_counter()
            for column in columns:
                evaluate_fraction(network, column)
            fraction = (time.perf_counter() - start) * points.shape[1] / count
            fraction_text = f"{fraction:.3f}" + ("*" if count < points.shape[1] else "")
            ratio_text = f"{fraction / tool:.0f}x"
        print(
            f"{k:>3} {network.size:>7} {build_seconds:>8.2f} {tool:>9.4f} {floating:>9.4f} {fraction_text:>11} "
            f"{ratio_text:>13} {tool / floating:>11.2f}x {','.join(backends)}"
        )
    print("* scaled from a sample of", FRACTION_SAMPLE, "points")


if __name__ == "__main__":
    main()
