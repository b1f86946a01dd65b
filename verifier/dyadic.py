"""Exact dyadic rationals m / 2^e and the bit complexity tau of the set R_tau.

R_tau is the set of multiples of 2^-tau bounded in magnitude by 2^tau. The bit
complexity of a number x is therefore the least integer tau >= 0 with
2^tau * x an integer and |x| <= 2^tau:

    tau(m / 2^e) = max(0, e, ceil(log2 |m / 2^e|))    with m odd or e = 0.

Dyadic numbers are closed under +, - and *, which is all a ReLU network with
dyadic weights does to a dyadic input, so exact evaluation never leaves them.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from numbers import Rational

from verifier.errors import InputError

__all__ = ["Dyadic", "NotDyadicError", "bit_complexity", "parse_exact", "ROUNDING_RULES"]

ROUNDING_RULES = ("nearest", "floor", "ceil")


class NotDyadicError(InputError):
    """A value that is not a dyadic rational where one is required."""


class Dyadic:
    """An exact rational number whose denominator is a power of two.

    Stored normalised as ``mantissa / 2**exponent`` with ``exponent >= 0`` and an
    odd mantissa whenever ``exponent > 0``, so equal values have equal fields.

    >>> Dyadic("-3/8") + Dyadic("0.375")
    Dyadic('0')
    >>> Dyadic(0.1).exponent
    55
    """

    __slots__ = ("_mantissa", "_exponent")

    def __init__(self, value=0, exponent: int = 0):
        if isinstance(value, Dyadic) and exponent == 0:
            self._mantissa, self._exponent = value._mantissa, value._exponent
            return
        if isinstance(value, bool) or not isinstance(value, int):
            if exponent != 0:
                raise TypeError("an exponent goes only with an integer mantissa")
            mantissa, exponent = _mantissa_exponent(value)
        else:
            mantissa = value
        self._mantissa, self._exponent = _normalise(int(mantissa), int(exponent))

    @classmethod
    def from_fraction(cls, value: Rational, rounding: str | None = None, precision: int = 64) -> Dyadic:
        """Convert a rational exactly, or round it to a multiple of 2^-precision.

        Without ``rounding`` a denominator that is not a power of two raises
        NotDyadicError. With ``rounding`` in ROUNDING_RULES the value is rounded to
        the nearest (ties to even), next lower or next higher multiple of 2^-precision.
        """
        numerator, denominator = int(value.numerator), int(value.denominator)
        if denominator & (denominator - 1) == 0:
            return cls(numerator, denominator.bit_length() - 1)
        if rounding is None:
            raise NotDyadicError(f"{numerator}/{denominator} is not a dyadic rational (its denominator is not a power of two)")
        scaled = Fraction(numerator * 2**precision, denominator)
        if rounding == "floor":
            mantissa = math.floor(scaled)
        elif rounding == "ceil":
            mantissa = math.ceil(scaled)
        elif rounding == "nearest":
            mantissa = round(scaled)
        else:
            raise InputError(f"unknown rounding rule {rounding!r}; expected one of {', '.join(ROUNDING_RULES)}")
        return cls(mantissa, precision)

    @property
    def mantissa(self) -> int:
        return self._mantissa

    @property
    def exponent(self) -> int:
        """The e in m / 2^e; zero for integers."""
        return self._exponent

    @property
    def numerator(self) -> int:
        return self._mantissa

    @property
    def denominator(self) -> int:
        return 1 << self._exponent

    def tau(self) -> int:
        """Return the bit complexity: the least tau >= 0 with this number in R_tau."""
        if self._mantissa == 0:
            return 0
        magnitude_bits = (abs(self._mantissa) - 1).bit_length() - self._exponent
        return max(0, self._exponent, magnitude_bits)

    def scaled(self, exponent: int) -> int:
        """Return this number times 2^exponent, which must be an integer."""
        shift = exponent - self._exponent
        if shift < 0:
            raise ValueError(f"{self} times 2^{exponent} is not an integer")
        return self._mantissa << shift

    def to_fraction(self) -> Fraction:
        return Fraction(self._mantissa, 1 << self._exponent)

    def __str__(self) -> str:
        """Return the reduced fraction, such as '-3/8' or '5', the form written to files."""
        if self._exponent == 0:
            return str(self._mantissa)
        return f"{self._mantissa}/{1 << self._exponent}"

    def __repr__(self) -> str:
        return f"Dyadic('{self}')"

    def __float__(self) -> float:
        return self._mantissa / (1 << self._exponent) if self._exponent < 1000 else float(self.to_fraction())

    def __int__(self) -> int:
        return int(self.to_fraction())

    def __bool__(self) -> bool:
        return self._mantissa != 0

    def __hash__(self) -> int:
        return hash(self.to_fraction())

    def __eq__(self, other) -> bool:
        other = _coerce(other)
        if other is NotImplemented:
            return NotImplemented
        return self._mantissa == other._mantissa and self._exponent == other._exponent

    def _compare(self, other) -> int | None:
        other = _coerce(other)
        if other is NotImplemented:
            return None
        exponent = max(self._exponent, other._exponent)
        difference = self.scaled(exponent) - other.scaled(exponent)
        return (difference > 0) - (difference < 0)

    def __lt__(self, other):
        sign = self._compare(other)
        return NotImplemented if sign is None else sign < 0

    def __le__(self, other):
        sign = self._compare(other)
        return NotImplemented if sign is None else sign <= 0

    def __gt__(self, other):
        sign = self._compare(other)
        return NotImplemented if sign is None else sign > 0

    def __ge__(self, other):
        sign = self._compare(other)
        return NotImplemented if sign is None else sign >= 0

    def __neg__(self) -> Dyadic:
        return Dyadic(-self._mantissa, self._exponent)

    def __pos__(self) -> Dyadic:
        return self

    def __abs__(self) -> Dyadic:
        return Dyadic(abs(self._mantissa), self._exponent)

    def __add__(self, other):
        other = _coerce(other)
        if other is NotImplemented:
            return NotImplemented
        exponent = max(self._exponent, other._exponent)
        return Dyadic(self.scaled(exponent) + other.scaled(exponent), exponent)

    __radd__ = __add__

    def __sub__(self, other):
        other = _coerce(other)
        if other is NotImplemented:
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other):
        other = _coerce(other)
        if other is NotImplemented:
            return NotImplemented
        return other + (-self)

    def __mul__(self, other):
        other = _coerce(other)
        if other is NotImplemented:
            return NotImplemented
        return Dyadic(self._mantissa * other._mantissa, self._exponent + other._exponent)

    __rmul__ = __mul__

    def __pow__(self, power: int) -> Dyadic:
        if not isinstance(power, int) or power < 0:
            raise ValueError("a dyadic number can only be raised to a non-negative integer power")
        return Dyadic(self._mantissa**power, self._exponent * power)

    def shift(self, bits: int) -> Dyadic:
        """Return this number times 2^bits (bits may be negative)."""
        return Dyadic(self._mantissa, self._exponent - bits)


def _normalise(mantissa: int, exponent: int) -> tuple[int, int]:
    if exponent < 0:
        return mantissa << -exponent, 0
    if mantissa == 0:
        return 0, 0
    trailing_zeros = (mantissa & -mantissa).bit_length() - 1
    drop = min(trailing_zeros, exponent)
    return mantissa >> drop, exponent - drop


def _coerce(value):
    if isinstance(value, Dyadic):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Dyadic(value)
    if isinstance(value, Fraction):
        try:
            return Dyadic.from_fraction(value)
        except NotDyadicError:
            return NotImplemented
    return NotImplemented


def _mantissa_exponent(value) -> tuple[int, int]:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotDyadicError(f"{value} is not a finite number")
        numerator, denominator = value.as_integer_ratio()
        return numerator, denominator.bit_length() - 1
    if isinstance(value, Rational):
        result = Dyadic.from_fraction(value)
        return result.mantissa, result.exponent
    if isinstance(value, str):
        result = parse_exact(value)
        return result.mantissa, result.exponent
    if hasattr(value, "item"):  # numpy scalars
        return _mantissa_exponent(value.item())
    raise TypeError(f"cannot make a dyadic number from {type(value).__name__}")


_FRACTION = re.compile(r"^\s*(?P<num>[+-]?\d+)\s*/\s*(?P<den>\d+)\s*$")
_DECIMAL = re.compile(r"^\s*(?P<sign>[+-]?)(?P<int>\d*)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[+-]?\d+))?\s*$")
_POWER = re.compile(r"^\s*(?P<sign>[+-]?)2\s*\^\s*(?P<exp>[+-]?\d+)\s*$")


def parse_exact(text: str, rounding: str | None = None, precision: int = 64) -> Dyadic:
    """Parse '-3/8', '0.375', '1.5e1' or '2^-12' into an exact dyadic number.

    Text whose value is not dyadic ('1/3', '0.1', '-3e-2') raises NotDyadicError
    unless ``rounding`` names a rule from ROUNDING_RULES, see Dyadic.from_fraction.
    'nan', 'inf' and anything else that is not a number raise InputError.
    """
    if not isinstance(text, str):
        raise InputError(f"expected a number written as text, found {type(text).__name__}")
    value = _parse_rational(text)
    try:
        return Dyadic.from_fraction(value, rounding, precision)
    except NotDyadicError:
        raise NotDyadicError(
            f"{text.strip()!r} is not a dyadic rational (its reduced denominator "
            f"{value.denominator} is not a power of two)"
        ) from None


def _parse_rational(text: str) -> Fraction:
    match = _FRACTION.match(text)
    if match:
        denominator = int(match["den"])
        if denominator == 0:
            raise InputError(f"{text.strip()!r} has a zero denominator")
        return Fraction(int(match["num"]), denominator)
    match = _POWER.match(text)
    if match:
        value = Fraction(2) ** int(match["exp"])
        return -value if match["sign"] == "-" else value
    match = _DECIMAL.match(text)
    if match and (match["int"] or match["frac"]):
        digits = (match["int"] or "") + (match["frac"] or "")
        exponent = int(match["exp"] or 0) - len(match["frac"] or "")
        if abs(exponent) > 100_000:
            raise InputError(f"{text.strip()!r} has an exponent too large to hold exactly")
        value = Fraction(int(digits)) * Fraction(10) ** exponent
        return -value if match["sign"] == "-" else value
    raise InputError(f"{text.strip()!r} is not a number (expected forms: '-3/8', '0.375', '1.5e1', '2^-12')")


def bit_complexity(values) -> int:
    """Return the bit complexity tau of a collection of dyadic numbers (0 when empty)."""
    return max((Dyadic(value).tau() for value in values), default=0)
