"""The audit report as a human summary and as JUnit XML with one test case per budget."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ElementTree

from verifier.audit import counted
from verifier.audit.budgets import EXCESS_NOT_EXCLUDED, FAIL

LISTED_CHANGES = 5
FAILURE_EXCEEDED = "BudgetExceeded"
FAILURE_NOT_PROVED = "BudgetNotProved"


def summary(report: dict) -> str:
    """Return the human summary of an audit report."""
    model, structure, bits, lipschitz, floats = (report[key] for key in ("model", "structure", "bit_complexity", "lipschitz", "exact_vs_float"))
    lines = [f"audit of {model['path']} ({model['format']}, {model['input_dim']} inputs, {model['output_dim']} outputs)"]
    lines += [f"  note: {note}" for note in model["notes"]]

    clipping = " including the input clipping layer" if structure["clipping_layer"] else ""
    lines.append(f"structure: depth {structure['depth']}, size {structure['size']}{clipping}; "
                 f"weight layers: depth {structure['weight_layers']['depth']}, size {structure['weight_layers']['size']}")
    lines += _bits_lines(bits)
    if report["normalisation"]:
        normalisation = report["normalisation"]
        lines.append(f"normalisation (exact, beside the weight layers): inputs {normalisation['input_map']}, "
                     f"outputs {normalisation['output_map']}; dyadic: {'yes' if normalisation['dyadic'] else 'no'}")
    lines += _lipschitz_lines(lipschitz)
    lines += _float_lines(floats)
    lines += budget_lines(report["budgets"])
    return "\n".join(lines)


def _bits_lines(bits: dict) -> list[str]:
    if not bits["dyadic"]:
        return [f"bit complexity: none; {bits['reason']}"]
    taus = " ".join(str(layer["tau"]) for layer in bits["layers"])
    histogram = " ".join(f"{exponent}:{count}" for exponent, count in bits["exponent_histogram"].items())
    lines = [f"bit complexity: tau {bits['tau']} (weight layers; per layer {taus})",
             f"  exponent e of each weight m/2^e (e: count): {histogram}"]
    for driver in bits["drivers"][:3]:
        place = f"({driver['row']}, {driver['column']})" if "column" in driver else f"bias {driver['row']}"
        lines.append(f"  attains tau: layer {driver['layer']} {place} = {driver['float']:.6g}, exponent {driver['exponent']}")
    return lines


def _lipschitz_lines(lipschitz: dict) -> list[str]:
    name = "l-infinity" if lipschitz["norm"] == "inf" else "l2"
    ratio = f", ratio {lipschitz['ratio_float']:.3g}" if lipschitz["ratio_float"] else ""
    lines = [f"Lipschitz constant ({name}): proved between {lipschitz['lower_float']:.6g} and {lipschitz['upper_float']:.6g}{ratio}",
             f"  lower bound: {lipschitz['lower_method']}",
             f"  {'layer':>5}  {'proved norm':>12}  {'float estimate':>14}  method"]
    for layer in lipschitz["layers"]:
        lines.append(f"  {layer['layer']:>5}  {layer['proved_float']:>12.6g}  {layer['float_estimate']:>14.6g}  {layer['method']}")
    return lines


def _float_lines(floats: dict) -> list[str]:
    lines = [f"exact against float at {counted(floats['points'], 'point')} ({floats['source']}), classes by {floats['class_rule']}:"]
    for dtype in ("float64", "float32"):
        result = floats[dtype]
        relative = f"{result['max_rel_error_float']:.3g}" if result["max_rel_error_float"] is not None else "undefined (all outputs 0)"
        lines.append(f"  {dtype}: max abs error {result['max_abs_error_float']:.3g}, max rel error {relative}, "
                     f"class changes {len(result['class_changes'])}, sign changes {len(result['sign_changes'])}")
        for change in result["class_changes"][:LISTED_CHANGES]:
            lines.append(f"    point {change['point']}: exact class {change['exact_class']}, {dtype} class {change['float_class']}")
        for change in result["sign_changes"][:LISTED_CHANGES]:
            lines.append(f"    point {change['point']} output {change['output']}: exact {change['exact']}, {dtype} {change['float']!r}")
    return lines


def budget_lines(budgets: list[dict]) -> list[str]:
    """Return one line per budget and a result line, as the audit and compare summaries show them."""
    if not budgets:
        return ["budgets: none given"]
    lines = ["budgets:"]
    lines += [f"  {'FAIL' if budget['status'] == FAIL else 'pass'}  {budget['name']}: {budget['message']}" for budget in budgets]
    failed = [budget for budget in budgets if budget["status"] == FAIL]
    if not failed:
        lines.append(f"result: pass (0 of {counted(len(budgets), 'budget')} exceeded)")
        return lines
    not_proved = sum(1 for budget in failed if budget["excess"] == EXCESS_NOT_EXCLUDED)
    if not_proved:
        detail = f"not met: {len(failed) - not_proved} exceeded, {not_proved} not proved to hold"
    else:
        detail = "exceeded"
    lines.append(f"result: FAIL ({len(failed)} of {counted(len(budgets), 'budget')} {detail})")
    return lines


def junit_xml(report: dict) -> str:
    """Return JUnit XML: one test suite for the model, one test case for reading it and one per budget.

    A budget whose excess is proved fails with type BudgetExceeded. One whose proved
    upper bound is over the limit while the excess is only not excluded fails with
    type BudgetNotProved, and its message starts with "not proved: ".
    """
    name = os.path.basename(report["model"]["path"])
    budgets = report["budgets"]
    failures = sum(1 for budget in budgets if budget["status"] == FAIL)
    seconds = sum(report["seconds"].values())

    root, suite = _suite(name, len(budgets) + 1, failures, seconds)
    properties = ElementTree.SubElement(suite, "properties")
    for key in ("file_sha256", "format"):
        ElementTree.SubElement(properties, "property", name=key, value=str(report["model"][key]))
    ElementTree.SubElement(suite, "testcase", classname=_classname(name), name="read model", time="0")
    for budget in budgets:
        case = ElementTree.SubElement(suite, "testcase", classname=_classname(name), name=budget["name"], time="0")
        if budget["status"] != FAIL:
            continue
        if budget["excess"] == EXCESS_NOT_EXCLUDED:
            failure = ElementTree.SubElement(case, "failure", message=f"not proved: {budget['message']}", type=FAILURE_NOT_PROVED)
        else:
            failure = ElementTree.SubElement(case, "failure", message=budget["message"], type=FAILURE_EXCEEDED)
        failure.text = f"limit {budget['limit']}, measured {budget['measured']}, excess {budget['excess']}"
    output = ElementTree.SubElement(suite, "system-out")
    output.text = summary(report)
    return _document(root)


def junit_error_xml(model_path: str, step: str, message: str, error_type: str) -> str:
    """Return JUnit XML for a run that stopped with an error: one failing test case named after the step."""
    name = os.path.basename(model_path)
    root, suite = _suite(name, 1, 1, 0.0)
    case = ElementTree.SubElement(suite, "testcase", classname=_classname(name), name=step, time="0")
    failure = ElementTree.SubElement(case, "failure", message=message, type=error_type)
    failure.text = message
    return _document(root)


def _suite(name: str, tests: int, failures: int, seconds: float) -> tuple[ElementTree.Element, ElementTree.Element]:
    root = ElementTree.Element("testsuites", name="verifier audit", tests=str(tests), failures=str(failures), errors="0")
    suite = ElementTree.SubElement(root, "testsuite", name=f"audit {name}", tests=str(tests), failures=str(failures),
                                   errors="0", skipped="0", time=f"{seconds:.3f}")
    return root, suite


def _classname(name: str) -> str:
    return "verifier.audit." + "".join(c if c.isalnum() else "_" for c in name)


def _document(root: ElementTree.Element) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
