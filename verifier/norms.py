"""Operator-norm upper bounds proved exactly, and Lipschitz bounds of ReLU networks.

The Lipschitz upper bound is Fact 2.2: the ReLU is 1-Lipschitz, so a network is
Lipschitz (l2 to l2) with constant at most the product of the spectral norms
||W_i||_2 of its weight matrices. The lower bound comes from an exact witness: the
gradient at a point inside one linear region, or a difference quotient of two points.

Floating point only proposes values here. Every bound is confirmed with exact
integer or rational arithmetic, and each result names the method that confirmed it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg

from verifier.dyadic import Dyadic
from verifier.network import Layer, Network

__all__ = [
    "NormProof",
    "LipschitzLowerBound",
    "prove_operator_norm",
    "prove_inf_norm",
    "lipschitz_upper_bound",
    "lipschitz_lower_bound",
    "METHOD_ZERO",
    "METHOD_VECTOR",
    "METHOD_MINORS",
    "METHOD_CHOLESKY",
    "METHOD_HOLDER",
    "METHOD_GRADIENT",
    "METHOD_DIFFERENCE",
]

METHOD_ZERO = "exact: zero matrix"
METHOD_VECTOR = "exact: vector norm"
METHOD_MINORS = "exact: principal minors of u^2 I - W^T W"
METHOD_CHOLESKY = "exact: rounded Cholesky of u^2 I - W^T W"
METHOD_HOLDER = "exact: Holder bound sqrt(||W||_1 ||W||_inf)"
METHOD_GRADIENT = "exact: gradient in the interior of a linear region"
METHOD_DIFFERENCE = "exact: difference quotient of two points"

# Blocks whose Gram matrix (on the smaller side) is larger than this get the Holder
# bound. The rounded Cholesky proof costs O(n^3) in floating point and in flint. One
# measured run at n = 1500 took about 5 s (2-core x86_64 VM, python-flint 0.9,
# single-threaded OpenBLAS 0.3.31, numerators below 2^31).
GRAM_SIDE_LIMIT = 1500

# Up to this Gram size the PSD check is over all principal minors, which is exact
# also for a singular matrix, so a dyadic norm can be proved with no margin.
MINORS_MAX_DIM = 3

# Relative margins of the proposed bound u over the float estimate, tried in order.
# NOTE: the first margin, not precision_bits, limits how tight a Cholesky or minors
# bound is, so precision_bits above about 20 does not tighten those bounds.
MARGINS = (2.0**-20, 2.0**-16, 2.0**-12, 2.0**-8, 2.0**-4)

# Sanity tolerance when comparing a proved bound with numpy's estimate.
_FLOAT_SLACK = 2.0**-40

_INT64_LIMIT = 1 << 63

_POINT_BITS = 16  # candidate points are multiples of 2^-16
_EXACT_CONFIRMATIONS = 8  # candidates confirmed exactly after the float ranking
_PAIR_ATTEMPTS = 4


@dataclass(frozen=True)
class NormProof:
    """A proved upper bound on the spectral norm of one layer's weight matrix."""

    upper: Dyadic  # proved: ||W||_2 <= upper
    method: str
    float_estimate: float  # numpy's largest singular value of W, an estimate only
    blocks: int  # connected components of the non-zero pattern
    distinct_blocks: int  # blocks that differ after renumbering rows and columns
    largest_block: tuple[int, int]  # (rows, columns) of the block with the most cells


@dataclass(frozen=True)
class LipschitzLowerBound:
    """A proved lower bound Lip(F) >= value, with the exact witness it comes from.

    ``witness`` is the point x for the gradient method and the pair (x, y) for the
    difference quotient. ``output`` is the Jacobian row used by the gradient method.
    """

    value: Dyadic
    squared: Fraction  # value <= sqrt(squared) <= Lip(F)
    witness: tuple[Dyadic, ...] | tuple[tuple[Dyadic, ...], tuple[Dyadic, ...]]
    method: str
    output: int | None = None


# Square roots rounded to dyadic numbers.


