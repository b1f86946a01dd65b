"""``audit``, ``export`` and ``compare``: trained networks under exact checks, for CI.

``audit MODEL`` reports bit complexity, a proved Lipschitz bracket and exact
against float outputs, and exits 1 when a budget is exceeded. ``export`` writes a
model to ONNX or a torch state dict with float64 weights. ``compare A B`` shows
exactly how far two models are apart in weights and in outputs. When ``audit`` or
``compare`` stops with an error, its report files hold a record of that error.
"""

from __future__ import annotations

import json

from verifier.audit import counted
from verifier.cli import EXIT_FAILED, EXIT_OK, add_output_options, progress
from verifier.commands.generate import seed_integer
from verifier.errors import InputError

DEFAULT_SAMPLE = 1000


def register(commands, check_kinds) -> None:
    audit = commands.add_parser(
        "audit",
        help="audit a trained network: bit complexity, Lipschitz bracket, exact against float, budgets",
        description="Audit a ReLU network read from .onnx, .nnet, .json, .pt or .pth. Exit 0 when every budget holds, "
        "1 when one is exceeded, 2 when the model or an option is invalid.",
    )
    audit.add_argument("model", help="the model file: .onnx, .nnet, .json (network or certificate), .pt or .pth (state dict)")
    audit.add_argument("--max-tau", type=int, help="budget on the bit complexity tau of the weight layers")
    audit.add_argument("--max-lipschitz", help="budget on the Lipschitz constant, an exact number such as 1e4, 2^10 or 1/3")
    audit.add_argument("--max-depth", type=int, help="budget on the depth (affine layers, clipping layer included)")
    audit.add_argument("--max-size", type=int, help="budget on the size (hidden units, clipping layer included)")
    audit.add_argument("--norm", choices=["2", "inf"], default="2", help="norm of the Lipschitz bracket (default: 2)")
    _add_point_options(audit)
    audit.add_argument("--inputs-normalized", action="store_true",
                       help="the points are already normalised: skip an NNet model's clipping and input normalisation (its output scaling still applies)")
    audit.add_argument("--junit", help="also write the budgets as JUnit XML test cases to this file")
    add_output_options(audit)
    audit.set_defaults(handler=_audit)

    export = commands.add_parser("export", help="write a model to ONNX or a torch state dict with float64 weights")
    export.add_argument("model", help="the model file: .onnx, .nnet, .json (network or certificate), .pt or .pth")
    export.add_argument("--format", choices=["onnx", "torch"], required=True, help="ONNX (opset 13, Gemm and Relu) or a torch state dict")
    export.add_argument("--out", required=True, help="the file to write")
    export.add_argument("--weights-only", action="store_true", help="export an NNet model's weight layers without its clipping and normalisation")
    export.add_argument("--decimal", choices=["float64", "exact"], default="float64",
                        help="how NNet decimal text is read: the nearest float64 (default) or the exact decimal")
    export.set_defaults(handler=_export)

    compare = commands.add_parser("compare", help="show exactly how far two models are apart in weights and in outputs")
    compare.add_argument("first", help="the first model file")
    compare.add_argument("second", help="the second model file")
    _add_point_options(compare)
    compare.add_argument("--max-difference", help="exit 1 when the largest output difference at the points exceeds this exact number")
    add_output_options(compare)
    compare.set_defaults(handler=_compare)


def _add_point_options(parser) -> None:
    parser.add_argument("--inputs", help="points, one per row: .npy, .csv or .json (default: a seeded sample from --box)")
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, help=f"number of points sampled when --inputs is not given (default: {DEFAULT_SAMPLE})")
    parser.add_argument("--box", help="sampling box, LOW:HIGH for every coordinate or LOW:HIGH,LOW:HIGH,... one per coordinate "
                        "(default: an NNet model's clipping box, else [-1, 1] in each coordinate)")
    parser.add_argument("--seed", type=seed_integer, default=0, help="seed of the sample and of the Lipschitz witness search (default: 0)")
    parser.add_argument("--decimal", choices=["float64", "exact"], default="float64",
                        help="how NNet decimal text is read: the nearest float64 (default) or the exact decimal")
    parser.add_argument("--class-rule", choices=["argmax", "argmin"], default="argmax",
                        help="which output index is the class (default: argmax; ACAS Xu advisories use argmin)")


