"""Tests for verifier.decimals: short decimals of exact values, rounded outwards.

Expected digits were worked out by hand: sqrt(2) = 1.4142135..., 1/3 = 0.333333...,
sqrt(1/3) = 0.5773502..., 1023/512 = 1.998046875 and sqrt(10^40 + 1) = 10^20 (1 + 5e-41).
"""

from fractions import Fraction

import pytest

from verifier.decimals import bound_text, decimal_bound, rounded_square_root


@pytest.mark.parametrize(
    "text, up, down",
    [
        ("1/3", "<= 0.333334", ">= 0.333333"),
        ("-1/3", "<= -0.333333", ">= -0.333334"),
        ("sqrt(2)", "<= 1.41422", ">= 1.41421"),
        ("sqrt(1/3)", "<= 0.577351", ">= 0.577350"),
        ("1/16", "0.0625", "0.0625"),
        ("sqrt(9/4)", "1.5", "1.5"),
        ("sqrt(4)", "2", "2"),
        ("17", "17", "17"),
    ],
)
def test_decimal_bound_rounds_outwards(text, up, down):
    assert decimal_bound(text, "up") == up
    assert decimal_bound(text, "down") == down


@pytest.mark.parametrize("text", ["6^5 sqrt(4)", "sqrt(-2)", "tau 5, ||w||^2 = 85/1024", "no proved lower bound"])
def test_decimal_bound_leaves_other_text(text):
    assert decimal_bound(text, "up") == text


def test_square_root_of_large_value():
    assert str(rounded_square_root(Fraction(10**40 + 1), "up")) == "1.00001E+20"
    assert str(rounded_square_root(Fraction(10**40 + 1), "down")) == "1.00000E+20"


def test_square_root_rejects_zero():
    with pytest.raises(ValueError):
        rounded_square_root(Fraction(0), "up")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("W_1 >= 1023/512", "W_1 >= 1.99804"),
        ("x < 1/3", "x < 0.333334"),
        ("x > 1/3", "x > 0.333333"),
        ("proved parts: W_1 = 1/32 per coordinate", "proved parts: W_1 = 1/32 per coordinate"),
    ],
)
def test_bound_text_keeps_comparison_true(text, expected):
    assert bound_text(text, "up") == expected