def _sqrt_dyadic(square: Fraction, bits: int, rounding: str) -> Dyadic:
    """Round sqrt(square) down, up or to nearest, keeping about ``bits`` significant bits."""
    square = Fraction(square)
    if square < 0:
        raise ValueError(f"cannot take the square root of the negative number {square}")
    if square == 0:
        return Dyadic(0)
    log2_square = square.numerator.bit_length() - square.denominator.bit_length()
    exponent = bits - log2_square // 2
    scaled = square * Fraction(4) ** exponent
    root = math.isqrt(math.floor(scaled))
    if rounding == "ceil":
        if root * root < scaled:
            root += 1
    elif rounding == "nearest":
        if (2 * root + 1) ** 2 <= 4 * scaled:
            root += 1
    elif rounding != "floor":
        raise ValueError(f"invalid rounding {rounding!r}, expected floor, ceil or nearest")
    return Dyadic(root, exponent)


# Splitting a layer into blocks.


@dataclass
class _Block:
    """One connected component of a weight matrix, renumbered in row and column order."""

    shape: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    values: list[int]  # integer numerators M, with W = M / 2^scale of the layer

    def max_abs(self) -> int:
        return max(abs(v) for v in self.values)


def _local_positions(indices: np.ndarray, labels: np.ndarray, size: int) -> np.ndarray:
    """Return, for each index, its rank among the indices with the same label."""
    order = np.lexsort((indices, labels))
    sorted_labels = labels[order]
    first = np.searchsorted(sorted_labels, sorted_labels, side="left")
    positions = np.full(size, -1, dtype=np.int64)
    positions[indices[order]] = np.arange(len(order)) - first
    return positions


def _split_blocks(layer: Layer) -> tuple[list[tuple[_Block, int]], int]:
    """Split the weight matrix into connected components and group equal ones.

    Returns the distinct blocks with their multiplicities and the number of blocks.
    Rows and columns without a non-zero entry belong to no block. Two blocks are equal
    when they have the same shape, pattern and numerators after renumbering rows and
    columns in increasing order. The full canonical bytes are the dictionary key, so
    grouping is exact (no hash collision can merge two blocks).
    """
    out_dim, in_dim = layer.shape
    rows, cols = layer.rows, layer.cols
    graph = scipy.sparse.coo_matrix(
        (np.ones(len(rows), dtype=np.int8), (rows, out_dim + cols)),
        shape=(out_dim + in_dim, out_dim + in_dim),
    )
    _, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)

    used_rows = np.unique(rows)
    used_cols = np.unique(cols)
    row_labels = labels[used_rows]
    col_labels = labels[out_dim + used_cols]
    local_row = _local_positions(used_rows, row_labels, out_dim)
    local_col = _local_positions(used_cols, col_labels, in_dim)
    row_counts = np.bincount(row_labels, minlength=len(labels))
    col_counts = np.bincount(col_labels, minlength=len(labels))

    entry_labels = labels[rows]
    order = np.argsort(entry_labels, kind="stable")  # keeps row-then-column order inside a block
    boundaries = np.flatnonzero(np.diff(entry_labels[order])) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(order)]))
    is_int64 = layer.values.dtype == np.int64

    groups: dict[bytes, list] = {}
    for start, end in zip(starts.tolist(), ends.tolist()):
        entries = order[start:end]
        label = entry_labels[entries[0]]
        shape = (int(row_counts[label]), int(col_counts[label]))
        block_rows = local_row[rows[entries]]
        block_cols = local_col[cols[entries]]
        values = layer.values[entries]
        value_bytes = values.tobytes() if is_int64 else ",".join(str(int(v)) for v in values).encode()
        key = b"".join([np.array(shape, dtype=np.int64).tobytes(), block_rows.tobytes(), block_cols.tobytes(), value_bytes])
        if key in groups:
            groups[key][1] += 1
        else:
            groups[key] = [_Block(shape, block_rows, block_cols, [int(v) for v in values]), 1]
    return [(block, count) for block, count in groups.values()], len(starts)


# Exact and float views of one block.


