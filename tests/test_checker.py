"""Tests of the independent certificate checker behind ``python -m verifier verify``."""

import ast
import copy
import json
import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from verifier.checker import core as checker
from verifier.checker import verify_certificate, verify_file
from verifier.errors import InputError
from verifier.network import Network
from verifier.predicate_check import check_predicate
from verifier.predicates import predicate_from_name
from verifier.reference import evaluate_fraction

REPOSITORY = Path(__file__).resolve().parents[1]
CASES = {"TSA": ("TSA", "tree"), "maj3": ("maj:3", "tree"), "TSA-appendix": ("TSA", "appendix")}


@pytest.fixture(scope="module")
def certificates():
    """Build each certificate once, as plain JSON data."""
    built = {}
    for key, (name, construction) in CASES.items():
        certificate = check_predicate(predicate_from_name(name), construction).certificate
        built[key] = json.loads(json.dumps(certificate))
    return built


def fresh(certificates, key):
    return copy.deepcopy(certificates[key])


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def run_cli(*arguments):
    return subprocess.run([sys.executable, "-m", "verifier", *arguments], cwd=REPOSITORY, capture_output=True, text=True)


# Faithful certificates verify.


@pytest.mark.parametrize("key", sorted(CASES))
def test_builder_certificate_verifies(certificates, key):
    outcome = verify_certificate(fresh(certificates, key))
    assert outcome["failure"] is None
    assert outcome["valid"] is True
    assert outcome["checked"] > 50
    assert outcome["kind"] == "predicate-network"
    assert outcome["network_sha256"] == certificates[key]["network_sha256"]


def test_appendix_failures_are_faithful_record(certificates):
    certificate = fresh(certificates, "TSA-appendix")
    assert certificate["exhaustive_check"]["status"] == "fail"
    assert certificate["exhaustive_check"]["first_failure"] is not None
    assert any(claim["status"] == "fails" for claim in certificate["claims"])
    assert verify_certificate(certificate)["valid"] is True


# Single edits are rejected, and the failure names the edited field.


def lower_first_norm(certificate):
    estimate = Fraction(certificate["operator_norms"][0]["float_estimate"])
    certificate["operator_norms"][0]["upper"] = str(Fraction(int(estimate * 2**20) - 1, 2**20))


def change_weight(certificate):
    entry = certificate["network"]["layers"][0]["weights"][0]
    entry[2] = "2" if entry[2] != "2" else "3"


def nudge_lower(delta):
    def edit(certificate):
        certificate["lipschitz"]["lower"] = str(Fraction(certificate["lipschitz"]["lower"]) + delta)
    return edit


def rehash(certificate, network_path):
    record = certificate
    for key in network_path:
        record = record[key]
    record["network_sha256"] = checker.network_sha256(record["network"])


def change_output_weight_and_rehash(certificate):
    certificate["network"]["layers"][-1]["weights"][0][2] = "7"
    rehash(certificate, [])


def change_product_weight_and_rehash(certificate):
    last = certificate["product_networks"][-1]["network"]["layers"][-1]
    last["weights"][0][2] = "3"
    rehash(certificate, ["product_networks", len(certificate["product_networks"]) - 1])


def set_field(path, value):
    def edit(certificate):
        record = certificate
        for key in path[:-1]:
            record = record[key]
        record[path[-1]] = value
    return edit


def delete_field(path):
    def edit(certificate):
        record = certificate
        for key in path[:-1]:
            record = record[key]
        del record[path[-1]]
    return edit


