"""A proved Lipschitz bracket of a model in the l2 or the l-infinity norm.

Upper bound: the ReLU and the NNet clipping are 1-Lipschitz coordinate by
coordinate, so in both norms Lip(F) <= prod_l ||W_l||, the product of the
operator norms of the weight layers with the normalisation folded in. In l2 each
norm is proved as in verifier.norms; in l-infinity ||W||_inf is exactly the
largest absolute row sum.

Lower bound: at a point where no hidden pre-activation is zero, F is affine
nearby with an exact Jacobian J, so Lip(F) >= ||J||. In l-infinity that is the
largest absolute row sum of J, exactly; in l2 it is ||J v|| / ||v|| for a dyadic v
proposed by a float SVD, or the largest row norm if that is larger. Floats only
rank the candidate points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from verifier.audit.model import Model, RationalLayer, evaluate_layers, integer_network
from verifier.dyadic import Dyadic
from verifier.norms import prove_inf_norm, prove_operator_norm

NORMS = ("2", "inf")
CANDIDATES = 256
EXACT_CONFIRMATIONS = 8
SQRT_BITS = 24
METHOD_INF_ROWS = "exact: largest absolute row sum"
METHOD_JACOBIAN = "exact: Jacobian in the interior of a linear region"
METHOD_DIFFERENCE = "exact: difference quotient of two points"
_DIRECTION_BITS = 30


@dataclass
class LayerNorm:
    layer: int
    proved: Fraction
    float_estimate: float
    method: str


@dataclass
class LipschitzBracket:
    """Proved bounds lower <= Lip(F) <= upper in one norm, with what proves each."""

    norm: str
    upper: Fraction
    lower: Fraction
    lower_method: str
    witness: dict
    layers: list[LayerNorm] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "norm": self.norm,
            "upper": str(self.upper),
            "upper_float": float(self.upper),
            "lower": str(self.lower),
            "lower_float": float(self.lower),
            "ratio_float": float(self.upper / self.lower) if self.lower else None,
            "lower_method": self.lower_method,
            "witness": self.witness,
            "layers": [
                {"layer": n.layer, "proved": str(n.proved), "proved_float": float(n.proved), "float_estimate": n.float_estimate, "method": n.method}
                for n in self.layers
            ],
            "clipping": "1-Lipschitz in each coordinate, factor 1",
        }


def lipschitz_bracket(model: Model, norm: str, box: list[tuple[float, float]], extra_points: np.ndarray | None = None,
                      seed: int = 0, inputs_normalized: bool = False) -> LipschitzBracket:
    """Prove upper and lower bounds on the Lipschitz constant of the model's function in ``norm``."""
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    layers = [_layer_norm(index, layer, norm) for index, layer in enumerate(model.folded_layers(inputs_normalized), start=1)]
    upper = math.prod((entry.proved for entry in layers), start=Fraction(1))
    function = model.function_layers(inputs_normalized)
    lower, method, witness = _lower_bound(function, norm, box, extra_points, seed)
    return LipschitzBracket(norm, upper, lower, method, witness, layers)


def _layer_norm(index: int, rational: RationalLayer, norm: str) -> LayerNorm:
    if norm == "inf":
        proved = prove_inf_norm(rational.layer).to_fraction() / rational.denominator
        row_sums = np.asarray(abs(rational.float_matrix(np.float64)).sum(axis=1)).ravel()
        estimate = float(row_sums.max(initial=0.0))
        return LayerNorm(index, proved, estimate, METHOD_INF_ROWS)
    proof = prove_operator_norm(rational.layer)
    return LayerNorm(index, proof.upper.to_fraction() / rational.denominator, proof.float_estimate / rational.denominator, proof.method)


# Lower bound.