def _scaled_floats(values, shift: int) -> np.ndarray:
    """Return the integers times 2^-shift as floats, without overflow for huge integers."""
    if isinstance(values, np.ndarray) and values.dtype == np.int64:
        return np.ldexp(values.astype(np.float64), -shift)
    values = [int(v) for v in values]
    largest = max((abs(v).bit_length() for v in values), default=0)
    drop = max(0, largest - 900)  # keeps every float below 2^900 before scaling
    return np.ldexp(np.array([v >> drop for v in values], dtype=np.float64), drop - shift)


def _gram_matrix(block: _Block) -> tuple[flint.fmpz_mat, np.ndarray, int]:
    """Return the exact Gram matrix G on the smaller side, G / 2^g in floats, and g.

    G is M^T M when M has at least as many rows as columns, otherwise M M^T.
    """
    rows, cols = block.rows, block.cols
    long_side, short_side = block.shape
    if block.shape[0] < block.shape[1]:
        rows, cols = cols, rows
        long_side, short_side = short_side, long_side

    if block.max_abs() ** 2 * long_side < _INT64_LIMIT:
        # Every partial sum is at most max|M|^2 * long_side, so int64 cannot overflow.
        matrix = scipy.sparse.csr_matrix(
            (np.array(block.values, dtype=np.int64), (rows, cols)), shape=(long_side, short_side)
        )
        gram_ints = (matrix.T @ matrix).toarray().ravel()
        gram = flint.fmpz_mat(short_side, short_side, gram_ints.tolist())
    else:
        dense = [0] * (long_side * short_side)
        for r, c, v in zip(rows.tolist(), cols.tolist(), block.values):
            dense[r * short_side + c] = v
        matrix = flint.fmpz_mat(long_side, short_side, dense)
        gram = matrix.transpose() * matrix
        gram_ints = [int(x) for x in gram.entries()]

    # The largest entry of a Gram matrix lies on its diagonal.
    gram_shift = max(int(gram_ints[i * short_side + i]) for i in range(short_side)).bit_length()
    gram_float = _scaled_floats(gram_ints, gram_shift).reshape(short_side, short_side)
    return gram, gram_float, gram_shift


def _holder_bound(block: _Block, scale: int, bits: int) -> Dyadic:
    """Return sqrt(||W||_1 ||W||_inf) rounded up: max column sum times max row sum."""
    row_sums = [0] * block.shape[0]
    col_sums = [0] * block.shape[1]
    for r, c, v in zip(block.rows.tolist(), block.cols.tolist(), block.values):
        row_sums[r] += abs(v)
        col_sums[c] += abs(v)
    return _sqrt_dyadic(Fraction(max(col_sums) * max(row_sums), 4**scale), bits, "ceil")


def _largest_singular_value(block: _Block, scale: int) -> float:
    """Estimate ||W||_2 of a large block in floating point (ARPACK, else power iteration)."""
    values = _scaled_floats(block.values, scale)
    matrix = scipy.sparse.csr_matrix((values, (block.rows, block.cols)), shape=block.shape)
    try:
        return float(scipy.sparse.linalg.svds(matrix, k=1, return_singular_vectors=False)[0])
    except (scipy.sparse.linalg.ArpackError, ValueError):
        vector = np.ones(block.shape[1])
        estimate = 0.0
        for _ in range(200):
            image = matrix.T @ (matrix @ vector)
            norm = np.linalg.norm(image)
            if norm == 0:
                return 0.0
            estimate = math.sqrt(norm / np.linalg.norm(vector))
            vector = image / norm
        return estimate


# Exact positive semidefiniteness checks of A = U^2 I - 4^k G.


def _shifted_gram(gram: flint.fmpz_mat, u: Dyadic) -> flint.fmpz_mat:
    """Return A = U^2 I - 4^k G for u = U / 2^k, so A >= 0 proves sqrt(lambda_max(G)) <= u."""
    size = gram.nrows()
    matrix = gram * flint.fmpz(-(4**u.exponent))
    square = u.mantissa**2
    for i in range(size):
        matrix[i, i] = matrix[i, i] + square
    return matrix