EDITS = [
    ("TSA", set_field(["fourier", "coefficients", 0, "value"], "1/4"), "fourier.coefficients[0].value"),
    ("TSA", set_field(["fourier", "resiliency"], 1), "fourier.resiliency"),
    ("TSA", set_field(["claims", 1, "measured"], "3"), "claims[1].measured"),
    ("TSA", set_field(["claims", 1, "status"], "fails"), "claims[1].status"),
    ("TSA", lower_first_norm, "operator_norms[0].upper"),
    ("TSA", set_field(["operator_norms", 1, "blocks"], 1), "operator_norms[1].blocks"),
    ("TSA", set_field(["operator_norms", 0, "float_estimate"], "1.0"), "operator_norms[0].float_estimate"),
    ("TSA", change_weight, "network_sha256"),
    ("TSA", set_field(["network_sha256"], "0" * 64), "network_sha256"),
    ("TSA", change_output_weight_and_rehash, "exhaustive_check.mismatches"),
    ("TSA", nudge_lower(Fraction(1, 2**80)), "lipschitz.lower"),
    ("TSA", nudge_lower(-Fraction(1, 2**80)), "lipschitz.lower"),
    ("TSA", set_field(["lipschitz", "lower_squared"], "30"), "lipschitz.lower_squared"),
    ("TSA", set_field(["lipschitz", "witness"], ["0"] * 5), "lipschitz.witness"),
    ("TSA", set_field(["network_class", "tau"], 2), "network_class.tau"),
    ("TSA", set_field(["evaluator", "layers", 2, "measured_bits"], 4), "evaluator.layers[2].measured_bits"),
    ("TSA", set_field(["product_networks", 0, "norm_product_upper"], "16"), "product_networks[0].norm_product_upper"),
    ("TSA", set_field(["product_networks", 0, "norm_product_lower_squared"], "287"),
     "product_networks[0].norm_product_lower_squared"),
    ("TSA", change_product_weight_and_rehash, "product_networks[2].computes_character"),
    ("maj3", set_field(["predicate", "truth_table"], "0x17"), "fourier.coefficients"),
    ("maj3", delete_field(["claims", 0]), "claims: the claim lemma-3.3/computes-predicate is missing"),
    ("TSA-appendix", delete_field(["exhaustive_check", "first_failure"]), "exhaustive_check.first_failure"),
    ("TSA-appendix", set_field(["exhaustive_check", "first_failure"], None), "exhaustive_check.first_failure"),
    ("TSA-appendix", set_field(["exhaustive_check", "status"], "pass"), "exhaustive_check.status"),
]


@pytest.mark.parametrize("key, edit, field", EDITS, ids=[f"{key}-{field}" for key, _, field in EDITS])
def test_single_edit_is_rejected(certificates, key, edit, field):
    certificate = fresh(certificates, key)
    edit(certificate)
    outcome = verify_certificate(certificate)
    assert outcome["valid"] is False
    assert field in outcome["failure"]


def test_difference_quotient_witness_verifies(certificates):
    certificate = fresh(certificates, "TSA")
    network = Network.from_json(certificate["network"], "network")
    x = [Fraction(1, 2)] * 5
    y = [Fraction(-1, 4)] + [Fraction(1, 2)] * 4
    difference = sum((a - b) ** 2 for a, b in zip(evaluate_fraction(network, x), evaluate_fraction(network, y)))
    squared = difference / sum((a - b) ** 2 for a, b in zip(x, y))
    lower = Fraction(math.isqrt(math.floor(squared * 4**24)), 2**24)
    certificate["lipschitz"].update(
        lower_method="exact: difference quotient of two points",
        witness=[[str(v) for v in x], [str(v) for v in y]],
        lower_squared=str(squared),
        lower=str(lower),
    )
    assert squared > 0
    assert verify_certificate(certificate)["valid"] is True

    certificate["lipschitz"]["witness"][1][1] = "-1/2"  # off the line through x and y
    outcome = verify_certificate(certificate)
    assert outcome["valid"] is False
    assert "lipschitz.lower_squared" in outcome["failure"]


def test_failure_shows_recorded_and_derived(certificates):
    certificate = fresh(certificates, "TSA")
    certificate["fourier"]["coefficients"][0]["value"] = "1/4"
    failure = verify_certificate(certificate)["failure"]
    assert "recorded \"1/4\"" in failure
    assert "re-derived \"1/2\"" in failure


def test_appendix_claim_status_flip_is_rejected(certificates):
    certificate = fresh(certificates, "TSA-appendix")
    index = next(i for i, claim in enumerate(certificate["claims"]) if claim["status"] == "fails")
    certificate["claims"][index]["status"] = "holds"
    outcome = verify_certificate(certificate)
    assert outcome["valid"] is False
    assert f"claims[{index}].status" in outcome["failure"]


# Input errors: not a certificate, unknown schema, unknown fields, malformed values.


@pytest.mark.parametrize("edit, message", [
    (set_field(["extra"], 1), "unknown field 'extra'"),
    (set_field(["lipschitz", "extra"], 1), "unknown field 'lipschitz.extra'"),
    (set_field(["operator_norms", 0, "extra"], 1), "unknown field 'operator_norms[0].extra'"),
    (set_field(["network", "layers", 0, "extra"], 1), "unknown field 'network.layers[0].extra'"),
    (set_field(["schema_version"], 2), "schema_version"),
    (set_field(["schema_version"], True), "schema_version"),
    (set_field(["kind"], "other"), "kind"),
    (delete_field(["kind"]), "not a certificate"),
    (set_field(["claims", 0, "id"], "lemma-9.9/made-up"), "unknown claim id"),
    (set_field(["network", "layers", 0, "weights", 0, 2], "2/2"), "network.layers[0].weights[0]"),
    (set_field(["operator_norms", 0, "upper"], 2.5), "operator_norms[0].upper"),
])
def test_malformed_certificate_raises_input_error(certificates, edit, message):
    certificate = fresh(certificates, "TSA")
    edit(certificate)
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        verify_certificate(certificate)


