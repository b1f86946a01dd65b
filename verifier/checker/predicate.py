"""Checker for ``predicate-network`` certificates, written by ``check predicate``."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np

from verifier.checker.core import (
    BACKENDS,
    Failure,
    MISSING,
    NETWORK_FIELDS,
    Verifier,
    check_header,
    decide,
    evaluate_batch,
    get_field,
    hypercube,
    network_sha256,
    parse_network,
    read_count,
    read_exact,
    read_integer,
    read_list,
    read_text,
    show_value,
)
from verifier.errors import InputError

SCHEMA_VERSION = 1
KIND = "predicate-network"
MAX_ARITY = 20  # because the checker evaluates the network on all 2^k inputs
CONVENTIONS = ("minus-one-true", "plus-one-true")
SOURCES = ("library", "truth-table", "expression")
_CERTIFICATE_FIELDS = {
    "schema_version": None, "kind": None, "tool": {"name": None, "version": None},
    "network_sha256": None, "network": NETWORK_FIELDS,
    "predicate": {"name": None, "arity": None, "truth_table": None, "convention": None, "source": None},
    "construction": {"name": None, "rules": None},
    "fourier": {"coefficients": [{"set": None, "value": None}], "degree": None, "resiliency": None},
    "exhaustive_check": {"inputs": None, "mismatches": None, "status": None,
                         "first_failure": {"index": None, "input": None, "expected": None, "network": None}},
    "network_class": {"input_dim": None, "depth": None, "size": None, "widths": None, "tau": None},
    "operator_norms": [{"layer": None, "upper": None, "method": None, "blocks": None,
                        "distinct_blocks": None, "float_estimate": None}],
    "lipschitz": {"upper": None, "upper_method": None, "lower": None, "lower_squared": None,
                  "lower_method": None, "witness": None, "seed": None},
    "evaluator": {"inputs": None, "layers": [{"layer": None, "measured_bits": None, "bound_bits": None, "backend": None}]},
    "product_networks": [{"degree": None, "network_sha256": None, "network": NETWORK_FIELDS, "depth": None, "size": None,
                          "computes_character": None, "norm_product_upper": None, "norm_product_lower_squared": None}],
    "claims": [{"id": None, "source": None, "statement": None, "stated": None, "measured": None,
                "status": None, "method": None}],
}
_FIXED_CLAIMS = {"lemma-3.3/computes-predicate", "lemma-3.3/depth", "lemma-3.3/bit-complexity",
                 "lemma-3.3/size-proof-count", "lemma-3.3/size-order", "corollary-3.4/lipschitz",
                 "corollary-3.4/depth", "lemma-a.1/depth", "lemma-a.1/size", "lemma-a.1/tau"}
_TERM_CLAIM = re.compile(r"appendix-a\.2/term-(correct|size|norm-product)/(0|[1-9][0-9]*)")


# Predicates.


def parse_table(text, arity: int, path: str) -> list[int]:
    """Parse 0x hex with max(1, 2^k/4) lowercase digits into P_i = -1 where bit i is set, else +1."""
    digits = max(1, (1 << arity) // 4)
    if not isinstance(text, str) or not re.fullmatch(f"0x[0-9a-f]{{{digits}}}", text) or int(text, 16) >> (1 << arity):
        raise InputError(f"{path}: expected 0x and {digits} lowercase hex digits holding 2^{arity} bits, found {text!r}")
    table = int(text, 16)
    return [-1 if table >> i & 1 else 1 for i in range(1 << arity)]


def walsh_hadamard(table: list[int]) -> list[int]:
    """Return 2^k hatP(S) = sum_i P_i (-1)^popcount(i & S) for every subset mask S, by integer butterflies."""
    values = np.array(table, dtype=np.int64)
    half = 1
    while half < len(values):
        pairs = values.reshape(-1, 2, half)
        values = np.stack((pairs[:, 0] + pairs[:, 1], pairs[:, 0] - pairs[:, 1]), axis=1).reshape(-1)
        half *= 2
    return values.tolist()


def subset_indices(mask: int) -> list[int]:
    return [j + 1 for j in range(mask.bit_length()) if mask >> j & 1]


def read_predicate(predicate: dict) -> tuple[int, list[int], dict[int, Fraction]]:
    """Return (k, truth table, non-zero Fourier coefficients by subset mask) of a certificate's predicate section."""
    k = read_integer(get_field(predicate, "arity", "predicate"), "predicate.arity")
    if not 1 <= k <= MAX_ARITY:
        raise InputError(f"predicate.arity: {k} is outside 1..{MAX_ARITY}, the arities the checker evaluates")
    table = parse_table(get_field(predicate, "truth_table", "predicate"), k, "predicate.truth_table")
    spectrum = walsh_hadamard(table)
    return k, table, {mask: Fraction(value, 1 << k) for mask, value in enumerate(spectrum) if value}


