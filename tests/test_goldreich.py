import itertools
import json
from fractions import Fraction

import numpy as np
import pytest

from verifier.constructions.goldreich import Hypergraph, build_goldreich, draw_hypergraph, hypergraph_draws, read_hypergraph
from verifier.errors import InputError
from verifier.generator_check import (
    check_goldreich,
    connected_output_sets,
    fact_3_9_facts,
    grid_wasserstein,
    lemma_2_14_facts,
    low_order_biases,
    prove_coordinates,
)
from verifier.network import Layer, Network
from verifier.predicates import parse_predicate
from verifier.reference import evaluate_fraction

TSA = parse_predicate("TSA")


def tsa_by_hand(x):
    """x1 x2 x3 AND(x4, x5) with -1 meaning true."""
    conjunction = -1 if x[3] == -1 and x[4] == -1 else 1
    return x[0] * x[1] * x[2] * conjunction


def brute_force_bias(hypergraph, outputs):
    """Mean of prod_l TSA(x_{S_l}) over all 2^m seeds, with plain loops."""
    total = 0
    for bits in itertools.product((1, -1), repeat=hypergraph.m):
        product = 1
        for l in outputs:
            product *= tsa_by_hand([bits[i] for i in hypergraph.hyperedges[l]])
        total += product
    return Fraction(total, 2**hypergraph.m)


def test_hypergraph_follows_numpy_draw_rule():
    hypergraph = draw_hypergraph(50, 6, 5, seed=7)
    rng = np.random.default_rng(7)
    expected = [tuple(int(i) for i in rng.choice(50, size=5, replace=False)) for _ in range(6)]
    assert list(hypergraph.hyperedges) == expected
    assert all(len(set(edge)) == 5 for edge in hypergraph.hyperedges)


def test_redraw_continues_same_generator():
    draws = hypergraph_draws(20, 3, 5, seed=2)
    first, second = next(draws), next(draws)
    rng = np.random.default_rng(2)
    expected = [tuple(int(i) for i in rng.choice(20, size=5, replace=False)) for _ in range(6)]
    assert list(first.hyperedges) + list(second.hyperedges) == expected
    assert (first.draws, second.draws) == (1, 2)


def test_same_seed_same_network_hash():
    first = build_goldreich(TSA, draw_hypergraph(12, 10, 5, seed=3)).network.sha256()
    again = build_goldreich(TSA, draw_hypergraph(12, 10, 5, seed=3)).network.sha256()
    other = build_goldreich(TSA, draw_hypergraph(12, 10, 5, seed=4)).network.sha256()
    assert first == again
    assert first != other


def test_generator_matches_predicate_on_seeds():
    hypergraph = draw_hypergraph(9, 6, 5, seed=0)
    network = build_goldreich(TSA, hypergraph).network
    rng = np.random.default_rng(5)
    for _ in range(20):
        seed = [int(v) for v in rng.choice([-1, 1], size=9)]
        outputs = evaluate_fraction(network, seed)
        expected = [tsa_by_hand([seed[i] for i in edge]) for edge in hypergraph.hyperedges]
        assert outputs == expected


def test_coordinate_proof_passes_and_classes_match_tsa():
    generator = build_goldreich(TSA, draw_hypergraph(12, 15, 5, seed=1))
    result = check_goldreich(generator)
    claims = {c["id"]: c for c in result.certificate["claims"]}
    assert result.proves_generator
    assert claims["goldreich/computes-generator"]["status"] == "holds"
    # The TSA tree network: depth ceil(log2 5) + 1 = 4 and 60 hidden units (README table).
    assert {row["depth"] for row in result.certificate["coordinates"]} == {4}
    assert {row["size"] for row in result.certificate["coordinates"]} == {60}
    assert claims["theorem-3.2/item-1"]["status"] == "holds"


def test_coordinate_proof_finds_changed_weight():
    hypergraph = draw_hypergraph(12, 8, 5, seed=1)
    network = build_goldreich(TSA, hypergraph).network
    last = network.layers[-1]
    values = last.values.tolist()
    row_of_output_3 = int(np.flatnonzero(last.rows == 3)[0])
    values[row_of_output_3] = -values[row_of_output_3]
    changed = Network(network.input_dim, network.layers[:-1] + [Layer(last.shape, last.rows, last.cols, values, last.bias.tolist(), last.scale)])
    proof = prove_coordinates(changed, hypergraph, TSA.table)
    assert proof.failing_outputs == [3]


def test_coordinate_proof_finds_read_outside_hyperedge():
    hypergraph = Hypergraph(6, 5, ((0, 1, 2, 3, 4), (1, 2, 3, 4, 5)))
    network = build_goldreich(TSA, hypergraph).network
    # The same network checked against hyperedges that leave out seed coordinate 0 for output 0.
    moved = Hypergraph(6, 5, ((5, 1, 2, 3, 4), (1, 2, 3, 4, 5)))
    proof = prove_coordinates(network, moved, TSA.table)
    assert proof.outside_reads == {0: [0]}
    assert 0 in proof.failing_outputs