def test_non_dyadic_weight_is_a_changed_value(certificates):
    # A recorded weight that is not dyadic is tampering with a value, not an unreadable file.
    certificate = fresh(certificates, "TSA")
    certificate["network"]["layers"][0]["weights"][0][2] = "1/3"
    outcome = verify_certificate(certificate)
    assert outcome["valid"] is False
    assert "not a dyadic rational" in outcome["failure"]


def test_non_object_raises_input_error():
    with pytest.raises(InputError, match="not a certificate"):
        verify_certificate([1, 2])


def test_missing_file_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        verify_file(str(tmp_path / "absent.json"))


def test_non_json_file_raises_input_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="invalid JSON"):
        verify_file(str(path))


def test_nan_in_file_raises_input_error(tmp_path, certificates):
    text = json.dumps(fresh(certificates, "TSA")).replace('"seed": 0', '"seed": NaN')
    path = tmp_path / "nan.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="NaN"):
        verify_file(str(path))


def test_repeated_key_raises_input_error(tmp_path, certificates):
    text = json.dumps(fresh(certificates, "TSA"))
    path = tmp_path / "repeated.json"
    path.write_text('{"kind": "predicate-network", ' + text[1:], encoding="utf-8")
    with pytest.raises(InputError, match="appears twice"):
        verify_file(str(path))


# Network files given separately.


def test_matching_network_file_verifies(tmp_path, certificates):
    certificate = fresh(certificates, "TSA")
    path = write(tmp_path, "TSA.cert.json", certificate)
    network_path = write(tmp_path, "TSA.network.json", certificate["network"])
    assert verify_file(path, network_path)["valid"] is True


def test_network_file_from_certificate_verifies(tmp_path, certificates):
    path = write(tmp_path, "TSA.cert.json", fresh(certificates, "TSA"))
    assert verify_file(path, path)["valid"] is True


def test_other_network_file_is_invalid(tmp_path, certificates):
    path = write(tmp_path, "TSA.cert.json", fresh(certificates, "TSA"))
    network_path = write(tmp_path, "maj3.network.json", certificates["maj3"]["network"])
    outcome = verify_file(path, network_path)
    assert outcome["valid"] is False
    assert "network_sha256" in outcome["failure"]
    assert "--network file" in outcome["failure"]


def test_network_file_replaces_missing_embedded_network(tmp_path, certificates):
    certificate = fresh(certificates, "TSA")
    network_path = write(tmp_path, "TSA.network.json", certificate.pop("network"))
    path = write(tmp_path, "TSA.cert.json", certificate)
    assert verify_file(path, network_path)["valid"] is True
    assert "network: missing" in verify_file(path)["failure"]


# Command line exit codes.


def test_cli_exit_codes(tmp_path, certificates):
    valid = write(tmp_path, "valid.json", fresh(certificates, "TSA"))
    tampered_data = fresh(certificates, "TSA")
    tampered_data["claims"][1]["status"] = "fails"
    tampered = write(tmp_path, "tampered.json", tampered_data)
    unknown_data = fresh(certificates, "TSA")
    unknown_data["extra"] = 1

    passed = run_cli("verify", valid)
    failed = run_cli("verify", tampered)
    rejected = run_cli("verify", write(tmp_path, "unknown.json", unknown_data))
    missing = run_cli("verify", str(tmp_path / "absent.json"))

    assert passed.returncode == 0, passed.stderr
    assert "verified" in passed.stdout
    assert failed.returncode == 1, failed.stderr
    assert "claims[1].status" in failed.stdout
    assert rejected.returncode == 2
    assert "unknown field 'extra'" in rejected.stderr
    assert missing.returncode == 2
    assert "file not found" in missing.stderr


# Independence from the builder.


