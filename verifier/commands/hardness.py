"""``check lemma-4.4`` and ``check lemma-4.5``: Section 4's Boolean generator G' = h_xi o G o J and the hard function h_d.

``check lemma-4.4`` builds G' for a generator G: R^m -> R^d (a network file, or an
example built from Goldreich's generator) in two readings, h_xi(y) as printed and
h_xi(2y - 1), evaluates both on all 2^(mn) seeds and writes DIR/network.json (the
corrected G') and DIR/certificate.json. ``check lemma-4.5`` computes h_d of a Boolean
generator {+-1}^m -> {+-1}^d over all 2^m seeds, with the exact agreement of every test
and the stated bound 1/2 + eps/4 + 2^(m-d-1), and writes a certificate.

Both exit 0 when the built networks compute what they should, 1 when they do not (or,
with --strict, when a stated bound fails), and 2 on invalid input.
"""

from __future__ import annotations

import os

from verifier.cli import EXIT_FAILED, EXIT_OK, add_output_options, emit, progress
from verifier.commands.generate import positive_integer, seed_integer
from verifier.errors import InputError

EXAMPLE_DEFAULTS = {"lemma-4.4": {"m": 5, "d": 16}, "lemma-4.5": {"m": 10, "d": 16}}
MARKERS = {"holds": "  holds    ", "fails": "! FAILS    ", "undecided": "? undecided"}


def register(commands, check_kinds) -> None:
    """Add ``check lemma-4.4`` and ``check lemma-4.5``."""
    composition = check_kinds.add_parser(
        "lemma-4.4",
        help="G' = h_xi o G o J of Lemma 4.4, as printed and with 2y - 1, on every seed",
        description="Build Lemma 4.4's Boolean generator G'(x) = h_xi(G(J(x))) in two readings, h_xi(y) as printed and "
        "h_xi(2y - 1), evaluate both exactly on all 2^(mn) seeds, and write DIR/network.json (the corrected G') and "
        "DIR/certificate.json. G is a network file, or by default G(z) = J_(d,b)(G_(P,H)(h_xi(2z - 1 + xi))).",
    )
    composition.add_argument("--generator", help="a network file (or certificate) of G: R^m -> R^d (default: build the example)")
    composition.add_argument("--n", type=positive_integer, default=3, help="bits per seed coordinate of J; m n must be at most 20 (default: 3)")
    composition.add_argument("--xi-inverse", type=positive_integer, default=16, help="1/xi, a positive integer (default: 16)")
    _add_example_options(composition, "lemma-4.4")
    composition.add_argument("--output-bits", type=positive_integer,
                             help="example only: bits b packed into each output of G by Lemma 3.10's map (default: 2)")
    composition.add_argument("--out", help="output directory (default: lemma-4.4-mM-nN)")
    add_output_options(composition)
    composition.add_argument("--strict", action="store_true", help="also exit 1 when a stated bound or property fails")
    composition.set_defaults(handler=_check_lemma_4_4)

    hardness = check_kinds.add_parser(
        "lemma-4.5",
        help="the hard function h_d of Lemma 4.5, by brute force over all 2^m seeds",
        description="Compute the range of a Boolean generator G: {-1,+1}^m -> {-1,+1}^d over all 2^m seeds (m <= 20), "
        "and for every test f (constants, dictators, products of two outputs) the exact agreement P_D[f = h_d] against "
        "Lemma 4.5's bound 1/2 + eps/4 + 2^(m-d-1). G is a network file, or by default Goldreich's generator.",
    )
    hardness.add_argument("--generator", help="a network file (or certificate) of G: {-1,+1}^m -> {-1,+1}^d (default: Goldreich's generator)")
    _add_example_options(hardness, "lemma-4.5")
    hardness.add_argument("--round-to-sign", action="store_true",
                          help="analyse sgn(G) (sgn(0) = 1) when some output of G is not +-1, such as the corrected G' of lemma-4.4")
    hardness.add_argument("--eps", help="the eps with which G is supposed to fool the tests, exact, in (0, 1): also checks "
                          "the bound with this eps")
    hardness.add_argument("--out", help="certificate path (default: lemma-4.5-mM-dD.cert.json)")
    add_output_options(hardness)
    hardness.add_argument("--strict", action="store_true", help="also exit 1 when a stated bound fails")
    hardness.set_defaults(handler=_check_lemma_4_5)


