"""Tests of the theorem-3.1-generator checker: exact helpers, faithful certificates and single edits."""

import copy
import json
import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from verifier.checker import core, verify_certificate
from verifier.checker.cholesky import SMALL_SIDE, block_norm_squared_upper, exact_gram_of_rows, positive_definite
from verifier.checker.theorem31 import (
    bits_per_output,
    ceil_sqrt,
    evaluate_expression,
    pi_bounds,
    proves_below_pi,
    value_tau,
    xi_inverse,
)
from verifier.cli import main
from verifier.errors import InputError

REPOSITORY = Path(__file__).resolve().parents[1]
# pi to 50 decimal places, so |PI_50 - pi| < 10^-50.
PI_50 = Fraction("3.14159265358979323846264338327950288419716939937510")
SMALL = ["--m", "6", "--r", "3", "--d", "8", "--eps", "2^-3", "--samples", "16"]


def build(directory: Path, *options: str) -> dict:
    """Run ``generate theorem-3.1`` in this process and return the certificate it wrote."""
    assert main(["generate", "theorem-3.1", *options, "--out", str(directory)]) == 0
    return json.loads((directory / "certificate.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def goldreich(tmp_path_factory):
    """m = 6, r = 3, eps = 2^-3: n = 3 and s = 9 > m, so G' is Goldreich's generator; H is a drawn leaky-ReLU network."""
    return build(tmp_path_factory.mktemp("goldreich") / "out", *SMALL)


@pytest.fixture(scope="module")
def projection(tmp_path_factory):
    """m = 6, r = 2, eps = 2^-3: s = 6 <= m, so G' is a projection; H is the parity:2 predicate network from a file."""
    directory = tmp_path_factory.mktemp("projection")
    network = directory / "parity2.json"
    assert main(["check", "predicate", "parity:2", "--out", str(directory / "p.json"), "--network-out", str(network)]) == 0
    return build(directory / "out", "--m", "6", "--eps", "2^-3", "--target", str(network), "--samples", "16")


def claim(certificate: dict, identifier: str) -> dict:
    return next(c for c in certificate["claims"] if c["id"] == identifier)


# Exact helpers.


@pytest.mark.parametrize("eps, n", [(Fraction(1, 8), 3), (Fraction(3, 32), 4), (Fraction(1, 2), 1), (Fraction(3, 4), 1),
                                    (Fraction(1, 2**12), 12), (Fraction(1, 2**12 + 1), 13)])
def test_bits_per_output(eps, n):
    assert bits_per_output(eps) == n


@pytest.mark.parametrize("value, root", [(Fraction(0), 0), (Fraction(16), 4), (Fraction(17), 5), (Fraction(1, 4), 1),
                                         (Fraction(99, 4), 5), (Fraction(100, 4), 5), (Fraction(101, 4), 6)])
def test_ceil_sqrt(value, root):
    assert ceil_sqrt(value) == root


@pytest.mark.parametrize("bits", [16, 64, 150])
def test_pi_bounds_bracket_pi(bits):
    low, high = pi_bounds(bits)
    assert low < PI_50 + Fraction(1, 10**50)
    assert high > PI_50 - Fraction(1, 10**50)
    assert high - low <= Fraction(1, 2**bits)


def test_proves_below_pi():
    assert proves_below_pi(PI_50 - Fraction(1, 10**40))
    assert not proves_below_pi(PI_50 + Fraction(1, 10**40))
    assert not proves_below_pi(Fraction(22, 7))


@pytest.mark.parametrize("eps, lipschitz, m, d", [(Fraction(1, 2), Fraction(1), 1, 1), (Fraction(1, 4), Fraction(1), 2, 3),
                                                  (Fraction(1, 4096), Fraction(7, 3), 50, 200)])
def test_xi_inverse_matches_float_formula(eps, lipschitz, m, d):
    value = float(lipschitz) * math.sqrt(2 / math.pi * m**3 * d) / float(eps)
    assert abs(value - round(value)) > 1e-6  # far from an integer, so the float ceiling is right
    assert xi_inverse(eps, lipschitz, m, d) == math.ceil(value)


@pytest.mark.parametrize("value, tau", [(Fraction(0), 0), (Fraction(1), 0), (Fraction(2), 1), (Fraction(5), 3), (Fraction(8), 3),
                                        (Fraction(9), 4), (Fraction(3, 8), 3), (Fraction(-1, 2), 1), (Fraction(70039), 17)])
def test_value_tau(value, tau):
    assert value_tau(value) == tau


@pytest.mark.parametrize("text, value", [("-17/2 + 3*log(3)/(2*log(2))", -8.5 + 1.5 * math.log2(3)), ("-233", -233.0),
                                         ("11*sqrt(2)/4", 11 * math.sqrt(2) / 4), ("log((27/131072)**(1/(2*log(2))))",
                                                                                   (math.log2(27) - 17) / 2)])
def test_evaluate_expression(text, value):
    assert evaluate_expression(text) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("text", ["x + 1", "__import__('os')", "1/0", "log(-1)", "(", "2**(10**9)"])
def test_evaluate_expression_rejects(text):
    assert evaluate_expression(text) is None


def test_exact_gram_of_rows_matches_python_integers():
    rng = np.random.default_rng(5)
    matrix = [[int(v) * (1 << 70) + int(w) for v, w in zip(row, other)]
              for row, other in zip(rng.integers(-2**20, 2**20, size=(7, 61)), rng.integers(-2**40, 2**40, size=(7, 61)))]
    expected = [[sum(a * b for a, b in zip(left, right)) for right in matrix] for left in matrix]
    assert exact_gram_of_rows(np.array(matrix, dtype=object)).tolist() == expected


def test_positive_definite_above_small_side():
    rng = np.random.default_rng(7)
    side = SMALL_SIDE + 12
    factor = rng.integers(-50, 50, size=(side, side))
    gram = (factor.T @ factor).tolist()
    definite = [[v + (1000 if i == j else 0) for j, v in enumerate(row)] for i, row in enumerate(gram)]
    smallest = np.linalg.eigvalsh(np.array(gram, dtype=float))[0]
    indefinite = [[v - (int(smallest) + 1000 if i == j else 0) for j, v in enumerate(row)] for i, row in enumerate(gram)]
    low_rank = (factor[: side // 2].T @ factor[: side // 2]).tolist()
    assert positive_definite(definite)
    assert np.linalg.eigvalsh(np.array(indefinite, dtype=float))[0] < 0
    assert not positive_definite(indefinite)
    assert not positive_definite(low_rank)  # positive semidefinite but singular: no proof, and none claimed


def test_block_norm_bounds():
    ones = core.CheckedLayer((2, 2), [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1)], [0, 0], 0)
    row = core.CheckedLayer((1, 2), [(0, 0, 3), (0, 1, 4)], [0], 1)  # (3/2, 2), norm 5/2
    assert block_norm_squared_upper(ones, core.split_blocks(ones)[0][0]) == 4
    assert block_norm_squared_upper(row, core.split_blocks(row)[0][0]) == Fraction(25, 4)

    rng = np.random.default_rng(11)
    dense = rng.integers(-1000, 1000, size=(90, SMALL_SIDE + 20))
    entries = [(r, c, int(dense[r, c])) for r in range(dense.shape[0]) for c in range(dense.shape[1]) if dense[r, c]]
    layer = core.CheckedLayer(dense.shape, entries, [0] * dense.shape[0], 10)
    bound = block_norm_squared_upper(layer, core.split_blocks(layer)[0][0])
    estimate = np.linalg.norm(dense / 1024.0, 2) ** 2
    assert estimate * (1 - 1e-12) <= bound <= estimate * (1 + 2.0**-19)


# Faithful certificates.


def test_goldreich_certificate_verifies(goldreich):
    outcome = verify_certificate(copy.deepcopy(goldreich))
    assert outcome["failure"] is None
    assert outcome["valid"] is True
    assert outcome["checked"] > 300


def test_goldreich_certificate_values(goldreich):
    parameters = goldreich["parameters"]
    assert (parameters["n"], parameters["s"]) == (3, 9)
    assert goldreich["inner"]["kind"] == "Goldreich's generator (Theorem 3.2)"
    assert goldreich["j"]["weight_norm_squared"] == "21/256"  # 1/16 + 1/64 + 1/256
    assert goldreich["fact_3_9"]["w1"] == "1/16"  # 2^-(n+1)
    lambda_base = Fraction(goldreich["xi"]["lambda_base"])
    expected = math.ceil(float(lambda_base) * math.sqrt(2 / math.pi * 6**3 * 8) * 8)
    assert goldreich["xi"]["inverse"] == expected
    assert claim(goldreich, "lemma-3.13/sampled-identity")["method"].startswith("sampled")


def test_projection_file_target_verifies(projection):
    assert projection["inner"]["kind"] == "projection onto the first s seed coordinates"
    assert projection["target"]["kind"] == "network file"
    outcome = verify_certificate(copy.deepcopy(projection))
    assert outcome["failure"] is None
    assert outcome["valid"] is True


def test_verify_command_exit_codes(goldreich, tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(goldreich), encoding="utf-8")
    edited = copy.deepcopy(goldreich)
    edited["xi"]["inverse"] += 1
    bad.write_text(json.dumps(edited), encoding="utf-8")
    accepted = subprocess.run([sys.executable, "-m", "verifier", "verify", str(good)], cwd=REPOSITORY, capture_output=True, text=True)
    rejected = subprocess.run([sys.executable, "-m", "verifier", "verify", str(bad)], cwd=REPOSITORY, capture_output=True, text=True)
    assert accepted.returncode == 0
    assert "verified" in accepted.stdout
    assert rejected.returncode == 1
    assert "INVALID: xi.inverse: recorded" in rejected.stdout


# Single edits.


def _set(path, value):
    def edit(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value(target[path[-1]]) if callable(value) else value
    return edit


def _claim_field(identifier, field, value):
    def edit(data):
        claim(data, identifier)[field] = value
    return edit


def _last_layer_weight(data):
    weight = data["network"]["layers"][-1]["weights"][0]
    weight[2] = str(Fraction(weight[2]) + Fraction(1, 2**14))


def _j_weight_rehashed(data):
    """Change one weight of J inside G and record the new hash of G, so that only J's own check can notice."""
    layers = data["network"]["layers"]
    index = len(layers) - data["target"]["depth"] - 1  # J's layer
    for weight in layers[index]["weights"]:
        if weight[:2] == [0, 0]:
            weight[2] = "1/2"
        elif weight[:2] == [0, data["parameters"]["s"]]:
            weight[2] = "-1/2"  # keep the paired column, so that J still reads signed pairs
    data["network_sha256"] = core.network_sha256(data["network"])


EDITS = {
    "xi": (_set(["xi", "inverse"], lambda v: v + 1), "xi.inverse: recorded"),
    "claim status": (_claim_field("theorem-3.7/size", "status", "holds"), "claims[", ".status (theorem-3.7/size): recorded"),
    "weight with hash kept": (_last_layer_weight, "network_sha256: recorded"),
    "tau of a coordinate": (_set(["coordinates", "generator", 3, "tau"], lambda v: v + 1), "coordinates.generator[3].tau"),
    "hash": (_set(["network_sha256"], "0" * 64), "network_sha256: recorded"),
    "weight of J, rehashed": (_j_weight_rehashed, "j.sha256: recorded"),
    "lipschitz bound halved": (_set(["coordinates", "base", 0, "lipschitz_upper"], lambda v: str(Fraction(v) / 2)),
                               "coordinates.base[0].lipschitz_upper"),
    "sampled claim called exact": (_claim_field("lemma-3.13/sampled-identity", "method", "exact: every seed"),
                                   "claims[", ".method (lemma-3.13/sampled-identity): recorded"),
    "band count": (_set(["sampling", "inside_band"], 3), "sampling:"),
    "sampled claims": (_set(["sampled_claims"], []), "sampled_claims"),
    "hyperedge": (_set(["inner", "hypergraph", "hyperedges", 0], lambda e: [e[1], e[0]] + e[2:]), "inner.hypergraph.hyperedges[0]"),
    "sigma_min lower bound": (_set(["target", "singular_values", 0, "sigma_min_squared_lower"], lambda v: str(2 * Fraction(v))),
                              "target.singular_values[0].sigma_min_squared_lower"),
    "n": (_set(["parameters", "n"], 4), "parameters.n"),
    "target seed": (_set(["target", "seed"], 5), "target.seed"),
    "h_xi breaks": (_set(["h_xi", "breaks"], ["-1", "1"]), "h_xi.breaks"),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_single_edit_rejected(goldreich, name):
    edit, path, *detail = EDITS[name]
    data = copy.deepcopy(goldreich)
    edit(data)
    outcome = verify_certificate(data)
    assert outcome["valid"] is False
    assert outcome["failure"].startswith(path)
    for text in detail:
        assert text in outcome["failure"]


@pytest.mark.parametrize("where", [[], ["xi"], ["inner", "coordinate_proof"], ["coordinates", "target", 0]])
def test_unknown_field_input_error(goldreich, where):
    data = copy.deepcopy(goldreich)
    target = data
    for key in where:
        target = target[key]
    target["extra"] = 1
    with pytest.raises(InputError, match="unknown field"):
        verify_certificate(data)


def test_unknown_claim_id_input_error(goldreich):
    data = copy.deepcopy(goldreich)
    data["claims"][0]["id"] = "theorem-9/item-1"
    with pytest.raises(InputError, match="unknown claim id"):
        verify_certificate(data)
