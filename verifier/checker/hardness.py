"""Checker for ``lemma-4.4-composition`` and ``lemma-4.5-hardness`` certificates, written by ``check lemma-4.4`` and ``check lemma-4.5``.

Lemma numbers are those of Chen, Li, Li and Meka, "Minimax Optimality (Probably)
Doesn't Imply Distribution Learning for GANs" (2022).

Lemma 4.4: from the embedded generator G it recomputes y = G(J(x)) on every seed, with
J(x)_i = K_i / 2^n for the integer K_i whose binary digits are the bits (x + 1)/2 of
block i (G's first layer is divided by 2^n so that the points stay integers). It then
evaluates both embedded G' networks and compares them with clip(y/xi, -1, 1) and
clip((2y - 1)/xi, -1, 1). The one-coordinate laws are re-derived from the quantile
coupling rather than from the CDF: for u uniform on [0, 1], h_xi(v(u)) is increasing in
u, so W_1(U_1, h_xi(v)) = integral over p in [0, 1] of |Q(p) - h_xi(v(p))| with Q = -1
below 1/2 and 1 above.

Lemma 4.5: it evaluates the embedded generator on every seed, finds the range, and
recounts every test with integer matrix products and counts of agreeing inputs.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from verifier.checker.core import (
    CheckedLayer,
    CheckedNetwork,
    Failure,
    MISSING,
    NETWORK_FIELDS,
    Verifier,
    check_header,
    evaluate_batch,
    get_field,
    hypercube,
    network_sha256,
    parse_network,
    read_exact,
    read_integer,
    read_list,
    read_text,
)
from verifier.errors import InputError

SCHEMA_VERSION = 1
COMPOSITION_KIND = "lemma-4.4-composition"
HARDNESS_KIND = "lemma-4.5-hardness"
MAX_SEED_BITS = 20
READINGS = ("literal", "corrected")
CHAIN_STEPS = ("union_bound", "range_size", "fooling", "sum")
_CLAIM_FIELDS = [{"id": None, "source": None, "statement": None, "stated": None, "measured": None, "status": None, "method": None}]
_CLASS_FIELDS = {"depth": None, "size": None, "tau": None}
_READING_FIELDS = {"reading": None, "mismatches": None, "first_mismatch": {"seed": None, "output": None, "expected": None, "network": None},
                   "plus_one": None, "minus_one": None, "between": None,
                   "first_between": {"seed": None, "output": None, "value": None},
                   "largest_mean": {"output": None, "mean": None}, "largest_rounded_mean": {"output": None, "mean": None}}
_COMPOSITION_FIELDS = {
    "schema_version": None, "kind": None, "tool": {"name": None, "version": None},
    "parameters": {"m": None, "d": None, "n": None, "seed_bits": None, "xi_inverse": None, "xi": None},
    "generator": {"description": None, "sha256": None, "network": NETWORK_FIELDS, **_CLASS_FIELDS},
    "network_sha256": None, "network": NETWORK_FIELDS,
    "literal": {"sha256": None, "network": NETWORK_FIELDS, **_CLASS_FIELDS},
    "corrected": _CLASS_FIELDS,
    "rules": None,
    "outputs": {"values": None, "min": None, "max": None, "outside_unit_interval": None, "at_least_xi": None,
                "equal_to_half": None, "within_xi_of_half": None},
    "readings": {"literal": _READING_FIELDS, "corrected": _READING_FIELDS},
    "one_coordinate": {"literal": {"mean": None, "w1": None}, "corrected": {"mean": None, "w1": None}},
    "fact_3_9": {"source": None, "n": None, "w1": None, "stated_bound": None, "stated_bound_formula": None,
                 "status": None, "method": None},
    "claims": _CLAIM_FIELDS,
}
_HARDNESS_FIELDS = {
    "schema_version": None, "kind": None, "tool": {"name": None, "version": None},
    "parameters": {"m": None, "d": None, "round_to_sign": None, "eps": None},
    "generator": {"description": None, **_CLASS_FIELDS},
    "network_sha256": None, "network": NETWORK_FIELDS,
    "seed_table": {"seeds": None, "rounded_outputs": None, "rounding": None},
    "range": {"size": None, "collisions": None, "probability": None, "stated_bound": None},
    "tests": {"families": None, "order": None, "count": None,
              "largest_advantage": {"test": None, "advantage": None},
              "largest_agreement": {"test": None, "advantage": None, "lines": None},
              "step_violations": {step: None for step in CHAIN_STEPS}},
    "bounds": {"class_eps": None, "class_bound": None, "eps_bound": None},
    "claims": _CLAIM_FIELDS,
}


def _seed(index: int, bits: int) -> list[int]:
    return [1 - 2 * ((index >> j) & 1) for j in range(bits)]


def _class_of(network: CheckedNetwork) -> dict:
    return {"depth": len(network.layers), "size": sum(network.widths), "tau": network.tau()}


def _status(condition: bool) -> str:
    return "holds" if condition else "fails"


class _ClaimsMixin:
    """Compares the recorded claims with re-derived (id, stated, measured, status) rows, in order."""

    def check_claims(self, derived: list[tuple[str, str, str, str]]) -> None:
        records = read_list(get_field(self.data, "claims", ""), "claims")
        self.expect("claims (ids in order)", [c.get("id") if isinstance(c, dict) else None for c in records],
                    [row[0] for row in derived])
        for index, (record, (identifier, stated, measured, status)) in enumerate(zip(records, derived)):
            path = f"claims[{index}]"
            for field in ("source", "statement", "method"):
                read_text(get_field(record, field, path), f"{path}.{field}")
            self.expect(f"{path}.stated ({identifier})", record.get("stated", MISSING), stated)
            self.expect(f"{path}.measured ({identifier})", record.get("measured", MISSING), measured)
            self.expect(f"{path}.status ({identifier})", record.get("status", MISSING), status)


# Lemma 4.4.


def _clip_integral(slope: Fraction, intercept: Fraction, start: Fraction, stop: Fraction, target: int) -> Fraction:
    """Return the integral over [start, stop] of |target - clip(slope p + intercept, -1, 1)| for target = +-1.

    With |clip| <= 1 the integrand is target * (target - clip), so it is split where the
    linear function crosses -1 and 1 and integrated piece by piece.
    """
    cuts = {start, stop}
    for level in (-1, 1):
        if slope != 0:
            crossing = (level - intercept) / slope
            if start < crossing < stop:
                cuts.add(crossing)
    points = sorted(cuts)
    total = Fraction(0)
    for left, right in zip(points, points[1:]):
        middle = slope * (left + right) / 2 + intercept
        if middle >= 1:
            average = Fraction(1)
        elif middle <= -1:
            average = Fraction(-1)
        else:
            average = middle  # linear on the piece, so its mean is the value at the midpoint
        total += (right - left) * target * (target - average)
    return total


def _quantile_law(xi: Fraction, reading: str) -> dict:
    """Return the mean and W_1(U_1, .) of h_xi(u) or h_xi(2u - 1), u uniform on [0, 1], from the quantile coupling."""
    scale, offset = (Fraction(2), Fraction(-1)) if reading == "corrected" else (Fraction(1), Fraction(0))
    slope, intercept = scale / xi, offset / xi  # h_xi(v(p)) = clip(slope p + intercept, -1, 1)
    half = Fraction(1, 2)
    w1 = _clip_integral(slope, intercept, Fraction(0), half, -1) + _clip_integral(slope, intercept, half, Fraction(1), 1)
    # E clip = 1 - integral of (1 - clip), the integrand of target = 1.
    mean = 1 - _clip_integral(slope, intercept, Fraction(0), Fraction(1), 1)
    return {"mean": str(mean), "w1": str(w1)}


class CompositionVerifier(_ClaimsMixin, Verifier):
    """Re-derive a lemma-4.4-composition certificate."""

    def run(self) -> None:
        self.check_parameters()
        self.check_networks()
        self.check_seeds()
        self.check_laws()
        self.check_composition_claims()

    def check_parameters(self) -> None:
        parameters = self.section("parameters")
        self.n = read_integer(get_field(parameters, "n", "parameters"), "parameters.n")
        self.xi_inverse = read_integer(get_field(parameters, "xi_inverse", "parameters"), "parameters.xi_inverse")
        if self.n < 1 or self.xi_inverse < 1:
            raise InputError("parameters: n and xi_inverse must be positive integers")
        self.xi = Fraction(1, self.xi_inverse)
        self.expect("parameters.xi", parameters.get("xi", MISSING), str(self.xi))
        read_text(get_field(self.section("tool"), "name", "tool"), "tool.name")
        for index, rule in enumerate(read_list(get_field(self.data, "rules", ""), "rules")):
            read_text(rule, f"rules[{index}]")

    def check_networks(self) -> None:
        self.check_network()  # the corrected G', embedded as "network"
        self.corrected = self.network
        generator_record, literal_record = self.section("generator"), self.section("literal")
        raw_generator = get_field(generator_record, "network", "generator")
        self.generator = parse_network(raw_generator, "generator.network")
        self.expect("generator.sha256", generator_record.get("sha256", MISSING), network_sha256(raw_generator))
        raw_literal = get_field(literal_record, "network", "literal")
        self.literal = parse_network(raw_literal, "literal.network")
        self.expect("literal.sha256", literal_record.get("sha256", MISSING), network_sha256(raw_literal))
        if not isinstance(generator_record.get("description"), dict):
            raise InputError("generator.description: expected a JSON object")

        self.m, self.d = self.generator.input_dim, self.generator.layers[-1].shape[0]
        self.bits = self.m * self.n
        if self.bits > MAX_SEED_BITS:
            raise InputError(f"parameters: m n = {self.bits} seed bits, more than this checker enumerates ({MAX_SEED_BITS})")
        parameters = self.section("parameters")
        for field, value in (("m", self.m), ("d", self.d), ("seed_bits", self.bits)):
            self.expect(f"parameters.{field}", parameters.get(field, MISSING), value)
        for name, network in (("literal", self.literal), ("corrected", self.corrected)):
            shape = (network.input_dim, network.layers[-1].shape[0])
            if shape != (self.bits, self.d):
                raise Failure(f"{name}: maps {shape[0]} inputs to {shape[1]} outputs, expected {self.bits} to {self.d}")
        for name, network, record in (("generator", self.generator, generator_record), ("literal", self.literal, literal_record),
                                      ("corrected", self.corrected, self.section("corrected"))):
            for field, value in _class_of(network).items():
                self.expect(f"{name}.{field}", record.get(field, MISSING), value)

    def _grid_values(self, points: np.ndarray) -> tuple[np.ndarray, int]:
        """Return G(J(x)) at every seed as numerators over 2^exponent."""
        weights = 1 << np.arange(self.n - 1, -1, -1, dtype=np.int64)  # bit j of a block (1-based) has weight 2^(n-j)
        bits = (points + 1) // 2
        grid = np.stack([bits[i * self.n:(i + 1) * self.n].T @ weights for i in range(self.m)]).astype(np.int64)
        first = self.generator.layers[0]
        scaled = CheckedLayer(first.shape, first.entries, [b << self.n for b in first.bias], first.scale + self.n)
        values, stats = evaluate_batch(CheckedNetwork(self.m, [scaled] + self.generator.layers[1:]), grid)
        return values.astype(object), stats[-1][1]

    def check_seeds(self) -> None:
        points = hypercube(self.bits)
        values, exponent = self._grid_values(points)
        one = 1 << exponent
        seeds = points.shape[1]
        derived = {
            "values": int(values.size),
            "min": str(Fraction(int(values.min()), one)),
            "max": str(Fraction(int(values.max()), one)),
            "outside_unit_interval": int(np.count_nonzero((values < 0) | (values > one))),
            "at_least_xi": int(np.count_nonzero(values * self.xi_inverse >= one)),
            "equal_to_half": int(np.count_nonzero(values * 2 == one)),
            "within_xi_of_half": int(np.count_nonzero(np.abs(values * 2 - one) * self.xi_inverse < one)),
        }
        outputs = self.section("outputs")
        for field, value in derived.items():
            self.expect(f"outputs.{field}", outputs.get(field, MISSING), value)
        self.values_count = derived["values"]

        readings = self.section("readings")
        self.outcomes = {}
        for reading, network in (("literal", self.literal), ("corrected", self.corrected)):
            argument = values * 2 - one if reading == "corrected" else values
            expected = np.clip(argument * self.xi_inverse, -one, one)  # h_xi over 2^exponent
            found, stats = evaluate_batch(network, points)
            found, found_exponent = found.astype(object), stats[-1][1]
            derived = self._reading(reading, expected, exponent, found, found_exponent, seeds)
            record = get_field(readings, reading, "readings")
            for field, value in derived.items():
                self.expect(f"readings.{reading}.{field}", record.get(field, MISSING) if isinstance(record, dict) else MISSING, value)
            self.outcomes[reading] = derived

    def _reading(self, reading, expected, exponent, found, found_exponent, seeds) -> dict:
        one, scale = 1 << exponent, 1 << found_exponent
        differs = found * one != expected * scale
        first_mismatch = None
        if differs.any():
            seed, output = (int(i) for i in np.argwhere(differs.T)[0])
            first_mismatch = {"seed": _seed(seed, self.bits), "output": output,
                              "expected": str(Fraction(int(expected[output, seed]), one)),
                              "network": str(Fraction(int(found[output, seed]), scale))}
        between = (found != scale) & (found != -scale)
        first_between = None
        if between.any():
            seed, output = (int(i) for i in np.argwhere(between.T)[0])
            first_between = {"seed": _seed(seed, self.bits), "output": output, "value": str(Fraction(int(found[output, seed]), scale))}
        return {
            "reading": reading,
            "mismatches": int(np.count_nonzero(differs)),
            "first_mismatch": first_mismatch,
            "plus_one": int(np.count_nonzero(found == scale)),
            "minus_one": int(np.count_nonzero(found == -scale)),
            "between": int(np.count_nonzero(between)),
            "first_between": first_between,
            "largest_mean": self._largest_mean(list(found.sum(axis=1)), seeds * scale),
            "largest_rounded_mean": self._largest_mean(list(np.where(found >= 0, 1, -1).sum(axis=1)), seeds),
        }

    @staticmethod
    def _largest_mean(sums: list, denominator: int) -> dict:
        output = max(range(len(sums)), key=lambda l: (abs(int(sums[l])), -l))
        return {"output": output, "mean": str(Fraction(int(sums[output]), denominator))}

    def check_laws(self) -> None:
        recorded = self.section("one_coordinate")
        self.laws = {}
        for reading in READINGS:
            law = _quantile_law(self.xi, reading)
            record = get_field(recorded, reading, "one_coordinate")
            for field in ("mean", "w1"):
                self.expect(f"one_coordinate.{reading}.{field}", record.get(field, MISSING) if isinstance(record, dict) else MISSING, law[field])
            self.laws[reading] = law

        # Fact 3.9: each of the 2^n cells [k/2^n, (k+1)/2^n) contributes the integral of |F_grid - F_uniform| = 2^-2n / 2.
        fact = self.section("fact_3_9")
        self.fact_w1 = Fraction(1 << self.n, 2 * (1 << (2 * self.n)))
        self.fact_bound = Fraction(1, 1 << self.n)
        derived = {"n": self.n, "w1": str(self.fact_w1), "stated_bound": str(self.fact_bound),
                   "status": _status(self.fact_w1 <= self.fact_bound)}
        for field, value in derived.items():
            self.expect(f"fact_3_9.{field}", fact.get(field, MISSING), value)
        for field in ("source", "stated_bound_formula", "method"):
            read_text(get_field(fact, field, "fact_3_9"), f"fact_3_9.{field}")

    def check_composition_claims(self) -> None:
        seeds, values = 1 << self.bits, self.values_count
        rows = []
        for reading in READINGS:
            mismatches = self.outcomes[reading]["mismatches"]
            rows.append((f"lemma-4.4/{reading}/computes", f"0 mismatches on {seeds} seeds", f"{mismatches} mismatches on {seeds} seeds",
                         _status(mismatches == 0)))
        for reading in READINGS:
            between = self.outcomes[reading]["between"]
            rows.append((f"lemma-4.4/{reading}/boolean", f"0 of {values} outputs outside {{-1, 1}}",
                         f"{between} of {values} outputs strictly between -1 and 1", _status(between == 0)))
        for reading in READINGS:
            w1 = self.laws[reading]["w1"]
            rows.append((f"lemma-4.4/{reading}/step-2", str(self.xi), w1, _status(Fraction(w1) <= self.xi)))
        rows.append(("fact-3.9/j", str(self.fact_bound), str(self.fact_w1), _status(self.fact_w1 <= self.fact_bound)))
        self.check_claims(rows)


# Lemma 4.5.


class HardnessVerifier(_ClaimsMixin, Verifier):
    """Re-derive a lemma-4.5-hardness certificate."""

    def run(self) -> None:
        self.check_network()
        self.check_table()
        self.check_range()
        self.check_tests()
        self.check_hardness_claims()

    def check_table(self) -> None:
        network = self.network
        self.m, self.d = network.input_dim, network.layers[-1].shape[0]
        if self.m > MAX_SEED_BITS:
            raise InputError(f"network: {self.m} seed bits, more than this checker enumerates ({MAX_SEED_BITS})")
        parameters = self.section("parameters")
        for field, value in (("m", self.m), ("d", self.d)):
            self.expect(f"parameters.{field}", parameters.get(field, MISSING), value)
        round_to_sign = get_field(parameters, "round_to_sign", "parameters")
        if not isinstance(round_to_sign, bool):
            raise InputError(f"parameters.round_to_sign: expected true or false, found {round_to_sign!r}")
        eps = get_field(parameters, "eps", "parameters")
        self.eps = None if eps is None else read_exact(eps, "parameters.eps")
        if self.eps is not None and not 0 < self.eps < 1:
            raise InputError(f"parameters.eps: expected a value strictly between 0 and 1, found {eps}")
        if not isinstance(self.section("generator").get("description"), dict):
            raise InputError("generator.description: expected a JSON object")
        for field, value in _class_of(network).items():
            self.expect(f"generator.{field}", self.section("generator").get(field, MISSING), value)

        values, stats = evaluate_batch(network, hypercube(self.m))
        one = 1 << stats[-1][1]
        boolean = (values == one) | (values == -one)
        rounded = int(values.size - np.count_nonzero(boolean))
        self.require(round_to_sign or rounded == 0,
                     f"seed_table: {rounded} outputs of the generator are not +-1, but parameters.round_to_sign is false")
        self.table = np.where(values >= 0, 1, -1).astype(np.int64).T  # seeds by outputs
        derived = {"seeds": 1 << self.m, "rounded_outputs": rounded,
                   "rounding": "sgn(v) with sgn(0) = 1 for every output v not in {-1, 1}" if round_to_sign else None}
        record = self.section("seed_table")
        for field, value in derived.items():
            self.expect(f"seed_table.{field}", record.get(field, MISSING), value)

    def check_range(self) -> None:
        members = {row.tobytes(): row for row in self.table.astype(np.int8)}
        self.range_rows = np.array(list(members.values()), dtype=np.int64).reshape(len(members), self.d)
        self.range_size = len(members)
        self.range_bound = Fraction(2) ** (self.m - self.d)
        self.range_probability = Fraction(self.range_size, 1 << self.d)
        derived = {"size": self.range_size, "collisions": (1 << self.m) - self.range_size,
                   "probability": str(self.range_probability), "stated_bound": str(self.range_bound)}
        record = self.section("range")
        for field, value in derived.items():
            self.expect(f"range.{field}", record.get(field, MISSING), value)

    def _tests(self):
        """Yield (name, sign, non-empty, sum of chi over the seeds, sum of chi over the range), in the certificate's order."""
        seed_pairs = self.table.T @ self.table  # int64: every entry is at most 2^20 in magnitude
        range_pairs = self.range_rows.T @ self.range_rows
        seed_singles, range_singles = self.table.sum(axis=0), self.range_rows.sum(axis=0)
        for sign in (1, -1):
            yield ("1" if sign > 0 else "-1"), sign, False, 1 << self.m, self.range_size
        for l in range(self.d):
            for sign in (1, -1):
                yield ("" if sign > 0 else "-") + f"x[{l}]", sign, True, int(seed_singles[l]), int(range_singles[l])
        for l in range(self.d):
            for other in range(l + 1, self.d):
                for sign in (1, -1):
                    name = ("" if sign > 0 else "-") + f"x[{l}]*x[{other}]"
                    yield name, sign, True, int(seed_pairs[l, other]), int(range_pairs[l, other])

    def _lines(self, sign: int, nonconstant: bool, seed_sum: int, range_sum: int) -> tuple[Fraction, list[Fraction]]:
        """Return eps_f and the five lines, from counts of inputs where f and h_d agree."""
        total, seeds = 1 << self.d, 1 << self.m
        # Inputs of {+-1}^d where f = -1: half of them for a non-empty character, all or none for a constant.
        if nonconstant:
            minus_count = total // 2
        elif sign < 0:
            minus_count = total
        else:
            minus_count = 0
        range_plus = (self.range_size + sign * range_sum) // 2  # points of the range where f = 1
        range_minus = self.range_size - range_plus
        uniform_agreement = Fraction(minus_count - range_minus + range_plus, total)
        seeds_plus = (seeds + sign * seed_sum) // 2  # seeds with f(G(y)) = 1
        generator_plus = Fraction(seeds_plus, seeds)
        uniform_mean = Fraction(total - 2 * minus_count, total)
        advantage = abs(Fraction(2 * seeds_plus - seeds, seeds) - uniform_mean)
        uniform_minus, uniform_plus = Fraction(minus_count, total), 1 - Fraction(minus_count, total)
        half = Fraction(1, 2)
        lines = [
            (uniform_agreement + generator_plus) * half,
            (uniform_minus + self.range_probability + generator_plus) * half,
            (uniform_minus + self.range_bound + generator_plus) * half,
            (uniform_minus + self.range_bound + uniform_plus + advantage / 2) * half,
            half + advantage / 4 + self.range_bound / 2,
        ]
        return advantage, lines

    def check_tests(self) -> None:
        recorded = self.section("tests")
        read_list(get_field(recorded, "families", "tests"), "tests.families")
        read_text(get_field(recorded, "order", "tests"), "tests.order")
        violations = dict.fromkeys(CHAIN_STEPS, 0)
        count, best_advantage, best_agreement = 0, None, None
        for name, sign, nonconstant, seed_sum, range_sum in self._tests():
            advantage, lines = self._lines(sign, nonconstant, seed_sum, range_sum)
            count += 1
            for step, left, right in zip(CHAIN_STEPS, lines, lines[1:]):
                violations[step] += (left != right) if step == "sum" else (left > right)
            if best_advantage is None or advantage > best_advantage[1]:
                best_advantage = (name, advantage)
            if best_agreement is None or lines[0] > best_agreement[2][0]:
                best_agreement = (name, advantage, lines)
        self.tests, self.violations = count, violations
        self.class_eps, self.best_agreement = best_advantage[1], best_agreement[2][0]
        derived = {
            "count": count,
            "largest_advantage": {"test": best_advantage[0], "advantage": str(best_advantage[1])},
            "largest_agreement": {"test": best_agreement[0], "advantage": str(best_agreement[1]),
                                  "lines": [str(v) for v in best_agreement[2]]},
            "step_violations": violations,
        }
        for field, value in derived.items():
            self.expect(f"tests.{field}", recorded.get(field, MISSING), value)

    def _bound(self, eps: Fraction) -> Fraction:
        return Fraction(1, 2) + eps / 4 + self.range_bound / 2

    def check_hardness_claims(self) -> None:
        class_bound = self._bound(self.class_eps)
        eps_bound = None if self.eps is None else self._bound(self.eps)
        bounds = self.section("bounds")
        derived = {"class_eps": str(self.class_eps), "class_bound": str(class_bound),
                   "eps_bound": None if eps_bound is None else str(eps_bound)}
        for field, value in derived.items():
            self.expect(f"bounds.{field}", bounds.get(field, MISSING), value)

        violations = sum(self.violations.values())
        best = self.best_agreement
        rows = [
            ("lemma-4.5/range", str(self.range_bound), str(self.range_probability), _status(self.range_probability <= self.range_bound)),
            ("lemma-4.5/proof-chain", f"0 violations on {self.tests} tests", f"{violations} violations on {self.tests} tests",
             _status(violations == 0)),
            ("lemma-4.5/hardness-on-tests", str(class_bound), str(best), _status(best <= class_bound)),
        ]
        if self.eps is not None:
            rows += [
                ("lemma-4.5/fooling-hypothesis", str(self.eps), str(self.class_eps), _status(self.class_eps <= self.eps)),
                ("lemma-4.5/hardness-at-eps", str(eps_bound), str(best), _status(best <= eps_bound)),
            ]
        self.check_claims(rows)



def verify(data: dict, network: dict | None = None) -> dict:
    """Re-derive every recorded value of a lemma-4.4 or lemma-4.5 certificate; see verifier.checker.verify_certificate."""
    if data.get("kind") == COMPOSITION_KIND:
        check_header(data, COMPOSITION_KIND, SCHEMA_VERSION, _COMPOSITION_FIELDS)
        return CompositionVerifier(data, network).outcome()
    check_header(data, HARDNESS_KIND, SCHEMA_VERSION, _HARDNESS_FIELDS)
    return HardnessVerifier(data, network).outcome()