def _add_example_options(parser, kind: str) -> None:
    defaults = EXAMPLE_DEFAULTS[kind]
    parser.add_argument("--m", type=positive_integer, help=f"example only: seed length m (default: {defaults['m']})")
    parser.add_argument("--d", type=positive_integer, help=f"example only: output length d (default: {defaults['d']})")
    parser.add_argument("--predicate", help="example only: Goldreich's predicate P, a library name, truth table or expression (default: TSA)")
    parser.add_argument("--arity", type=positive_integer, help="example only: the arity k, for a truth table or expression that does not use x_k")
    parser.add_argument("--convention", choices=["minus-one-true", "plus-one-true"],
                        help="example only: which value of +-1 the predicate means as true (default: minus-one-true)")
    parser.add_argument("--seed", type=seed_integer, help="example only: seed of numpy.random.default_rng for the hypergraph (default: 0)")


_EXAMPLE_OPTIONS = ("m", "d", "predicate", "arity", "convention", "seed", "output_bits")


def _example_settings(arguments, kind: str) -> dict:
    """Return the example generator's settings with defaults, or raise InputError when --generator is combined with them."""
    given = [name for name in _EXAMPLE_OPTIONS if getattr(arguments, name, None) is not None]
    if arguments.generator is not None:
        if given:
            raise InputError(f"--{given[0].replace('_', '-')} sets up the example generator, so it cannot be combined with --generator")
        return {}
    defaults = EXAMPLE_DEFAULTS[kind]
    return {
        "m": arguments.m or defaults["m"],
        "d": arguments.d or defaults["d"],
        "predicate": _read_predicate(arguments.predicate or "TSA", arguments.arity, arguments.convention or "minus-one-true"),
        "seed": 0 if arguments.seed is None else arguments.seed,
        "output_bits": getattr(arguments, "output_bits", None) or 2,
    }


def _read_predicate(spec: str, arity, convention: str):
    from verifier.predicate_check import ARITY_LIMIT_REASON, MAX_CHECK_ARITY
    from verifier.predicates import parse_predicate, with_convention

    predicate = with_convention(parse_predicate(spec, arity), convention)
    if predicate.arity == 0:
        raise InputError(f"predicate {predicate.name} has arity 0; a generator output needs at least one seed bit")
    if predicate.arity > MAX_CHECK_ARITY:
        raise InputError(f"predicate {predicate.name} has arity {predicate.arity}, above the limit {MAX_CHECK_ARITY}: {ARITY_LIMIT_REASON}")
    return predicate


def _load_generator(path: str):
    from verifier.circuits import file_sha256
    from verifier.network import load_network

    network = load_network(path)
    return network, {"kind": "network file", "file": os.path.basename(path), "file_sha256": file_sha256(path)}


# check lemma-4.4


def _check_lemma_4_4(arguments) -> int:
    from verifier.constructions.lemma44 import build_example_generator, check_composition_parameters
    from verifier.files import check_output_paths
    from verifier.lemma44_check import check_lemma_4_4

    # Step 1: every input is checked before anything is built or written.
    settings = _example_settings(arguments, "lemma-4.4")
    if arguments.generator is not None:
        generator, description = _load_generator(arguments.generator)
        m = generator.input_dim
    else:
        m = settings["m"]
    check_composition_parameters(m, arguments.n, arguments.xi_inverse)
    directory = arguments.out or f"lemma-4.4-m{m}-n{arguments.n}"
    network_path, certificate_path = os.path.join(directory, "network.json"), os.path.join(directory, "certificate.json")
    check_output_paths(network_path, certificate_path, arguments.report)

    # Step 2: the generator G, then G' in both readings on every seed.
    if arguments.generator is None:
        progress(arguments, f"building the example G with m = {m}, d = {settings['d']}, P = {settings['predicate'].name} ...")
        generator, description = build_example_generator(m, settings["d"], settings["output_bits"], settings["predicate"],
                                                         settings["seed"], arguments.xi_inverse)
    result = check_lemma_4_4(generator, description, arguments.n, arguments.xi_inverse, lambda message: progress(arguments, message))

    # Step 3: write the corrected G' and the certificate, both serialised before either is written.
    from verifier.files import write_atomic
    from verifier.network import canonical_dumps

    network_text = canonical_dumps(result.certificate["network"]) + "\n"
    certificate_text = canonical_dumps(result.certificate) + "\n"
    write_atomic(network_path, network_text)
    write_atomic(certificate_path, certificate_text)
    emit(arguments, result.certificate, _composition_summary(result.certificate, [network_path, certificate_path]))
    return _exit_code(result, arguments.strict)


