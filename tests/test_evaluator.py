from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from verifier import evaluator
from verifier.dyadic import Dyadic
from verifier.evaluator import evaluate, hypercube_points, points_to_integers
from verifier.network import Layer, Network
from verifier.reference import evaluate_fraction


def dyadic_values(max_bits):
    return st.builds(lambda m, e: Dyadic(m, e), st.integers(-(2**max_bits), 2**max_bits), st.integers(0, max_bits))


@st.composite
def networks_and_points(draw, max_bits=8):
    input_dim = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 5), min_size=0, max_size=3)) + [draw(st.integers(1, 2))]
    layers, previous = [], input_dim
    for width in widths:
        matrix = [[draw(dyadic_values(max_bits)) for _ in range(previous)] for _ in range(width)]
        bias = [draw(dyadic_values(max_bits)) for _ in range(width)]
        layers.append(Layer.from_dense(matrix, bias))
        previous = width
    points = [[draw(dyadic_values(max_bits)) for _ in range(input_dim)] for _ in range(draw(st.integers(1, 4)))]
    return Network(input_dim, layers), points


def check_against_reference(network, points):
    matrix, exponent, tau = points_to_integers(points)
    evaluation = evaluate(network, matrix, exponent, tau)
    for point, output in zip(points, evaluation.outputs):
        assert [v.to_fraction() for v in output] == evaluate_fraction(network, point)
    for record in evaluation.layers:
        assert record.measured_bits <= record.bound_bits
    return evaluation


@settings(max_examples=150, deadline=None)
@given(networks_and_points())
def test_matches_fraction_reference_small(case):
    check_against_reference(*case)


@settings(max_examples=60, deadline=None)
@given(networks_and_points(max_bits=90))
def test_matches_fraction_reference_big_numbers(case):
    check_against_reference(*case)


def test_backends_follow_the_proved_bound():
    small = Network(1, [Layer.from_dense([[3]])])
    assert evaluate(small, np.array([[2**40]])).layers[0].backend == "float64"
    assert evaluate(small, np.array([[2**55]])).layers[0].backend == "int64"
    big = Network(1, [Layer.from_dense([[2**70]])])
    evaluation = evaluate(big, np.array([[3]]))
    assert evaluation.layers[0].backend == "flint"
    assert evaluation.outputs[0][0] == Dyadic(3 * 2**70)


def test_float64_path_exact_at_two_to_the_53():
    # 2^53 + 1 is not a double; the evaluator must leave float64 before it can occur.
    network = Network(1, [Layer.from_dense([[1]], [1])])
    evaluation = evaluate(network, np.array([[2**53]]))
    assert evaluation.layers[0].backend == "int64"
    assert evaluation.outputs[0][0] == Dyadic(2**53 + 1)


def test_hypercube_order():
    points = hypercube_points(2)
    assert points.tolist() == [[1, -1, 1, -1], [1, 1, -1, -1]]


def test_lemma_a2_bound_on_product_gadget():
    # Layer 1 of the gadget on {+-1}^2: |x1 + x2| <= 2, so 2 bits against the bound's
    # bit length of (2 + 1) * 2^0 = 3, which is 2 bits. Layer 2: |output| = 1, one bit,
    # against (2 + 1)(4 + 1) = 15, four bits.
    network = Network(2, [Layer.from_dense([[1, 1], [-1, -1], [0, 1], [0, -1]]), Layer.from_dense([[1, 1, -1, -1]])])
    records = evaluate(network, hypercube_points(2)).layers
    assert [r.measured_bits for r in records] == [2, 1]
    assert [r.bound_bits for r in records] == [2, 4]


def test_signs_with_zero_positive():
    network = Network(1, [Layer.from_dense([[1]])])
    evaluation = evaluate(network, np.array([[-1, 0, 1]]))
    assert evaluation.signs().reshape(-1).tolist() == [-1, 1, 1]



@settings(max_examples=80, deadline=None)
@given(networks_and_points(max_bits=90))
def test_limb_product_matches_fraction_reference(case):
    with patch.object(evaluator, "LIMB_MIN_ENTRIES", 0):
        evaluation = check_against_reference(*case)
    for record in evaluation.layers:
        if record.partial_sum_bound >= 2**62:
            assert record.backend == "limbs"


@pytest.mark.parametrize("bits", [8, 16, 24])
def test_limbs_round_trip_and_extremes(bits):
    values = [0, 1, -1, 2**23, -(2**23), 2**200 + 5, -(2**200) - 5, 3**150, -(3**151), 12345]
    array = np.empty((2, 5), dtype=object)
    array.reshape(-1)[:] = values
    limbs = evaluator._Limbs.from_integers(array, bits)
    assert limbs.to_integers().reshape(-1).tolist() == values
    assert limbs.extremes() == (-(3**151), 3**150)
    assert limbs.signs().reshape(-1).tolist() == [(v > 0) - (v < 0) for v in values]
    assert limbs.relu().to_integers().reshape(-1).tolist() == [max(v, 0) for v in values]


def test_limb_product_on_wide_layer():
    # 300 inputs of 2^70 + j against weights 2^80 - i: each output is a sum worked
    # out with Python integers here, independently of the evaluator.
    rng = np.random.default_rng(3)
    weights = rng.integers(-(2**40), 2**40, size=(6, 300)).tolist()
    matrix = [[w * 2**40 + 1 for w in row] for row in weights]
    network = Network(300, [Layer.from_dense(matrix, [2**100] * 6)])
    points = [[2**70 + j + 17 * p for j in range(300)] for p in range(1000)]
    inputs, exponent, _ = points_to_integers(points)
    with patch.object(evaluator, "LIMB_MIN_ENTRIES", 0):
        result = evaluate(network, inputs, exponent)
    assert result.layers[0].backend == "limbs"
    expected = [[sum(m * x for m, x in zip(row, point)) + 2**100 for row in matrix] for point in points[:20]]
    assert [[int(v) for v in column] for column in result.numerators.T[:20]] == expected


def test_hidden_signs_recorded():
    # relu(x) then x - relu(x) for x in {-2, 0, 3}: hidden signs -1, 0, 1.
    network = Network(1, [Layer.from_dense([[1]]), Layer.from_dense([[1]])])
    evaluation = evaluate(network, np.array([[-2, 0, 3]]), record_signs=True)
    assert evaluation.hidden_signs[0].tolist() == [[-1, 0, 1]]
