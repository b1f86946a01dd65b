"""Command line: ``python -m verifier check|verify|eval ...``.

Exit codes: 0 when the run did what was asked and every budget holds; 1 when a
built network does not compute what it should, or a certificate does not re-check,
or (with --strict) a stated bound of the paper is not proved; 2 for invalid input.
"""

from __future__ import annotations

import argparse
import json
import sys

from verifier.decimals import decimal_bound as _decimal
from verifier.errors import InputError

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


class Parser(argparse.ArgumentParser):
    """An argument parser that exits with code 2 and a one-line message on invalid arguments."""

    def error(self, message):
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_INPUT)


def build_parser() -> argparse.ArgumentParser:
    from verifier.commands.generate import seed_integer

    parser = Parser(prog="python -m verifier", description="Exact checks of bit-complexity claims about ReLU networks.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    check = commands.add_parser("check", help="build a construction, check it exactly and write its certificate")
    check_kinds = check.add_subparsers(dest="kind", required=True, parser_class=Parser)
    predicate = check_kinds.add_parser(
        "predicate",
        help="the Lemma 3.3 network of a predicate",
        description="Build the Lemma 3.3 network of a predicate, check it on every input of {+-1}^k and certify its bounds.",
    )
    predicate.add_argument(
        "predicate",
        help="a library name (TSA, parity:K, and:K, or:K, maj:K, xor-maj:A:B), a truth table (0x hex or a 0/1 string, "
        "entry 2^k-1 first) or an expression such as 'x1 ^ (x2 & x3)'",
    )
    predicate.add_argument("--construction", choices=["tree", "sequential", "appendix"], default="tree",
                           help="how each Fourier term is built (default: tree)")
    predicate.add_argument("--arity", type=int, help="the arity k, for a truth table or an expression that does not use x_k")
    predicate.add_argument("--convention", choices=["minus-one-true", "plus-one-true"], default="minus-one-true",
                           help="which value of +-1 the predicate's table or expression means as true (default: -1)")
    predicate.add_argument("--seed", type=seed_integer, default=0, help="seed for proposing Lipschitz lower-bound witnesses (default: 0)")
    predicate.add_argument("--out", help="certificate path (default: NAME.cert.json)")
    predicate.add_argument("--network-out", help="also write the network file here")
    add_output_options(predicate)
    predicate.add_argument("--strict", action="store_true", help="exit 1 when a stated bound is not proved to hold")

    verify = commands.add_parser("verify", help="re-check a certificate from nothing")
    verify.add_argument("certificate")
    verify.add_argument("--network", help="a network file to use instead of the one embedded in the certificate")
    add_output_options(verify)

    evaluate = commands.add_parser("eval", help="evaluate a network exactly at given points")
    evaluate.add_argument("network", help="a network file, or a certificate with an embedded network")
    evaluate.add_argument("--inputs", required=True, help="points, one per row: .npy, .csv or .json")
    evaluate.add_argument("--rounding", choices=["nearest", "floor", "ceil"],
                          help="round point coordinates that are not dyadic (such as 0.1) by this rule; by default they are rejected")
    evaluate.add_argument("--precision", type=int, default=64,
                          help="with --rounding, round to a multiple of 2^-PRECISION (default: 64)")
    add_output_options(evaluate)

    predicate.set_defaults(handler=_check_predicate)
    verify.set_defaults(handler=_verify)
    evaluate.set_defaults(handler=_evaluate)

    from verifier.commands import register_all

    register_all(commands, check_kinds)
    return parser


def add_output_options(parser):
    """Add --json and --report, which every command that produces a result takes."""
    parser.add_argument("--json", action="store_true", help="print the machine-readable result instead of the summary")
    parser.add_argument("--report", help="also write the machine-readable result to this file")


def main(argv=None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        return arguments.handler(arguments)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT


def emit(arguments, result: dict, summary: str) -> None:
    """Print the summary, or the JSON result under --json, and write --report if given."""
    from verifier.files import write_json

    if arguments.report:
        write_json(arguments.report, result)
    if arguments.json:
        print(json.dumps(result, sort_keys=True, indent=1))
    else:
        print(summary)


def progress(arguments, message: str) -> None:
    """Show a progress message on a terminal, and nothing under --json."""
    if not arguments.json and sys.stderr.isatty():
        print(message, file=sys.stderr, flush=True)


def _check_predicate(arguments) -> int:
    from verifier.files import write_canonical_json, write_json
    from verifier.predicate_check import ARITY_LIMIT_REASON, MAX_CHECK_ARITY, check_predicate
    from verifier.predicates import parse_predicate, with_convention

    from verifier.files import check_output_paths

    predicate = with_convention(parse_predicate(arguments.predicate, arguments.arity), arguments.convention)
    out = arguments.out or f"{_file_stem(predicate.name)}.cert.json"
    check_output_paths(out, arguments.network_out, arguments.report)
    if predicate.arity > MAX_CHECK_ARITY:
        raise InputError(f"predicate {predicate.name} has arity {predicate.arity}, above the limit {MAX_CHECK_ARITY}: {ARITY_LIMIT_REASON}")
    if predicate.arity == 0:
        raise InputError(f"predicate {predicate.name} has arity 0; a network needs at least one input")

    progress(arguments, f"building and checking the {arguments.construction} network of {predicate.name} on {2**predicate.arity} inputs ...")
    result = check_predicate(predicate, arguments.construction, arguments.seed)
    certificate = result.certificate

    write_json(out, certificate)
    if arguments.network_out:
        write_canonical_json(arguments.network_out, certificate["network"])
    emit(arguments, certificate, _predicate_summary(certificate, out))

    if not result.computes_predicate:
        return EXIT_FAILED
    if arguments.strict and result.findings:
        return EXIT_FAILED
    return EXIT_OK


def _file_stem(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "predicate"


def _predicate_summary(certificate: dict, out: str) -> str:
    predicate = certificate["predicate"]
    network_class = certificate["network_class"]
    check = certificate["exhaustive_check"]
    lipschitz = certificate["lipschitz"]
    table = predicate["truth_table"] if predicate["arity"] >= 2 else f"{predicate['truth_table']} with --arity {predicate['arity']}"
    lines = [
        f"predicate {_clip(predicate['name'])} (k = {predicate['arity']}, truth table {_clip(table)}), "
        f"construction {certificate['construction']['name']}",
        f"network: depth {network_class['depth']}, size {network_class['size']}, tau {network_class['tau']}, "
        f"sha256 {certificate['network_sha256'][:16]}...",
        f"exhaustive check on {check['inputs']} inputs: {check['status'].upper()}"
        + (f", {check['mismatches']} mismatches" if check["mismatches"] else ""),
    ]
    if check["first_failure"]:
        failure = check["first_failure"]
        lines.append(f"  first failing input {failure['input']}: P = {failure['expected']}, network = {failure['network']}")
    lines.append(
        f"Lipschitz constant: proved between {_decimal(lipschitz['lower'], 'down')} and {_decimal(lipschitz['upper'], 'up')}"
        " (decimals rounded outwards; exact values in the certificate)"
    )

    findings = [c for c in certificate["claims"] if c["status"] != "holds"]
    if findings:
        refuted = sum(c["status"] == "fails" for c in findings)
        lines.append(
            f"FINDINGS: {refuted} stated bound(s) refuted and {len(findings) - refuted} undecided by exact arithmetic: "
            + ", ".join(c["id"] for c in findings)
        )
    lines.append("claims (stated bound, then the measured value or its proved upper bound):")
    for claim in certificate["claims"]:
        marker = {"holds": "  holds    ", "fails": "! FAILS    ", "undecided": "? undecided"}[claim["status"]]
        lines.append(f"  {marker} {claim['id']}: stated {claim['stated']}, measured {_decimal(claim['measured'], 'up')}")
    lines.append(f"certificate written to {out}")
    return "\n".join(lines)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit - 3]}..."


def _verify(arguments) -> int:
    from verifier.checker import verify_file

    outcome = verify_file(arguments.certificate, arguments.network)
    summary = (
        f"{arguments.certificate}: verified, {outcome['checked']} recorded values re-derived"
        if outcome["valid"]
        else f"{arguments.certificate}: INVALID: {outcome['failure']}"
    )
    emit(arguments, outcome, summary)
    return EXIT_OK if outcome["valid"] else EXIT_FAILED


def _evaluate(arguments) -> int:
    """Evaluate a model exactly at the given points; reads every format that ``audit`` reads.

    An NNet model is evaluated with its clipping and normalisation, at raw inputs.
    Its outputs have odd denominators when the normalisation is not dyadic.
    """
    from verifier.audit.model import evaluate_layers
    from verifier.audit.readers import read_model
    from verifier.audit.run import file_sha256
    from verifier.files import read_points

    model = read_model(arguments.network)
    if arguments.precision < 0:
        raise InputError(f"--precision must be a non-negative number of bits, found {arguments.precision}")
    points = read_points(arguments.inputs, model.input_dim, arguments.rounding, arguments.precision)
    exact = evaluate_layers(model.function_layers(), points)
    outputs = [[exact.value(point, output) for output in range(model.output_dim)] for point in range(len(points))]
    # The network's hash names the evaluated function only when the file contains nothing beside the weight layers.
    network = model.weight_network() if model.normalisation is None else None
    result = {
        "network_sha256": network.sha256() if network is not None else None,
        "model": {"path": model.source, "format": model.format, "file_sha256": file_sha256(model.source), "notes": list(model.notes)},
        "rounding": {"rule": arguments.rounding, "precision": arguments.precision} if arguments.rounding else None,
        "points": [
            {"input": [str(v) for v in point], "output": [str(v) for v in output], "sign": [1 if v >= 0 else -1 for v in output]}
            for point, output in zip(points, outputs)
        ],
        "layers": [
            {"layer": number, "measured_bits": r.measured_bits, "bound_bits": r.bound_bits, "backend": r.backend}
            for number, r in enumerate(exact.evaluation.layers, start=model.first_layer_number())
        ],
    }
    lines = [f"{' '.join(str(v) for v in point)} -> {' '.join(str(v) for v in output)}" for point, output in zip(points, outputs)]
    emit(arguments, result, "\n".join(lines))
    return EXIT_OK
