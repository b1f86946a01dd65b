from fractions import Fraction

import numpy as np
from hypothesis import given, settings, strategies as st

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
