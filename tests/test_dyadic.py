from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from verifier.dyadic import Dyadic, NotDyadicError, bit_complexity, parse_exact
from verifier.errors import InputError


@pytest.mark.parametrize(
    "text, value",
    [
        ("-3/8", Fraction(-3, 8)),
        ("0.375", Fraction(3, 8)),
        ("-0.375", Fraction(-3, 8)),
        ("1.5e1", Fraction(15)),
        ("2^-12", Fraction(1, 4096)),
        ("-2^3", Fraction(-8)),
        ("6/16", Fraction(3, 8)),
        ("5", Fraction(5)),
    ],
)
def test_parse_exact_forms(text, value):
    assert parse_exact(text).to_fraction() == value


@pytest.mark.parametrize("text", ["1/3", "0.1", "-3e-2", "1/6"])
def test_parse_rejects_non_dyadic(text):
    with pytest.raises(NotDyadicError, match="not a dyadic rational"):
        parse_exact(text)


@pytest.mark.parametrize("text", ["nan", "inf", "", "1/0", "x"])
def test_parse_rejects_non_numbers(text):
    with pytest.raises(InputError):
        parse_exact(text)


def test_rounding_rules_round_one_third():
    assert parse_exact("1/3", rounding="floor", precision=4) == Dyadic(5, 4)
    assert parse_exact("1/3", rounding="ceil", precision=4) == Dyadic(6, 4)
    assert parse_exact("1/3", rounding="nearest", precision=4) == Dyadic(5, 4)


def test_float_is_taken_exactly():
    # 0.1 as a double is 3602879701896397 / 2^55.
    assert Dyadic(0.1) == Dyadic(3602879701896397, 55)


def test_written_form_is_reduced_fraction():
    assert str(Dyadic("-0.375")) == "-3/8"
    assert str(Dyadic(12, 2)) == "3"
    assert str(Dyadic(0, 9)) == "0"


@pytest.mark.parametrize(
    "value, tau",
    [("0", 0), ("1", 0), ("-1", 0), ("2", 1), ("3", 2), ("4", 2), ("5", 3), ("1/2", 1), ("3/8", 3), ("1024", 10), ("1025", 11), ("-3/2", 1)],
)
def test_tau_values(value, tau):
    assert Dyadic(value).tau() == tau


def test_bit_complexity_of_collection():
    assert bit_complexity(["1/2", "3", "-1/8"]) == 3
    assert bit_complexity([]) == 0


@given(st.integers(-10**6, 10**6), st.integers(0, 40))
def test_tau_matches_definition(mantissa, exponent):
    x = Fraction(mantissa, 2**exponent)
    tau = Dyadic(mantissa, exponent).tau()
    assert (x * 2**tau).denominator == 1
    assert abs(x) <= 2**tau
    if tau > 0:
        smaller = tau - 1
        assert (x * 2**smaller).denominator != 1 or abs(x) > 2**smaller


@given(st.integers(-10**9, 10**9), st.integers(0, 30), st.integers(-10**9, 10**9), st.integers(0, 30))
def test_arithmetic_matches_fraction(m1, e1, m2, e2):
    a, b = Dyadic(m1, e1), Dyadic(m2, e2)
    fa, fb = Fraction(m1, 2**e1), Fraction(m2, 2**e2)
    assert (a + b).to_fraction() == fa + fb
    assert (a - b).to_fraction() == fa - fb
    assert (a * b).to_fraction() == fa * fb
    assert (a < b) == (fa < fb)
    assert hash(a) == hash(fa)
