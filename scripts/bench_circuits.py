"""Benchmark: convert and prove the ISCAS-85 circuits, then evaluate 10,000 random inputs three ways.

For every ``.bench`` file in ../shared/data/iscas85 (relative to the project root),
smallest first, it times

* conversion: reading, rewriting into threshold gates, levelling, building the network;
* proof: the threshold forms and the per-gate induction of verifier.circuit_check;
* the full ``check_circuit`` (proof, random end-to-end check, Lipschitz bound);

and on the same random +-1 inputs, in one run:

* the tool: verifier.evaluator.evaluate, exact;
* the plain circuit simulator (verifier.circuits.simulate), the baseline the
  network is checked against;
* a float64 forward pass with the same scipy.sparse matrices and no exactness
  checks, the speed limit. Target: the exact evaluation within 20 times this pass.

Run: python scripts/bench_circuits.py [--samples 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

from verifier.circuit_check import check_circuit, prove_gates, prove_threshold_forms, random_points
from verifier.circuits import load_circuit, simulate
from verifier.constructions.threshold import build_network, level_circuit, to_threshold_circuit
from verifier.evaluator import evaluate
from benchtools import best_of, float_forward

DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "iscas85"
CONVERT_AND_PROVE_TARGET = 30.0  # seconds, for c5315
FLOAT_RATIO_TARGET = 20.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    if not DATA.is_dir():
        print(f"no circuits: {DATA} does not exist", file=sys.stderr)
        return 2

    paths = sorted(DATA.glob("*.bench"), key=lambda p: p.stat().st_size)
    print(f"{'circuit':>8} {'gates':>6} {'D':>3} {'levelled':>8} {'units':>6} {'convert s':>9} {'prove s':>8} "
          f"{'check s':>8} {'exact s':>8} {'sim s':>7} {'float64 s':>9} {'exact/float':>11} {'exact/sim':>9} proof")
    failures = 0
    for path in paths:
        start = time.perf_counter()
        circuit = load_circuit(str(path))
        levelled = level_circuit(to_threshold_circuit(circuit))
        network = build_network(levelled).network
        convert_seconds = time.perf_counter() - start

        start = time.perf_counter()
        forms = prove_threshold_forms(circuit)
        proof = prove_gates(network, levelled)
        prove_seconds = time.perf_counter() - start

        start = time.perf_counter()
        result = check_circuit(network, circuit, str(path), "corrected", arguments.seed, arguments.samples)
        check_seconds = time.perf_counter() - start

        points = random_points(len(circuit.inputs), arguments.samples, arguments.seed)
        evaluate(network, points, 0, 0)  # warm the layer caches that both network passes use
        exact = best_of(lambda: evaluate(network, points, 0, 0), arguments.repeats)
        simulator = best_of(lambda: simulate(circuit, points), arguments.repeats)
        floating = best_of(lambda: float_forward(network, points), arguments.repeats)
        agree = np.array_equal(evaluate(network, points, 0, 0).numerators, simulate(circuit, points))

        proved = proof.status == "pass" and all(r["status"] == "pass" for r in forms) and result.equal and agree
        failures += not proved
        print(f"{path.stem:>8} {circuit.size:>6} {levelled.depth:>3} {levelled.levelled_size:>8} {network.size:>6} "
              f"{convert_seconds:>9.2f} {prove_seconds:>8.2f} {check_seconds:>8.2f} {exact:>8.3f} {simulator:>7.3f} "
              f"{floating:>9.3f} {exact / floating:>10.2f}x {exact / simulator:>8.0f}x {'proved' if proved else 'FAILED'}")
        if path.stem == "c5315":
            total = convert_seconds + prove_seconds
            print(f"         c5315 convert + prove {total:.2f} s (target {CONVERT_AND_PROVE_TARGET:.0f} s), "
                  f"exact/float64 {exact / floating:.2f} (target {FLOAT_RATIO_TARGET:.0f})")
    print(f"{arguments.samples} random inputs, seed {arguments.seed}; times are the best of {arguments.repeats} runs")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
