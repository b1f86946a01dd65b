"""Exact layer-by-layer evaluation on integers (Lemma A.2).

Lemma A.2 computes sgn(f(y)) by writing every activation down exactly. With
W_l = M_l / 2^{s_l}, b_l = B_l / 2^{s_l} and an activation a = A / 2^E,

    W_l a + b_l = (M_l A + B_l 2^E) / 2^{E + s_l},

so each layer is one integer matrix product and a shift. The product runs in the
fastest exact arithmetic that the values allow. Before each layer the evaluator
bounds every partial sum by max_i sum_j |M_ij| * max|A| + max|B| 2^E, exactly
in Python integers. Below 2^53 it uses float64 (BLAS, or scipy.sparse for
sparse layers), whose sums of integers under 2^53 are exact. Below 2^62 it uses
int64. Beyond that, small batches go to python-flint's exact integer matrices and
large ones to a limb product: activations are written in base 2^b (b = 24, or 16
for layers wider than 2^12) and weights as balanced digits in the same base. A
float64 BLAS product of a digit matrix and the limbs is exact when it sums at
most n inputs with n 2^(b-1) 2^b <= 2^53 (n = 64 for b = 24), so wider layers are
split into column chunks. Carries are then propagated in int64. In that form the
sign of a value is the sign of its top limb, so the ReLU is decided exactly
without leaving the limbs.

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

# From this many output entries (rows times points) a layer beyond int64 uses the
# limb product; below it python-flint's fmpz_mat, whose set-up is cheaper. Both are
# exact. The two met near 10^4 entries on the ACAS Xu network (50-wide layers,
# activations of about 1000 bits, 2-core VM, single-threaded OpenBLAS 0.3.31).
LIMB_MIN_ENTRIES = 16384

# Points per block of the limb product, so that its temporaries stay in cache.
# NOTE: on a 2-core VM shared with other processes, multi-threaded OpenBLAS made
# the limb product 2 to 3 times slower than OPENBLAS_NUM_THREADS=1 (10^4 ACAS Xu
# points). Of the sizes 256 to 10^4, this one was the best compromise in both settings.
LIMB_BLOCK_POINTS = 1024


@dataclass
class LayerRecord:
    """Measurements of one layer in an exact evaluation: backend and bit lengths against the Lemma A.2 bound."""

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
    hidden_signs: list[np.ndarray] = field(default_factory=list)  # per hidden layer, units by points, with record_signs

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


def evaluate(
    network: Network, inputs: np.ndarray, input_exponent: int = 0, input_tau: int | None = None, record_signs: bool = False
) -> Evaluation:
    """Evaluate ``network`` exactly at the columns of the integer matrix ``inputs`` / 2^input_exponent.

    ``input_tau`` is the bit complexity of the inputs, used only for the Lemma A.2
    bound; it defaults to the value computed from the inputs. With ``record_signs``
    the result also contains the exact sign (-1, 0 or 1) of every hidden pre-activation.
    """
    activation = _normalise_array(inputs)
    if activation.shape[0] != network.input_dim:
        raise ValueError(f"the network takes {network.input_dim} inputs but the points have {activation.shape[0]} coordinates")
    if input_tau is None:
        input_tau = _input_tau(activation, input_exponent)
    tau = network.tau()
    limb_bits = _limb_bits(max(layer.shape[1] for layer in network.layers))

    exponent = input_exponent
    records = []
    hidden_signs = []
    width_product = network.input_dim + 1
    largest_input = _max_abs(activation)
    for index, layer in enumerate(network.layers, start=1):
        is_output = index == network.depth
        partial_sum_bound = max(layer.row_abs_sums(), default=0) * largest_input + (layer.max_abs_bias() << exponent)
        backend, pre_activation = _affine(layer, activation, exponent, partial_sum_bound, largest_input, limb_bits)
        exponent += layer.scale

        lemma_shift = index * tau + input_tau - exponent
        smallest, greatest = _extremes(pre_activation)
        largest = max(greatest, -smallest)
        measured_bits = largest.bit_length() + lemma_shift if largest else 0
        bound_bits = ((1 << (2 * index * tau + 2 * input_tau)) * width_product).bit_length()
        records.append(LayerRecord(backend, measured_bits, bound_bits, partial_sum_bound))

        if is_output:
            activation = pre_activation
        else:
            if record_signs:
                hidden_signs.append(_signs(pre_activation))
            activation = _relu(pre_activation)
            largest_input = max(greatest, 0)
            width_product *= layer.shape[0] + 1
    return Evaluation(_as_exact(activation), exponent, records, hidden_signs)


def _affine(layer, activation, exponent: int, partial_sum_bound: int, largest_input: int, limb_bits: int):
    """Return (backend name, M A + B 2^exponent) computed exactly.

    The float64 and int64 paths also need every weight numerator and activation to
    fit their type, which a small bound does not imply when one factor is zero.
    """
    largest = max(partial_sum_bound, layer.max_abs_numerator(), largest_input)
    if isinstance(activation, _Limbs) and largest >= INT64_EXACT_BOUND and _fits_limbs(layer, activation.bits):
        return "limbs", _affine_limbs(layer, activation, exponent, partial_sum_bound)
    activation = _as_exact(activation)
    dense = layer.nnz > _SPARSE_DENSITY * layer.shape[0] * layer.shape[1]
    if largest < FLOAT64_EXACT_BOUND:
        matrix = layer.scipy_matrix(np.float64)
        shifted_bias = np.array([float(int(b) << exponent) for b in layer.bias])
        values = activation.astype(np.float64, copy=False)
        product = (matrix.toarray() @ values) if dense else np.asarray(matrix @ values)
        return "float64", product + shifted_bias[:, None]
    if largest < INT64_EXACT_BOUND:
        matrix = layer.scipy_matrix(np.int64)
        shifted_bias = np.array([int(b) << exponent for b in layer.bias], dtype=np.int64)
        values = activation.astype(np.int64, copy=False)
        product = np.asarray(matrix @ values)
        return "int64", product + shifted_bias[:, None]
    if layer.shape[0] * activation.shape[1] < LIMB_MIN_ENTRIES or not _fits_limbs(layer, limb_bits):
        return "flint", _affine_flint(layer, activation, exponent, activation.shape[1])
    limbs = _Limbs.from_integers(activation, limb_bits)
    return "limbs", _affine_limbs(layer, limbs, exponent, partial_sum_bound)


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


# The limb product.


def _limb_bits(widest_input: int) -> int:
    """Return the limb size b: 24 bits, or 16 for layers with more than 2^12 inputs.

    Limbs are whole bytes so that conversion to and from Python integers goes
    through ``int.to_bytes`` and ``int.from_bytes``.
    """
    return 24 if widest_input <= 1 << 12 else 16


def _chunk_width(bits: int) -> int:
    """Return how many inputs one exact float64 product may sum: n 2^(b-1) 2^b <= 2^53."""
    return 1 << (53 - 2 * bits + 1)


class _Limbs:
    """Exact integers stored in base 2^bits: value = sum_k limbs[:, k, :] 2^(bits k).

    ``limbs`` is an int64 array (rows, limb count, points). Every limb but the last
    lies in [0, 2^bits). The last lies in [-2^(bits-1), 2^(bits-1)) and carries the
    sign, so a value is negative exactly when its last limb is.
    """

    __slots__ = ("limbs", "bits")

    def __init__(self, limbs: np.ndarray, bits: int):
        self.limbs = limbs
        self.bits = bits

    @classmethod
    def from_integers(cls, array: np.ndarray, bits: int) -> _Limbs:
        """Convert an int64 or object array of integers (rows by points)."""
        rows, points = array.shape
        values = array.reshape(-1).tolist()
        largest = max((abs(int(v)) for v in values), default=0)
        count = _limb_count(largest, bits)
        width = bits // 8
        data = b"".join(int(v).to_bytes(width * count, "little", signed=True) for v in values)
        raw = np.frombuffer(data, dtype=np.uint8).reshape(rows, points, count, width).astype(np.int64)
        limbs = np.zeros((rows, points, count), dtype=np.int64)
        for byte in range(width):
            limbs |= raw[..., byte] << (8 * byte)
        top = limbs[..., -1]
        top[top >= 1 << (bits - 1)] -= 1 << bits
        return cls(np.ascontiguousarray(limbs.transpose(0, 2, 1)), bits)

    def to_integers(self) -> np.ndarray:
        """Return the values as an object array of Python integers (rows by points)."""
        rows, count, points = self.limbs.shape
        width = self.bits // 8
        unsigned = (self.limbs & ((1 << self.bits) - 1)).astype("<u4")
        data = unsigned.transpose(0, 2, 1).reshape(rows, points, count, 1).view(np.uint8)[..., :width].tobytes()
        size = width * count
        values = [int.from_bytes(data[start:start + size], "little", signed=True) for start in range(0, len(data), size)]
        result = np.empty(rows * points, dtype=object)
        result[:] = values
        return result.reshape(rows, points)

    def negative(self) -> np.ndarray:
        return self.limbs[:, -1, :] < 0

    def signs(self) -> np.ndarray:
        nonzero = np.any(self.limbs != 0, axis=1)
        return np.where(self.negative(), -1, nonzero.astype(np.int64)).astype(np.int8)

    def relu(self) -> _Limbs:
        """Return the ReLU of these values, overwriting them."""
        self.limbs *= ~self.negative()[:, None, :]
        return self

    def extremes(self) -> tuple[int, int]:
        """Return the exact least and greatest values.

        Limbs below the top one are non-negative, so values compare as their limb
        sequences do from the top limb down: each step keeps the candidates that
        tie on the limbs seen so far.
        """
        return self._extreme(np.min), self._extreme(np.max)

    def _extreme(self, choose) -> int:
        top = self.limbs[:, -1, :]
        rows, points = np.nonzero(top == choose(top))
        for position in range(self.limbs.shape[1] - 2, -1, -1):
            if len(rows) == 1:
                break
            column = self.limbs[rows, position, points]
            keep = column == choose(column)
            rows, points = rows[keep], points[keep]
        winner = self.limbs[rows[0], :, points[0]].tolist()
        return sum(int(limb) << (self.bits * k) for k, limb in enumerate(winner))


def _limb_count(largest: int, bits: int) -> int:
    """Return the number of limbs that hold every integer of magnitude at most ``largest`` with a signed top limb."""
    return max(1, -(-(largest.bit_length() + 1) // bits))


def _normalise_carries(limbs: np.ndarray, bits: int) -> np.ndarray:
    """Propagate carries along the last axis, leaving every limb but the last in [0, 2^bits)."""
    mask = (1 << bits) - 1
    for position in range(limbs.shape[-1] - 1):
        carry = limbs[..., position] >> bits
        limbs[..., position] &= mask
        limbs[..., position + 1] += carry
    return limbs


def _fits_limbs(layer, bits: int) -> bool:
    """Return whether the int64 accumulator of _affine_limbs cannot overflow.

    It adds one partial sum below 2^53 per weight digit and input chunk, so fewer
    than 2^9 of them keep it below 2^62.
    """
    digits = -(-(layer.max_abs_numerator().bit_length() + 1) // bits)
    chunks = -(-layer.shape[1] // _chunk_width(bits))
    return digits * chunks < 1 << 9


def _weight_digits(layer, digit_bits: int) -> list:
    """Return the weight numerators as balanced digits in base 2^digit_bits, stacked per column chunk.

    M = sum_s D_s 2^(digit_bits s) with every entry of D_s in [-2^(digit_bits-1),
    2^(digit_bits-1)). The result lists (first column, end column, matrix) for
    chunks at most _chunk_width(digit_bits) columns wide; the matrix stacks the
    chunk of D_0, D_1, ... vertically, dense or CSR, in float64.
    """
    key = ("digits", digit_bits)
    if key in layer._cache:
        return layer._cache[key]
    import scipy.sparse

    half, base = 1 << (digit_bits - 1), 1 << digit_bits
    remaining = [int(v) for v in layer.values.tolist()]
    digits = []
    while any(remaining):
        digit = [(v + half) % base - half for v in remaining]
        remaining = [(v - d) >> digit_bits for v, d in zip(remaining, digit)]
        digits.append(scipy.sparse.csr_matrix((np.array(digit, dtype=np.float64), (layer.rows, layer.cols)), shape=layer.shape))
    if not digits:
        digits.append(scipy.sparse.csr_matrix(layer.shape, dtype=np.float64))

    dense = layer.nnz > _SPARSE_DENSITY * layer.shape[0] * layer.shape[1]
    width = _chunk_width(digit_bits)
    chunks = []
    for first in range(0, layer.shape[1], width):
        last = min(first + width, layer.shape[1])
        stacked = scipy.sparse.vstack([digit[:, first:last] for digit in digits], format="csr")
        chunks.append((first, last, stacked.toarray() if dense else stacked))
    layer._cache[key] = chunks
    return chunks


def _bias_limbs(layer, exponent: int, count: int, bits: int) -> np.ndarray:
    """Return B 2^exponent as limbs (rows, count), normalised with a signed top limb."""
    mask = (1 << bits) - 1
    result = np.zeros((layer.shape[0], count), dtype=np.int64)
    for row, bias in enumerate(layer.bias.tolist()):
        value = int(bias) << exponent
        for position in range(count - 1):
            result[row, position] = value & mask
            value >>= bits
        result[row, count - 1] = value
    return result


def _affine_limbs(layer, activation: _Limbs, exponent: int, partial_sum_bound: int) -> _Limbs:
    """Return M A + B 2^exponent in limbs: float64 BLAS products of weight digits and limbs, then int64 carries.

    Weight digits and activation limbs share the base 2^b, with |digit| <= 2^(b-1)
    and |limb| < 2^b, and each product sums at most _chunk_width(b) inputs, so
    every float64 product is an exact integer below 2^53. Points go through in
    blocks of LIMB_BLOCK_POINTS so that the temporaries stay in cache.
    """
    bits = activation.bits
    rows, inputs = layer.shape
    _, count_in, points = activation.limbs.shape
    digits = _weight_digits(layer, bits)
    digit_count = digits[0][2].shape[0] // rows
    count_out = _limb_count(partial_sum_bound, bits)
    width = max(count_in + digit_count - 1, count_out) + 1
    bias = _bias_limbs(layer, exponent, width, bits)[:, :, None]

    result = np.empty((rows, count_out, points), dtype=np.int64)
    for start in range(0, points, LIMB_BLOCK_POINTS):
        stop = min(start + LIMB_BLOCK_POINTS, points)
        block = stop - start
        values = activation.limbs[:, :, start:stop].astype(np.float64).reshape(inputs, count_in * block)
        accumulator = np.zeros((rows, width, block), dtype=np.int64)
        for first, last, stacked in digits:
            product = np.asarray(stacked @ values[first:last]).reshape(-1, rows, count_in, block)
            for shift, part in enumerate(product):
                target = accumulator[:, shift:shift + count_in, :]
                np.add(target, part, out=target, dtype=np.int64, casting="unsafe")  # the products are exact integers
        accumulator += bias
        _normalise_carries(accumulator.transpose(0, 2, 1), bits)

        # |value| <= partial_sum_bound < 2^(b count_out - 1), so every limb above
        # count_out - 1 only extends the sign: fold it into a signed top limb.
        result[:, :, start:stop] = accumulator[:, :count_out, :]
        result[:, -1, start:stop] -= (accumulator[:, -1, :] < 0).astype(np.int64) << bits
    return _Limbs(result, bits)


# Helpers for both representations.


def _extremes(values) -> tuple[int, int]:
    if isinstance(values, _Limbs):
        return values.extremes()
    if values.size == 0:
        return 0, 0
    return int(values.min()), int(values.max())


def _relu(values):
    return values.relu() if isinstance(values, _Limbs) else np.maximum(values, 0)


def _signs(values) -> np.ndarray:
    if isinstance(values, _Limbs):
        return values.signs()
    return np.sign(values).astype(np.int8)


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


def _as_exact(array) -> np.ndarray:
    """Turn limbs, or a float64 array of exact integers, into int64 (or object past 2^62)."""
    if isinstance(array, _Limbs):
        array = array.to_integers()
        return _integer_array(array.reshape(-1).tolist()).reshape(array.shape)
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
