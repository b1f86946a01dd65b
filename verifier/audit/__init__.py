"""Audits of trained ReLU networks: readers, exact reports, float comparison, export and comparison.

A model read from ONNX, NNet, a torch state dict or the project's JSON becomes a
``Model``: its weight layers held exactly, and for NNet files the input
normalisation and output scaling held beside them as exact rational maps.
"""


def counted(count: int, noun: str) -> str:
    """Return the count with the noun in singular or plural: '1 budget', '2 budgets'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