def _composition_summary(certificate: dict, written: list[str]) -> str:
    parameters, outputs = certificate["parameters"], certificate["outputs"]
    readings, laws = certificate["readings"], certificate["one_coordinate"]
    generator = certificate["generator"]
    description = generator["description"]
    if description["kind"] == "network file":
        source = f"network file {description['file']}"
    else:
        source = (f"{description['kind']} with P = {description['predicate']['name']}, b = {description['output_bits']}, "
                  f"hypergraph seed {description['hypergraph']['seed']}")

    # The generator and its outputs on J's grid.
    lines = [
        f"Lemma 4.4: G' = h_xi o G o J on all 2^{parameters['seed_bits']} seeds, m = {parameters['m']}, n = {parameters['n']}, "
        f"d = {parameters['d']}, xi = {parameters['xi']}",
        f"generator G: {source}; depth {generator['depth']}, size {generator['size']}, sha256 {generator['sha256'][:16]}...",
        f"outputs y = G(J(x)): {outputs['values']} values in [{outputs['min']}, {outputs['max']}]; {outputs['at_least_xi']} at least xi, "
        f"{outputs['equal_to_half']} equal to 1/2, {outputs['within_xi_of_half']} with |2y - 1| < xi, "
        f"{outputs['outside_unit_interval']} outside [0, 1]",
    ]

    # The two readings side by side.
    lines.append(f"{'':28}{'literal h_xi(y)':>18}{'corrected h_xi(2y - 1)':>26}")
    rows = [
        ("equal to +1", lambda r: r["plus_one"]),
        ("equal to -1", lambda r: r["minus_one"]),
        ("strictly between -1 and 1", lambda r: r["between"]),
        ("largest |E G'(x)_l|", lambda r: f"{r['largest_mean']['mean'].lstrip('-')} (l = {r['largest_mean']['output']})"),
        ("same after sgn, sgn(0) = 1", lambda r: f"{r['largest_rounded_mean']['mean'].lstrip('-')} (l = {r['largest_rounded_mean']['output']})"),
        ("mismatches with definition", lambda r: r["mismatches"]),
    ]
    for label, value in rows:
        lines.append(f"  {label:26}{value(readings['literal']):>18}{value(readings['corrected']):>26}")
    lines.append(f"  network depth, size: literal {certificate['literal']['depth']}, {certificate['literal']['size']}; "
                 f"corrected {certificate['corrected']['depth']}, {certificate['corrected']['size']}")
    lines.append(f"one coordinate, u uniform on [0, 1]: literal h_xi(u) has mean {laws['literal']['mean']} and W_1 to U_1 "
                 f"{laws['literal']['w1']}; corrected h_xi(2u - 1) has mean {laws['corrected']['mean']} and W_1 {laws['corrected']['w1']}")

    # Witnesses: the first output that is not a sign, and the first mismatch if any.
    for reading in ("literal", "corrected"):
        first = readings[reading]["first_between"]
        if first is not None:
            lines.append(f"first output of the {reading} G' not in {{-1, 1}}: output {first['output']} at seed "
                         f"{_seed_text(first['seed'])} is {first['value']}")
        mismatch = readings[reading]["first_mismatch"]
        if mismatch is not None:
            lines.append(f"first mismatch of the {reading} network: output {mismatch['output']} at seed {_seed_text(mismatch['seed'])}: "
                         f"expected {mismatch['expected']}, network {mismatch['network']}")

    lines += _claim_lines(certificate["claims"])
    lines.append("written: " + ", ".join(written))
    return "\n".join(lines)


def _seed_text(seed: list[int]) -> str:
    return "".join("+" if value > 0 else "-" for value in seed)


# check lemma-4.5


