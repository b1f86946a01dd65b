"""Benchmark: the audit of the ACAS Xu networks against a float64 forward pass of the same points, in one run.

For TestNetwork.nnet (read as float64, tau = 66, clipping and normalisation
included) and TestNetwork2.onnx (float32 weights, tau = 47) it times

* the whole audit as ``python -m verifier audit`` runs it: bit complexity, proved
  l2 operator norms and Lipschitz bracket, exact and float evaluation of the points
  and their comparison;
* the exact evaluation of the points alone (the Lemma A.2 evaluator, limb product);
* the same evaluation with the python-flint path that the limb product replaced
  (skip with --skip-flint, it takes about ten times longer);
* the baseline: a float64 forward pass of the same model at the same points.

Targets: the audit under 10 s, exact evaluation within 50 times the float64 pass.
The ACAS Xu files are read from the data folder beside the project; without it the script exits.

Run: python scripts/bench_audit.py [--points 10000] [--skip-flint]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from unittest.mock import patch

import numpy as np

from verifier import evaluator
from verifier.audit.model import evaluate_layers, float_forward
from verifier.audit.readers import read_model
from verifier.audit.run import AuditOptions, run_audit
from verifier.dyadic import Dyadic
from benchtools import best_of

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "acasxu")
MODELS = ("TestNetwork.nnet", "TestNetwork2.onnx")


def sample_points(model, count: int, seed: int) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Return ``count`` float64 points from the NNet clipping box (shared by both files) and the box."""
    nnet = read_model(os.path.join(DATA, MODELS[0]))
    box = [(float(low), float(high)) for low, high in zip(nnet.normalisation.minimum, nnet.normalisation.maximum)]
    rng = np.random.default_rng(seed)
    low, high = np.array([b[0] for b in box]), np.array([b[1] for b in box])
    return np.minimum(low + (high - low) * rng.random((count, model.input_dim)), high), box


def float64_pass(model):
    """Return a function that runs the model's float64 forward pass with its matrices prepared once, as a framework does."""
    weights = [(layer.float_matrix(np.float64).toarray(), layer.float_bias(np.float64)[:, None]) for layer in model.layers]
    normalisation = model.normalisation
    if normalisation is not None:
        low, high, mean, spread = (np.array([float(v) for v in vector])[:, None] for vector in (
            normalisation.minimum, normalisation.maximum, normalisation.mean, normalisation.range))
        scale, shift = float(normalisation.output_range), float(normalisation.output_mean)

    def run(points: np.ndarray) -> np.ndarray:
        activation = points.T
        if normalisation is not None:
            activation = (np.clip(activation, low, high) - mean) / spread
        for index, (matrix, bias) in enumerate(weights):
            activation = matrix @ activation + bias
            if index < len(weights) - 1:
                activation = np.maximum(activation, 0)
        return activation * scale + shift if normalisation is not None else activation

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-flint", action="store_true")
    arguments = parser.parse_args()
    if not os.path.isdir(DATA):
        sys.exit(f"skipped: the ACAS Xu files are not in {os.path.normpath(DATA)}")

    print(f"{arguments.points} points; best of 5 float64 passes and of 3 limb evaluations, one run otherwise")
    print(f"{'model':<18} {'audit s':>8} {'exact s':>8} {'flint s':>8} {'float64 s':>9} {'exact/float64':>13} {'flint/exact':>11} max bits")
    for name in MODELS:
        model = read_model(os.path.join(DATA, name))
        values, box = sample_points(model, arguments.points, arguments.seed)
        points = [[Dyadic(v) for v in row] for row in values.tolist()]
        layers = model.function_layers()

        forward = float64_pass(model)
        assert np.allclose(forward(values).T, float_forward(model, values, np.float64), rtol=1e-12, atol=1e-9)
        floating = best_of(lambda: forward(values), 5)
        exact_seconds = best_of(lambda: evaluate_layers(layers, points), 3)
        exact = evaluate_layers(layers, points)
        flint_text, ratio_text = "-", "-"
        if not arguments.skip_flint:
            with patch.object(evaluator, "LIMB_MIN_ENTRIES", float("inf")):
                flint_seconds = best_of(lambda: evaluate_layers(layers, points), 1)
            flint_text, ratio_text = f"{flint_seconds:.2f}", f"{flint_seconds / exact_seconds:.1f}x"

        options = AuditOptions(points, "benchmark sample", box)
        start = time.perf_counter()
        run_audit(model, options)
        audit_seconds = time.perf_counter() - start

        bits = max(record.measured_bits for record in exact.evaluation.layers)
        print(f"{name:<18} {audit_seconds:>8.2f} {exact_seconds:>8.3f} {flint_text:>8} {floating:>9.4f} "
              f"{exact_seconds / floating:>12.0f}x {ratio_text:>11} {bits}")


if __name__ == "__main__":
    main()
