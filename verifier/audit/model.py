"""A model under audit: exact weight layers, an optional NNet normalisation, and the function they compute.

Weights read from a file are held exactly. A layer whose entries are not all dyadic
(NNet decimals read exactly, or a first layer divided by a normalisation range) is
a ``RationalLayer``: a dyadic layer V over one odd denominator q, W = V / q.

A chain of rational layers F is evaluated exactly as one dyadic ReLU network G
and one odd integer Q with F = G / Q. With W_l = V_l / q_l, b_l = c_l / q_l and
Q_l = q_1 ... q_l, induction on l gives a_l = G_l / Q_l when G's layer l has
weights V_l and bias c_l Q_{l-1}, because

    W_l a_{l-1} + b_l = (V_l G_{l-1} + c_l Q_{l-1}) / Q_l

and the ReLU commutes with multiplication by Q_l > 0.

The NNet function is F(x) = s N((clip(x) - mean) / range) + mu, with N the
weight layers and s, mu the output range and mean. The clipping to [min, max] is a
ReLU layer of its own, clip(x) = min + phi(x - min) - phi(x - max), and the affine
maps fold into the first and last weight layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import scipy.sparse

from verifier.dyadic import Dyadic
from verifier.evaluator import Evaluation, evaluate, points_to_integers
from verifier.network import Layer, Network


def odd_part(value: int) -> int:
    """Return value / 2^k for the largest k that divides it (value > 0)."""
    return value >> ((value & -value).bit_length() - 1)


@dataclass(frozen=True)
class RationalLayer:
    """An affine map W x + b with rational entries: W = V / denominator and b = c / denominator.

    ``layer`` contains the dyadic V and c. ``denominator`` is odd and positive, and 1
    when the map is dyadic.
    """

    layer: Layer
    denominator: int = 1

    @classmethod
    def from_fractions(cls, shape: tuple[int, int], entries: list[tuple[int, int, Fraction]], bias: list[Fraction]) -> RationalLayer:
        """Build a layer from (row, column, value) triplets and a bias of exact rationals."""
        denominator = 1
        for value in [v for _, _, v in entries] + list(bias):
            denominator = math.lcm(denominator, odd_part(Fraction(value).denominator))
        scaled = [(r, c, Fraction(v) * denominator) for r, c, v in entries]
        layer = Layer.from_entries(shape, scaled, [Fraction(b) * denominator for b in bias])
        return cls(layer, denominator)

    @property
    def shape(self) -> tuple[int, int]:
        return self.layer.shape

    @property
    def is_dyadic(self) -> bool:
        return self.denominator == 1

    def entries(self) -> list[tuple[int, int, Fraction]]:
        scale = 1 << self.layer.scale
        return [(int(r), int(c), Fraction(int(v), scale * self.denominator)) for r, c, v in zip(self.layer.rows, self.layer.cols, self.layer.values)]

    def bias_fractions(self) -> list[Fraction]:
        scale = 1 << self.layer.scale
        return [Fraction(int(b), scale * self.denominator) for b in self.layer.bias]

    def dense(self) -> list[list[Fraction]]:
        matrix = [[Fraction(0)] * self.shape[1] for _ in range(self.shape[0])]
        for r, c, v in self.entries():
            matrix[r][c] = v
        return matrix

    def float_matrix(self, dtype) -> scipy.sparse.csr_matrix:
        """Return W rounded to ``dtype`` entry by entry (exact when the entries are floats of that type)."""
        values = _rounded(self.layer.values, self.layer.scale, self.denominator, dtype)
        return scipy.sparse.csr_matrix((values, (self.layer.rows, self.layer.cols)), shape=self.shape)

    def float_bias(self, dtype) -> np.ndarray:
        return _rounded(self.layer.bias, self.layer.scale, self.denominator, dtype)


def _rounded(numerators: np.ndarray, scale: int, denominator: int, dtype) -> np.ndarray:
    """Return numerators / (2^scale denominator) correctly rounded to float64, then cast to ``dtype``."""
    if denominator == 1 and numerators.dtype == np.int64 and (numerators.size == 0 or np.abs(numerators).max() < 1 << 53):
        values = np.ldexp(numerators.astype(np.float64), -scale)
    else:
        values = np.array([float(Fraction(int(v), denominator << scale)) for v in numerators.tolist()], dtype=np.float64)
    return values.astype(dtype)


@dataclass(frozen=True)
class Normalisation:
    """NNet's input normalisation and output scaling, exact.

    Inputs are clipped to [minimum, maximum], then u = (x - mean) / range; the
    network's output y becomes y * output_range + output_mean.
    """

    minimum: tuple[Fraction, ...]
    maximum: tuple[Fraction, ...]
    mean: tuple[Fraction, ...]
    range: tuple[Fraction, ...]
    output_mean: Fraction
    output_range: Fraction

    def to_json(self) -> dict:
        return {
            "minimum": [str(v) for v in self.minimum],
            "maximum": [str(v) for v in self.maximum],
            "mean": [str(v) for v in self.mean],
            "range": [str(v) for v in self.range],
            "output_mean": str(self.output_mean),
            "output_range": str(self.output_range),
            "input_map": "x -> (clip(x, minimum, maximum) - mean) / range",
            "output_map": "y -> y * output_range + output_mean",
            "dyadic": all(_is_dyadic(v) for v in self.minimum + self.maximum + self.mean + (self.output_mean, self.output_range))
            and all(_is_dyadic(1 / v) for v in self.range),
        }


def _is_dyadic(value: Fraction) -> bool:
    return value.denominator & (value.denominator - 1) == 0


@dataclass
class Model:
    """A network read from a file: exact weight layers and, for NNet, the normalisation beside them."""

    source: str
    format: str
    input_dim: int
    layers: list[RationalLayer]
    normalisation: Normalisation | None = None
    float_dtype: str = "float64"  # the precision of the stored weights
    notes: list[str] = field(default_factory=list)

    @property
    def output_dim(self) -> int:
        return self.layers[-1].shape[0]

    @property
    def is_dyadic(self) -> bool:
        return all(layer.is_dyadic for layer in self.layers)

    def weight_network(self) -> Network | None:
        """Return the weight layers as a dyadic network, or None when some weight is not dyadic."""
        if not self.is_dyadic:
            return None
        return Network(self.input_dim, [layer.layer for layer in self.layers])

    def folded_layers(self, inputs_normalized: bool = False) -> list[RationalLayer]:
        """Return the weight layers with the input normalisation and output scaling folded in, without clipping."""
        layers = list(self.layers)
        if self.normalisation is None:
            return layers
        if not inputs_normalized:
            layers[0] = _fold_input(layers[0], self.normalisation)
        layers[-1] = _fold_output(layers[-1], self.normalisation)
        return layers

    def function_layers(self, inputs_normalized: bool = False) -> list[RationalLayer]:
        """Return the ReLU network of the whole function: clipping layer first when the model clips."""
        layers = self.folded_layers(inputs_normalized)
        if self.normalisation is None or inputs_normalized:
            return layers
        clip, first = _clipping_layers(layers[0], self.normalisation)
        return [clip, first] + layers[1:]

    def first_layer_number(self, inputs_normalized: bool = False) -> int:
        """Return the number of the first of ``function_layers``: 0 for a clipping layer, else 1, so that layer k is weight layer k."""
        return 0 if self.normalisation is not None and not inputs_normalized else 1


def _fold_input(layer: RationalLayer, normalisation: Normalisation) -> RationalLayer:
    """Return W diag(1/range) and b - W diag(1/range) mean."""
    entries = [(r, c, v / normalisation.range[c]) for r, c, v in layer.entries()]
    bias = layer.bias_fractions()
    for r, c, v in entries:
        bias[r] -= v * normalisation.mean[c]
    return RationalLayer.from_fractions(layer.shape, entries, bias)


def _fold_output(layer: RationalLayer, normalisation: Normalisation) -> RationalLayer:
    """Return s W and s b + mu for the output range s and mean mu."""
    scale, mean = normalisation.output_range, normalisation.output_mean
    entries = [(r, c, v * scale) for r, c, v in layer.entries()]
    bias = [b * scale + mean for b in layer.bias_fractions()]
    return RationalLayer.from_fractions(layer.shape, entries, bias)


def _clipping_layers(first: RationalLayer, normalisation: Normalisation) -> tuple[RationalLayer, RationalLayer]:
    """Return the clipping ReLU layer and the first layer rewritten to read its units.

    The clipping layer computes r = phi(x - min) and t = phi(x - max); since
    clip(x) = min + r - t, the first layer W clip(x) + b becomes [W, -W] (r, t) + (b + W min).
    """
    dimension = first.shape[1]
    identity = [(i, i, Fraction(1)) for i in range(dimension)] + [(dimension + i, i, Fraction(1)) for i in range(dimension)]
    clip_bias = [-v for v in normalisation.minimum] + [-v for v in normalisation.maximum]
    clip = RationalLayer.from_fractions((2 * dimension, dimension), identity, clip_bias)

    entries = first.entries()
    bias = first.bias_fractions()
    for r, c, v in entries:
        bias[r] += v * normalisation.minimum[c]
    doubled = [(r, c, v) for r, c, v in entries] + [(r, dimension + c, -v) for r, c, v in entries]
    return clip, RationalLayer.from_fractions((first.shape[0], 2 * dimension), doubled, bias)


def integer_network(layers: list[RationalLayer]) -> tuple[Network, int]:
    """Return (G, Q): a dyadic network G and an odd integer Q with F = G / Q, as in the module docstring."""
    converted = []
    product = 1
    for rational in layers:
        layer = rational.layer
        bias = [int(b) * product for b in layer.bias.tolist()]
        converted.append(Layer(layer.shape, layer.rows, layer.cols, layer.values.tolist(), bias, layer.scale))
        product *= rational.denominator
    return Network(layers[0].shape[1], converted), product


@dataclass
class ExactOutputs:
    """Exact outputs F(x) = numerators[i][j] / denominator at a batch of points (points by outputs)."""

    numerators: np.ndarray
    denominator: int
    evaluation: Evaluation

    def value(self, point: int, output: int) -> Fraction:
        return Fraction(int(self.numerators[point, output]), self.denominator)


def evaluate_layers(layers: list[RationalLayer], points: list[list[Dyadic]], record_signs: bool = False) -> ExactOutputs:
    """Evaluate the chain of rational layers exactly at dyadic points."""
    network, odd_denominator = integer_network(layers)
    matrix, exponent, tau = points_to_integers(points)
    evaluation = evaluate(network, matrix, exponent, tau, record_signs=record_signs)
    return ExactOutputs(evaluation.numerators.T, odd_denominator << evaluation.exponent, evaluation)


def float_forward(model: Model, points: np.ndarray, dtype, inputs_normalized: bool = False) -> np.ndarray:
    """Return the model's outputs computed in floating point of ``dtype`` (points by outputs), as NNet readers do.

    With a normalisation the steps are np.clip, (x - mean) / range, the weight
    layers, then y * range + mean, all in ``dtype``.
    """
    values = np.asarray(points, dtype=dtype)
    normalisation = model.normalisation
    if normalisation is not None and not inputs_normalized:
        minimum, maximum, mean, spread = (np.array([float(v) for v in vector], dtype=dtype) for vector in (
            normalisation.minimum, normalisation.maximum, normalisation.mean, normalisation.range))
        values = (np.clip(values, minimum, maximum) - mean) / spread
    activation = values.T
    for index, layer in enumerate(model.layers):
        activation = np.asarray(layer.float_matrix(dtype) @ activation) + layer.float_bias(dtype)[:, None]
        if index < len(model.layers) - 1:
            activation = np.maximum(activation, 0)
    outputs = activation.T
    if normalisation is not None:
        outputs = outputs * np.asarray(float(normalisation.output_range), dtype=dtype) + np.asarray(float(normalisation.output_mean), dtype=dtype)
    return outputs.astype(dtype, copy=False)
