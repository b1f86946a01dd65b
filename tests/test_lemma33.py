import random

import numpy as np
import pytest

from verifier.constructions.lemma33 import CONSTRUCTIONS, build_character, build_predicate_network
from verifier.evaluator import evaluate, hypercube_points
from verifier.predicates import predicate_from_name, predicate_from_truth_table


def network_values(network, k):
    return [row[0] for row in evaluate(network, hypercube_points(k), 0, 0).outputs]


def predicates_for(k):
    rng = random.Random(k)
    names = [f"parity:{k}", f"maj:{k}", f"and:{k}", f"or:{k}"]
    if k >= 3:
        names.append(f"xor-maj:{k - 2}:2")
    found = [predicate_from_name(name) for name in names]
    found.append(predicate_from_truth_table("".join(rng.choice("01") for _ in range(2**k)), k))
    return found


@pytest.mark.parametrize("k", range(2, 9))
@pytest.mark.parametrize("construction", ["tree", "sequential"])
def test_corrected_constructions_compute_predicate(k, construction):
    for predicate in predicates_for(k):
        built = build_predicate_network(predicate, construction)
        assert network_values(built.network, k) == list(predicate.table), predicate.name


@pytest.mark.parametrize("k", range(2, 9))
def test_appendix_right_exactly_up_to_degree_two(k):
    for predicate in predicates_for(k):
        built = build_predicate_network(predicate, "appendix")
        correct = network_values(built.network, k) == list(predicate.table)
        if predicate.degree() <= 2:
            assert correct, predicate.name
    parity = build_predicate_network(predicate_from_name(f"parity:{k}"), "appendix")
    assert (network_values(parity.network, k) == list(predicate_from_name(f"parity:{k}").table)) == (k <= 2)


def test_appendix_tsa_first_failure_worked_by_hand():
    # The appendix network for x1 x2 x3 computes |x1 x2 + phi(x3)| - phi(x3), which is 1
    # whenever x3 = -1. At index 4, x = (1, 1, -1, 1, 1): every term of
    # TSA = (chi_123 + chi_1234 + chi_1235 - chi_12345) / 2 comes out as 1, so the
    # network gives 1 where TSA(x) = -1. Indices 0..3 have x3 = x4 = x5 = 1 and are right.
    built = build_predicate_network(predicate_from_name("TSA"), "appendix")
    values = network_values(built.network, 5)
    table = list(predicate_from_name("TSA").table)
    mismatches = [i for i in range(32) if values[i] != table[i]]
    assert mismatches[0] == 4
    assert values[4] == 1
    assert table[4] == -1


@pytest.mark.parametrize("size, expected", [(2, 4), (3, 9), (4, 15), (5, 22), (6, 30)])
def test_appendix_term_sizes(size, expected):
    # The induction adds one carried unit to each of the m - 1 hidden layers and four
    # gadget units: S_{m+1} = S_m + (m - 1) + 4, S_2 = 4.
    assert build_character(list(range(size)), size, "appendix").size == expected


@pytest.mark.parametrize("size, expected", [(2, 4), (3, 10), (4, 18), (5, 28), (6, 40)])
def test_sequential_term_sizes(size, expected):
    # Carrying the sign as a pair adds two units per hidden layer: S_{m+1} = S_m + 2(m - 1) + 4.
    assert build_character(list(range(size)), size, "sequential").size == expected


@pytest.mark.parametrize("size, depth, units", [(2, 2, 4), (3, 3, 10), (4, 3, 12), (5, 4, 20), (8, 4, 28)])
def test_tree_term_depth_and_size(size, depth, units):
    network = build_character(list(range(size)), size, "tree")
    assert network.depth == depth
    assert network.size == units


@pytest.mark.parametrize("construction", CONSTRUCTIONS)
def test_character_values(construction):
    for size in range(0, 7):
        k = max(size, 1)
        network = build_character(list(range(size)), k, construction)
        points = hypercube_points(k)
        expected = np.prod(points[:size], axis=0) if size else np.ones(points.shape[1], dtype=np.int64)
        correct = network_values(network, k) == expected.tolist()
        assert correct == (construction != "appendix" or size <= 2), (construction, size)


def test_networks_are_bias_free():
    built = build_predicate_network(predicate_from_name("maj:4"), "tree")
    for layer in built.network.layers:
        assert not any(int(b) for b in layer.bias.tolist())


def test_tsa_tree_parameters():
    built = build_predicate_network(predicate_from_name("TSA"), "tree")
    # Terms {1,2,3}, {1,2,3,4}, {1,2,3,5}, {1,2,3,4,5}: tree sizes 10, 12, 12, 20 and
    # depths 3, 3, 3, 4, so three terms get one padding layer of 2 units.
    assert built.network.depth == 4
    assert built.network.size == 10 + 12 + 12 + 20 + 3 * 2
    assert built.network.tau() == 1
