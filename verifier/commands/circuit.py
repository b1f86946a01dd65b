"""``convert circuit`` and ``check circuit``: threshold circuits as ReLU networks (Lemma 4.4, step 1).

``convert circuit FILE`` reads a ``.bench`` or JSON circuit, builds its network,
proves that the network equals the circuit, and writes DIR/network.json and
DIR/certificate.json. ``check circuit NETWORK --circuit FILE`` proves or refutes
that a given network computes the circuit (or builds the circuit's network first
when no network is given) and writes a certificate. Both exit 0
when the network equals the circuit, 1 when it does not or when that is not
proved, and 2 on invalid input.
"""

from __future__ import annotations

import os

from verifier.cli import EXIT_FAILED, EXIT_OK, Parser, add_output_options, emit, progress
from verifier.commands.generate import positive_integer, seed_integer
from verifier.errors import InputError


def register(commands, check_kinds) -> None:
    """Add ``convert circuit`` (creating the ``convert`` command) and ``check circuit``."""
    convert = commands.add_parser("convert", help="build a network from another object and prove it equal")
    convert_kinds = convert.add_subparsers(dest="kind", required=True, parser_class=Parser)
    circuit = convert_kinds.add_parser(
        "circuit",
        help="the Lemma 4.4 network of a threshold circuit",
        description="Convert a combinational circuit (.bench or JSON) into a ReLU network, prove that the network "
        "equals the circuit on every input, and write DIR/network.json and DIR/certificate.json.",
    )
    circuit.add_argument("circuit", help="a circuit file: an ISCAS .bench netlist or the project's JSON circuit format")
    circuit.add_argument("--construction", choices=["corrected", "literal"], default="corrected",
                         help="corrected (default): threshold shift, sgn ties and one ReLU layer per level; "
                         "literal: equation (14) as printed")
    circuit.add_argument("--out", help="output directory (default: the circuit's file name without extension, "
                         "with -literal appended for the literal construction)")
    _add_check_options(circuit)
    circuit.set_defaults(handler=_convert_circuit)

    check = check_kinds.add_parser(
        "circuit",
        help="prove that a network computes a threshold circuit",
        description="Prove or refute that a ReLU network computes a circuit on every input, and write a certificate. "
        "Without NETWORK, the circuit's own network is built first, as convert circuit builds it.",
    )
    check.add_argument("network", nargs="?", help="a network file, or a certificate with an embedded network "
                       "(default: build the network of --construction)")
    check.add_argument("--circuit", required=True, help="the circuit file: .bench or JSON")
    check.add_argument("--construction", choices=["corrected", "literal"],
                       help="build the network this way when no NETWORK is given (default: corrected)")
    check.add_argument("--out", help="certificate path (default: CIRCUIT.cert.json, from the circuit's file name)")
    _add_check_options(check)
    check.set_defaults(handler=_check_circuit)


def _add_check_options(parser) -> None:
    # The numbers in the help text are DEFAULT_SAMPLES and MAX_EXHAUSTIVE_INPUTS of verifier.circuit_check.
    # That module is not imported here, to keep start-up fast, and a test keeps the numbers equal.
    parser.add_argument("--seed", type=seed_integer, default=0,
                        help="seed of the random inputs, used when the circuit has more than 20 inputs (default: 0)")
    parser.add_argument("--samples", type=positive_integer, default=None,
                        help="number of random inputs when the circuit has more than 20 inputs (default: 10000)")
    add_output_options(parser)
    parser.add_argument("--strict", action="store_true", help="also exit 1 when a stated bound of Lemma 2.11 or 4.4 fails")



def _convert_circuit(arguments) -> int:
    from verifier.circuit_check import check_circuit
    from verifier.circuits import load_circuit
    from verifier.constructions.threshold import convert_circuit
    from verifier.files import write_canonical_json, write_json

    circuit = load_circuit(arguments.circuit)
    progress(arguments, f"converting {arguments.circuit} ({circuit.size} gates) with the {arguments.construction} construction ...")
    try:
        converted = convert_circuit(circuit, arguments.construction)
    except InputError as error:
        raise InputError(f"{arguments.circuit}: {error}") from None
    result = check_circuit(converted.network, circuit, arguments.circuit, arguments.construction,
                           arguments.seed, _samples(arguments), _progress_reporter(arguments))

    suffix = "-literal" if arguments.construction == "literal" else ""
    directory = arguments.out or f"{circuit.name}{suffix}"
    network_path = os.path.join(directory, "network.json")
    certificate_path = os.path.join(directory, "certificate.json")
    write_canonical_json(network_path, result.certificate["network"])
    write_json(certificate_path, result.certificate)
    emit(arguments, result.certificate, _summary(result.certificate, [("network", network_path), ("certificate", certificate_path)]))
    return _exit_code(result, arguments.strict)


