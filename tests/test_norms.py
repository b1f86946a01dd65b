"""Tests for verifier.norms.

Expected norms were worked out by hand. For W = [[1, 1], [-1, -1], [0, 1], [0, -1]],
W^T W = [[2, 2], [2, 4]] has eigenvalues 3 +- sqrt 5, so ||W||_2 = sqrt(3 + sqrt 5),
about 2.2882. The network relu(x1) - relu(-x1) + 2 relu(x2) - 2 relu(-x2) equals
x1 + 2 x2, so its Lipschitz constant is sqrt 5.
"""

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier import norms
from verifier.dyadic import Dyadic
from verifier.network import Layer, Network
from verifier.norms import (
    METHOD_CHOLESKY,
    METHOD_DIFFERENCE,
    METHOD_GRADIENT,
    METHOD_HOLDER,
    METHOD_MINORS,
    METHOD_VECTOR,
    METHOD_ZERO,
    lipschitz_lower_bound,
    lipschitz_upper_bound,
    prove_inf_norm,
    prove_operator_norm,
)


def is_psd(matrix: list[list[Fraction]]) -> bool:
    """Decide exactly whether a symmetric matrix is PSD by symmetric Gaussian elimination (LDL^T).

    A PSD matrix has non-negative pivots, and a zero pivot forces its whole row of the
    remaining Schur complement to be zero.
    """
    a = [list(row) for row in matrix]
    size = len(a)
    for k in range(size):
        pivot = a[k][k]
        if pivot < 0:
            return False
        if pivot == 0:
            if any(a[k][j] != 0 for j in range(k + 1, size)):
                return False
            continue
        for i in range(k + 1, size):
            factor = a[i][k] / pivot
            for j in range(k + 1, size):
                a[i][j] -= factor * a[k][j]
    return True


def bound_is_proved(layer: Layer, upper: Dyadic) -> bool:
    """Check ||W||_2 <= upper exactly: upper^2 I - W^T W must be PSD."""
    dense = layer.dense()
    cols = layer.shape[1]
    square = upper.to_fraction() ** 2
    gram = [[sum(row[i] * row[j] for row in dense) for j in range(cols)] for i in range(cols)]
    shifted = [[(square if i == j else 0) - gram[i][j] for j in range(cols)] for i in range(cols)]
    return is_psd(shifted)


def numpy_norm(layer: Layer) -> float:
    return float(np.linalg.norm(np.array(layer.dense(), dtype=float), 2)) if layer.nnz else 0.0


def random_layer(rng: np.random.Generator, rows: int, cols: int, scale: int = 3, high: int = 9) -> Layer:
    values = rng.integers(-high, high + 1, size=(rows, cols))
    row_index, col_index = np.nonzero(values)
    return Layer((rows, cols), row_index, col_index, values[row_index, col_index].tolist(), [0] * rows, scale)


def relu_pair_network(weights: list[list[int]]) -> Network:
    """Build F(x) = W x as relu(x) - relu(-x) per input, followed by W."""
    inputs = len(weights[0])
    first = [[(1 if j == i else 0) * sign for j in range(inputs)] for i in range(inputs) for sign in (1, -1)]
    second = [[w * sign for w in row for sign in (1, -1)] for row in weights]
    return Network(inputs, [Layer.from_dense(first), Layer.from_dense(second)])


# Operator norm: values worked out by hand.


def test_operator_norm_irrational_value():
    layer = Layer.from_dense([[1, 1], [-1, -1], [0, 1], [0, -1]])
    proof = prove_operator_norm(layer)
    square = proof.upper.to_fraction() ** 2

    # upper^2 >= 3 + sqrt 5 exactly iff upper^2 >= 3 and (upper^2 - 3)^2 >= 5.
    assert square >= 3
    assert (square - 3) ** 2 >= 5
    assert float(proof.upper) <= math.sqrt(3 + math.sqrt(5)) * (1 + 1e-5)
    assert proof.method == METHOD_MINORS
    assert proof.blocks == 1
    assert proof.largest_block == (4, 2)


def test_operator_norm_diagonal_is_exact():
    proof = prove_operator_norm(Layer.from_dense([[3, 0], [0, "-5/4"]]))
    assert proof.upper == Dyadic(3)
    assert proof.method == METHOD_VECTOR
    assert proof.blocks == 2
    assert proof.distinct_blocks == 2