def test_appendix_construction_fails_proof():
    generator = build_goldreich(TSA, draw_hypergraph(10, 4, 5, seed=0), "appendix")
    result = check_goldreich(generator)
    assert not result.proves_generator
    assert result.certificate["coordinate_proof"]["first_failure"]["reason"] == "differs from the predicate"


@pytest.mark.parametrize(
    "edges, bias",
    [
        # Same XOR inputs, AND parts sharing x4: E[AND(x4,x5) AND(x4,x6)] = 1/2 (x4 false gives 1, else x5 x6 averages 0).
        (((0, 1, 2, 3, 4), (1, 0, 2, 4, 5)), Fraction(1, 2)),
        # Same XOR inputs, disjoint AND parts: E[AND]^2 = (1/2)^2.
        (((0, 1, 2, 3, 4), (2, 1, 0, 5, 6)), Fraction(1, 4)),
        # One shared XOR input only: x2 x3 x6 x7 is left unpaired.
        (((0, 1, 2, 3, 4), (0, 5, 6, 7, 8)), Fraction(0)),
    ],
)
def test_pair_bias_by_hand(edges, bias):
    hypergraph = Hypergraph(9, 5, edges)
    report = low_order_biases(hypergraph, TSA.table, 2)
    assert report.largest[2] == ((0, 1), bias)


def test_biases_match_brute_force():
    hypergraph = draw_hypergraph(9, 12, 5, seed=11)
    report = low_order_biases(hypergraph, TSA.table, 2)
    found = {output_set: bias for output_set, bias in report.biased}
    for pair in itertools.combinations(range(hypergraph.d), 2):
        assert found.get(pair, Fraction(0)) == brute_force_bias(hypergraph, pair), pair
    assert all(len(s) == 2 for s in found)  # TSA is balanced, so no single output is biased


def test_connected_sets_of_path():
    neighbours = [{1}, {0, 2}, {1}]
    assert connected_output_sets(neighbours, 3) == [(0,), (1,), (2,), (0, 1), (1, 2), (0, 1, 2)]


def test_lemma_2_14_at_small_parameters():
    facts = lemma_2_14_facts(1, 2)
    assert facts["stated_beta"] == "1"  # 2 (1 - 2^(1-2))
    assert facts["general_bound"] == "1/2"
    counterexample = facts["counterexample"]
    assert counterexample["w1_squared"] == "2"
    assert counterexample["stated_beta"] == "3/2"
    assert counterexample["status"] == "fails"


@pytest.mark.parametrize("n", [1, 2, 5, 12, 17])
def test_grid_wasserstein_is_half_the_spacing(n):
    assert grid_wasserstein(n) == Fraction(1, 2 ** (n + 1))


def test_fact_3_9_record():
    record = fact_3_9_facts(1, Fraction(1, 2))
    assert record["w1"] == "1/4"  # points 0 and 1/2: two triangles of area 1/8
    assert record["status"] == "holds"


def write_hypergraph(path, data):
    path.write_text(json.dumps({"format": "verifier-hypergraph", "schema_version": 1, **data}))
    return str(path)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"m": 6, "hyperedges": [[0, 1, 2, 3, 3]]}, "hyperedges[0]: seed coordinate 3 appears twice"),
        ({"m": 6, "hyperedges": [[0, 1, 2, 3, 6]]}, "hyperedges[0]: seed coordinate 6 is out of range 0..5"),
        ({"m": 6, "hyperedges": [[0, 1, 2, 3, 4], [0, 1, 2]]}, "hyperedges[1]: has 3 coordinates"),
        ({"m": 6, "hyperedges": [[0, 1, 2, 3, 1.5]]}, "expected integer seed coordinates"),
        ({"m": 0, "hyperedges": [[0]]}, "field 'm' must be a positive integer"),
    ],
)
def test_read_hypergraph_rejects(tmp_path, data, message):
    path = write_hypergraph(tmp_path / "h.json", data)
    with pytest.raises(InputError, match="h.json") as error:
        read_hypergraph(path, 5)
    assert message in str(error.value)


def test_hypergraph_file_round_trip(tmp_path):
    hypergraph = draw_hypergraph(10, 4, 5, seed=0)
    path = tmp_path / "h.json"
    path.write_text(json.dumps(hypergraph.to_json()))
    assert read_hypergraph(str(path), 5).hyperedges == hypergraph.hyperedges


def test_k_above_m_rejected():
    with pytest.raises(InputError, match="k = 5"):
        draw_hypergraph(4, 3, 5, seed=0)