def _psd_by_principal_minors(matrix: flint.fmpz_mat) -> bool:
    """Return whether every principal minor is non-negative, which is true iff the matrix is PSD."""
    size = matrix.nrows()
    entries = [[int(matrix[i, j]) for j in range(size)] for i in range(size)]
    for subset in range(1, 1 << size):
        index = [i for i in range(size) if subset >> i & 1]
        minor = flint.fmpz_mat([[entries[i][j] for j in index] for i in index]).det()
        if minor < 0:
            return False
    return True


def _psd_by_rounded_cholesky(matrix: flint.fmpz_mat, u: Dyadic, gram_float: np.ndarray, gram_shift: int, gram_max: float) -> bool:
    """Prove A = U^2 I - 4^k G >= 0 with a rounded Cholesky factor, or return False.

    Floats compute L with L L^T ~ A / 2^p - c I, where 2^p >= U^2 normalises A and c
    is half the estimated least eigenvalue. Li = round(2^T L) is an integer matrix,
    and R = 2^(2T - p) A - Li Li^T is computed exactly. A symmetric R with
    R_ii >= sum_{j != i} |R_ij| is PSD by Gershgorin's theorem, so 2^(2T - p) A =
    R + Li Li^T is PSD as well.
    """
    size = matrix.nrows()
    mantissa, exponent = u.mantissa, u.exponent
    normaliser = 2 * mantissa.bit_length()
    diagonal = float(Fraction(mantissa * mantissa, 1 << normaliser))
    gram_factor = math.ldexp(1.0, 2 * exponent + gram_shift - normaliser)
    least_eigenvalue = diagonal - gram_factor * gram_max
    if not least_eigenvalue > 0:
        return False
    shift = least_eigenvalue / 2

    shifted = gram_float * -gram_factor
    shifted[np.diag_indices(size)] += diagonal - shift
    try:
        factor = np.linalg.cholesky(shifted)
    except np.linalg.LinAlgError:
        return False

    # Rounding 2^T L moves each entry of Li Li^T by at most about 2^T sqrt(n), and a
    # row of R has n entries, so 2^T >= 16 n^1.5 / c keeps them below 4^T c.
    bits = math.ceil(math.log2(16 * size**1.5 / shift))
    bits = max(bits, (normaliser + 1) // 2)
    rounded = np.rint(np.ldexp(factor, bits))
    if bits <= 60:
        integers = rounded.astype(np.int64).ravel().tolist()
    else:
        integers = [int(v) for v in rounded.ravel()]
    cholesky = flint.fmpz_mat(size, size, integers)

    residual = matrix * flint.fmpz(1 << (2 * bits - normaliser)) - cholesky * cholesky.transpose()
    entries = np.array(residual.entries(), dtype=object).reshape(size, size)
    diagonal_entries = np.diagonal(entries)
    absolute_row_sums = np.abs(entries).sum(axis=1)
    return all(d >= 0 and 2 * d >= total for d, total in zip(diagonal_entries.tolist(), absolute_row_sums.tolist()))


def _prove_gram_bound(block: _Block, scale: int, bits: int) -> tuple[Dyadic, str, float] | None:
    """Prove ||W|| <= u from the Gram matrix, or return None when every margin fails."""
    gram, gram_float, gram_shift = _gram_matrix(block)
    size = gram.nrows()
    gram_max = float(np.linalg.eigvalsh(gram_float)[-1])
    estimate = math.ldexp(math.sqrt(gram_max * (2 if gram_shift % 2 else 1)), gram_shift // 2 - scale)

    proposals = []
    if size <= MINORS_MAX_DIM:
        proposals.append(_sqrt_dyadic(Fraction(gram_max) * 2**gram_shift, bits, "nearest"))
    for margin in MARGINS:
        proposals.append(_sqrt_dyadic(Fraction(gram_max * (1 + margin) ** 2) * 2**gram_shift, bits, "ceil"))

    for u in proposals:
        matrix = _shifted_gram(gram, u)
        if size <= MINORS_MAX_DIM:
            if _psd_by_principal_minors(matrix):
                return u.shift(-scale), METHOD_MINORS, estimate
        elif _psd_by_rounded_cholesky(matrix, u, gram_float, gram_shift, gram_max):
            return u.shift(-scale), METHOD_CHOLESKY, estimate
    return None


def _prove_block(block: _Block, scale: int, bits: int) -> tuple[Dyadic, str, float]:
    """Return a proved bound on ||W|| for one block, its method and numpy's estimate."""
    if 1 in block.shape:
        square = Fraction(sum(v * v for v in block.values), 4**scale)
        estimate = float(np.linalg.norm(_scaled_floats(block.values, scale)))
        return _sqrt_dyadic(square, bits, "ceil"), METHOD_VECTOR, estimate

    holder = _holder_bound(block, scale, bits)
    if min(block.shape) <= GRAM_SIDE_LIMIT:
        proved = _prove_gram_bound(block, scale, bits)
        if proved is not None:
            upper, method, estimate = proved
            if upper <= holder:
                return upper, method, estimate
            return holder, METHOD_HOLDER, estimate
    return holder, METHOD_HOLDER, _largest_singular_value(block, scale)


def prove_operator_norm(layer: Layer, precision_bits: int = 24) -> NormProof:
    """Prove an upper bound on the spectral norm ||W||_2 of a layer's weight matrix.

    A block-diagonal matrix, up to permuting rows and columns, has the largest norm
    of its blocks, so each connected component of the non-zero pattern is bounded on
    its own and equal blocks are bounded once. Bounds keep about ``precision_bits``
    significant bits and are rounded up. Blocks with one row or column get their exact
    Euclidean norm. Other blocks get the smaller of the Holder bound and a bound u
    about 2^-20 above numpy's estimate, proved by showing u^2 I - G is PSD for the
    Gram matrix G. Blocks whose Gram matrix exceeds GRAM_SIDE_LIMIT, or where every
    margin in MARGINS fails, get the Holder bound only.

    ``method`` is the method of a block attaining the maximum. When other blocks used
    other methods, they follow after "; other blocks: ".
    """
    if precision_bits < 2:
        raise ValueError(f"precision_bits must be at least 2, got {precision_bits}")
    if layer.nnz == 0:
        return NormProof(Dyadic(0), METHOD_ZERO, 0.0, 0, 0, (0, 0))

    distinct, block_count = _split_blocks(layer)
    results = [_prove_block(block, layer.scale, precision_bits) for block, _ in distinct]

    best = max(range(len(results)), key=lambda i: results[i][0])
    upper, method, _ = results[best]
    other_methods = sorted({result[1] for result in results} - {method})
    if other_methods:
        method = f"{method}; other blocks: {', '.join(other_methods)}"
    estimate = max(result[2] for result in results)
    largest = max((block.shape for block, _ in distinct), key=lambda shape: (shape[0] * shape[1], shape))

    # A sanity check against numpy only: the proof above is what establishes the bound.
    if float(upper) < estimate * (1 - _FLOAT_SLACK):
        raise AssertionError(f"proved bound {upper} is below numpy's estimate {estimate!r}, so the proof has a bug")
    return NormProof(upper, method, estimate, block_count, len(distinct), largest)


def prove_inf_norm(layer: Layer) -> Dyadic:
    """Return the exact l-infinity operator norm of W: the largest absolute row sum."""
    return Dyadic(max(layer.row_abs_sums(), default=0), layer.scale)


def lipschitz_upper_bound(network: Network, precision_bits: int = 24) -> tuple[Dyadic, list[NormProof]]:
    """Prove Lip(F) <= prod ||W_i||_2 (Fact 2.2) and return the product with each layer's proof.

    The bound holds for the l2 norm on inputs and outputs because the ReLU is 1-Lipschitz.
    """
    proofs = [prove_operator_norm(layer, precision_bits) for layer in network.layers]
    product = Dyadic(1)
    for proof in proofs:
        product = product * proof.upper
    return product, proofs


# Lipschitz lower bound: float proposals.


def _candidate_points(input_dim: int, rng: np.random.Generator, count: int) -> np.ndarray:
    """Return integer numerators of points in [-1, 1]^d on the grid of multiples of 2^-16."""
    grid = 1 << _POINT_BITS
    vertex_count = max(1, count // 8)
    uniform = rng.integers(-grid, grid + 1, size=(count - vertex_count, input_dim))
    signs = rng.choice(np.array([-1, 1]), size=(vertex_count, input_dim))
    inset = rng.integers(1, 257, size=(vertex_count, input_dim))  # at most 2^-8 inside the vertex
    return np.vstack([uniform, signs * (grid - inset)]).astype(np.int64)


def _float_layers(network: Network) -> list[tuple[scipy.sparse.csr_matrix, np.ndarray]]:
    layers = []
    for layer in network.layers:
        weights = scipy.sparse.csr_matrix(layer.scipy_matrix(np.float64), copy=True)
        weights.data = np.ldexp(weights.data, -layer.scale)
        layers.append((weights, _scaled_floats(layer.bias, layer.scale)))
    return layers


def _float_gradients(network: Network, points: np.ndarray) -> list[tuple[float, int, np.ndarray]]:
    """Return, per point, the largest Jacobian row norm, its output index and that row, in floats."""
    layers = _float_layers(network)
    activations = np.ldexp(points.astype(np.float64), -_POINT_BITS)
    pre_activations = []
    for weights, bias in layers[:-1]:
        z = (weights @ activations.T).T + bias
        pre_activations.append(z)
        activations = np.maximum(z, 0)

    results = []
    for index in range(len(points)):
        jacobian = layers[-1][0]
        for (weights, _), z in zip(reversed(layers[:-1]), reversed(pre_activations)):
            mask = scipy.sparse.diags((z[index] > 0).astype(np.float64))
            jacobian = jacobian @ mask @ weights
        jacobian = scipy.sparse.csr_matrix(jacobian)
        row_norms = np.sqrt(np.asarray(jacobian.multiply(jacobian).sum(axis=1)).ravel())
        output = int(np.argmax(row_norms))
        row = jacobian.getrow(output).toarray().ravel()
        results.append((float(row_norms[output]), output, row))
    return results


# Lipschitz lower bound: exact evaluation.


class _ExactNetwork:
    """A network's integer numerators as Python lists, for exact evaluation."""

    def __init__(self, network: Network):
        self.input_dim = network.input_dim
        self.layers = [
            (layer.shape, layer.rows.tolist(), layer.cols.tolist(), [int(v) for v in layer.values], [int(b) for b in layer.bias], layer.scale)
            for layer in network.layers
        ]

    def evaluate(self, point: list[int], exponent: int):
        """Evaluate F at point / 2^exponent exactly.

        Returns (outputs, output exponent, hidden pre-activations, interior), where
        outputs / 2^(output exponent) = F(x), the pre-activations are integer lists
        (their scale is irrelevant to signs), and ``interior`` is whether F is affine
        on a neighbourhood of x.

        A hidden unit whose incoming non-zero weights all come from units that are
        constant near x is itself constant near x, so its pre-activation may be zero
        without a kink. Any other zero pre-activation makes ``interior`` false.
        """
        activations, activation_exponent = list(point), exponent
        constant = [False] * self.input_dim  # inputs vary
        pre_activations = []
        interior = True
        last = len(self.layers) - 1
        for index, (shape, rows, cols, values, bias, scale) in enumerate(self.layers):
            z = [b << activation_exponent for b in bias]
            varying = [False] * shape[0]
            for r, c, v in zip(rows, cols, values):
                z[r] += v * activations[c]
                if not constant[c]:
                    varying[r] = True
            activation_exponent += scale
            if index == last:
                return z, activation_exponent, pre_activations, interior
            pre_activations.append(z)
            if any(value == 0 and varies for value, varies in zip(z, varying)):
                interior = False
            constant = [not varies or value < 0 for value, varies in zip(z, varying)]
            activations = [max(value, 0) for value in z]
        raise AssertionError("a network has at least one layer")

    def gradient(self, pre_activations: list[list[int]], output: int) -> Fraction:
        """Return the exact squared norm of the gradient of one output at an interior point."""
        shape, rows, cols, values, _, scale = self.layers[-1]
        gradient = defaultdict(int)
        for r, c, v in zip(rows, cols, values):
            if r == output:
                gradient[c] += v
        exponent = scale
        for (shape, rows, cols, values, _, scale), z in zip(reversed(self.layers[:-1]), reversed(pre_activations)):
            active = {unit: g for unit, g in gradient.items() if z[unit] > 0 and g != 0}
            gradient = defaultdict(int)
            for r, c, v in zip(rows, cols, values):
                if r in active:
                    gradient[c] += active[r] * v
            exponent += scale
        return Fraction(sum(g * g for g in gradient.values()), 4**exponent)


def _to_dyadics(point: np.ndarray) -> tuple[Dyadic, ...]:
    return tuple(Dyadic(int(v), _POINT_BITS) for v in point)


def _difference_quotient(exact: _ExactNetwork, x: np.ndarray, y: np.ndarray) -> Fraction:
    """Return ||F(x) - F(y)||^2 / ||x - y||^2 exactly, for grid points x != y."""
    fx, ex, _, _ = exact.evaluate(x.tolist(), _POINT_BITS)
    fy, ey, _, _ = exact.evaluate(y.tolist(), _POINT_BITS)
    difference = sum((Fraction(a, 1 << ex) - Fraction(b, 1 << ey)) ** 2 for a, b in zip(fx, fy))
    distance = Fraction(sum((int(a) - int(b)) ** 2 for a, b in zip(x, y)), 4**_POINT_BITS)
    return difference / distance


def lipschitz_lower_bound(network: Network, seed: int = 0, candidates: int = 64, precision_bits: int = 24) -> LipschitzLowerBound:
    """Prove a lower bound on the l2 Lipschitz constant of F from an exact witness.

    Floats rank random grid points in [-1, 1]^d by their largest Jacobian row norm.
    The best points are then evaluated exactly. At a point where every hidden
    pre-activation is non-zero (apart from units constant near the point), F is affine
    nearby, so Lip(F) >= ||J||_2 >= the norm of any row of J. If no candidate is such
    a point, the bound is the largest exact difference quotient of a few point pairs.
    ``value`` is sqrt(squared) rounded down to about ``precision_bits`` significant bits.
    """
    if candidates < 1:
        raise ValueError(f"candidates must be at least 1, got {candidates}")
    rng = np.random.default_rng(seed)
    points = _candidate_points(network.input_dim, rng, candidates)
    proposals = _float_gradients(network, points)
    ranking = sorted(range(len(points)), key=lambda i: -proposals[i][0])
    exact = _ExactNetwork(network)

    best: tuple[Fraction, int, int] | None = None  # (squared, point index, output)
    confirmed = 0
    for index in ranking:
        _, _, pre_activations, interior = exact.evaluate(points[index].tolist(), _POINT_BITS)
        if not interior:
            continue
        output = proposals[index][1]
        squared = exact.gradient(pre_activations, output)
        if best is None or squared > best[0]:
            best = (squared, index, output)
        confirmed += 1
        if confirmed == _EXACT_CONFIRMATIONS:
            break
    if best is not None:
        squared, index, output = best
        return LipschitzLowerBound(
            _sqrt_dyadic(squared, precision_bits, "floor"), squared, _to_dyadics(points[index]), METHOD_GRADIENT, output
        )

    # Every candidate lies on a kink: step from the best ones along the float gradient.
    best_pair: tuple[Fraction, np.ndarray, np.ndarray] | None = None
    for index in ranking[:_PAIR_ATTEMPTS]:
        row = proposals[index][2]
        largest = np.max(np.abs(row)) if row.size else 0.0
        if largest > 0:
            step = np.rint(row / largest * 2.0**8).astype(np.int64)  # a step of about 2^-8
        else:
            step = np.zeros(network.input_dim, dtype=np.int64)
            step[0] = 1 << 8
        x = points[index]
        y = x + step
        squared = _difference_quotient(exact, x, y)
        if best_pair is None or squared > best_pair[0]:
            best_pair = (squared, x, y)
    squared, x, y = best_pair
    return LipschitzLowerBound(
        _sqrt_dyadic(squared, precision_bits, "floor"), squared, (_to_dyadics(x), _to_dyadics(y)), METHOD_DIFFERENCE
    )
