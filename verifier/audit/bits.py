"""Bit complexity of a model's weight layers: tau per layer and overall, and the histogram of exponents.

A dyadic weight m / 2^e (m odd, or e = 0) lies in R_tau exactly when
tau >= max(e, ceil(log2 |m / 2^e|)). For weights read from floats, e is what
drives tau: a float64 of magnitude about 2^-k has e up to k + 52.
"""

from __future__ import annotations

from collections import Counter

from verifier.audit.model import Model
from verifier.dyadic import Dyadic

DRIVER_LIMIT = 10


def bit_complexity_report(model: Model) -> dict:
    """Return tau of each weight layer and of the network, the exponent histogram and the weights that attain tau."""
    if not model.is_dyadic:
        return _not_dyadic_report(model)

    histogram = Counter()
    layers = []
    drivers = []
    for index, rational in enumerate(model.layers, start=1):
        layer = rational.layer
        values = [("weight", int(r), int(c), Dyadic(int(v), layer.scale)) for r, c, v in zip(layer.rows, layer.cols, layer.values)]
        values += [("bias", row, None, Dyadic(int(b), layer.scale)) for row, b in enumerate(layer.bias.tolist()) if b]
        exponents = [value.exponent for _, _, _, value in values]
        histogram.update(exponents)
        layer_tau = layer.tau()
        layers.append({
            "layer": index,
            "shape": list(layer.shape),
            "tau": layer_tau,
            "max_exponent": max(exponents, default=0),
            "max_magnitude_bits": max((_magnitude_bits(value) for *_, value in values), default=0),
        })
        drivers.extend(_entry(index, kind, row, column, value) for kind, row, column, value in values if value.tau() == layer_tau and layer_tau > 0)

    tau = max(entry["tau"] for entry in layers)
    top_drivers = [driver for driver in drivers if driver["tau"] == tau]
    return {
        "dyadic": True,
        "tau": tau,
        "layers": layers,
        "exponent_histogram": {str(exponent): count for exponent, count in sorted(histogram.items())},
        "drivers": top_drivers[:DRIVER_LIMIT],
        "driver_count": len(top_drivers),
    }


def _magnitude_bits(value: Dyadic) -> int:
    """Return ceil(log2 |value|) for |value| > 1 and 0 otherwise."""
    if abs(value) <= 1:
        return 0
    return (abs(value.mantissa) - 1).bit_length() - value.exponent


def _entry(layer: int, kind: str, row: int, column: int | None, value: Dyadic) -> dict:
    entry = {"layer": layer, "kind": kind, "row": row, "value": str(value), "float": float(value), "exponent": value.exponent, "tau": value.tau()}
    if column is not None:
        entry["column"] = column
    return entry


def _not_dyadic_report(model: Model) -> dict:
    for index, rational in enumerate(model.layers, start=1):
        if rational.is_dyadic:
            continue
        for row, column, value in rational.entries():
            if value.denominator & (value.denominator - 1):
                where = f"layer {index}, weight ({row}, {column}) = {value}"
                break
        else:
            row, value = next((r, b) for r, b in enumerate(rational.bias_fractions()) if b.denominator & (b.denominator - 1))
            where = f"layer {index}, bias {row} = {value}"
        return {
            "dyadic": False,
            "tau": None,
            "reason": f"the weights lie in no R_tau: {where} has a denominator that is not a power of two",
            "layers": [{"layer": i, "shape": list(r.shape), "tau": r.layer.tau() if r.is_dyadic else None} for i, r in enumerate(model.layers, start=1)],
        }
    raise AssertionError("a model that is not dyadic has a layer with an odd denominator")