def test_operator_norm_row_vector_is_exact():
    proof = prove_operator_norm(Layer.from_dense([["3/4", 1]]))
    assert proof.upper == Dyadic("5/4")
    assert proof.method == METHOD_VECTOR
    assert proof.float_estimate == pytest.approx(1.25)


def test_operator_norm_column_vector_is_exact():
    proof = prove_operator_norm(Layer.from_dense([[3], [0], [-4]]))
    assert proof.upper == Dyadic(5)
    assert proof.method == METHOD_VECTOR


def test_operator_norm_dyadic_value_without_margin():
    # W^T W = 25 I, so 25 I - W^T W = 0 is PSD and the bound 5 is proved with no margin.
    proof = prove_operator_norm(Layer.from_dense([[3, 4], [4, -3]]))
    assert proof.upper == Dyadic(5)
    assert proof.method == METHOD_MINORS


def test_operator_norm_holder_wins_tie():
    # The all-ones 4x4 matrix has norm 4 = sqrt(4 * 4), so the Holder bound is exact.
    proof = prove_operator_norm(Layer.from_dense([[1] * 4 for _ in range(4)]))
    assert proof.upper == Dyadic(4)
    assert proof.method == METHOD_HOLDER


def test_operator_norm_zero_layer():
    proof = prove_operator_norm(Layer.from_dense([[0, 0], [0, 0]], bias=[1, 2]))
    assert proof.upper == Dyadic(0)
    assert proof.method == METHOD_ZERO
    assert proof.blocks == 0
    assert proof.distinct_blocks == 0


# Operator norm: blocks.


def test_operator_norm_identical_blocks():
    block = [(0, 0, 1), (0, 1, 2), (1, 0, -3), (1, 1, "1/2")]
    entries = [(2 * copy + r, 2 * copy + c, v) for copy in range(100) for r, c, v in block]
    layer = Layer.from_entries((200, 200), entries)
    single = prove_operator_norm(Layer.from_entries((2, 2), block))

    proof = prove_operator_norm(layer)
    assert proof.blocks == 100
    assert proof.distinct_blocks == 1
    assert proof.largest_block == (2, 2)
    assert proof.upper == single.upper
    assert proof.float_estimate == pytest.approx(numpy_norm(Layer.from_entries((2, 2), block)))


def test_operator_norm_takes_largest_block():
    # Blocks [[1, 1], [1, -1]] (norm sqrt 2) and 3 x 1 column (3, 0, 4) (norm 5), interleaved.
    entries = [(0, 0, 1), (0, 2, 1), (2, 0, 1), (2, 2, -1), (1, 1, 3), (3, 1, 4)]
    proof = prove_operator_norm(Layer.from_entries((4, 3), entries))
    assert proof.blocks == 2
    assert proof.distinct_blocks == 2
    assert proof.upper == Dyadic(5)
    assert proof.method.startswith(METHOD_VECTOR)
    assert METHOD_MINORS in proof.method


def test_operator_norm_same_pattern_other_values():
    entries = [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 2), (2, 2, 1), (2, 3, 1), (3, 2, 1), (3, 3, 3)]
    proof = prove_operator_norm(Layer.from_entries((4, 4), entries))
    assert proof.blocks == 2
    assert proof.distinct_blocks == 2


def test_operator_norm_skips_zero_rows():
    layer = Layer.from_dense([[0, 0, 0], [0, 2, 0], [0, 0, 0], [1, 0, 0]])
    proof = prove_operator_norm(layer)
    assert proof.blocks == 2
    assert proof.upper == Dyadic(2)


def test_operator_norm_rounded_cholesky_is_psd():
    rng = np.random.default_rng(7)
    for rows, cols in [(12, 10), (8, 20), (35, 30)]:
        layer = random_layer(rng, rows, cols)
        proof = prove_operator_norm(layer)
        assert proof.method == METHOD_CHOLESKY
        assert bound_is_proved(layer, proof.upper)
        assert float(proof.upper) >= numpy_norm(layer)
        assert float(proof.upper) <= numpy_norm(layer) * (1 + 1e-5)


