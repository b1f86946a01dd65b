"""Budgets on depth, size, bit complexity, Lipschitz constant and output difference, each decided exactly.

A Lipschitz budget holds when the proved upper bound meets it. When it does not,
the excess is "proved" if the proved lower bound is over the budget too, and only
"not excluded" otherwise. Every other budget compares an exact measurement, so its
excess is always proved. A tau budget fails for weights that are not dyadic,
because such weights lie in no R_tau.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from verifier.dyadic import parse_exact
from verifier.errors import InputError

PASS, FAIL = "pass", "fail"
EXCESS_PROVED, EXCESS_NOT_EXCLUDED = "proved", "not excluded"


@dataclass
class Budget:
    """One budget with its limit, the measured value and the verdict.

    ``excess`` is None when the budget holds, else EXCESS_PROVED or EXCESS_NOT_EXCLUDED.
    """

    name: str
    limit: str
    measured: str
    status: str
    message: str
    excess: str | None = None

    def to_json(self) -> dict:
        return {"name": self.name, "limit": self.limit, "measured": self.measured, "status": self.status, "message": self.message,
                "excess": self.excess}


def parse_limit(text: str, option: str) -> Fraction:
    """Parse an exact limit such as '1e4', '2^10', '1/3' or '0.5', or raise InputError naming the option."""
    if re.fullmatch(r"\s*[+-]?2\s*\^\s*[+-]?\d+\s*", text):
        return parse_exact(text).to_fraction()
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise InputError(f"{option}: {text!r} is not an exact number (expected forms: '1e4', '2^10', '1/3', '0.5')") from None
    if value < 0:
        raise InputError(f"{option}: the limit {text} is negative")
    return value


def integer_budget(name: str, limit: int, measured: int, quantity: str) -> Budget:
    if measured <= limit:
        return Budget(name, str(limit), str(measured), PASS, f"{quantity} {measured} is within {limit}")
    return Budget(name, str(limit), str(measured), FAIL, f"{quantity} {measured} exceeds {limit} by {measured - limit}", EXCESS_PROVED)


def tau_budget(limit: int, tau: int | None, reason: str | None) -> Budget:
    if tau is None:
        return Budget("max-tau", str(limit), "none", FAIL, f"tau is undefined: {reason}", EXCESS_PROVED)
    return integer_budget("max-tau", limit, tau, "tau of the weight layers")


def lipschitz_budget(limit: Fraction, upper: Fraction, lower: Fraction, norm: str) -> Budget:
    measured = f"[{lower}, {upper}]"
    quantity = f"the l{'-infinity' if norm == 'inf' else '2'} Lipschitz constant"
    if upper <= limit:
        return Budget("max-lipschitz", str(limit), measured, PASS, f"{quantity} is proved at most {float(upper):.6g}, within {float(limit):.6g}")
    if lower > limit:
        return Budget("max-lipschitz", str(limit), measured, FAIL,
                      f"{quantity} is proved at least {float(lower):.6g}, over {float(limit):.6g} by at least {float(lower - limit):.6g} (excess proved)",
                      EXCESS_PROVED)
    return Budget("max-lipschitz", str(limit), measured, FAIL,
                  f"{quantity} lies in [{float(lower):.6g}, {float(upper):.6g}]; the proved upper bound exceeds {float(limit):.6g} "
                  f"by {float(upper - limit):.6g}, but the excess is only not excluded, not proved", EXCESS_NOT_EXCLUDED)


def difference_budget(limit: Fraction, measured: Fraction) -> Budget:
    """Return the max-difference budget of ``compare``: the exact largest output difference against the limit."""
    quantity = f"max |F_a - F_b| = {float(measured):.6g}"
    if measured <= limit:
        return Budget("max-difference", str(limit), str(measured), PASS, f"{quantity} is within {float(limit):.6g}")
    return Budget("max-difference", str(limit), str(measured), FAIL,
                  f"{quantity} exceeds {float(limit):.6g} by {float(measured - limit):.3g}", EXCESS_PROVED)
