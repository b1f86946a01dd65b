from fractions import Fraction

import mpmath
import numpy as np
import pytest

from verifier.combinators import compose
from verifier.constructions.continuous import (
    bits_per_output,
    build_base,
    build_j,
    check_h_xi,
    default_widths,
    draw_leaky_target,
    entrywise,
    float_points_to_integers,
    j_weight_norm_squared,
    lemma_2_19_step,
    pi_bounds,
    prove_smallest_singular_value,
    sample_gaussian_identity,
    xi_inverse_from_lemma_3_13,
)
from verifier.constructions.goldreich import build_goldreich, draw_hypergraph
from verifier.constructions.threshold import h_xi_network
from verifier.dyadic import Dyadic
from verifier.errors import InputError
from verifier.predicates import parse_predicate
from verifier.reference import evaluate_fraction

PI_50 = Fraction("3.14159265358979323846264338327950288419716939937510")


@pytest.mark.parametrize("eps, n", [(Fraction(1, 4096), 12), (Fraction(1, 4097), 13), (Fraction(3, 10), 2), (Fraction(1, 2), 1)])
def test_bits_per_output_is_ceil_log2(eps, n):
    assert bits_per_output(eps) == n


def test_j_reads_binary_fractions():
    j = build_j(2, 3)
    # Block 1 has bits (y + 1)/2 = (1, 0, 1): 1/2 + 1/8. Block 2 is all -1: 0.
    assert evaluate_fraction(j, [1, -1, 1, -1, -1, -1]) == [Fraction(5, 8), Fraction(0)]
    assert evaluate_fraction(j, [1] * 6) == [Fraction(7, 8)] * 2
    assert j.tau() == 4  # weights down to 2^-(n+1)


def test_j_weight_norm():
    assert j_weight_norm_squared(1) == Fraction(1, 16)
    assert j_weight_norm_squared(3) == Fraction(1, 16) + Fraction(1, 64) + Fraction(1, 256)


def test_default_widths():
    assert default_widths(8, 200) == [8, 16, 32, 64, 128, 200]
    assert default_widths(8, 17) == [8, 17]  # 17 < 1.1 * 16, so 16 is dropped
    with pytest.raises(InputError, match="d >= 1.1 r"):
        default_widths(8, 8)


def test_leaky_network_matches_direct_formula():
    target = draw_leaky_target([2, 4, 6], Dyadic(1, 2), 6, seed=3)  # lambda = 1/4
    slope = Fraction(1, 4)
    first, second = [[Fraction(int(v), 64) for v in row] for row in target.matrices[0].tolist()], \
                    [[Fraction(int(v), 64) for v in row] for row in target.matrices[1].tolist()]
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = [Fraction(int(v), 16) for v in rng.integers(0, 17, size=2)]
        hidden = [sum(w * xi for w, xi in zip(row, x)) for row in first]
        leaky = [(1 - slope) * z if z >= 0 else slope * z for z in hidden]
        expected = [sum(w * a for w, a in zip(row, leaky)) for row in second]
        assert evaluate_fraction(target.network, x) == expected


def test_smallest_singular_value_bracket():
    matrix = np.array([[3, 0], [0, 4], [0, 0]], dtype=np.int64)
    lower, upper = prove_smallest_singular_value(matrix, 0)
    assert lower <= 9 <= upper
    assert lower >= Fraction(9) * (1 - Fraction(1, 256))


def test_lemma_2_19_step_fails_at_issue_example():
    record = lemma_2_19_step(100, 110)
    assert not record["step_holds"]  # 110 * 99 = 10890 > 100^2
    assert lemma_2_19_step(2, 4)["step_holds"]  # 4 * 1 <= 4


def test_pi_bounds_bracket_pi():
    low, high = pi_bounds(80)
    assert low < PI_50 < high
    assert high - low < Fraction(1, 2**80)


@pytest.mark.parametrize("eps, lipschitz, m, d", [(Fraction(1, 2), Fraction(1), 1, 1), (Fraction(1, 8), Fraction(100), 2, 3), (Fraction(1, 4096), Fraction(2103), 50, 200)])
def test_xi_inverse_matches_high_precision(eps, lipschitz, m, d):
    mpmath.mp.dps = 60
    value = mpmath.mpf(lipschitz.numerator) / lipschitz.denominator * mpmath.sqrt(2 * mpmath.mpf(m) ** 3 * d / mpmath.pi) \
        / (mpmath.mpf(eps.numerator) / eps.denominator)
    inverse, method = xi_inverse_from_lemma_3_13(eps, lipschitz, m, d)
    assert inverse == int(mpmath.ceil(value))
    assert "pi" in method


def test_h_xi_gadget_exact_on_both_sides():
    record = check_h_xi(h_xi_network(10), 10)
    assert record["mismatches"] == []
    assert record["breaks"] == ["-1/10", "1/10"]
    assert record["lipschitz"] == "10"
    assert record["literal_lemma_2_8"]["relu_of_h"] == "0"


def test_float_points_exact():
    points = np.array([[0.1, -2.5e-20, 3.0], [1e10, -0.0, 7.25]])
    matrix, exponent = float_points_to_integers(points)
    for i, row in enumerate(points):
        for j, value in enumerate(row):
            assert Fraction(int(matrix[j, i]), 2**exponent) == Fraction(value)


def test_gaussian_band_count_and_identity():
    tsa = parse_predicate("TSA")
    base = build_goldreich(tsa, draw_hypergraph(6, 4, 5, seed=1)).network
    generator, _ = compose(entrywise(h_xi_network(4), 6), base, mode="pairs")
    check = sample_gaussian_identity(generator, base, 4, 200, seed=5)
    points = np.random.default_rng(5).standard_normal((200, 6))
    assert check.inside_band == int((np.abs(points) < 0.25).any(axis=1).sum())
    assert check.agreements == 200 - check.inside_band
    assert check.first_disagreement is None


def test_base_chain_projection_and_goldreich():
    tsa = parse_predicate("TSA")
    target = draw_leaky_target([2, 4], Dyadic(1, 2), 8, seed=0).network
    small = build_base(6, Fraction(1, 4), target, tsa, seed=0)  # n = 2, s = 4 <= m
    assert small.goldreich is None
    assert (small.n, small.s) == (2, 4)
    large = build_base(6, Fraction(1, 16), target, tsa, seed=0)  # n = 4, s = 8 > m
    assert large.goldreich is not None
    seed = [1, -1, -1, 1, 1, -1]
    bits = evaluate_fraction(large.inner, seed)
    fractions = evaluate_fraction(large.j, bits)
    assert evaluate_fraction(large.base, seed) == evaluate_fraction(target, fractions)