def _check_lemma_4_5(arguments) -> int:
    from verifier.constructions.continuous import parse_eps
    from verifier.constructions.goldreich import build_goldreich, draw_hypergraph
    from verifier.constructions.lemma44 import MAX_SEED_BITS
    from verifier.files import check_output_paths, write_json
    from verifier.lemma44_check import check_lemma_4_5

    # Step 1: every input is checked before anything is built or written.
    settings = _example_settings(arguments, "lemma-4.5")
    eps = None if arguments.eps is None else parse_eps(arguments.eps)
    if arguments.generator is not None:
        network, description = _load_generator(arguments.generator)
        m, d = network.input_dim, network.output_dim
    else:
        m, d = settings["m"], settings["d"]
    if m > MAX_SEED_BITS:
        raise InputError(f"the generator has m = {m} seed bits; h_d is computed over all 2^m seeds, so m is limited to {MAX_SEED_BITS}")
    out = arguments.out or f"lemma-4.5-m{m}-d{d}.cert.json"
    check_output_paths(out, arguments.report)

    # Step 2: the generator, its seed table and every test.
    if arguments.generator is None:
        predicate = settings["predicate"]
        progress(arguments, f"building Goldreich's generator with m = {m}, d = {d}, P = {predicate.name} ...")
        hypergraph = draw_hypergraph(m, d, predicate.arity, settings["seed"])
        network = build_goldreich(predicate, hypergraph).network
        description = {"kind": "Goldreich's generator G_(P,H) (Corollary 3.4)",
                       "predicate": {"name": predicate.name, "arity": predicate.arity, "truth_table": predicate.truth_table_hex()},
                       "hypergraph": hypergraph.to_json()}
    result = check_lemma_4_5(network, description, arguments.round_to_sign, eps, lambda message: progress(arguments, message))

    write_json(out, result.certificate)
    emit(arguments, result.certificate, _hardness_summary(result.certificate, out))
    return _exit_code(result, arguments.strict)


def _hardness_summary(certificate: dict, out: str) -> str:
    parameters, description = certificate["parameters"], certificate["generator"]["description"]
    m, d = parameters["m"], parameters["d"]
    tests, bounds, range_record = certificate["tests"], certificate["bounds"], certificate["range"]
    if description["kind"] == "network file":
        source = f"network file {description['file']}"
    else:
        source = f"Goldreich's generator, P = {description['predicate']['name']}, hypergraph seed {description['hypergraph']['seed']}"
    best = tests["largest_agreement"]
    chain = best["lines"]
    lines = [
        f"Lemma 4.5: h_d for G: {{-1,+1}}^{m} -> {{-1,+1}}^{d} ({source}), over all {certificate['seed_table']['seeds']} seeds",
    ]
    if certificate["seed_table"]["rounding"]:
        lines.append(f"rounded by sgn (sgn(0) = 1): {certificate['seed_table']['rounded_outputs']} outputs that were not +-1")
    lines += [
        f"range of G: {range_record['size']} distinct outputs ({range_record['collisions']} collisions); "
        f"P[h_d(U_d) = 1] = {_approximate(range_record['probability'])}, stated at most 2^(m-d) = {_approximate(range_record['stated_bound'])}",
        f"tests: {tests['count']} (constants, dictators and products of two outputs: threshold circuits of depth <= 2 and size <= 3)",
        f"largest advantage |E f(G(U_m)) - E f(U_d)|: {tests['largest_advantage']['advantage']} at {tests['largest_advantage']['test']}",
        f"largest agreement P_D[f = h_d]: {_approximate(chain[0])} at {best['test']} (advantage {best['advantage']})",
        f"  the proof's chain there: {' <= '.join(_approximate(value) for value in chain[:4])} = {_approximate(chain[4])}",
        f"bound 1/2 + eps/4 + 2^(m-d-1) with eps = {bounds['class_eps']} (the largest advantage): {_approximate(bounds['class_bound'])}",
    ]
    if bounds["eps_bound"] is not None:
        lines.append(f"bound with the given eps = {parameters['eps']}: {_approximate(bounds['eps_bound'])}")
    lines += _claim_lines(certificate["claims"])
    lines.append(f"certificate written to {out}")
    return "\n".join(lines)


def _approximate(text: str) -> str:
    """Return an exact fraction with its decimal value beside it when the fraction is long."""
    from fractions import Fraction

    if "/" not in text or len(text) <= 12:
        return text
    return f"{float(Fraction(text)):.6g} (exactly {text})" if len(text) <= 40 else f"{float(Fraction(text)):.6g}"


def _claim_lines(claims: list[dict]) -> list[str]:
    lines = ["claims:"]
    for claim in claims:
        lines.append(f"  {MARKERS[claim['status']]} {claim['id']}: stated {claim['stated']}, measured {claim['measured']}")
    return lines


def _exit_code(result, strict: bool) -> int:
    if not result.correct:
        return EXIT_FAILED
    if strict and result.findings:
        return EXIT_FAILED
    return EXIT_OK