def _candidates(box: list[tuple[float, float]], extra_points: np.ndarray | None, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    low = np.array([b[0] for b in box], dtype=np.float64)
    high = np.array([b[1] for b in box], dtype=np.float64)
    sampled = low + (high - low) * rng.random((CANDIDATES, len(box)))
    if extra_points is not None and len(extra_points):
        sampled = np.vstack([np.asarray(extra_points, dtype=np.float64)[:CANDIDATES], sampled])
    return sampled


def _float_jacobians(layers: list[RationalLayer], points: np.ndarray) -> np.ndarray:
    """Return the float64 Jacobian of the chain at each point (points, outputs, inputs)."""
    matrices = [(layer.float_matrix(np.float64).toarray(), layer.float_bias(np.float64)) for layer in layers]
    activation = points.T
    jacobian = np.broadcast_to(np.eye(points.shape[1]), (points.shape[0], points.shape[1], points.shape[1]))
    for index, (weights, bias) in enumerate(matrices):
        z = weights @ activation + bias[:, None]
        jacobian = np.einsum("ij,pjk->pik", weights, jacobian)
        if index < len(matrices) - 1:
            mask = (z > 0).T.astype(np.float64)
            jacobian = jacobian * mask[:, :, None]
            activation = np.maximum(z, 0)
    return jacobian


def _float_score(jacobian: np.ndarray, norm: str) -> float:
    if norm == "inf":
        return float(np.abs(jacobian).sum(axis=1).max(initial=0.0))
    return float(np.linalg.norm(jacobian, 2)) if jacobian.size else 0.0


def _exact_jacobian(layers: list[RationalLayer], signs: list[np.ndarray]) -> tuple[np.ndarray, int]:
    """Return (J, D): the integer matrix J and denominator D with Jacobian J / D, for fixed hidden signs."""
    network, odd_denominator = integer_network(layers)
    dimension = network.input_dim
    jacobian = np.empty((dimension, dimension), dtype=object)
    jacobian[:] = [[int(i == j) for j in range(dimension)] for i in range(dimension)]
    scale = 0
    for index, layer in enumerate(network.layers):
        values = np.empty(layer.nnz, dtype=object)
        values[:] = [int(v) for v in layer.values.tolist()]
        result = np.zeros((layer.shape[0], dimension), dtype=object)
        np.add.at(result, layer.rows, values[:, None] * jacobian[layer.cols])
        if index < len(signs):
            result[signs[index] <= 0] = 0
        jacobian = result
        scale += layer.scale
    return jacobian, odd_denominator << scale


def _operator_lower(jacobian: np.ndarray, denominator: int, norm: str, float_jacobian: np.ndarray) -> Fraction:
    """Return an exact lower bound on ||J / D|| in ``norm``."""
    rows = jacobian.tolist()
    if norm == "inf":
        return Fraction(max((sum(abs(v) for v in row) for row in rows), default=0), denominator)
    best = Fraction(max((sum(v * v for v in row) for row in rows), default=0), denominator * denominator)
    if float_jacobian.size and min(float_jacobian.shape) > 1:
        direction = np.linalg.svd(float_jacobian)[2][0]
        vector = [int(v) for v in np.rint(np.ldexp(direction, _DIRECTION_BITS)).tolist()]
        length = sum(v * v for v in vector)
        if length:
            image = [sum(a * b for a, b in zip(row, vector)) for row in rows]
            best = max(best, Fraction(sum(v * v for v in image), length * denominator * denominator))
    return _sqrt_floor(best)


def _sqrt_floor(square: Fraction) -> Fraction:
    """Return a dyadic number at most sqrt(square), with about SQRT_BITS significant bits."""
    if square <= 0:
        return Fraction(0)
    log2 = square.numerator.bit_length() - square.denominator.bit_length()
    exponent = SQRT_BITS - log2 // 2
    scaled = square * Fraction(4) ** exponent
    return Fraction(math.isqrt(math.floor(scaled))) / Fraction(2) ** exponent


def _lower_bound(layers: list[RationalLayer], norm: str, box, extra_points, seed: int) -> tuple[Fraction, str, dict]:
    points = _candidates(box, extra_points, seed)
    jacobians = _float_jacobians(layers, points)
    ranking = sorted(range(len(points)), key=lambda i: -_float_score(jacobians[i], norm))
    top = ranking[:4 * EXACT_CONFIRMATIONS]
    exact_points = [[Dyadic(float(v)) for v in points[i]] for i in top]
    outputs = evaluate_layers(layers, exact_points, record_signs=True)
    signs = outputs.evaluation.hidden_signs

    best = None
    confirmed = 0
    for position, index in enumerate(top):
        point_signs = [layer_signs[:, position] for layer_signs in signs]
        if any(np.any(s == 0) for s in point_signs):
            continue
        jacobian, denominator = _exact_jacobian(layers, point_signs)
        value = _operator_lower(jacobian, denominator, norm, jacobians[index])
        if best is None or value > best[0]:
            best = (value, index)
        confirmed += 1
        if confirmed == EXACT_CONFIRMATIONS:
            break
    if best is not None:
        value, index = best
        return value, METHOD_JACOBIAN, {"point": [str(Dyadic(float(v))) for v in points[index]]}
    return _difference_quotient(layers, norm, points[ranking[0]], box)


def _difference_quotient(layers: list[RationalLayer], norm: str, point: np.ndarray, box) -> tuple[Fraction, str, dict]:
    """Return |F(x) - F(y)| / |x - y| for the best candidate x and y a small step away, exactly."""
    widths = np.array([high - low for low, high in box], dtype=np.float64)
    other = point + np.ldexp(np.maximum(widths, 1.0), -10)
    pair = [[Dyadic(float(v)) for v in point], [Dyadic(float(v)) for v in other]]
    outputs = evaluate_layers(layers, pair)
    difference = [outputs.value(0, j) - outputs.value(1, j) for j in range(outputs.numerators.shape[1])]
    step = [a.to_fraction() - b.to_fraction() for a, b in zip(pair[0], pair[1])]
    if norm == "inf":
        value = max(abs(d) for d in difference) / max(abs(s) for s in step)
    else:
        value = _sqrt_floor(sum(d * d for d in difference) / sum(s * s for s in step))
    return value, METHOD_DIFFERENCE, {"points": [[str(v) for v in p] for p in pair]}