def _check_circuit(arguments) -> int:
    from verifier.circuit_check import check_circuit
    from verifier.circuits import load_circuit
    from verifier.constructions.threshold import convert_circuit
    from verifier.files import write_json
    from verifier.network import load_network

    if arguments.network is not None and arguments.construction is not None:
        raise InputError("--construction builds a network, so it cannot be combined with a NETWORK file")
    circuit = load_circuit(arguments.circuit)
    if arguments.network is None:
        construction = arguments.construction or "corrected"
        try:
            network = convert_circuit(circuit, construction).network
        except InputError as error:
            raise InputError(f"{arguments.circuit}: {error}") from None
    else:
        construction = "given"
        network = load_network(arguments.network)
    progress(arguments, f"checking the {construction} network against {arguments.circuit} ...")
    result = check_circuit(network, circuit, arguments.circuit, construction, arguments.seed, _samples(arguments),
                           _progress_reporter(arguments))
    out = arguments.out or f"{circuit.name}.cert.json"
    write_json(out, result.certificate)
    emit(arguments, result.certificate, _summary(result.certificate, [("certificate", out)]))
    return _exit_code(result, arguments.strict)


def _samples(arguments) -> int:
    from verifier.circuit_check import DEFAULT_SAMPLES

    return DEFAULT_SAMPLES if arguments.samples is None else arguments.samples


def _progress_reporter(arguments):
    def report(done: int, total: int) -> None:
        progress(arguments, f"  evaluated {done} of {total} inputs")

    return report


def _exit_code(result, strict: bool) -> int:
    if not result.equal:
        return EXIT_FAILED
    if strict and result.findings:
        return EXIT_FAILED
    return EXIT_OK


def _summary(certificate: dict, written: list[tuple[str, str]]) -> str:
    """Return the human summary: what was built, the proof, the end-to-end check, the claims and the files."""
    lines = _object_lines(certificate) + _proof_lines(certificate)
    lines.append(f"Lipschitz constant: {_upper_bound_text(certificate['lipschitz']['upper'])} (product of proved operator norms; "
                 "decimal rounded up, exact value in the certificate)")

    lines.append("claims:")
    for claim in certificate["claims"]:
        marker = {"holds": "  holds    ", "fails": "! FAILS    ", "undecided": "? undecided"}[claim["status"]]
        lines.append(f"  {marker} {claim['id']}: stated {claim['stated']}, measured {claim['measured']}")

    for kind, path in written:
        lines.append(f"{kind} written to {path}")
    return "\n".join(lines)


def _object_lines(certificate: dict) -> list[str]:
    circuit = certificate["circuit"]
    levelling = certificate["levelling"]
    network = certificate["network_class"]
    construction = certificate["construction"]
    counts: dict[str, int] = {}
    for gate in circuit["gates"]:
        counts[gate["type"]] = counts.get(gate["type"], 0) + 1
    types = ", ".join(f"{kind} {count}" for kind, count in sorted(counts.items()))
    return [
        f"circuit {certificate['source']['file']}: {len(circuit['inputs'])} inputs, {len(circuit['outputs'])} outputs, "
        f"{len(circuit['gates'])} gates ({types})",
        f"threshold circuit: {levelling['size']} gates ({levelling['rewritten_gates']} XOR/XNOR rewritten), "
        f"depth D = {levelling['depth']}, {levelling['wires']} wires",
        f"levelled (Lemma 2.11): {levelling['levelled_size']} gates, {levelling['buffers']} of them buffers",
        f"network ({construction['name']}, layout {construction['layout'] or 'unknown'}): depth {network['depth']}, "
        f"size {network['size']}, tau {network['tau']}, sha256 {certificate['network_sha256'][:16]}...",
    ]


def _proof_lines(certificate: dict) -> list[str]:
    proof = certificate["gate_proof"]
    checked = certificate["end_to_end"]
    lines = []
    blocks = f"({proof['distinct_blocks']} distinct blocks, {proof['assignments']} assignments)"
    if proof["status"] == "not-applicable":
        lines.append(f"per-gate proof: NOT APPLICABLE: {proof['reason']}")
    elif proof["status"] == "fail":
        lines.append(f"per-gate proof: FAIL: {proof['failing_gates']} of {proof['gates']} gates fail {blocks}")
    else:
        lines.append(f"per-gate proof: PASS on all {proof['gates']} gates {blocks}")
    if proof["first_failure"]:
        failure = proof["first_failure"]
        assignment = ", ".join(f"{name} = {value}" for name, value in failure["inputs"])
        kind = "buffer" if failure["buffer"] else "gate"
        lines.append(f"  first failing {kind} {failure['signal']} (level {failure['level']}) at {assignment}: "
                     f"sgn gives {failure['expected']}, the network {failure['network']}")

    seed = f", seed {checked['seed']}" if checked["method"] == "random" else ""
    lines.append(f"{checked['method']} check: {checked['mismatches']} mismatches on {checked['points']} inputs{seed}")
    if checked["first_failure"]:
        failure = checked["first_failure"]
        lines.append(f"  first failing input {_clip(failure['input'])}: circuit {_clip(failure['expected'])}, "
                     f"network {_clip(failure['network'])}")
    return lines


def _clip(values: list, limit: int = 12) -> str:
    """Return the list as text, cut after ``limit`` values with the full count beside it."""
    if len(values) <= limit:
        return "[" + ", ".join(str(value) for value in values) + "]"
    shown = ", ".join(str(value) for value in values[:limit])
    return f"[{shown}, ...] ({len(values)} values)"


def _upper_bound_text(text: str) -> str:
    """Return an exact upper bound as "<= D" with D rounded up, or as "at most D" when D is exact."""
    from verifier.decimals import decimal_bound

    rounded = decimal_bound(text, "up")
    return rounded if rounded.startswith("<=") else f"at most {rounded}"
