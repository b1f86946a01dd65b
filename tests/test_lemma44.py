"""Tests for Lemma 4.4's G' = h_xi o G o J, Lemma 4.5's h_d and their commands and checker.

Expected values were worked out by hand (see the comments) or by a plain Python
computation that shares no code with the networks.
"""

import json
from fractions import Fraction

import numpy as np
import pytest

from verifier.checker import verify_certificate, verify_file
from verifier.checker.hardness import _quantile_law
from verifier.cli import main
from verifier.constructions import lemma44
from verifier.constructions.goldreich import draw_hypergraph
from verifier.errors import InputError
from verifier.network import Layer, Network
from verifier.predicates import parse_predicate


def run_main(capsys, *arguments):
    code = main([str(a) for a in arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def hand_generator() -> Network:
    """G(z) = (z_1, z_2, (z_1 + z_2)/2) on R^2, one affine layer."""
    return Network(2, [Layer.from_dense([[1, 0], [0, 1], ["1/2", "1/2"]])])


# Lemma 4.4, one coordinate.


@pytest.mark.parametrize("xi_inverse, literal_w1, corrected_w1", [(8, "15/16", "1/16"), (1, "3/4", "1/2"), (2, "3/4", "1/4")])
def test_uniform_image_law_by_hand(xi_inverse, literal_w1, corrected_w1):
    # Literal: mass 1 - xi at +1 and u/xi on [0, 1) otherwise, so mean and W_1 are both 1 - xi/2.
    # Corrected: symmetric, mass (1 - xi)/2 at each of +-1, so mean 0 and W_1 = xi/2.
    xi = Fraction(1, xi_inverse)
    literal = lemma44.uniform_image_law(xi, "literal")
    corrected = lemma44.uniform_image_law(xi, "corrected")
    assert literal == {"mean": 1 - xi / 2, "w1": Fraction(literal_w1)}
    assert corrected == {"mean": 0, "w1": Fraction(corrected_w1)}


def test_uniform_image_law_matches_quantile_method():
    for xi_inverse in range(1, 21):
        for reading in lemma44.READINGS:
            law = lemma44.uniform_image_law(Fraction(1, xi_inverse), reading)
            assert _quantile_law(Fraction(1, xi_inverse), reading) == {"mean": str(law["mean"]), "w1": str(law["w1"])}


# Lemma 4.4 on a generator given by hand.


def test_hand_generator_counts():
    # J with n = 2 puts each z_i on {0, 1/4, 1/2, 3/4}, each value at 4 of the 16 seeds; the third output is
    # k/8 with k = 0..6 at 1, 2, 3, 4, 3, 2, 1 seeds. With xi = 1/8 the literal reading gives 0 at y = 0 and
    # +1 elsewhere; the corrected one gives -1 for y <= 3/8, 0 at y = 1/2 and +1 for y >= 5/8.
    compositions = lemma44.build_compositions(hand_generator(), 2, 8)
    outcome = lemma44.evaluate_compositions(compositions)
    assert outcome.seeds == 16
    assert outcome.outputs == {"values": 48, "min": "0", "max": "3/4", "outside_unit_interval": 0, "at_least_xi": 39,
                               "equal_to_half": 11, "within_xi_of_half": 11}
    literal, corrected = outcome.readings["literal"], outcome.readings["corrected"]
    assert (literal.plus_one, literal.minus_one, literal.between) == (39, 0, 9)
    assert (corrected.plus_one, corrected.minus_one, corrected.between) == (11, 26, 11)
    assert literal.mismatches == corrected.mismatches == 0


def test_hand_generator_means_and_first_outputs():
    compositions = lemma44.build_compositions(hand_generator(), 2, 8)
    outcome = lemma44.evaluate_compositions(compositions)
    literal, corrected = outcome.readings["literal"], outcome.readings["corrected"]
    # Output 2: 15 of 16 seeds give +1 (literal); 10 give -1, 3 give 0 and 3 give +1 (corrected).
    assert literal.largest_mean == {"output": 2, "mean": "15/16"}
    assert corrected.largest_mean == {"output": 2, "mean": "-7/16"}
    # After sgn (sgn(0) = 1) every literal output is +1; the corrected output 2 has 10 of -1 against 6 of +1.
    assert literal.largest_rounded_mean == {"output": 0, "mean": "1"}
    assert corrected.largest_rounded_mean == {"output": 2, "mean": "-1/4"}
    # Seed 3 = (-1, -1, +1, +1) is the first with z_1 = 0; seed 1 = (-1, +1, +1, +1) gives y_3 = 1/2.
    assert literal.first_between == {"seed": [-1, -1, 1, 1], "output": 0, "value": "0"}
    assert corrected.first_between == {"seed": [-1, 1, 1, 1], "output": 2, "value": "0"}


def test_negative_output_keeps_sign():
    # G(z) = z - 1/2 with n = 2 gives y in {-1/2, -1/4, 0, 1/4}; h_xi with xi = 1/8 gives -1, -1, 0, 1.
    generator = Network(1, [Layer.from_dense([[1]], ["-1/2"])])
    compositions = lemma44.build_compositions(generator, 2, 8)
    values, exponent = lemma44.evaluate_on_hypercube(compositions.readings["literal"])
    seeds = [Fraction(int(v), 1 << exponent) for v in values[0]]
    # Seeds in truth-table order: (+,+) -> 3/4 - 1/2, (-,+) -> 1/4 - 1/2, (+,-) -> 1/2 - 1/2, (-,-) -> 0 - 1/2.
    assert seeds == [1, -1, 0, -1]
    outcome = lemma44.evaluate_compositions(compositions)
    assert outcome.outputs["outside_unit_interval"] == 2


# Lemma 4.4 on the example generator, against a plain computation.


def plain_example(m, n, d, bits, hyperedges):
    """Return y = G(J(x)) for every seed with P(a, b) = a b (parity of two, -1 true), computed with Fractions.

    With xi <= 2^-n the seed sign of block i is its first bit; output l packs the
    predicate values p_(lb+j) as sum_j 2^-(j+1) (p + 1).
    """
    values = []
    for index in range(1 << (m * n)):
        x = [1 - 2 * ((index >> j) & 1) for j in range(m * n)]
        signs = [x[i * n] for i in range(m)]
        predicate = [signs[a] * signs[b] for a, b in hyperedges]
        values.append([sum(Fraction(p + 1, 1 << (j + 2)) for j, p in enumerate(predicate[l * bits:(l + 1) * bits])) for l in range(d)])
    return values


def test_example_generator_matches_plain_computation():
    predicate = parse_predicate("parity:2")
    m, n, d, bits, xi_inverse = 4, 2, 2, 2, 4
    generator, description = lemma44.build_example_generator(m, d, bits, predicate, 0, xi_inverse)
    hypergraph = draw_hypergraph(m, d * bits, 2, 0)
    assert description["hypergraph"]["hyperedges"] == [list(edge) for edge in hypergraph.hyperedges]
    expected = plain_example(m, n, d, bits, hypergraph.hyperedges)

    compositions = lemma44.build_compositions(generator, n, xi_inverse)
    for name, network, rule in (
        ("G o J", compositions.on_grid, lambda y: y),
        ("literal", compositions.readings["literal"], lambda y: min(max(y * xi_inverse, -1), 1)),
        ("corrected", compositions.readings["corrected"], lambda y: min(max((2 * y - 1) * xi_inverse, -1), 1)),
    ):
        values, exponent = lemma44.evaluate_on_hypercube(network)
        found = [[Fraction(int(v), 1 << exponent) for v in column] for column in values.T]
        assert found == [[rule(y) for y in row] for row in expected], name


def test_example_literal_sends_large_outputs_to_one():
    # y lies in {0, 1/4, 1/2, 3/4}; with xi = 1/4 the literal G' is +1 exactly where y >= 1/4 and never -1,
    # and the corrected G' is sgn(2y - 1) except at y = 1/2, where it is 0.
    predicate = parse_predicate("parity:2")
    generator, _ = lemma44.build_example_generator(4, 2, 2, predicate, 0, 4)
    compositions = lemma44.build_compositions(generator, 2, 4)
    y, exponent = lemma44.evaluate_on_hypercube(compositions.on_grid)
    y = np.array([[Fraction(int(v), 1 << exponent) for v in row] for row in y])
    literal, literal_exponent = lemma44.evaluate_on_hypercube(compositions.readings["literal"])
    corrected, corrected_exponent = lemma44.evaluate_on_hypercube(compositions.readings["corrected"])
    assert set(y.reshape(-1)) <= {Fraction(0), Fraction(1, 4), Fraction(1, 2), Fraction(3, 4)}
    assert np.array_equal(literal == 1 << literal_exponent, y >= Fraction(1, 4))
    assert not np.any(literal == -(1 << literal_exponent))
    off_half = y != Fraction(1, 2)
    signs = np.where(y > Fraction(1, 2), 1, -1) << corrected_exponent
    assert np.array_equal(corrected[off_half], signs[off_half])
    assert np.all(corrected[~off_half] == 0)


def test_composition_rejects_too_many_seed_bits():
    with pytest.raises(InputError, match="m n = 7 \\* 3 = 21 seed bits"):
        lemma44.check_composition_parameters(7, 3, 8)
    with pytest.raises(InputError, match="--xi-inverse"):
        lemma44.check_composition_parameters(2, 2, 0)


# Lemma 4.5 on a generator given by hand.


def copying_generator() -> Network:
    """G(y) = (y_1, y_2, y_1) on {+-1}^2."""
    return Network(2, [Layer.from_dense([[1, 0], [0, 1], [1, 0]])])


def test_hard_function_by_hand():
    table = lemma44.boolean_table(copying_generator())
    assert table.rounded == 0
    h = lemma44.HardFunction(lemma44.generator_range(table.table))
    assert len(h) == 4
    assert h([1, -1, 1]) == 1
    assert h([-1, 1, -1]) == 1
    assert h([1, 1, -1]) == -1
    with pytest.raises(ValueError):
        h([1, 0, 1])


def test_hardness_by_hand():
    # R = {x : x_0 = x_2}, so |R| = 4 = 2^m and P[h_d(U_3) = 1] = 1/2 = 2^(m-d). The test x[0]*x[2] equals h_d on
    # every input and is always 1 on G, so its advantage is 1 and its agreement 1, which meets the bound
    # 1/2 + 1/4 + 2^(2-3-1) = 1 exactly. Tests: 2 constants, 6 dictators, 6 pair products.
    outcome = lemma44.analyse_hardness(lemma44.boolean_table(copying_generator()))
    assert (outcome.m, outcome.d, outcome.range_size, outcome.tests) == (2, 3, 4, 14)
    assert outcome.largest_advantage.name == "x[0]*x[2]"
    assert outcome.largest_advantage.advantage == 1
    assert outcome.largest_agreement.name == "x[0]*x[2]"
    assert outcome.largest_agreement.lines == [1, 1, 1, 1, 1]
    assert outcome.step_violations == {"union_bound": 0, "range_size": 0, "fooling": 0, "sum": 0}
    assert lemma44.stated_bound(Fraction(1), 2, 3) == 1


def test_chain_for_constant_test_by_hand():
    # G(y) = (y_1, y_1, y_1) with m = 2 has |R| = 2. For f = 1: P_U[f = h_d] = 2/8, P_G[f = 1] = 1,
    # so P_D = 5/8; the lines with |R| = 2 and then 2^m = 4 in place of |R| are 5/8 and 3/4.
    advantage, lines = lemma44.chain_for_test(1, True, 4, 2, 2, 3, 2)
    assert advantage == 0
    assert lines == [Fraction(5, 8), Fraction(5, 8), Fraction(3, 4), Fraction(3, 4), Fraction(3, 4)]


def test_boolean_table_rejects_non_boolean_output():
    generator = Network(1, [Layer.from_dense([["1/2"]])])
    with pytest.raises(InputError, match="output 0 at seed \\[1\\] is 1/2, not \\+-1"):
        lemma44.boolean_table(generator)
    table = lemma44.boolean_table(generator, round_to_sign=True)
    assert table.rounded == 2
    assert table.table.tolist() == [[1], [-1]]


# Commands and checker.


def test_check_lemma_4_4_writes_and_verifies(tmp_path, capsys):
    out = tmp_path / "l44"
    code, stdout, _ = run_main(capsys, "check", "lemma-4.4", "--m", 4, "--d", 2, "--n", 2, "--xi-inverse", 4,
                               "--predicate", "parity:2", "--out", out)
    assert code == 0
    assert "! FAILS     lemma-4.4/literal/step-2: stated 1/4, measured 7/8" in stdout
    assert "  holds     lemma-4.4/corrected/step-2: stated 1/4, measured 1/8" in stdout
    certificate = json.loads((out / "certificate.json").read_text())
    assert certificate["kind"] == "lemma-4.4-composition"
    assert certificate["parameters"]["xi"] == "1/4"
    assert json.loads((out / "network.json").read_text()) == certificate["network"]
    assert verify_file(str(out / "certificate.json"))["valid"]


def test_check_lemma_4_4_strict_exits_one(tmp_path, capsys):
    code, _, _ = run_main(capsys, "check", "lemma-4.4", "--m", 2, "--d", 2, "--n", 2, "--predicate", "parity:2",
                          "--out", tmp_path / "l44", "--strict")
    assert code == 1


def test_check_lemma_4_4_bad_input_writes_nothing(tmp_path, capsys):
    out = tmp_path / "l44"
    code, _, stderr = run_main(capsys, "check", "lemma-4.4", "--m", 7, "--n", 3, "--out", out)
    assert code == 2
    assert "21 seed bits" in stderr
    assert not out.exists()

    network = tmp_path / "g.json"
    network.write_text(hand_generator().canonical_json())
    code, _, stderr = run_main(capsys, "check", "lemma-4.4", "--generator", network, "--m", 3, "--out", out)
    assert code == 2
    assert "--m sets up the example generator" in stderr
    assert not out.exists()


def test_check_lemma_4_4_on_generator_file(tmp_path, capsys):
    network = tmp_path / "g.json"
    network.write_text(hand_generator().canonical_json())
    out = tmp_path / "hand"
    code, stdout, _ = run_main(capsys, "check", "lemma-4.4", "--generator", network, "--n", 2, "--xi-inverse", 8, "--out", out)
    assert code == 0
    certificate = json.loads((out / "certificate.json").read_text())
    assert certificate["readings"]["literal"]["plus_one"] == 39
    assert certificate["readings"]["corrected"]["between"] == 11
    assert certificate["generator"]["description"]["file"] == "g.json"
    assert "network file g.json" in stdout


def test_check_lemma_4_5_writes_and_verifies(tmp_path, capsys):
    network = tmp_path / "copy.json"
    network.write_text(copying_generator().canonical_json())
    out = tmp_path / "l45.json"
    code, stdout, _ = run_main(capsys, "check", "lemma-4.5", "--generator", network, "--eps", "1/2", "--out", out)
    assert code == 0
    assert "largest agreement P_D[f = h_d]: 1 at x[0]*x[2]" in stdout
    certificate = json.loads(out.read_text())
    assert certificate["range"] == {"size": 4, "collisions": 0, "probability": "1/2", "stated_bound": "1/2"}
    assert certificate["bounds"] == {"class_eps": "1", "class_bound": "1", "eps_bound": "7/8"}
    statuses = {claim["id"]: claim["status"] for claim in certificate["claims"]}
    assert statuses["lemma-4.5/fooling-hypothesis"] == "fails"
    assert statuses["lemma-4.5/hardness-at-eps"] == "fails"
    assert statuses["lemma-4.5/hardness-on-tests"] == "holds"
    assert verify_file(str(out))["valid"]


def test_check_lemma_4_5_default_goldreich(tmp_path, capsys):
    out = tmp_path / "g.json"
    code, _, _ = run_main(capsys, "check", "lemma-4.5", "--m", 6, "--d", 8, "--predicate", "parity:3", "--out", out)
    assert code == 0
    certificate = json.loads(out.read_text())
    assert certificate["tests"]["count"] == 2 + 2 * 8 + 2 * 28
    assert certificate["tests"]["step_violations"] == {"union_bound": 0, "range_size": 0, "fooling": 0, "sum": 0}
    assert verify_file(str(out))["valid"]


def test_check_lemma_4_5_rejects_non_boolean_generator(tmp_path, capsys):
    network = tmp_path / "half.json"
    network.write_text(Network(1, [Layer.from_dense([["1/2"]])]).canonical_json())
    out = tmp_path / "l45.json"
    code, _, stderr = run_main(capsys, "check", "lemma-4.5", "--generator", network, "--out", out)
    assert code == 2
    assert "--round-to-sign" in stderr
    assert not out.exists()


def test_checker_finds_tampering(tmp_path, capsys):
    out = tmp_path / "l44"
    run_main(capsys, "check", "lemma-4.4", "--m", 2, "--d", 2, "--n", 2, "--predicate", "parity:2", "--out", out)
    certificate = json.loads((out / "certificate.json").read_text())
    certificate["readings"]["corrected"]["minus_one"] += 1
    outcome = verify_certificate(certificate)
    assert not outcome["valid"]
    assert outcome["failure"].startswith("readings.corrected.minus_one")

    certificate = json.loads((out / "certificate.json").read_text())
    certificate["literal"]["network"]["layers"][-1]["bias"][0] = "0"
    assert "literal.sha256" in verify_certificate(certificate)["failure"]
