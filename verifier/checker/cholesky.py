"""Exact proofs of positive definiteness for integer matrices too large for fraction-free elimination.

For a symmetric integer matrix A, numpy proposes a Cholesky factor L of A - cI with c
about half of A's smallest eigenvalue. The proof then uses integers only. With L'
the integer matrix round(2^k L), the residual E = 4^k A - L' L'^T is computed
exactly. If every row of E has a diagonal entry larger than the sum of the absolute
values of its other entries, E is positive definite (Gershgorin's theorem), and so
is A = (L' L'^T + E) / 4^k, because L' L'^T is positive semidefinite. The floats
only choose L'. A bad proposal makes the test fail, never pass wrongly.

The product L' L'^T is exact: L' is split into signed limbs of B bits, and each
product of two limb matrices is taken in float64, where n 2^(2B) < 2^53 keeps every
partial sum an integer below 2^53 whatever order the sums take.

Matrices of side at most SMALL_SIDE go to the fraction-free elimination of
verifier.checker.core instead, which also decides singular cases.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from verifier.checker.core import CheckedLayer, gram_matrix, norm_squared_at_most, pivots_nonnegative, shifted_gram

# At side 48 the exact elimination of a Gram matrix with 30-bit entries takes about
# 0.3 s in CPython 3.11. Its cost grows faster than n^3.
SMALL_SIDE = 48
# Relative margins above the float estimate of ||W||^2 tried in turn. The tightest
# sits far enough above the float error (about n^2 2^-53 relative, for side n at most
# a few hundred) for the Gershgorin test to pass.
NORM_MARGINS = (Fraction(1, 2**32), Fraction(1, 2**26), Fraction(1, 2**20))


def positive_definite(matrix) -> bool:
    """Return True when the symmetric integer matrix is proved positive definite.

    False means only that no proof was found: the matrix may still be positive
    definite, for instance when its smallest eigenvalue is below the float error.
    """
    size = len(matrix)
    if size <= SMALL_SIDE:
        return pivots_nonnegative(matrix, True)
    exact = np.array([[int(value) for value in row] for row in matrix], dtype=object)
    floats = exact.astype(np.float64)
    if not np.all(np.isfinite(floats)):
        return False

    # Step 1: the float proposal, a Cholesky factor of A - cI.
    eigenvalues = np.linalg.eigvalsh(floats)
    if eigenvalues[0] <= 0:
        return False
    shift = float(eigenvalues[0]) / 2
    try:
        factor = np.linalg.cholesky(floats - shift * np.eye(size))
    except np.linalg.LinAlgError:
        return False

    # Step 2: k large enough that rounding 2^k L to integers adds less than 4^k c to
    # each row sum of E; the float error of L itself is what c must cover.
    largest = float(np.abs(factor).max())
    bits = max(0, math.ceil(math.log2(8 * size * largest / shift)) + 1)
    scaled = np.rint(np.ldexp(factor, bits))  # integer-valued floats, each exact
    integers = np.array([[int(value) for value in row] for row in scaled.tolist()], dtype=object)

    # Step 3: E = 4^k A - L' L'^T exactly, then Gershgorin's test on its rows.
    residual = exact * (1 << (2 * bits)) - exact_gram_of_rows(integers)
    diagonal = np.diagonal(residual)
    off_diagonal = np.abs(residual).sum(axis=1) - np.abs(diagonal)
    return bool(all(d > o for d, o in zip(diagonal.tolist(), off_diagonal.tolist())))


def exact_gram_of_rows(matrix: np.ndarray) -> np.ndarray:
    """Return M M^T exactly, as an object array, for an integer object array M.

    M is split into signed limbs M = sum_t M_t 2^(B t) with |M_t| < 2^B, and each
    M_t M_u^T is computed in float64, which is exact because n 2^(2B) < 2^53 for n
    the number of columns.
    """
    rows, columns = matrix.shape
    # columns < 2^c with c its bit length, so columns 2^(2B) < 2^52 for B = (52 - c) / 2.
    limb_bits = max(1, (52 - max(columns, 1).bit_length()) // 2)
    largest = max((abs(int(v)) for v in matrix.ravel().tolist()), default=0)
    limbs = max(1, -(-largest.bit_length() // limb_bits))
    mask = (1 << limb_bits) - 1
    signs = [[1 if int(v) >= 0 else -1 for v in row] for row in matrix.tolist()]
    magnitudes = [[abs(int(v)) for v in row] for row in matrix.tolist()]
    parts = []
    for limb in range(limbs):
        shift = limb * limb_bits
        part = [[sign * ((value >> shift) & mask) for sign, value in zip(sign_row, row)] for sign_row, row in zip(signs, magnitudes)]
        parts.append(np.array(part, dtype=np.float64))

    total = np.zeros((rows, rows), dtype=object)
    for t in range(limbs):
        for u in range(t, limbs):
            term = (parts[t] @ parts[u].T).astype(np.int64).astype(object)
            if u != t:
                term = term + term.T
            total = total + term * (1 << (limb_bits * (t + u)))
    return total


def block_norm_squared_upper(layer: CheckedLayer, block) -> Fraction | None:
    """Return a proved upper bound on ||B||_2^2 for one block B of a layer's weight matrix, or None.

    A block with one row or one column has the exact squared Euclidean norm. Other
    blocks get the first float proposal that is proved. Up to SMALL_SIDE the
    proposals are the estimate rounded to a multiple of 2^-30 (exact for norms such
    as 2), then the estimate times 1 + margin, each proved by fraction-free
    elimination. Above it only the margins are tried, each proved by a rounded
    Cholesky factor, which needs a positive definite matrix.
    """
    rows, columns, entries = block
    denominator = 4**layer.scale
    if rows == 1 or columns == 1:
        return Fraction(sum(m * m for _, _, m in entries), denominator)
    gram = gram_matrix(block)
    estimate = Fraction(max(float(np.linalg.eigvalsh(gram.astype(np.float64))[-1]), 0.0)) / denominator
    proposals = [estimate * (1 + margin) for margin in NORM_MARGINS]
    if len(gram) <= SMALL_SIDE:
        proposals.insert(0, Fraction(round(estimate * 2**30), 2**30))
    for square in proposals:
        if square <= 0:
            continue
        if len(gram) <= SMALL_SIDE:
            if norm_squared_at_most(layer, [block], square):
                return square
        elif positive_definite(shifted_gram(gram, square * denominator)):
            return square
    return None
