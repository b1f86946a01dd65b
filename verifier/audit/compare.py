"""Exact comparison of two models: their weights layer by layer and their outputs at the same points.

Weights are compared in the folded form, normalisation included, which is the
form a converter writes when it folds an NNet normalisation into the first and
last layers. Clipping cannot fold into an affine layer, so it is compared
separately. Output differences are exact: with F_a = N_a / D_a and
F_b = N_b / D_b, F_a - F_b = (N_a D_b - N_b D_a) / (D_a D_b).
"""

from __future__ import annotations

from fractions import Fraction

from verifier.audit import counted
from verifier.audit.budgets import FAIL, PASS, difference_budget
from verifier.audit.model import Model, RationalLayer, evaluate_layers
from verifier.audit.report import budget_lines
from verifier.dyadic import Dyadic

COMPARE_SCHEMA_VERSION = 1
COMPARE_KIND = "model-comparison"
LISTED_DISAGREEMENTS = 100


def compare_models(first: Model, second: Model, points: list[list[Dyadic]], points_source: str, class_rule: str = "argmax",
                   max_difference: Fraction | None = None) -> dict:
    """Return the exact differences between two models in weights and in outputs at ``points``.

    With ``max_difference`` the result lists the max-difference budget, and its
    status is "fail" when the largest output difference exceeds it.
    """
    if first.input_dim != second.input_dim or first.output_dim != second.output_dim:
        raise ValueError("models with different input or output dimensions cannot be compared")
    outputs = compare_outputs(first, second, points, class_rule) | {"source": points_source}
    budgets = [] if max_difference is None else [difference_budget(max_difference, Fraction(outputs["max_output_difference"]))]
    return {
        "schema_version": COMPARE_SCHEMA_VERSION,
        "kind": COMPARE_KIND,
        "models": [{"path": model.source, "format": model.format, "notes": list(model.notes)} for model in (first, second)],
        "clipping": [_clipping(model) for model in (first, second)],
        "weights": compare_weights(first.folded_layers(), second.folded_layers()),
        "outputs": outputs,
        "budgets": [budget.to_json() for budget in budgets],
        "status": FAIL if any(budget.status == FAIL for budget in budgets) else PASS,
    }


def _clipping(model: Model) -> dict | None:
    if model.normalisation is None:
        return None
    return {"minimum": [str(v) for v in model.normalisation.minimum], "maximum": [str(v) for v in model.normalisation.maximum]}


def compare_weights(first: list[RationalLayer], second: list[RationalLayer]) -> dict:
    """Return the largest exact difference of weights and of biases per layer, or why the layers do not match."""
    shapes = [list(layer.shape) for layer in first], [list(layer.shape) for layer in second]
    if shapes[0] != shapes[1]:
        return {"comparable": False, "reason": f"the layer shapes differ: {shapes[0]} against {shapes[1]}"}
    layers = []
    for index, (a, b) in enumerate(zip(first, second), start=1):
        layers.append({"layer": index} | _largest_weight_difference(a.dense(), b.dense()) | _largest_bias_difference(a, b))
    largest = max(layers, key=lambda entry: Fraction(entry["max_weight_difference"]))
    return {
        "comparable": True,
        "identical": all(Fraction(e["max_weight_difference"]) == 0 and Fraction(e["max_bias_difference"]) == 0 for e in layers),
        "max_weight_difference": largest["max_weight_difference"],
        "max_weight_difference_float": largest["max_weight_difference_float"],
        "layers": layers,
    }


def _largest_weight_difference(first: list[list[Fraction]], second: list[list[Fraction]]) -> dict:
    best = (Fraction(0), 0, 0)
    relative = Fraction(0)
    for i, (row_a, row_b) in enumerate(zip(first, second)):
        for j, (a, b) in enumerate(zip(row_a, row_b)):
            difference = abs(a - b)
            if difference > best[0]:
                best = (difference, i, j)
            if a and difference / abs(a) > relative:
                relative = difference / abs(a)
    difference, i, j = best
    return {
        "max_weight_difference": str(difference),
        "max_weight_difference_float": float(difference),
        "at": {"row": i, "column": j, "values": [str(first[i][j]), str(second[i][j])]},
        "max_relative_weight_difference_float": float(relative),
    }


