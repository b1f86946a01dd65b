"""A plain fractions.Fraction evaluator: the slow reference the exact evaluator is tested against."""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from verifier.network import Network


def evaluate_fraction(network: Network, point: Sequence) -> list[Fraction]:
    """Evaluate ``network`` at one point with Fractions and Python loops, nothing else."""
    activation = [Fraction(v) if not hasattr(v, "to_fraction") else v.to_fraction() for v in point]
    for index, layer in enumerate(network.layers, start=1):
        result = [Fraction(int(b), 1 << layer.scale) for b in layer.bias.tolist()]
        for r, c, v in zip(layer.rows.tolist(), layer.cols.tolist(), layer.values.tolist()):
            result[r] += Fraction(int(v), 1 << layer.scale) * activation[c]
        if index < network.depth:
            result = [max(value, Fraction(0)) for value in result]
        activation = result
    return activation