def test_operator_norm_huge_numerators():
    # Numerators above 2^62 take the flint path for the Gram matrix.
    rng = np.random.default_rng(3)
    small = rng.integers(-9, 10, size=(6, 5))
    rows, cols = np.nonzero(small)
    values = [int(v) * (1 << 70) + 1 for v in small[rows, cols]]
    layer = Layer((6, 5), rows, cols, values, [0] * 6, 72)
    assert layer.values.dtype == object

    proof = prove_operator_norm(layer)
    assert proof.method == METHOD_CHOLESKY
    assert bound_is_proved(layer, proof.upper)
    assert float(proof.upper) <= numpy_norm(layer) * (1 + 1e-5)


def test_operator_norm_holder_fallback(monkeypatch):
    monkeypatch.setattr(norms, "GRAM_SIDE_LIMIT", 3)
    layer = Layer.from_dense([[1, 2, 0, 0], [0, 1, 2, 0], [0, 0, 1, 2], [2, 0, 0, 1]])
    proof = prove_operator_norm(layer)

    # Row and column absolute sums are all 3, so the Holder bound is sqrt(3 * 3) = 3.
    assert proof.method == METHOD_HOLDER
    assert proof.upper == Dyadic(3)
    assert float(proof.upper) >= numpy_norm(layer)
    assert proof.float_estimate == pytest.approx(numpy_norm(layer))


def test_operator_norm_power_iteration_estimate(monkeypatch):
    def fail(*args, **kwargs):
        raise scipy.sparse.linalg.ArpackNoConvergence("no convergence", np.array([]), np.array([]))

    monkeypatch.setattr(norms, "GRAM_SIDE_LIMIT", 1)
    monkeypatch.setattr(scipy.sparse.linalg, "svds", fail)
    layer = Layer.from_dense([[2, 1], [1, 2]])
    proof = prove_operator_norm(layer)

    # The norm is 3 and the Holder bound sqrt(3 * 3) is exact. Power iteration from
    # (1, 1) hits the top singular vector at once.
    assert proof.method == METHOD_HOLDER
    assert proof.upper == Dyadic(3)
    assert proof.float_estimate == pytest.approx(3.0)


def test_operator_norm_rejects_low_precision():
    with pytest.raises(ValueError, match="precision_bits"):
        prove_operator_norm(Layer.from_dense([[1]]), precision_bits=1)


@st.composite
def small_layers(draw, max_dim: int = 6) -> Layer:
    rows = draw(st.integers(min_value=1, max_value=max_dim))
    cols = draw(st.integers(min_value=1, max_value=max_dim))
    values = draw(st.lists(st.integers(min_value=-8, max_value=8), min_size=rows * cols, max_size=rows * cols))
    scale = draw(st.integers(min_value=0, max_value=5))
    entries = [(i // cols, i % cols, v) for i, v in enumerate(values) if v != 0]
    return Layer((rows, cols), [e[0] for e in entries], [e[1] for e in entries], [e[2] for e in entries], [0] * rows, scale)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-8, max_value=8), min_size=4, max_size=4), st.integers(min_value=0, max_value=5))
def test_operator_norm_two_by_two_exact(values, scale):
    layer = Layer((2, 2), [0, 0, 1, 1], [0, 1, 0, 1], values, [0, 0], scale)
    proof = prove_operator_norm(layer)
    a, b, c, d = (Fraction(v, 2**scale) for v in values)
    square = proof.upper.to_fraction() ** 2

    # u^2 I - W^T W is PSD iff its trace and determinant are non-negative.
    g11, g12, g22 = a * a + c * c, a * b + c * d, b * b + d * d
    assert (square - g11) + (square - g22) >= 0
    assert (square - g11) * (square - g22) - g12 * g12 >= 0


@settings(max_examples=60, deadline=None)
@given(small_layers())
def test_operator_norm_random_matrices(layer):
    proof = prove_operator_norm(layer)
    expected = numpy_norm(layer)

    assert bound_is_proved(layer, proof.upper)
    assert float(proof.upper) >= expected * (1 - 1e-12)
    if not proof.method.startswith(METHOD_HOLDER):
        assert float(proof.upper) <= expected * 1.001


# l-infinity norm and the Lipschitz upper bound.


def test_inf_norm_exact():
    layer = Layer.from_dense([[1, "-1/2", 0], ["3/4", "3/4", "-3/4"], [0, 0, 0]])
    assert prove_inf_norm(layer) == Dyadic("9/4")


def test_inf_norm_zero_layer():
    assert prove_inf_norm(Layer.from_dense([[0, 0]])) == Dyadic(0)


