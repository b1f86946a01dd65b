"""Certificates of ``check lemma-4.4`` and ``check lemma-4.5``: the measured values of verifier.constructions.lemma44 beside the stated ones.

Kinds ``lemma-4.4-composition`` and ``lemma-4.5-hardness``; verifier.checker.hardness
re-derives every recorded value from the embedded networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from verifier import __version__
from verifier.claims import make_claim
from verifier.constructions.lemma44 import (
    CHAIN_STEPS,
    READINGS,
    TEST_FAMILIES,
    TEST_ORDER,
    boolean_table,
    build_compositions,
    evaluate_compositions,
    analyse_hardness,
    stated_bound,
    uniform_image_law,
)
from verifier.generator_check import fact_3_9_facts
from verifier.network import Network

SCHEMA_VERSION = 1
COMPOSITION_KIND = "lemma-4.4-composition"
HARDNESS_KIND = "lemma-4.5-hardness"
EXHAUSTIVE = "exact: every seed of {-1,+1}^(mn), layer-by-layer integer evaluation"
ROUNDING_RULE = "sgn(v) with sgn(0) = 1 for every output v not in {-1, 1}"
FORMULAS = {"literal": "h_xi(G(J(x)))", "corrected": "h_xi(2 G(J(x)) - 1)"}


@dataclass
class CheckResult:
    certificate: dict
    correct: bool  # every built network computes what it should
    findings: list[dict]  # claims that do not hold


def _network_record(network: Network) -> dict:
    return {"sha256": network.sha256(), "network": network.to_json(), "depth": network.depth, "size": network.size,
            "tau": network.tau()}


def check_lemma_4_4(generator: Network, description: dict, n: int, xi_inverse: int, progress=lambda _: None) -> CheckResult:
    """Build both readings of G' = h_xi o G o J, evaluate them on every seed and certify the outcome."""
    # Step 1: the networks, then every seed.
    compositions = build_compositions(generator, n, xi_inverse)
    outcome = evaluate_compositions(compositions, progress)
    xi = Fraction(1, xi_inverse)

    # Step 2: Lemma 4.4's step 2 for one coordinate, and Fact 3.9 for J.
    laws = {reading: uniform_image_law(xi, reading) for reading in READINGS}
    fact = fact_3_9_facts(n)

    # Step 3: claims.
    seeds, values = outcome.seeds, outcome.outputs["values"]
    claims = []
    for reading in READINGS:
        measured = outcome.readings[reading]
        claims.append(make_claim(
            f"lemma-4.4/{reading}/computes", "Lemma 4.4 with Lemmas 2.8, 3.10 and 3.12",
            f"the {reading} network equals {FORMULAS[reading]} on every seed, with h_xi(z) = clip(z/xi, -1, 1)",
            f"0 mismatches on {seeds} seeds", f"{measured.mismatches} mismatches on {seeds} seeds",
            "holds" if measured.mismatches == 0 else "fails", EXHAUSTIVE))
    for reading in READINGS:
        measured = outcome.readings[reading]
        claims.append(make_claim(
            f"lemma-4.4/{reading}/boolean", "Lemma 4.4",
            f"G' = {FORMULAS[reading]} maps {{-1,+1}}^(mn) into {{-1,+1}}^d",
            f"0 of {values} outputs outside {{-1, 1}}", f"{measured.between} of {values} outputs strictly between -1 and 1",
            "holds" if measured.between == 0 else "fails", EXHAUSTIVE))
    for reading in READINGS:
        law = laws[reading]
        claims.append(make_claim(
            f"lemma-4.4/{reading}/step-2", "Lemma 4.4, step 2, with Lemma 3.13 and Remark 3.14",
            "W_1(U_1, h_xi(v)) <= xi for v = u (literal) or v = 2u - 1 (corrected), u uniform on [0, 1]: Lemma 3.13's bound "
            "with G_0 the identity on one coordinate, where P[|v| < xi] <= xi and |sgn - h_xi| <= 1",
            str(xi), str(law["w1"]), "holds" if law["w1"] <= xi else "fails", "exact: integral of |F_(U_1) - F| over [-1, 1]"))
    claims.append(make_claim("fact-3.9/j", "Fact 3.9 for each coordinate of J", "W_1(J_i(U_n), I_1) <= 2^-n",
                             fact["stated_bound"], fact["w1"], fact["status"], fact["method"]))

    correct = all(outcome.readings[reading].mismatches == 0 for reading in READINGS)
    findings = [claim for claim in claims if claim["status"] != "holds" and not claim["id"].endswith("/computes")]
    corrected = compositions.readings["corrected"]
    certificate = {
        "schema_version": SCHEMA_VERSION,
        "kind": COMPOSITION_KIND,
        "tool": {"name": "verifier", "version": __version__},
        "parameters": {"m": generator.input_dim, "d": generator.output_dim, "n": n, "seed_bits": compositions.seed_bits,
                       "xi_inverse": xi_inverse, "xi": str(xi)},
        "generator": {"description": description, **_network_record(generator)},
        "network_sha256": corrected.sha256(),
        "network": corrected.to_json(),
        "literal": _network_record(compositions.readings["literal"]),
        "corrected": {"depth": corrected.depth, "size": corrected.size, "tau": corrected.tau()},
        "rules": [
            "J(x)_i = sum_{j=1..n} 2^-(j+1) (x_((i-1)n+j) + 1) (Lemma 3.10), composed by Lemma 2.8 as printed because J >= 0",
            "literal: h_xi on each output of G; corrected: h_xi(2y - 1), that is W_1 = (2/xi, 2/xi) and b_1 = (1 - 1/xi, -1 - 1/xi)",
            "h_xi reads G's outputs as pairs (phi(y), phi(-y)), so a negative output of G keeps its sign",
            "seeds in truth-table order: x_j = -1 exactly when bit j-1 of the seed's index is 1",
        ],
        "outputs": outcome.outputs,
        "readings": {reading: outcome.readings[reading].to_json() for reading in READINGS},
        "one_coordinate": {reading: {"mean": str(laws[reading]["mean"]), "w1": str(laws[reading]["w1"])} for reading in READINGS},
        "fact_3_9": fact,
        "claims": claims,
    }
    return CheckResult(certificate, correct, findings)


