"""Exact layer-by-layer evaluation on integers (Lemma A.2).

Lemma A.2 computes sgn(f(y)) by writing every activation down exactly. With
W_l = M_l / 2^{s_l}, b_l = B_l / 2^{s_l} and an activation a = A / 2^E,

    W_l a + b_l = (M_l A + B_l 2^E) / 2^{E + s_l},

so each layer is one integer matrix product and a shift. The product runs in the
fastest exact arithmetic that the values allow. Before each layer the evaluator
bounds every partial sum by max_i sum_j |M_ij| * max|A| + max|B| 2^E, exactly
in Python integers. Below 2^53 it uses float64 (BLAS, or scipy.sparse for
sparse layers), whose sums of integers under 2^53 are exact. Below 2^62 it uses
int64, and beyond that python-flint's exact integer matrices.

Concrete form of the lemma's bound, from its proof. Let every weight and bias
lie in R_tau and every input coordinate in R_t (t = 0 for inputs in {+-1}^d).
Scaled by 2^{2t}, an input is an integer of magnitude at most 2^{2t}. Induction
on l, using |z| <= k (max|a|) 2^tau + 2^tau <= (k + 1) 2^tau max(|a|, 1), gives

    |pre-activation of layer l| * 2^{l tau + t} <= 2^{2 l tau + 2t} prod_{i<l} (k_i + 1),

with k_0 = d. So that integer has at most
2 l tau + 2t + sum_{i<l} log2(k_i + 1) + 1 bits. The evaluator measures the
largest pre-activation of each layer at that scale and compares the two bit
lengths exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from verifier.dyadic import Dyadic
from verifier.network import Network

FLOAT64_EXACT_BOUND = 1 << 53
INT64_EXACT_BOUND = 1 << 62
_SPARSE_DENSITY = 0.25


@dataclass
class LayerRecord:
    """What one layer of an exact evaluation measured."""

    backend: str
    measured_bits: int
    bound_bits: int
    partial_sum_bound: int


@dataclass
class Evaluation:
    """Exact outputs of a network at a batch of points.

    ``outputs[i][j]`` is output j at point i, equal to ``numerators[j, i] / 2^exponent``.
    """

    numerators: np.ndarray
    exponent: int
    layers: list[LayerRecord] = field(default_factory=list)

    @property
    def outputs(self) -> list[list[Dyadic]]:
        return [[Dyadic(int(v), self.exponent) for v in column] for column in self.numerators.T]

    def signs(self) -> np.ndarray:
        """Return sgn(f(y)) per output and point, with sgn(0) = 1 as in the paper."""
        return np.where(self.numerators >= 0, 1, -1).T

    def integer_outputs(self) -> np.ndarray:
        """Return the outputs as an int64 array (points by outputs) when they are all integers."""
        if self.exponent != 0:
            raise ValueError("the outputs are not all integers")
        return np.asarray(self.numerators.T, dtype=np.int64) if self.numerators.dtype != np.int64 else self.numerators.T


def points_to_integers(points: Sequence[Sequence]) -> tuple[np.ndarray, int, int]:
    """Write points as one integer matrix (coordinates by points) over 2^exponent.

    Returns the matrix, the exponent and the bit complexity t of the coordinates.
    """
    values = [[Dyadic(v) for v in point] for point in points]
    exponent = max((v.exponent for point in values for v in point), default=0)
    tau = max((v.tau() for point in values for v in point), default=0)
    flat = [v.scaled(exponent) for point in values for v in point]
    dims = len(values[0]) if values else 0
    matrix = _integer_array(flat).reshape(len(values), dims).T.copy()
    return matrix, exponent, tau


def hypercube_points(dimension: int) -> np.ndarray:
    """Return all of {+-1}^d as a d-by-2^d int64 matrix in truth-table order.

    Column i has x_j = -1 exactly when bit j-1 of i is 1.
    """
    index = np.arange(1 << dimension, dtype=np.int64)
    bits = (index[None, :] >> np.arange(dimension, dtype=np.int64)[:, None]) & 1
    return 1 - 2 * bits


def evaluate(network: Network, inputs: np.ndarray, input_exponent: int = 0, input_tau: int | None = None) -> Evaluation:
    """Evaluate ``network`` exactly at the columns of the integer matrix ``inputs`` / 2^input_exponent.

    ``input_tau`` is the bit complexity of the inputs, used only for the Lemma A.2
    bound; it defaults to the value computed from the inputs.
    """
    activation = _normalise_array(inputs)
    if activation.shape[0] != network.input_dim:
        raise ValueError(f"the network takes {network.input_dim} inputs but the points have {activation.shape[0]} coordinates")
    if input_tau is None:
        input_tau = _input_tau(activation, input_exponent)
    tau = network.tau()

    exponent = input_exponent
    records = []
    width_product = network.input_dim + 1
    for index, layer in enumerate(network.layers, start=1):
        is_output = index == network.depth
        largest_input = _max_abs(activation)
        partial_sum_bound = max(layer.row_abs_sums(), default=0) * largest_input + (layer.max_abs_bias() << exponent)
        backend, pre_activation = _affine(layer, activation, exponent, partial_sum_bound)
        exponent += layer.scale

        lemma_shift = index * tau + input_tau - exponent
        largest = _max_abs(pre_activation)
        measured_bits = largest.bit_length() + lemma_shift if largest else 0
        bound_bits = ((1 << (2 * index * tau + 2 * input_tau)) * width_product).bit_length()
        records.append(LayerRecord(backend, measured_bits, bound_bits, partial_sum_bound))

        activation = pre_activation if is_output else np.maximum(pre_activation, 0)
        if not is_output:
            width_product *= layer.shape[0] + 1
    return Evaluation(_as_exact(activation), exponent, records)


def _affine(layer, activation: np.ndarray, exponent: int, partial_sum_bound: int):
    """Return (backend name, M A + B 2^exponent) computed exactly."""
    points = activation.shape[1]
    dense = layer.nnz > _SPARSE_DENSITY * layer.shape[0] * layer.shape[1]
    if partial_sum_bound < FLOAT64_EXACT_BOUND:
        matrix = layer.scipy_matrix(np.float64)
        shifted_bias = np.array([float(int(b) << exponent) for b in layer.bias])
        values = activation.astype(np.float64, copy=False)
        product = (matrix.toarray() @ values) if dense else np.asarray(matrix @ values)
        return "float64", product + shifted_bias[:, None]
    if partial_sum_bound < INT64_EXACT_BOUND:
        matrix = layer.scipy_matrix(np.int64)
        shifted_bias = np.array([int(b) << exponent for b in layer.bias], dtype=np.int64)
        values = activation.astype(np.int64, copy=False)
        product = np.asarray(matrix @ values)
        return "int64", product + shifted_bias[:, None]
    return "flint", _affine_flint(layer, activation, exponent, points)


def _affine_flint(layer, activation: np.ndarray, exponent: int, points: int) -> np.ndarray:
    import flint

    rows, cols = layer.shape
    dense = [[0] * cols for _ in range(rows)]
    for r, c, v in zip(layer.rows.tolist(), layer.cols.tolist(), layer.values.tolist()):
        dense[r][c] = int(v)
    values = [int(v) for v in _as_exact(activation).reshape(-1).tolist()]
    product = flint.fmpz_mat(rows, cols, [v for row in dense for v in row]) * flint.fmpz_mat(cols, points, values)
    flat = [int(v) for v in product.entries()]
    result = np.empty(rows * points, dtype=object)
    result[:] = flat
    result = result.reshape(rows, points)
    for r, b in enumerate(layer.bias.tolist()):
        if b:
            result[r] += int(b) << exponent
    return result


def _integer_array(values) -> np.ndarray:
    values = [int(v) for v in values]
    if all(-INT64_EXACT_BOUND < v < INT64_EXACT_BOUND for v in values):
        return np.array(values, dtype=np.int64)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _normalise_array(inputs) -> np.ndarray:
    array = np.asarray(inputs)
    if array.ndim == 1:
        array = array[:, None]
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    if array.dtype == object:
        return array
    raise TypeError("inputs must be an integer matrix; scale dyadic points with points_to_integers")


def _max_abs(array: np.ndarray) -> int:
    if array.size == 0:
        return 0
    return int(max(abs(int(array.max())), abs(int(array.min()))))


def _as_exact(array: np.ndarray) -> np.ndarray:
    """Turn a float64 array that holds exact integers into int64 (or object past 2^62)."""
    if array.dtype == np.float64:
        if _max_abs(array) < INT64_EXACT_BOUND:
            return array.astype(np.int64)
        result = np.empty(array.shape, dtype=object)
        result.reshape(-1)[:] = [int(v) for v in array.reshape(-1).tolist()]
        return result
    return array


def _input_tau(activation: np.ndarray, exponent: int) -> int:
    """Return the least t with every A / 2^exponent in R_t."""
    largest = _max_abs(activation)
    if largest == 0:
        return 0
    combined = 0
    for value in activation.reshape(-1).tolist():
        combined |= abs(int(value))
    trailing_zeros = (combined & -combined).bit_length() - 1
    return max(0, exponent - trailing_zeros, (largest - 1).bit_length() - exponent)
