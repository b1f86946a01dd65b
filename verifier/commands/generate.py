"""``generate goldreich``, ``generate theorem-3.1`` and ``sample``: build generators, certify them, draw from them."""

from __future__ import annotations

import argparse
import os

from verifier.cli import EXIT_FAILED, EXIT_OK, add_output_options, emit, progress
from verifier.decimals import bound_text
from verifier.errors import InputError

SEED_LAWS = {"sign": "uniform on {-1,+1}^m", "gaussian": "standard Gaussian on R^m"}
SAMPLE_CHUNK = 1024  # points per exact evaluation in ``sample``


def register(commands, check_kinds) -> None:
    """Add ``generate`` (with kinds goldreich and theorem-3.1) and ``sample`` to the command line."""
    generate = commands.add_parser("generate", help="build a generator network, prove what holds and write it with its certificate")
    kinds = generate.add_subparsers(dest="kind", required=True, parser_class=type(generate))

    goldreich = kinds.add_parser(
        "goldreich",
        help="Goldreich's generator G_{P,H} (Definition 8) as the network of Corollary 3.4",
        description="Build Goldreich's generator on a seeded random hypergraph, prove every output coordinate for all "
        "2^m seeds, compute exact low-order biases and certify the result.",
    )
    goldreich.add_argument("--m", type=positive_integer, help="seed length m (required unless --hypergraph is given)")
    goldreich.add_argument("--d", type=positive_integer, help="output length d (required unless --hypergraph is given)")
    _add_predicate_options(goldreich)
    goldreich.add_argument("--seed", type=seed_integer, help="seed of numpy.random.default_rng for the hypergraph, a non-negative "
                           "integer (default: 0). It cannot be combined with --hypergraph")
    goldreich.add_argument("--hypergraph", help="read the hyperedges from this file instead of drawing them")
    goldreich.add_argument("--bias-order", type=positive_integer, default=2,
                           help="compute the exact bias of every set of at most this many outputs (default: 2)")
    goldreich.add_argument("--avoid-bias", type=positive_integer, metavar="T",
                           help="redraw the hypergraph until no set of at most T outputs has a non-zero bias")
    goldreich.add_argument("--max-draws", type=positive_integer, default=1000, help="give up --avoid-bias after this many draws (default: 1000)")
    goldreich.add_argument("--out", help="output directory for network.json and certificate.json, or a .json path for the "
                                         "certificate alone, which embeds the network (default: goldreich-mM-dD-PREDICATE/)")
    add_output_options(goldreich)
    goldreich.add_argument("--strict", action="store_true", help="exit 1 when a stated bound is not proved to hold")
    goldreich.set_defaults(handler=_generate_goldreich)

    theorem = kinds.add_parser(
        "theorem-3.1",
        help="the continuous generator of Theorem 3.1: G(x) = H(J(G'(h_xi(x)))) on Gaussian seeds",
        description="Build Theorem 3.1's generator for a target network H (a random expansive leaky-ReLU network as in "
        "Lemma 2.17, or a network file), certify each part exactly and set each stated parameter beside the measured one.",
    )
    theorem.add_argument("--m", type=positive_integer, required=True, help="seed length m")
    theorem.add_argument("--eps", required=True,
                         help="accuracy eps in (0, 1), a dyadic rational written exactly: '2^-12', '1/4096', '0.25' "
                         "(0.3 is rejected, because its denominator is not a power of two); a value that starts with '-' "
                         "must be written as --eps=VALUE, and negative values are invalid anyway")
    theorem.add_argument("--target", default="leaky-relu",
                         help="'leaky-relu' for a random Lemma 2.17 network, or the path of a network file (default: leaky-relu)")
    theorem.add_argument("--d", type=positive_integer, help="output dimension d of the target (default: 200 for leaky-relu; a file sets it)")
    theorem.add_argument("--r", type=positive_integer, help="input dimension r of the target (default: 8 for leaky-relu; a file sets it)")
    theorem.add_argument("--widths", help="hidden and output widths of the leaky-ReLU target, comma-separated (default: doubling from r, capped at d)")
    theorem.add_argument("--slope", default="1/4", help="leaky-ReLU parameter lambda in (0, 1/2], exact (default: 1/4)")
    theorem.add_argument("--target-tau", type=positive_integer, default=12, help="weights of the leaky-ReLU target are rounded to R_tau' (default: 12)")
    theorem.add_argument("--target-seed", type=seed_integer, help="seed for the target's weights (default: --seed)")
    _add_predicate_options(theorem)
    theorem.add_argument("--seed", type=seed_integer, default=0, help="seed of the hypergraph of G' and the default target seed (default: 0)")
    theorem.add_argument("--samples", type=positive_integer, default=256, help="Gaussian seeds for the sampled checks (default: 256)")
    theorem.add_argument("--sample-seed", type=seed_integer, default=1, help="seed for the Gaussian seeds of the sampled checks (default: 1)")
    theorem.add_argument("--out", help="output directory for network.json and certificate.json, or a .json path for the "
                                       "certificate alone (default: theorem-3.1-mM/)")
    add_output_options(theorem)
    theorem.add_argument("--strict", action="store_true", help="exit 1 when a stated bound is not proved to hold")
    theorem.set_defaults(handler=_generate_theorem_3_1)

    sample = commands.add_parser("sample", help="draw seeds from a generator's seed law and write its exact outputs")
    sample.add_argument("network", help="a network file (its seed law is read from certificate.json beside it) or a generator certificate")
    sample.add_argument("--n", type=positive_integer, required=True, help="number of samples")
    sample.add_argument("--seed", type=seed_integer, default=0, help="seed of numpy.random.default_rng for the seeds (default: 0)")
    sample.add_argument("--law", choices=sorted(SEED_LAWS), help="seed law: sign (uniform +-1) or gaussian; overrides the certificate")
    sample.add_argument("--out", required=True, help="output file: .npy (float64, nearest to the exact value) or .csv (exact fractions)")
    sample.add_argument("--seeds-out", help="also write the seeds, in the format of --out")
    add_output_options(sample)
    sample.set_defaults(handler=_sample)


