"""Short decimals of exact values for human summaries, rounded outwards so that each printed bound stays true.

An upper bound is rounded up and a lower bound down, so "<= 122.381" is a true
statement about the exact value that the certificate records. Only the display is
rounded, and every decision uses the exact values.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from fractions import Fraction

SIGNIFICANT_DIGITS = 6

_SQUARE_ROOT = re.compile(r"^sqrt\((?P<radicand>-?\d+(?:/\d+)?)\)$")
_COMPARISON = re.compile(r"^(?P<subject>.*\S)\s+(?P<relation><=|<|>=|>)\s+(?P<value>-?\d+/\d+)$")


def bound_text(text: str, direction: str) -> str:
    """Return a claim's value for a summary, with its exact number shortened by ``decimal_bound``.

    A whole value is rounded in ``direction``. In text that ends in a comparison with
    a fraction ("W_1 >= 1023/512"), the fraction is rounded so that the comparison
    stays true: up after '<' or '<=', down after '>' or '>='. Other text is returned unchanged.
    """
    rounded = decimal_bound(text, direction)
    if rounded != text:
        return rounded
    comparison = _COMPARISON.match(text)
    if comparison is None:
        return text
    relation = comparison["relation"]
    value = rounded_decimal(Fraction(comparison["value"]), "up" if relation.startswith("<") else "down")
    return f"{comparison['subject']} {relation} {value}"


def decimal_bound(text: str, direction: str) -> str:
    """Return an exact value as a decimal of 6 significant digits rounded up or down, marked with '<=' or '>='.

    ``direction`` is "up" for an upper bound and "down" for a lower bound. Fractions
    ("-3/8") and square roots ("sqrt(17/4)") are converted. A value that the decimal
    shows exactly gets no marker ("1/16" gives "0.0625", "sqrt(4)" gives "2").
    Integers and other text are returned unchanged.
    """
    if "/" not in text and not text.startswith("sqrt("):
        return text
    marker = "<=" if direction == "up" else ">="
    root = _SQUARE_ROOT.match(text)
    if root is None:
        try:
            value = Fraction(text)
        except ValueError:
            return text
        rounded = rounded_decimal(value, direction)
        return str(rounded) if Fraction(rounded) == value else f"{marker} {rounded}"

    radicand = Fraction(root["radicand"])
    if radicand < 0:
        return text
    numerator, denominator = math.isqrt(radicand.numerator), math.isqrt(radicand.denominator)
    if numerator**2 == radicand.numerator and denominator**2 == radicand.denominator:
        return decimal_bound(str(Fraction(numerator, denominator)), direction)
    return f"{marker} {rounded_square_root(radicand, direction)}"


def rounded_decimal(value: Fraction, direction: str, digits: int = SIGNIFICANT_DIGITS) -> Decimal:
    """Return ``value`` rounded to ``digits`` significant decimal digits, towards +infinity ("up") or -infinity ("down")."""
    context = Context(prec=digits, rounding=ROUND_CEILING if direction == "up" else ROUND_FLOOR)
    return context.divide(Decimal(value.numerator), Decimal(value.denominator))


def rounded_square_root(value: Fraction, direction: str, digits: int = SIGNIFICANT_DIGITS) -> Decimal:
    """Return sqrt(value) for a positive ``value``, rounded to ``digits`` significant digits up or down.

    The root is taken with integer arithmetic: for the power of ten 10^e that leaves
    ``digits`` digits before the decimal point, floor(sqrt(q)) = isqrt(floor(q)) with
    q = value / 100^e, and the root is an integer only when q is a perfect square.
    """
    if value <= 0:
        raise ValueError(f"expected a positive value, found {value}")
    exponent = (len(str(value.numerator)) - len(str(value.denominator))) // 2 - digits
    while value / Fraction(100) ** exponent >= 100**digits:
        exponent += 1
    while value / Fraction(100) ** exponent < 100 ** (digits - 1):
        exponent -= 1

    scaled = value / Fraction(100) ** exponent
    root = math.isqrt(scaled.numerator // scaled.denominator)
    if direction == "up" and root * root != scaled:
        root += 1
    context = Context(prec=digits, rounding=ROUND_CEILING if direction == "up" else ROUND_FLOOR)
    return context.plus(Decimal(root).scaleb(exponent))
