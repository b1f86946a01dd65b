"""Rows that set a bound stated in the paper beside the measured value.

Every certificate lists its claims in this form. The status is "holds" when exact
arithmetic proves the stated bound, "fails" when exact arithmetic refutes it, and
"undecided" when the proved upper and lower bounds lie on both sides of it.
"""

from __future__ import annotations

from fractions import Fraction


def make_claim(identifier: str, source: str, statement: str, stated, measured, status: str, method: str) -> dict:
    """Return one claims row; stated and measured values are written as text."""
    if status not in ("holds", "fails", "undecided"):
        raise ValueError(f"invalid claim status {status!r}")
    return {
        "id": identifier,
        "source": source,
        "statement": statement,
        "stated": str(stated),
        "measured": str(measured),
        "status": status,
        "method": method,
    }


def decide(upper: Fraction, lower: Fraction, stated: Fraction) -> str:
    """Return the status of 'value <= stated' from proved bounds lower <= value <= upper."""
    if upper <= stated:
        return "holds"
    if lower > stated:
        return "fails"
    return "undecided"