# Points.


def parse_box(text: str, dimension: int) -> list[tuple[float, float]]:
    """Parse LOW:HIGH or a comma-separated list of them, one per coordinate."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) == 1:
        parts = parts * dimension
    if len(parts) != dimension:
        raise InputError(f"--box: {counted(len(parts), 'interval')} for a model with {counted(dimension, 'input')}")
    box = []
    for index, part in enumerate(parts, start=1):
        try:
            low, high = (float(value) for value in part.split(":"))
        except ValueError:
            raise InputError(f"--box: interval {index} is {part!r}; expected LOW:HIGH such as -1:1") from None
        if not (low <= high) or not all(map(_is_finite, (low, high))):
            raise InputError(f"--box: interval {index} ({part}) must have finite LOW <= HIGH")
        box.append((low, high))
    return box


def _is_finite(value: float) -> bool:
    return value - value == 0


def default_box(model, inputs_normalized: bool) -> list[tuple[float, float]]:
    normalisation = model.normalisation
    if normalisation is None:
        return [(-1.0, 1.0)] * model.input_dim
    if inputs_normalized:
        return [(float((low - mean) / spread), float((high - mean) / spread))
                for low, high, mean, spread in zip(normalisation.minimum, normalisation.maximum, normalisation.mean, normalisation.range)]
    return [(float(low), float(high)) for low, high in zip(normalisation.minimum, normalisation.maximum)]


def load_points(arguments, dimension: int, box: list[tuple[float, float]]):
    """Return (points as exact dyadic lists, a description of where they come from)."""
    import numpy as np

    from verifier.dyadic import Dyadic
    from verifier.files import read_points

    if arguments.inputs:
        return read_points(arguments.inputs, dimension), arguments.inputs
    if arguments.sample < 1:
        raise InputError(f"--sample must be at least 1, found {arguments.sample}")
    low = np.array([interval[0] for interval in box])
    high = np.array([interval[1] for interval in box])
    rng = np.random.default_rng(arguments.seed)
    values = np.minimum(low + (high - low) * rng.random((arguments.sample, dimension)), high)
    intervals = ", ".join(f"[{a:g}, {b:g}]" for a, b in box)
    return [[Dyadic(v) for v in row] for row in values.tolist()], f"seeded sample of {counted(arguments.sample, 'point')} from {intervals}, seed {arguments.seed}"


# Handlers.


def _audit(arguments) -> int:
    from verifier.audit.outputs import ReportFiles, run_with_error_records

    files = ReportFiles({"report": arguments.report, "junit": arguments.junit}, [arguments.model, arguments.inputs])
    return run_with_error_records(files, lambda: _run_audit(arguments, files),
                                  lambda step, message, error_type: _audit_error_records(arguments, step, message, error_type))


def _run_audit(arguments, files) -> int:
    from verifier.audit.budgets import FAIL, parse_limit
    from verifier.audit.readers import read_model
    from verifier.audit.report import junit_xml, summary
    from verifier.audit.run import AuditOptions, run_audit

    for option in ("max_tau", "max_depth", "max_size"):
        value = getattr(arguments, option)
        if value is not None and value < 0:
            raise InputError(f"--{option.replace('_', '-')}: the limit {value} is negative")
    max_lipschitz = parse_limit(arguments.max_lipschitz, "--max-lipschitz") if arguments.max_lipschitz is not None else None

    files.step = "read model"
    progress(arguments, f"reading {arguments.model} ...")
    model = read_model(arguments.model, arguments.decimal)

    files.step = "check options"
    box = parse_box(arguments.box, model.input_dim) if arguments.box else default_box(model, arguments.inputs_normalized)

    files.step = "read points"
    points, source = load_points(arguments, model.input_dim, box)

    files.step = "audit"
    options = AuditOptions(points, source, box, arguments.norm, arguments.seed, arguments.inputs_normalized, arguments.class_rule,
                           arguments.max_tau, arguments.max_depth, arguments.max_size, max_lipschitz)
    report, budgets = run_audit(model, options, lambda message: progress(arguments, message))

    files.write({"report": report, "junit": junit_xml(report) if arguments.junit else None})
    _print_result(arguments, report, summary(report))
    return EXIT_FAILED if any(budget.status == FAIL for budget in budgets) else EXIT_OK


def _audit_error_records(arguments, step: str, message: str, error_type: str) -> dict:
    from verifier.audit.outputs import error_json
    from verifier.audit.report import junit_error_xml
    from verifier.audit.run import REPORT_KIND, REPORT_SCHEMA_VERSION

    return {
        "report": error_json(REPORT_KIND, REPORT_SCHEMA_VERSION, step, message, error_type, {"model": {"path": arguments.model}}),
        "junit": junit_error_xml(arguments.model, step, message, error_type),
    }


def _print_result(arguments, result: dict, summary: str) -> None:
    """Print the summary, or the JSON result under --json; the report files are written already."""
    if arguments.json:
        print(json.dumps(result, sort_keys=True, indent=1))
    else:
        print(summary)


def _export(arguments) -> int:
    from verifier.audit.export import export_bytes
    from verifier.audit.readers import read_model
    from verifier.files import check_output_paths, write_atomic

    check_output_paths(arguments.out)
    model = read_model(arguments.model, arguments.decimal)
    data = export_bytes(model, arguments.format, arguments.weights_only)
    write_atomic(arguments.out, data)
    exported = "weight layers" if arguments.weights_only or model.normalisation is None else "function (clipping and normalisation included)"
    print(f"{arguments.model}: {exported} written to {arguments.out} as {arguments.format} with float64 weights, exactly")
    return EXIT_OK


def _compare(arguments) -> int:
    from verifier.audit.outputs import ReportFiles, run_with_error_records

    files = ReportFiles({"report": arguments.report}, [arguments.first, arguments.second, arguments.inputs])
    return run_with_error_records(files, lambda: _run_compare(arguments, files),
                                  lambda step, message, error_type: _compare_error_records(arguments, step, message, error_type))


def _run_compare(arguments, files) -> int:
    from verifier.audit.budgets import FAIL, parse_limit
    from verifier.audit.compare import compare_models, summary
    from verifier.audit.readers import read_model

    limit = parse_limit(arguments.max_difference, "--max-difference") if arguments.max_difference is not None else None

    files.step = "read model"
    first = read_model(arguments.first, arguments.decimal)
    second = read_model(arguments.second, arguments.decimal)
    if (first.input_dim, first.output_dim) != (second.input_dim, second.output_dim):
        raise InputError(f"{arguments.second}: has {counted(second.input_dim, 'input')} and {counted(second.output_dim, 'output')}, "
                         f"but {arguments.first} has {counted(first.input_dim, 'input')} and {counted(first.output_dim, 'output')}")

    files.step = "check options"
    clipping = first if first.normalisation is not None else second
    box = parse_box(arguments.box, first.input_dim) if arguments.box else default_box(clipping, False)

    files.step = "read points"
    points, source = load_points(arguments, first.input_dim, box)

    files.step = "compare"
    progress(arguments, f"evaluating both models exactly at {counted(len(points), 'point')} ...")
    comparison = compare_models(first, second, points, source, arguments.class_rule, limit)

    files.write({"report": comparison})
    _print_result(arguments, comparison, summary(comparison))
    return EXIT_FAILED if comparison["status"] == FAIL else EXIT_OK


def _compare_error_records(arguments, step: str, message: str, error_type: str) -> dict:
    from verifier.audit.compare import COMPARE_KIND, COMPARE_SCHEMA_VERSION
    from verifier.audit.outputs import error_json

    models = {"models": [{"path": arguments.first}, {"path": arguments.second}]}
    return {"report": error_json(COMPARE_KIND, COMPARE_SCHEMA_VERSION, step, message, error_type, models)}