def _largest_bias_difference(first: RationalLayer, second: RationalLayer) -> dict:
    differences = [abs(a - b) for a, b in zip(first.bias_fractions(), second.bias_fractions())]
    largest = max(differences, default=Fraction(0))
    return {"max_bias_difference": str(largest), "max_bias_difference_float": float(largest)}


def compare_outputs(first: Model, second: Model, points: list[list[Dyadic]], class_rule: str) -> dict:
    """Return max |F_a(x) - F_b(x)| over the points, exactly, and the points where the classes differ.

    NOTE: the differences are taken at the given points only. Their maximum is a
    lower bound on the largest difference over a box, and no upper bound is proved.
    """
    outputs_a = evaluate_layers(first.function_layers(), points)
    outputs_b = evaluate_layers(second.function_layers(), points)
    denominator_a, denominator_b = outputs_a.denominator, outputs_b.denominator
    common = denominator_a * denominator_b

    largest, place = 0, (0, 0)
    disagreements = []
    for index, (row_a, row_b) in enumerate(zip(outputs_a.numerators.tolist(), outputs_b.numerators.tolist())):
        scaled_a = [int(v) * denominator_b for v in row_a]
        scaled_b = [int(v) * denominator_a for v in row_b]
        for output, (a, b) in enumerate(zip(scaled_a, scaled_b)):
            if abs(a - b) > largest:
                largest, place = abs(a - b), (index, output)
        classes_a, classes_b = _classes(scaled_a, class_rule), _classes(scaled_b, class_rule)
        if classes_a != classes_b:
            disagreements.append({"point": index, "input": [str(v) for v in points[index]], "classes": [classes_a, classes_b]})

    difference = Fraction(largest, common)
    point, output = place
    return {
        "points": len(points),
        "class_rule": class_rule,
        "max_output_difference": str(difference),
        "max_output_difference_float": float(difference),
        "at": {"point": point, "output": output, "input": [str(v) for v in points[point]],
               "values": [str(outputs_a.value(point, output)), str(outputs_b.value(point, output))]},
        "class_disagreements": len(disagreements),
        "listed_disagreements": disagreements[:LISTED_DISAGREEMENTS],
    }


def _classes(row: list[int], rule: str) -> list[int]:
    target = max(row) if rule == "argmax" else min(row)
    return [index for index, value in enumerate(row) if value == target]


def summary(comparison: dict) -> str:
    """Return the human summary of a comparison."""
    first, second = (model["path"] for model in comparison["models"])
    lines = [f"comparison of {first} (a) and {second} (b)"]
    for name, clipping in zip("ab", comparison["clipping"]):
        lines.append(f"  {name} clips its inputs to [{', '.join(clipping['minimum'])}] .. [{', '.join(clipping['maximum'])}]" if clipping
                     else f"  {name} does not clip its inputs")
    weights = comparison["weights"]
    if not weights["comparable"]:
        lines.append(f"weights: not comparable, {weights['reason']}")
    else:
        lines.append(f"weights (normalisation folded in): {'identical' if weights['identical'] else 'max |a - b| = ' + format(weights['max_weight_difference_float'], '.6g')}")
        lines.append(f"  {'layer':>5}  {'max |dW|':>12}  {'max rel dW':>12}  {'max |db|':>12}")
        for layer in weights["layers"]:
            lines.append(f"  {layer['layer']:>5}  {layer['max_weight_difference_float']:>12.4g}  "
                         f"{layer['max_relative_weight_difference_float']:>12.4g}  {layer['max_bias_difference_float']:>12.4g}")
    outputs = comparison["outputs"]
    at = outputs["at"]
    exact = outputs["max_output_difference"]
    exact = f"exactly {exact}" if len(exact) <= 60 else f"exact fraction of {len(exact)} characters in the JSON report"
    lines.append(f"outputs at {counted(outputs['points'], 'point')} ({outputs['source']}): max |F_a - F_b| = {outputs['max_output_difference_float']:.6g} "
                 f"({exact}) at point {at['point']}, output {at['output']}")
    lines.append(f"  {outputs['class_rule']} classes differ at {counted(outputs['class_disagreements'], 'point')}")
    if comparison["budgets"]:
        lines += budget_lines(comparison["budgets"])
    return "\n".join(lines)
