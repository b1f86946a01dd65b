"""Timing helpers shared by the benchmarks in this folder."""

from __future__ import annotations

import time

import numpy as np


def best_of(function, repeats: int) -> float:
    """Return the shortest wall time in seconds of ``repeats`` calls of ``function``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def float_forward(network, points: np.ndarray) -> np.ndarray:
    """Evaluate a verifier Network in float64 on the columns of ``points``: the speed limit, not exact."""
    activation = points.astype(np.float64)
    for index, layer in enumerate(network.layers, start=1):
        weights = layer.scipy_matrix(np.float64) / 2.0**layer.scale
        activation = np.asarray(weights @ activation) + (layer.bias.astype(np.float64) / 2.0**layer.scale)[:, None]
        if index < network.depth:
            activation = np.maximum(activation, 0)
    return activation