class PredicateVerifier(Verifier):
    """Re-derive a predicate-network certificate."""

    def run(self) -> None:
        self.check_descriptions()
        self.check_network()
        self.check_predicate()
        self.check_exhaustive()
        self.check_class()
        self.check_norms()
        self.check_lipschitz()
        self.check_evaluator()
        self.check_products()
        self.check_claims()

    def check_descriptions(self) -> None:
        """Check the types of the descriptive fields, which have nothing to re-derive, and the fixed vocabularies."""
        # NOTE: predicate.name is a label only. A library name such as TSA is not checked against the truth table.
        for section, fields in (("tool", ("name", "version")), ("construction", ("name",)), ("predicate", ("name",))):
            for field in fields:
                read_text(get_field(self.section(section), field, section), f"{section}.{field}")

        rules = read_list(get_field(self.section("construction"), "rules", "construction"), "construction.rules")
        for index, rule in enumerate(rules):
            read_text(rule, f"construction.rules[{index}]")

        for field, allowed in (("convention", CONVENTIONS), ("source", SOURCES)):
            value = get_field(self.section("predicate"), field, "predicate")
            self.require(value in allowed,
                         f"predicate.{field}: recorded {show_value(value)}, expected one of {', '.join(allowed)}")

    def check_predicate(self) -> None:
        predicate = self.section("predicate")
        self.k, self.table, self.coefficients = read_predicate(predicate)
        fourier = self.section("fourier")
        seen = set()
        for index, entry in enumerate(read_list(get_field(fourier, "coefficients", "fourier"), "fourier.coefficients")):
            path = f"fourier.coefficients[{index}]"
            members = [read_integer(j, f"{path}.set") for j in read_list(get_field(entry, "set", path), f"{path}.set")]
            if not all(a < b for a, b in zip([0] + members, members)) or any(j > self.k for j in members):
                raise InputError(f"{path}.set: expected increasing indices in 1..{self.k}, found {members}")
            mask = sum(1 << (j - 1) for j in members)
            self.require(mask not in seen, f"{path}.set: the set {members} is listed twice")
            seen.add(mask)
            self.expect(f"{path}.value", get_field(entry, "value", path), str(self.coefficients.get(mask, 0)))
        for mask, value in self.coefficients.items():
            self.require(mask in seen,
                         f"fourier.coefficients: the non-zero coefficient hatP({subset_indices(mask)}) = {value} is missing")
        sizes = [bin(s).count("1") for s in self.coefficients]
        self.expect("fourier.degree", get_field(fourier, "degree", "fourier"), max(sizes))
        resiliency = -1 if 0 in self.coefficients else min(sizes) - 1
        self.expect("fourier.resiliency", get_field(fourier, "resiliency", "fourier"), resiliency)

    def check_exhaustive(self) -> None:
        network, k = self.network, self.k
        self.require(network.input_dim == k and network.layers[-1].shape[0] == 1,
                     f"network: takes {network.input_dim} inputs and gives {network.layers[-1].shape[0]} outputs, "
                     f"but the predicate needs {k} inputs and 1 output")
        points = hypercube(k)
        outputs, self.layer_stats = evaluate_batch(network, points)
        exponent = self.layer_stats[-1][1]
        mismatches = [i for i in range(1 << k) if int(outputs[0, i]) != self.table[i] << exponent]
        first = None
        if mismatches:
            i = mismatches[0]
            first = {"index": i, "input": [int(v) for v in points[:, i]], "expected": str(self.table[i]),
                     "network": str(Fraction(int(outputs[0, i]), 1 << exponent))}
        check = self.section("exhaustive_check")
        self.mismatches = len(mismatches)
        for field, derived in (("inputs", 1 << k), ("mismatches", len(mismatches)),
                               ("status", "fail" if mismatches else "pass"), ("first_failure", first)):
            self.expect(f"exhaustive_check.{field}", check.get(field, MISSING), derived)

    def check_evaluator(self) -> None:
        evaluator, network, k = self.section("evaluator"), self.network, self.k
        self.expect("evaluator.inputs", evaluator.get("inputs", MISSING), f"all {1 << k} points of {{+-1}}^{k}")
        records = read_list(get_field(evaluator, "layers", "evaluator"), "evaluator.layers")
        self.expect("evaluator.layers (number of entries)", len(records), len(network.layers))
        tau, widths = network.tau(), [network.input_dim] + network.widths
        for index, (record, (largest, exponent)) in enumerate(zip(records, self.layer_stats)):
            path, layer = f"evaluator.layers[{index}]", index + 1
            # Lemma A.2's scale: pre-activations of layer l times 2^(l tau) are integers, and E_l <= l tau.
            measured = (largest << (layer * tau - exponent)).bit_length()
            bound = ((1 << (2 * layer * tau)) * math.prod(w + 1 for w in widths[:layer])).bit_length()
            self.expect(f"{path}.layer", get_field(record, "layer", path), layer)
            self.expect(f"{path}.measured_bits", record.get("measured_bits", MISSING), measured)
            self.expect(f"{path}.bound_bits", record.get("bound_bits", MISSING), bound)
            backend = get_field(record, "backend", path)
            self.require(backend in BACKENDS,
                         f"{path}.backend: recorded {show_value(backend)}, expected one of {', '.join(BACKENDS)}")

    def check_products(self) -> None:
        """Check each product network chi_{1..s}: hash, shape, correctness and proved norm products.

        Both norm products are proved exactly, with no tolerance (see check_norm_product).
        """
        records = read_list(get_field(self.data, "product_networks", ""), "product_networks")
        degrees = sorted({bin(s).count("1") for s in self.coefficients})
        self.expect("product_networks (degrees)", [r.get("degree") if isinstance(r, dict) else None for r in records], degrees,
                    " (the sizes |S| of the non-zero Fourier coefficients)")
        self.products = {}
        for index, record in enumerate(records):
            path = f"product_networks[{index}]"
            size = read_integer(get_field(record, "degree", path), f"{path}.degree")
            raw = get_field(record, "network", path)
            network = parse_network(raw, f"{path}.network")
            self.expect(f"{path}.network_sha256", record.get("network_sha256", MISSING), network_sha256(raw))
            self.expect(f"{path}.depth", record.get("depth", MISSING), len(network.layers))
            self.expect(f"{path}.size", record.get("size", MISSING), sum(network.widths))
            dimension = max(size, 1)
            computes = network.input_dim == dimension and network.layers[-1].shape[0] == 1
            if computes:
                outputs, stats = evaluate_batch(network, hypercube(dimension))
                sign = [1 - 2 * (bin(i & ((1 << size) - 1)).count("1") % 2) for i in range(1 << dimension)]
                computes = all(int(outputs[0, i]) == sign[i] << stats[-1][1] for i in range(1 << dimension))
            self.expect(f"{path}.computes_character", record.get("computes_character", MISSING), computes)

            upper = read_exact(get_field(record, "norm_product_upper", path), f"{path}.norm_product_upper")
            lower = read_exact(get_field(record, "norm_product_lower_squared", path), f"{path}.norm_product_lower_squared")
            self.check_norm_product(network, path, upper, lower)
            self.products[size] = (computes, sum(network.widths), upper, lower)

    def check_claims(self) -> None:
        k, network = self.k, self.network
        depth, size, tau = len(network.layers), sum(network.widths), network.tau()
        claims = {
            "lemma-3.3/computes-predicate": (f"0 mismatches on {1 << k} inputs",
                                             f"{self.mismatches} mismatches on {1 << k} inputs",
                                             "holds" if self.mismatches == 0 else "fails"),
            "lemma-3.3/depth": (k, depth, None), "corollary-3.4/depth": (k, depth, None),
            "lemma-3.3/bit-complexity": (k, tau, None),
            "lemma-3.3/size-proof-count": (sum(4 * bin(s).count("1") for s in self.coefficients), size, None),
            "lemma-3.3/size-order": (4 * k * 2**k, size, None),
            "corollary-3.4/lipschitz": (f"6^{k} sqrt({len(self.coefficients)})", str(self.upper),
                                        decide(self.upper**2, self.lower_squared, Fraction(36**k * len(self.coefficients)))),
        }
        for degree, (computes, term_size, upper, lower) in self.products.items():
            if degree >= 2:
                name = f"appendix-a.2/term-{{}}/{degree}"
                claims[name.format("correct")] = ("true", str(computes).lower(), "holds" if computes else "fails")
                claims[name.format("size")] = (4 * degree, term_size, None)
                claims[name.format("norm-product")] = (6**degree, str(upper), decide(upper**2, lower, Fraction(36**degree)))
        # Lemma A.1's stated values come from the term networks, which the certificate does not contain.
        # So for these claims only the measured value, and the status given the stated value, are checked.
        for name, value in (("depth", depth), ("size", size), ("tau", tau)):
            claims[f"lemma-a.1/{name}"] = (None, value, None)

        seen = set()
        for index, claim in enumerate(read_list(get_field(self.data, "claims", ""), "claims")):
            path = f"claims[{index}]"
            identifier = claim["id"]
            for field in ("source", "statement", "method"):
                read_text(get_field(claim, field, path), f"{path}.{field}")
            self.require(identifier not in seen, f"{path}.id: the claim {identifier} is listed twice")
            seen.add(identifier)
            if identifier not in claims:
                raise Failure(f"{path}.id: the claim {identifier} refers to a product network that this certificate does not contain")
            stated, measured, status = claims[identifier]
            if stated is None:
                stated = read_count(get_field(claim, "stated", path), f"{path}.stated")
            else:
                self.expect(f"{path}.stated ({identifier})", claim.get("stated", MISSING), str(stated))
            if status is None:  # an integer bound: measured <= stated
                status = "holds" if measured <= int(stated) else "fails"
            self.expect(f"{path}.measured ({identifier})", claim.get("measured", MISSING), str(measured))
            self.expect(f"{path}.status ({identifier})", claim.get("status", MISSING), status)
        for identifier in claims:
            self.require(identifier in seen, f"claims: the claim {identifier} is missing")


def _check_header(data) -> None:
    """Raise InputError unless ``data`` is a certificate of this kind and schema with only known fields."""
    check_header(data, KIND, SCHEMA_VERSION, _CERTIFICATE_FIELDS)
    claims = data.get("claims")
    for index, claim in enumerate(claims if isinstance(claims, list) else []):
        identifier = claim.get("id") if isinstance(claim, dict) else None
        if identifier not in _FIXED_CLAIMS and not (isinstance(identifier, str) and _TERM_CLAIM.fullmatch(identifier)):
            raise InputError(f"claims[{index}].id: unknown claim id {identifier!r}")


def verify(data: dict, network: dict | None = None) -> dict:
    """Re-derive every recorded value of a predicate-network certificate; see verifier.checker.verify_certificate."""
    _check_header(data)
    return PredicateVerifier(data, network).outcome()
