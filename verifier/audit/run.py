"""The audit of one model: structure, bit complexity, Lipschitz bracket, exact against float, budgets."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from verifier.audit import counted
from verifier.audit.bits import bit_complexity_report
from verifier.audit.budgets import FAIL, Budget, integer_budget, lipschitz_budget, tau_budget
from verifier.audit.floats import compare_with_floats
from verifier.audit.lipschitz import lipschitz_bracket
from verifier.audit.model import Model, evaluate_layers, integer_network
from verifier.dyadic import Dyadic

REPORT_SCHEMA_VERSION = 1
REPORT_KIND = "audit-report"


@dataclass
class AuditOptions:
    """Points, norm and budgets of one audit. A limit of None is not checked."""

    points: list[list[Dyadic]]
    points_source: str
    box: list[tuple[float, float]]
    norm: str = "2"
    seed: int = 0
    inputs_normalized: bool = False
    class_rule: str = "argmax"
    max_tau: int | None = None
    max_depth: int | None = None
    max_size: int | None = None
    max_lipschitz: Fraction | None = None


def file_sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def run_audit(model: Model, options: AuditOptions, progress=lambda message: None) -> tuple[dict, list[Budget]]:
    """Return the audit report (JSON-ready, exact numbers as strings) and the checked budgets."""
    seconds = {}

    started = time.perf_counter()
    structure = structure_report(model, options.inputs_normalized)
    bits = bit_complexity_report(model)
    seconds["structure_and_bits"] = time.perf_counter() - started

    progress(f"proving the l{options.norm} Lipschitz bracket ...")
    started = time.perf_counter()
    extra = np.array([[float(v) for v in point] for point in options.points[:64]], dtype=np.float64)
    bracket = lipschitz_bracket(model, options.norm, options.box, extra, options.seed, options.inputs_normalized)
    seconds["lipschitz"] = time.perf_counter() - started

    progress(f"evaluating {counted(len(options.points), 'point')} exactly and in float32 and float64 ...")
    started = time.perf_counter()
    exact = evaluate_layers(model.function_layers(options.inputs_normalized), options.points)
    seconds["exact_evaluation"] = time.perf_counter() - started
    started = time.perf_counter()
    floats = compare_with_floats(model, options.points, exact, options.inputs_normalized, options.class_rule)
    floats["source"] = options.points_source
    floats["evaluator_layers"] = [
        {"layer": number, "backend": record.backend, "measured_bits": record.measured_bits, "bound_bits": record.bound_bits}
        for number, record in enumerate(exact.evaluation.layers, start=model.first_layer_number(options.inputs_normalized))
    ]
    seconds["float_comparison"] = time.perf_counter() - started

    budgets = check_budgets(options, structure, bits, bracket)
    report = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "kind": REPORT_KIND,
        "model": model_report(model),
        "structure": structure,
        "normalisation": model.normalisation.to_json() if model.normalisation else None,
        "bit_complexity": bits,
        "lipschitz": bracket.to_json(),
        "exact_vs_float": floats,
        "budgets": [budget.to_json() for budget in budgets],
        "status": FAIL if any(budget.status == FAIL for budget in budgets) else "pass",
        "seconds": {step: round(value, 3) for step, value in seconds.items()},
    }
    return report, budgets


def model_report(model: Model) -> dict:
    weights = model.weight_network()
    return {
        "path": model.source,
        "format": model.format,
        "file_sha256": file_sha256(model.source),
        "weights_sha256": weights.sha256() if weights is not None else None,
        "input_dim": model.input_dim,
        "output_dim": model.output_dim,
        "stored_float_type": model.float_dtype,
        "notes": list(model.notes),
    }


def structure_report(model: Model, inputs_normalized: bool) -> dict:
    """Return depth, size and widths of the whole function's ReLU network and of the weight layers alone."""
    function = model.function_layers(inputs_normalized)
    _, odd_denominator = integer_network(function)
    widths = [layer.shape[0] for layer in function[:-1]]
    weight_widths = [layer.shape[0] for layer in model.layers[:-1]]
    return {
        "depth": len(function),
        "size": sum(widths),
        "widths": widths,
        "weight_layers": {"depth": len(model.layers), "size": sum(weight_widths)},
        "clipping_layer": len(function) > len(model.layers),
        "odd_denominator_bits": odd_denominator.bit_length(),
    }


def check_budgets(options: AuditOptions, structure: dict, bits: dict, bracket) -> list[Budget]:
    budgets = []
    if options.max_depth is not None:
        budgets.append(integer_budget("max-depth", options.max_depth, structure["depth"], "depth"))
    if options.max_size is not None:
        budgets.append(integer_budget("max-size", options.max_size, structure["size"], "size"))
    if options.max_tau is not None:
        budgets.append(tau_budget(options.max_tau, bits["tau"], bits.get("reason")))
    if options.max_lipschitz is not None:
        budgets.append(lipschitz_budget(options.max_lipschitz, bracket.upper, bracket.lower, bracket.norm))
    return budgets