def test_checker_imports_only_errors_from_package():
    imported = set()
    for path in sorted((REPOSITORY / "verifier" / "checker").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.add("." * node.level + (node.module or ""))
    from_package = {name for name in imported if name.startswith(("verifier", "."))}
    outside_checker = {name for name in from_package if not name.startswith("verifier.checker")}
    assert outside_checker == {"verifier.errors"}
    assert not any(name.startswith(".") for name in from_package)


# Exact building blocks.


@pytest.mark.parametrize("matrix, semidefinite, definite", [
    ([[1, 0], [0, 1]], True, True),
    ([[0, 0], [0, 1]], True, False),
    ([[0, 1], [1, 0]], False, False),
    ([[1, 1], [1, 1]], True, False),
    ([[1, 2], [2, 1]], False, False),
    ([[2, -1, 0], [-1, 2, -1], [0, -1, 2]], True, True),
    ([[-1]], False, False),
])
def test_elimination_decides_semidefiniteness(matrix, semidefinite, definite):
    assert checker.pivots_nonnegative(matrix, strict=False) is semidefinite
    assert checker.pivots_nonnegative(matrix, strict=True) is definite


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(-9, 9), min_size=3, max_size=3), min_size=1, max_size=5))
def test_gram_with_repeated_column_is_singular_semidefinite(rows):
    matrix = np.array([row + [row[0]] for row in rows], dtype=object)  # column 3 repeats column 0
    gram = (matrix.T @ matrix).tolist()
    assert checker.pivots_nonnegative(gram, strict=False) is True
    assert checker.pivots_nonnegative(gram, strict=True) is False


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(
    st.lists(st.lists(st.integers(-3, 3), min_size=n, max_size=n), min_size=0, max_size=n + 1),
    st.integers(-2, 2),
    st.lists(st.lists(st.integers(-2, 2), min_size=n, max_size=n), min_size=n, max_size=n),
    st.booleans(),
)))
def test_elimination_matches_sympy(case):
    rows, shift, noise, use_noise = case
    size = len(noise)
    if use_noise:  # a random symmetric matrix, often indefinite
        matrix = [[noise[i][j] + noise[j][i] for j in range(size)] for i in range(size)]
    else:  # a Gram matrix minus shift I, often singular
        gram = [[sum(row[i] * row[j] for row in rows) for j in range(size)] for i in range(size)]
        matrix = [[gram[i][j] - (shift if i == j else 0) for j in range(size)] for i in range(size)]
    oracle = sympy.Matrix(matrix)
    assert checker.pivots_nonnegative(matrix, strict=False) is oracle.is_positive_semidefinite
    assert checker.pivots_nonnegative(matrix, strict=True) is oracle.is_positive_definite


def test_norm_bounds_are_exact_at_the_norm():
    layer = checker.CheckedLayer((2, 2), [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1)], [0, 0], 0)  # ||W||_2 = 2
    blocks, count = checker.split_blocks(layer)
    tiny = Fraction(1, 2**60)
    assert count == 1
    assert checker.norm_squared_at_most(layer, blocks, Fraction(4)) is True
    assert checker.norm_squared_at_most(layer, blocks, 4 - tiny) is False
    assert checker.norm_squared_at_least(layer, blocks, Fraction(4)) is True
    assert checker.norm_squared_at_least(layer, blocks, 4 + tiny) is False


def test_blocks_are_split_and_deduplicated():
    entries = [(0, 0, 1), (1, 1, 1), (2, 2, -1), (3, 3, 1), (3, 4, 1)]
    blocks, count = checker.split_blocks(checker.CheckedLayer((5, 5), entries, [0] * 5, 0))
    assert count == 4
    assert sorted(blocks) == [(1, 1, ((0, 0, -1),)), (1, 1, ((0, 0, 1),)), (1, 2, ((0, 0, 1), (0, 1, 1)))]


@st.composite
def network_and_point(draw):
    """Draw a small network in the JSON format, with numerators large enough to reach Python integers."""
    width, layers = draw(st.integers(1, 3)), []
    for rows in draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)) + [1]:
        def number():
            return str(Fraction(draw(st.integers(-(2**40), 2**40)), 2 ** draw(st.integers(0, 40))))
        weights = [[r, c, number()] for r in range(rows) for c in range(width) if draw(st.booleans())]
        layers.append({"shape": [rows, width], "weights": weights, "bias": [number() for _ in range(rows)]})
        width = rows
    network = {"format": "verifier-relu-network", "schema_version": 1, "input_dim": layers[0]["shape"][1], "layers": layers}
    point = [draw(st.sampled_from([-1, 1])) for _ in range(network["input_dim"])]
    return network, point


@settings(max_examples=80, deadline=None)
@given(network_and_point())
def test_batch_evaluation_matches_point_evaluation(case):
    data, point = case
    network = checker.parse_network(data, "network")
    outputs, stats = checker.evaluate_batch(network, np.array(point, dtype=np.int64)[:, None])
    expected, _ = checker.evaluate_point(network, [Fraction(x) for x in point])
    assert Fraction(int(outputs[0, 0]), 2 ** stats[-1][1]) == expected[0]
