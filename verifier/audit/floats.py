"""Exact outputs against float32 and float64 forward passes of the same model at the same points.

Every float output is a dyadic number, so each error |F(x) - f(x)| is computed
exactly. With F(x) = N / D and f(x) = m / 2^k, over the common denominator D 2^K
(K the largest k) the error is |N 2^K - m 2^(K-k) D| / (D 2^K), and the relative
error divides that by |N| 2^K. A class (arg-max or arg-min of the outputs) or an
output sign that differs between the exact and the float pass is listed by point.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from verifier.audit.model import ExactOutputs, Model, float_forward
from verifier.dyadic import Dyadic

FLOAT_TYPES = ("float32", "float64")
CLASS_RULES = ("argmax", "argmin")


def compare_with_floats(model: Model, points: list[list[Dyadic]], exact: ExactOutputs, inputs_normalized: bool = False,
                        class_rule: str = "argmax") -> dict:
    """Return, for float32 and float64, the largest errors and every point where a class or a sign differs."""
    float_points = np.array([[float(v) for v in point] for point in points], dtype=np.float64)
    rounded = sum(1 for point, row in zip(points, float_points.tolist()) for v, f in zip(point, row) if Dyadic(f) != v)
    exact_classes = [_exact_classes(row, class_rule) for row in exact.numerators.tolist()]
    result = {
        "points": len(points),
        "class_rule": class_rule,
        "coordinates_rounded_to_float64": rounded,
    }
    for dtype in FLOAT_TYPES:
        outputs = float_forward(model, float_points, dtype, inputs_normalized)
        result[dtype] = _compare_one(points, exact, exact_classes, outputs, class_rule)
    return result


def _exact_classes(row: list[int], rule: str) -> list[int]:
    """Return every index that attains the maximum (or minimum) of one point's exact numerators."""
    target = max(row) if rule == "argmax" else min(row)
    return [index for index, value in enumerate(row) if value == target]


def _compare_one(points, exact: ExactOutputs, exact_classes: list[list[int]], outputs: np.ndarray, class_rule: str) -> dict:
    numerators = exact.numerators.tolist()
    ratios = [[float(v).as_integer_ratio() for v in row] for row in outputs.astype(np.float64).tolist()]
    shift = max((q.bit_length() - 1 for row in ratios for _, q in row), default=0)
    denominator = exact.denominator

    errors = [[abs((int(n) << shift) - p * (denominator << (shift - (q.bit_length() - 1)))) for n, (p, q) in zip(row, ratio_row)]
              for row, ratio_row in zip(numerators, ratios)]
    absolute = _largest(errors)
    relative = _largest_relative(errors, numerators, shift)

    chooser = np.argmax if class_rule == "argmax" else np.argmin
    class_changes = []
    sign_changes = []
    for index, (row, float_row) in enumerate(zip(numerators, outputs.tolist())):
        float_class = int(chooser(np.asarray(float_row)))
        if float_class not in exact_classes[index]:
            class_changes.append({
                "point": index,
                "input": [str(v) for v in points[index]],
                "exact_class": exact_classes[index],
                "float_class": float_class,
                "exact_outputs_float": [float(Fraction(int(n), denominator)) for n in row],
                "float_outputs": [float(v) for v in float_row],
            })
        for output, (n, f) in enumerate(zip(row, float_row)):
            exact_sign, float_sign = (n > 0) - (n < 0), (f > 0) - (f < 0)
            if exact_sign != float_sign:
                sign_changes.append({"point": index, "output": output, "exact": str(Fraction(int(n), denominator)), "float": f})

    scale = denominator << shift
    return {
        "max_abs_error": str(Fraction(absolute[0], scale)),
        "max_abs_error_float": float(Fraction(absolute[0], scale)),
        "max_abs_error_at": {"point": absolute[1], "output": absolute[2]},
        "max_rel_error": str(relative[0]) if relative else None,
        "max_rel_error_float": float(relative[0]) if relative else None,
        "max_rel_error_at": {"point": relative[1], "output": relative[2]} if relative else None,
        "class_changes": class_changes,
        "sign_changes": sign_changes,
    }


def _largest(errors: list[list[int]]) -> tuple[int, int, int]:
    value, point, output = 0, 0, 0
    for i, row in enumerate(errors):
        for j, error in enumerate(row):
            if error > value:
                value, point, output = error, i, j
    return value, point, output


def _largest_relative(errors: list[list[int]], numerators: list[list[int]], shift: int) -> tuple[Fraction, int, int] | None:
    """Return the largest error / (|N| 2^shift) with its place; None when every exact output is 0.

    Floats rank the ratios (int / int is correctly rounded); the near-maximal ones are then compared exactly.
    """
    ranked = [(error / abs(int(n)), i, j) for i, (row, nrow) in enumerate(zip(errors, numerators)) for j, (error, n) in enumerate(zip(row, nrow)) if n]
    if not ranked:
        return None
    top = max(value for value, _, _ in ranked)
    near = [(i, j) for value, i, j in ranked if value >= top * (1 - 2.0**-40)]
    i, j = max(near, key=lambda place: Fraction(errors[place[0]][place[1]], abs(int(numerators[place[0]][place[1]]))))
    return Fraction(errors[i][j], abs(int(numerators[i][j])) << shift), i, j