def check_lemma_4_5(network: Network, description: dict, round_to_sign: bool, eps: Fraction | None,
                    progress=lambda _: None) -> CheckResult:
    """Compute h_d of a Boolean generator over all 2^m seeds and Lemma 4.5's chain for every test, exactly."""
    # Step 1: the seed table and the analysis.
    table = boolean_table(network, round_to_sign, progress)
    outcome = analyse_hardness(table, progress)
    m, d = outcome.m, outcome.d

    # Step 2: the stated bounds.
    range_probability = Fraction(outcome.range_size, 1 << d)
    range_bound = Fraction(2) ** (m - d)
    class_eps = outcome.largest_advantage.advantage
    class_bound = stated_bound(class_eps, m, d)
    best = outcome.largest_agreement

    # Step 3: claims.
    violations = sum(outcome.step_violations.values())
    claims = [
        make_claim("lemma-4.5/range", "Lemma 4.5, proof", "P[h_d(U_d) = 1] = |range of G| / 2^d <= 2^(m-d)",
                   range_bound, range_probability, "holds" if range_probability <= range_bound else "fails",
                   "exact: the distinct outputs of G over all 2^m seeds"),
        make_claim("lemma-4.5/proof-chain", "Lemma 4.5, proof",
                   "for every test f each line of the proof's chain is at most the next, with P[f(U_d) = 0] read as P[f(U_d) = -1]",
                   f"0 violations on {outcome.tests} tests", f"{violations} violations on {outcome.tests} tests",
                   "holds" if violations == 0 else "fails", "exact: rational arithmetic for every test"),
        make_claim("lemma-4.5/hardness-on-tests", "Lemma 4.5",
                   "P_D[f = h_d] <= 1/2 + eps/4 + 2^(m-d-1) for every test f, with eps the largest advantage "
                   "|E f(G(U_m)) - E f(U_d)| among the tests",
                   class_bound, best.agreement, "holds" if best.agreement <= class_bound else "fails",
                   "exact: the largest agreement over all tests"),
    ]
    if eps is not None:
        eps_bound = stated_bound(eps, m, d)
        claims += [
            make_claim("lemma-4.5/fooling-hypothesis", "Lemma 4.5, hypothesis", "G eps-fools every test: |E f(G(U_m)) - E f(U_d)| <= eps",
                       eps, class_eps, "holds" if class_eps <= eps else "fails", "exact: the largest advantage over all tests"),
            make_claim("lemma-4.5/hardness-at-eps", "Lemma 4.5",
                       "P_D[f = h_d] <= 1/2 + eps/4 + 2^(m-d-1) for every test f, with the given eps (it follows when the hypothesis holds)",
                       eps_bound, best.agreement, "holds" if best.agreement <= eps_bound else "fails",
                       "exact: the largest agreement over all tests"),
        ]

    certificate = {
        "schema_version": SCHEMA_VERSION,
        "kind": HARDNESS_KIND,
        "tool": {"name": "verifier", "version": __version__},
        "parameters": {"m": m, "d": d, "round_to_sign": round_to_sign, "eps": None if eps is None else str(eps)},
        "generator": {"description": description, "depth": network.depth, "size": network.size, "tau": network.tau()},
        "network_sha256": network.sha256(),
        "network": network.to_json(),
        "seed_table": {"seeds": 1 << m, "rounded_outputs": table.rounded, "rounding": ROUNDING_RULE if round_to_sign else None},
        "range": {"size": outcome.range_size, "collisions": (1 << m) - outcome.range_size,
                  "probability": str(range_probability), "stated_bound": str(range_bound)},
        "tests": {
            "families": list(TEST_FAMILIES),
            "order": TEST_ORDER,
            "count": outcome.tests,
            "largest_advantage": {"test": outcome.largest_advantage.name, "advantage": str(class_eps)},
            "largest_agreement": {"test": best.name, "advantage": str(best.advantage), "lines": [str(v) for v in best.lines]},
            "step_violations": {step: outcome.step_violations[step] for step in CHAIN_STEPS},
        },
        "bounds": {"class_eps": str(class_eps), "class_bound": str(class_bound),
                   "eps_bound": None if eps is None else str(stated_bound(eps, m, d))},
        "claims": claims,
    }
    findings = [claim for claim in claims if claim["status"] != "holds"]
    return CheckResult(certificate, True, findings)