def test_lipschitz_upper_bound_is_product():
    network = relu_pair_network([[1, 2]])
    product, proofs = lipschitz_upper_bound(network)

    # ||W_1|| = sqrt 2 (proved with a margin) and ||W_2|| = sqrt 10.
    assert len(proofs) == 2
    assert product == proofs[0].upper * proofs[1].upper
    assert product.to_fraction() ** 2 >= 20
    assert float(product) <= math.sqrt(20) * (1 + 1e-5)


# Lipschitz lower bound.


def test_lower_bound_sqrt_five():
    network = relu_pair_network([[1, 2]])
    lower = lipschitz_lower_bound(network)
    upper, _ = lipschitz_upper_bound(network)

    assert lower.method == METHOD_GRADIENT
    assert lower.squared == 5
    assert lower.value.to_fraction() ** 2 <= 5
    assert float(lower.value) >= 2.23
    assert upper.to_fraction() ** 2 >= 5
    assert len(lower.witness) == 2
    assert lower.output == 0


def test_lower_bound_picks_output():
    network = relu_pair_network([[1, 0], [0, 3]])
    lower = lipschitz_lower_bound(network, candidates=8)
    assert lower.method == METHOD_GRADIENT
    assert lower.output == 1
    assert lower.squared == 9
    assert lower.value == Dyadic(3)


def test_lower_bound_allows_constant_zero_unit():
    # The second hidden unit has no weights and no bias, so its pre-activation is
    # zero everywhere without a kink, and the gradient method still applies.
    network = Network(1, [Layer.from_dense([[1], [0]]), Layer.from_dense([[2, 5]])])
    lower = lipschitz_lower_bound(network, candidates=8)
    assert lower.method == METHOD_GRADIENT
    assert lower.value == Dyadic(2)


def test_lower_bound_difference_quotient_fallback():
    # The first unit of layer 2 computes relu(x1) + relu(-x1) - relu(x1) - relu(-x1):
    # zero everywhere, yet at every point one of its inputs varies, so no candidate
    # passes the interior check. F(x) = x2, and a pair of points gives exactly 1.
    first = Layer.from_dense([[1, 0], [-1, 0], [1, 0], [-1, 0], [0, 1], [0, -1]])
    second = Layer.from_dense([[1, 1, -1, -1, 0, 0], [0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 1]])
    third = Layer.from_dense([[1, 1, -1]])
    network = Network(2, [first, second, third])
    lower = lipschitz_lower_bound(network, candidates=8)

    assert lower.method == METHOD_DIFFERENCE
    assert lower.squared == 1
    assert lower.value == Dyadic(1)
    x, y = lower.witness
    assert x != y


def test_lower_bound_constant_network():
    network = Network(2, [Layer.from_dense([[1, -1], [2, 1]], bias=[1, 0]), Layer.from_dense([[0, 0]], bias=[3])])
    lower = lipschitz_lower_bound(network, candidates=8)
    assert lower.value == Dyadic(0)
    assert lower.squared == 0


def test_lower_bound_rejects_no_candidates():
    with pytest.raises(ValueError, match="candidates"):
        lipschitz_lower_bound(relu_pair_network([[1]]), candidates=0)


@st.composite
def small_networks(draw) -> Network:
    input_dim = draw(st.integers(min_value=1, max_value=3))
    widths = draw(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=3))
    layers = []
    previous = input_dim
    for width in widths:
        values = draw(st.lists(st.integers(min_value=-4, max_value=4), min_size=width * previous, max_size=width * previous))
        bias = draw(st.lists(st.integers(min_value=-4, max_value=4), min_size=width, max_size=width))
        scale = draw(st.integers(min_value=0, max_value=2))
        entries = [(i // previous, i % previous, v) for i, v in enumerate(values) if v != 0]
        layers.append(
            Layer((width, previous), [e[0] for e in entries], [e[1] for e in entries], [e[2] for e in entries], bias, scale)
        )
        previous = width
    return Network(input_dim, layers)


@settings(max_examples=40, deadline=None)
@given(small_networks(), st.integers(min_value=0, max_value=1000))
def test_lower_bound_below_upper_bound(network, seed):
    lower = lipschitz_lower_bound(network, seed=seed, candidates=8)
    upper, _ = lipschitz_upper_bound(network)

    assert lower.value <= upper
    assert lower.value.to_fraction() ** 2 <= lower.squared
    assert lower.squared <= upper.to_fraction() ** 2