def positive_integer(text: str) -> int:
    """Parse a command-line value that must be a positive integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, found {text!r}")
    return value


def integer(text: str) -> int:
    """Parse a command-line value that must be an integer."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, found {text!r}") from None


def seed_integer(text: str) -> int:
    """Parse a command-line seed: a non-negative integer, which is what numpy.random.default_rng accepts."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, found {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, found {value}")
    return value


def _add_predicate_options(parser) -> None:
    parser.add_argument("--predicate", default="TSA", help="the predicate P: a library name, truth table or expression (default: TSA)")
    parser.add_argument("--arity", type=positive_integer, help="the arity k, for a truth table or an expression that does not use x_k")
    parser.add_argument("--convention", choices=["minus-one-true", "plus-one-true"], default="minus-one-true",
                        help="which value of +-1 the predicate's table or expression means as true (default: -1)")
    parser.add_argument("--construction", choices=["tree", "sequential", "appendix"], default="tree",
                        help="how Lemma 3.3 builds each Fourier term of P (default: tree)")


def _read_predicate(arguments):
    from verifier.predicate_check import ARITY_LIMIT_REASON, MAX_CHECK_ARITY
    from verifier.predicates import parse_predicate, with_convention

    predicate = with_convention(parse_predicate(arguments.predicate, arguments.arity), arguments.convention)
    if predicate.arity == 0:
        raise InputError(f"predicate {predicate.name} has arity 0; a generator output needs at least one seed bit")
    if predicate.arity > MAX_CHECK_ARITY:
        raise InputError(f"predicate {predicate.name} has arity {predicate.arity}, above the limit {MAX_CHECK_ARITY}: {ARITY_LIMIT_REASON}")
    return predicate


def _output_paths(out: str) -> tuple[str | None, str]:
    """Return (network path or None, certificate path) for --out, a directory or a .json file."""
    if out.lower().endswith(".json"):
        return None, out
    return os.path.join(out, "network.json"), os.path.join(out, "certificate.json")


def _write_outputs(out: str, certificate: dict) -> list[str]:
    """Write the network and the certificate as canonical JSON; both are serialised before either is written."""
    from verifier.files import write_atomic
    from verifier.network import canonical_dumps

    network_path, certificate_path = _output_paths(out)
    certificate_text = canonical_dumps(certificate) + "\n"
    written = []
    if network_path is not None:
        write_atomic(network_path, canonical_dumps(certificate["network"]) + "\n")
        written.append(network_path)
    write_atomic(certificate_path, certificate_text)
    written.append(certificate_path)
    return written


# generate goldreich


def _generate_goldreich(arguments) -> int:
    from verifier.constructions.goldreich import build_goldreich, hypergraph_draws, read_hypergraph
    from verifier.generator_check import MAX_BIAS_ORDER, check_goldreich

    predicate = _read_predicate(arguments)
    order = max(arguments.bias_order, arguments.avoid_bias or 0)
    if order > MAX_BIAS_ORDER:
        raise InputError(f"bias order {order} is above the limit {MAX_BIAS_ORDER}: the number of connected output sets grows like d times the overlap degree to the power t - 1")

    # Step 1: the hypergraph, drawn (and redrawn under --avoid-bias) or read.
    seed = 0 if arguments.seed is None else arguments.seed
    if arguments.hypergraph:
        if arguments.avoid_bias:
            raise InputError("--avoid-bias redraws the hypergraph, so it cannot be used with --hypergraph")
        if arguments.seed is not None:
            raise InputError("--seed draws the hypergraph, so it cannot be used with --hypergraph, which reads it from a file")
        hypergraph = read_hypergraph(arguments.hypergraph, predicate.arity)
        for name in ("m", "d"):
            requested = getattr(arguments, name)
            if requested is not None and requested != getattr(hypergraph, name):
                raise InputError(f"{arguments.hypergraph}: the hypergraph has {name} = {getattr(hypergraph, name)} but --{name} {requested} was given")
        hypergraph, biases = hypergraph, None
    else:
        if arguments.m is None or arguments.d is None:
            raise InputError("give --m and --d, or a hypergraph file with --hypergraph")
        draws = hypergraph_draws(arguments.m, arguments.d, predicate.arity, seed)
        hypergraph, biases = _choose_hypergraph(arguments, predicate, draws, order)

    # Step 2: build, prove and certify.
    progress(arguments, f"building G_(P,H) with P = {predicate.name}, m = {hypergraph.m}, d = {hypergraph.d} ...")
    generator = build_goldreich(predicate, hypergraph, arguments.construction)
    result = check_goldreich(generator, order, seed, arguments.avoid_bias, biases, lambda message: progress(arguments, message))
    certificate = result.certificate

    # Step 3: write the network and the certificate.
    out = arguments.out or f"goldreich-m{hypergraph.m}-d{hypergraph.d}-{_file_stem(predicate.name)}"
    written = _write_outputs(out, certificate)
    emit(arguments, certificate, _goldreich_summary(certificate, written))

    if not result.proves_generator:
        return EXIT_FAILED
    if arguments.strict and result.findings:
        return EXIT_FAILED
    return EXIT_OK


def _choose_hypergraph(arguments, predicate, draws, order):
    """Return the first draw, or under --avoid-bias T the first draw with no biased set of at most T outputs."""
    from verifier.generator_check import low_order_biases

    if not arguments.avoid_bias:
        return next(draws), None
    constant = predicate.fourier().get(0, 0)
    if constant != 0:
        raise InputError(f"predicate {predicate.name} is not balanced (E[P] = {constant}), so every output is biased and --avoid-bias cannot succeed")
    for attempt in range(1, arguments.max_draws + 1):
        hypergraph = next(draws)
        progress(arguments, f"draw {attempt}: computing exact biases of up to {order} outputs ...")
        biases = low_order_biases(hypergraph, predicate.table, order)
        if not any(len(output_set) <= arguments.avoid_bias for output_set, _ in biases.biased):
            return hypergraph, biases
    raise InputError(
        f"no hypergraph in {arguments.max_draws} draws has all sets of at most {arguments.avoid_bias} outputs unbiased; "
        "raise --max-draws, lower --avoid-bias, or raise m relative to d"
    )


def _file_stem(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "predicate"


def _goldreich_summary(certificate: dict, written: list[str]) -> str:
    hypergraph = certificate["hypergraph"]
    network = certificate["network_class"]
    proof = certificate["coordinate_proof"]
    biases = certificate["biases"]
    lemma = certificate["wasserstein"]["lemma_2_14"]
    counterexample = lemma["counterexample"]
    largest = biases["largest"]

    lines = [
        f"Goldreich generator G_(P,H): P = {certificate['predicate']['name']} (k = {certificate['predicate']['arity']}), "
        f"m = {hypergraph['m']}, d = {len(hypergraph['hyperedges'])}, "
        + (f"seed {hypergraph['seed']} (draw {hypergraph['draws']})" if hypergraph["seed"] is not None else "hypergraph from a file"),
        f"network: depth {network['depth']}, size {network['size']}, tau {network['tau']}, sha256 {certificate['network_sha256'][:16]}...",
        f"per-coordinate proof for all 2^{hypergraph['m']} seeds: {proof['status'].upper()}"
        + (f", {proof['failing_outputs']} failing outputs" if proof["failing_outputs"] else ""),
    ]

    if proof["first_failure"]:
        lines.append(f"  first failure: {proof['first_failure']}")
    examined = sum(biases["sets_examined"].values())
    if largest is None or largest["bias"] == "0":
        # A set's bias is the product of its connected parts' biases, so no biased connected set means no biased set.
        lines.append(
            f"exact biases of up to {biases['order']} outputs: no parity of at most {biases['order']} outputs is biased "
            f"(all {examined} connected sets have bias 0)"
        )
    else:
        lines.append(
            f"exact biases of up to {biases['order']} outputs: largest |bias| {abs_text(largest['bias'])} at outputs {largest['outputs']}, "
            f"{biases['biased_connected_sets']} biased connected sets"
        )
    lines.append(
        f"Lemma 2.14: W_1(G(U_m), U_d) >= {lemma['stated_beta_formula']} because G(U_m) lies in {{-1,+1}}^d; for a general nu only "
        f"{lemma['general_bound_formula']} (the stated form {counterexample['status']} for U_2 against a point mass at 0: "
        f"W_1 = {counterexample['w1']} < {counterexample['stated_beta']})"
    )
    lines.append("claims (decimals rounded outwards; exact values in the certificate):")
    for claim in certificate["claims"]:
        marker = {"holds": "  holds    ", "fails": "! FAILS    ", "undecided": "? undecided"}[claim["status"]]
        lines.append(f"  {marker} {claim['id']}: stated {_short(claim['stated'])}, measured {_short(bound_text(claim['measured'], 'up'))}")
    lines.append("written: " + ", ".join(written))
    return "\n".join(lines)


def abs_text(text: str) -> str:
    return text.lstrip("-")


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:limit - 3]}..."


# generate theorem-3.1


def _generate_theorem_3_1(arguments) -> int:
    from verifier.constructions.continuous import run_theorem_3_1

    predicate = _read_predicate(arguments)
    result = run_theorem_3_1(arguments, predicate, lambda message: progress(arguments, message))
    out = arguments.out or f"theorem-3.1-m{arguments.m}"
    written = _write_outputs(out, result.certificate)
    emit(arguments, result.certificate, result.summary + "\nwritten: " + ", ".join(written))
    if not result.correct:
        return EXIT_FAILED
    if arguments.strict and result.findings:
        return EXIT_FAILED
    return EXIT_OK


# sample


def _sample(arguments) -> int:
    import numpy as np

    from verifier.network import Network, load_json

    out_format = _points_format(arguments.out, "--out")
    if arguments.seeds_out:
        _points_format(arguments.seeds_out, "--seeds-out")

    # Step 1: the network and its seed law.
    data = load_json(arguments.network)
    law = arguments.law
    if isinstance(data, dict) and "network" in data and "layers" not in data:
        network = Network.from_json(data["network"], f"{arguments.network}: network")
        law = law or _law_of(data.get("seed_distribution"), arguments.network)
    else:
        network = Network.from_json(data, arguments.network)
        if law is None:
            law = _law_beside(arguments.network, network)

    # Step 2: the seeds, drawn from the law.
    rng = np.random.default_rng(arguments.seed)
    if law == "sign":
        seeds = 1 - 2 * rng.integers(0, 2, size=(arguments.n, network.input_dim), dtype=np.int64)
        matrix, exponent = seeds.T.copy(), 0
    else:
        from verifier.constructions.continuous import float_points_to_integers

        seeds = rng.standard_normal((arguments.n, network.input_dim))
        matrix, exponent = float_points_to_integers(seeds)

    # Step 3: exact outputs, written as float64 or as exact fractions.
    progress(arguments, f"evaluating {arguments.n} samples exactly ...")
    numerators, output_exponent = _evaluate_in_chunks(network, matrix, exponent)
    exact_in_float = _write_values(arguments.out, out_format, numerators, output_exponent)
    if arguments.seeds_out:
        _write_values(arguments.seeds_out, _points_format(arguments.seeds_out, "--seeds-out"), matrix, exponent)

    result = {
        "network_sha256": network.sha256(),
        "seed_law": SEED_LAWS[law],
        "seed": arguments.seed,
        "samples": arguments.n,
        "output_dim": network.output_dim,
        "out": arguments.out,
        "float64_exact": exact_in_float if out_format == "npy" else None,
    }
    note = "" if out_format != "npy" or exact_in_float else " (some values rounded to the nearest float64)"
    emit(arguments, result, f"{arguments.n} samples of {network.output_dim} outputs, seeds {SEED_LAWS[law]}, written to {arguments.out}{note}")
    return EXIT_OK


def _evaluate_in_chunks(network, matrix, exponent: int):
    """Evaluate exactly, SAMPLE_CHUNK points at a time so that hidden activations stay small in memory.

    Returns the output numerators (outputs by points) over one common power of two.
    """
    import numpy as np

    from verifier.evaluator import evaluate

    parts = [evaluate(network, matrix[:, start:start + SAMPLE_CHUNK], exponent) for start in range(0, matrix.shape[1], SAMPLE_CHUNK)]
    common = max(part.exponent for part in parts)
    if all(part.numerators.dtype == np.int64 and part.exponent == common for part in parts):
        return np.concatenate([part.numerators for part in parts], axis=1), common
    lifted = []
    for part in parts:
        values = np.empty(part.numerators.shape, dtype=object)
        values.reshape(-1)[:] = [int(v) << (common - part.exponent) for v in part.numerators.reshape(-1).tolist()]
        lifted.append(values)
    return np.concatenate(lifted, axis=1), common


def _points_format(path: str, option: str) -> str:
    extension = os.path.splitext(path)[1].lower()
    if extension not in (".npy", ".csv"):
        raise InputError(f"{option} {path}: unknown format {extension or '(none)'}; expected .npy or .csv")
    return extension[1:]


def _law_of(text, where: str) -> str:
    for law, description in SEED_LAWS.items():
        if text == description:
            return law
    raise InputError(f"{where}: field 'seed_distribution' is {text!r}; expected one of {', '.join(repr(v) for v in SEED_LAWS.values())}, or pass --law")


def _law_beside(path: str, network) -> str:
    from verifier.network import load_json

    beside = os.path.join(os.path.dirname(os.path.abspath(path)), "certificate.json")
    if not os.path.exists(beside):
        raise InputError(f"{path}: no certificate.json beside the network tells its seed law; pass --law sign or --law gaussian")
    certificate = load_json(beside)
    if not isinstance(certificate, dict) or certificate.get("network_sha256") != network.sha256():
        raise InputError(f"{beside}: this certificate is not about {path} (the network hashes differ); pass --law sign or --law gaussian")
    return _law_of(certificate.get("seed_distribution"), beside)


def _write_values(path: str, out_format: str, numerators, exponent: int) -> bool:
    """Write values numerators / 2^exponent (coordinates by points) one point per row; return whether float64 represents them exactly."""
    import io
    from fractions import Fraction

    import numpy as np

    from verifier.files import write_atomic

    columns = numerators.T
    if out_format == "csv":
        lines = [",".join(str(Fraction(int(v), 1 << exponent)) for v in row) for row in columns.tolist()]
        write_atomic(path, "\n".join(lines) + "\n")
        return True
    if numerators.dtype == np.int64:
        floats = np.ldexp(columns.astype(np.float64), -exponent)
        exact = bool(np.array_equal(np.ldexp(floats, exponent).astype(np.int64), columns))
    else:
        values = [[Fraction(int(v), 1 << exponent) for v in row] for row in columns.tolist()]
        floats = np.array([[float(v) for v in row] for row in values], dtype=np.float64)
        exact = all(Fraction(f) == v for frow, vrow in zip(floats.tolist(), values) for f, v in zip(frow, vrow))
    buffer = io.BytesIO()
    np.save(buffer, floats, allow_pickle=False)
    write_atomic(path, buffer.getvalue())
    return exact
