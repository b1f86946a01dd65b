"""Tests for verifier.constructions.threshold and verifier.circuit_check.

Expected values come from hand calculation or from plain loops over {+-1}^k written
here, with -1 meaning true and sgn(0) = 1.
"""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.circuit_check import check_circuit, prove_gates, prove_threshold_forms, random_points
from verifier.circuits import Circuit, Gate, read_bench, simulate
from verifier.constructions.threshold import (
    apply_h_xi,
    build_network,
    convert_circuit,
    h_xi_summary,
    level_circuit,
    literal_log_xi,
    margins,
    parity_subcircuit,
    shift_and_width,
    threshold_form,
    to_threshold_circuit,
)
from verifier.dyadic import Dyadic
from verifier.errors import InputError
from verifier.evaluator import evaluate, hypercube_points
from verifier.network import Layer, Network


def bench(tmp_path, text, name="t.bench"):
    path = tmp_path / name
    path.write_text(text)
    return read_bench(str(path)), str(path)


def sgn_gate(weights, threshold, y):
    total = sum(Fraction(w.to_fraction()) * v for w, v in zip(weights, y))
    return 1 if total >= threshold.to_fraction() else -1


def boolean(gate_type, true):
    count, k = sum(true), len(true)
    return {"AND": count == k, "OR": count > 0, "NAND": count < k, "NOR": count == 0, "NOT": count == 0,
            "BUF": count == 1, "MAJ": 2 * count > k, "XOR": count % 2 == 1, "XNOR": count % 2 == 0}[gate_type]


# Step 1: threshold gates.


@pytest.mark.parametrize("gate_type", ["AND", "OR", "NAND", "NOR", "MAJ"])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_threshold_form_matches_gate(gate_type, k):
    weights, threshold = threshold_form(gate_type, k)
    for y in itertools.product([1, -1], repeat=k):
        expected = -1 if boolean(gate_type, [v == -1 for v in y]) else 1
        assert sgn_gate(weights, threshold, y) == expected, (gate_type, y)


def test_threshold_form_by_hand():
    assert threshold_form("AND", 3) == ([Dyadic(1)] * 3, Dyadic(-2))
    assert threshold_form("NOR", 2) == ([Dyadic(-1)] * 2, Dyadic(-1))
    assert threshold_form("NOT", 1) == ([Dyadic(-1)], Dyadic(0))
    assert threshold_form("XNOR", 1) == ([Dyadic(-1)], Dyadic(0))


@pytest.mark.parametrize("gate_type", ["XOR", "XNOR"])
@pytest.mark.parametrize("k", [2, 3, 4])
def test_parity_subcircuit_matches_parity(gate_type, k):
    *counters, (weights, threshold) = parity_subcircuit(gate_type, k)
    assert len(counters) == k
    for y in itertools.product([1, -1], repeat=k):
        hidden = [sgn_gate(w, b, y) for w, b in counters]
        expected = 1
        for v in y:
            expected *= v  # XOR is the product in the +-1 convention
        if gate_type == "XNOR":
            expected = -expected
        assert sgn_gate(weights, threshold, hidden) == expected, y


def test_rewrite_counts_xor_and_merges_repeats(tmp_path):
    circuit, _ = bench(tmp_path, "INPUT(a)\nINPUT(b)\nOUTPUT(x)\nOUTPUT(d)\nx = XOR(a, b)\nd = AND(a, a, b)\n")
    rewritten = to_threshold_circuit(circuit)
    assert rewritten.rewritten == 1
    assert [gate.name for gate in rewritten.gates] == ["x#atleast1", "x#atleast2", "x", "d"]
    double = rewritten.gates[-1]
    assert double.inputs == ("a", "b")
    assert double.weights == (Dyadic(2), Dyadic(1))
    assert double.threshold == Dyadic(-2)


def test_threshold_forms_proof_passes(tmp_path):
    circuit, _ = bench(tmp_path, "INPUT(a)\nINPUT(b)\nINPUT(c)\nOUTPUT(x)\nx = XNOR(a, b, c)\ny = MAJ(a, b)\n")
    records = prove_threshold_forms(circuit)
    assert [(r["type"], r["fan_in"], r["threshold_gates"], r["status"]) for r in records] == [
        ("MAJ", 2, 1, "pass"), ("XNOR", 3, 4, "pass")]


# Step 2: levelling.


def test_levelling_by_hand(tmp_path):
    # g1 = AND(a, b) is at level 1, g2 = OR(g1, c) at level 2, so c needs a buffer at level 1;
    # the output a needs buffers at levels 1 and 2.
    circuit, _ = bench(tmp_path, "INPUT(a)\nINPUT(b)\nINPUT(c)\nOUTPUT(g2)\nOUTPUT(a)\ng1 = AND(a, b)\ng2 = OR(g1, c)\n")
    levelled = level_circuit(to_threshold_circuit(circuit))
    assert levelled.widths == [3, 2]
    assert [(n.signal, n.buffer, n.inputs) for n in levelled.levels[0]] == [("a", True, (0,)), ("c", True, (2,)), ("g1", False, (0, 1))]
    assert [(n.signal, n.buffer, n.inputs) for n in levelled.levels[1]] == [("a", True, (0,)), ("g2", False, (2, 1))]
    assert levelled.output_positions == [1, 0]
    assert (levelled.size, levelled.levelled_size, levelled.buffers) == (2, 5, 3)


def test_levelled_size_can_exceed_d_times_s(tmp_path):
    circuit, path = bench(tmp_path, "INPUT(a)\nINPUT(b)\nINPUT(c)\nOUTPUT(g2)\nOUTPUT(a)\ng1 = AND(a, b)\ng2 = OR(g1, c)\n")
    converted = convert_circuit(circuit)
    result = check_circuit(converted.network, circuit, path)
    claim = next(c for c in result.certificate["claims"] if c["id"] == "lemma-2.11/size")
    assert (claim["stated"], claim["measured"], claim["status"]) == ("4", "5", "fails")
    assert result.equal


# Step 3: margins, shift and width.


@pytest.mark.parametrize(
    "weights, threshold, lower, upper, theta, log_xi",
    [
        (["1", "1/4"], "1/8", "-3/4", "3/4", "1/4", -1),  # sums +-5/4, +-3/4
        (["1", "1"], "0", "-2", "0", "-1", 0),  # even majority: a tie is false
        (["1", "1"], "-1", "-2", "0", "-1", 0),  # AND of two
        (["3", "5"], "2", "-2", "2", "0", 1),  # sums +-8, +-2
    ],
)
def test_margins_and_shift_by_hand(weights, threshold, lower, upper, theta, log_xi):
    weights = [Dyadic(w) for w in weights]
    assert margins(weights, Dyadic(threshold)) == (Dyadic(lower), Dyadic(upper))
    assert shift_and_width(weights, Dyadic(threshold)) == (Dyadic(theta), log_xi)


def test_constant_gate_shift():
    # Every sum of w = (1) is below 5, so the gate is always true.
    assert margins([Dyadic(1)], Dyadic(5)) == (Dyadic(1), None)
    assert shift_and_width([Dyadic(1)], Dyadic(5)) == (Dyadic(2), 0)


# Step 4: the networks.


def test_corrected_and_network_by_hand(tmp_path):
    # AND(a, b): theta = -1, xi = 1, so u = a + b + 1 and the units are phi(a + b + 2), phi(a + b).
    circuit, _ = bench(tmp_path, "INPUT(a)\nINPUT(b)\nOUTPUT(g)\ng = AND(a, b)\n")
    network = convert_circuit(circuit).network
    assert network.layers[0] == Layer.from_dense([[1, 1], [1, 1]], [2, 0])
    assert network.layers[1] == Layer.from_dense([[1, -1]], [-1])
    outputs = evaluate(network, hypercube_points(2)).numerators.tolist()
    assert outputs == [[1, 1, 1, -1]]


def test_literal_and_network_fails_at_mixed_inputs(tmp_path):
    # Equation (14) drops b = -1 and maps the sum 0 to 0: clip(a + b) is 0 when exactly one input is true.
    circuit, path = bench(tmp_path, "INPUT(a)\nINPUT(b)\nOUTPUT(g)\ng = AND(a, b)\n")
    converted = convert_circuit(circuit, "literal")
    assert converted.network.layers[0] == Layer.from_dense([[1, 1], [1, 1]], [1, -1])
    result = check_circuit(converted.network, circuit, path, "literal")
    assert not result.equal
    failure = result.certificate["end_to_end"]["first_failure"]
    assert failure == {"index": 1, "input": [-1, 1], "expected": [1], "network": ["0"]}
    assert result.certificate["end_to_end"]["mismatches"] == 2


def test_literal_zero_thresholds_depth_one_passes(tmp_path):
    circuit, path = bench(tmp_path, "INPUT(a)\nINPUT(b)\nINPUT(c)\nOUTPUT(m)\nm = MAJ(a, b, c)\n")
    result = check_circuit(convert_circuit(circuit, "literal").network, circuit, path, "literal")
    assert result.equal
    assert result.certificate["gate_proof"]["status"] == "pass"


def test_literal_zero_thresholds_depth_two_fails(tmp_path):
    # The ReLU after W^(2) gives the second level phi(m), phi(x4), phi(x5) in {0, 1}, so
    # clip(sum) is never -1. First failure: x1, x2, x4 true (point 11): two of m, x4, x5 true.
    circuit, path = bench(tmp_path, "INPUT(x1)\nINPUT(x2)\nINPUT(x3)\nINPUT(x4)\nINPUT(x5)\nOUTPUT(o)\n"
                                    "m = MAJ(x1, x2, x3)\no = MAJ(m, x4, x5)\n")
    result = check_circuit(convert_circuit(circuit, "literal").network, circuit, path, "literal")
    end_to_end = result.certificate["end_to_end"]
    assert end_to_end["first_failure"] == {"index": 11, "input": [-1, -1, 1, -1, 1], "expected": [-1], "network": ["1"]}

    failure = result.certificate["gate_proof"]["first_failure"]
    assert (failure["level"], failure["signal"], failure["expected"]) == (2, "o", -1)
    true_inputs = sum(value == -1 for _, value in failure["inputs"])
    assert true_inputs >= 2
    assert failure["network"] == ("0" if true_inputs == 3 else "1")

    corrected = check_circuit(convert_circuit(circuit).network, circuit, path)
    assert corrected.equal and corrected.certificate["gate_proof"]["status"] == "pass"


def test_literal_xi_reads_denominators():
    circuit = Circuit(["a"], ["t"], [Gate("t", "THRESHOLD", ("a",), (Dyadic(3),), Dyadic(1, 2))])
    levelled = level_circuit(to_threshold_circuit(circuit))
    assert literal_log_xi(levelled) == -2  # threshold 1/4 has exponent 2


def test_threshold_gate_network_equals_gate_on_all_inputs():
    gate = Gate("t", "THRESHOLD", ("x1", "x2", "x3"), (Dyadic(1), Dyadic(1, 2), Dyadic(-3, 2)), Dyadic(1, 2))
    circuit = Circuit(["x1", "x2", "x3"], ["t"], [gate])
    outputs = evaluate(convert_circuit(circuit).network, hypercube_points(3)).outputs
    for i, output in enumerate(outputs):
        y = [1 - 2 * ((i >> j) & 1) for j in range(3)]
        assert output == [Dyadic(sgn_gate(gate.weights, gate.threshold, y))], i


# The per-gate proof.


def c17_like(tmp_path):
    return bench(tmp_path, "INPUT(a)\nINPUT(b)\nINPUT(c)\nOUTPUT(z)\nn = NAND(a, b)\nm = NOR(b, c)\nz = OR(n, m)\n")


def with_bias(network, layer_index, row, value):
    data = network.to_json()
    data["layers"][layer_index]["bias"][row] = value
    return Network.from_json(data)


def test_gate_proof_finds_changed_bias(tmp_path):
    circuit, path = c17_like(tmp_path)
    network = convert_circuit(circuit).network
    levelled = level_circuit(to_threshold_circuit(circuit))
    assert prove_gates(network, levelled).status == "pass"
    # Level 1 is [n, m]. NOR(b, c) has theta = -1 and xi = 1, so u = 1 - b - c and its unit biases are (2, 0).
    # With 1 in place of 2, b = -1, c = 1 gives u = 1 and y = phi(1) - phi(0) - 1 = 0 instead of 1.
    changed = with_bias(network, 0, 2, "1")
    proof = prove_gates(changed, levelled)
    assert proof.status == "fail"
    assert proof.first_failure["signal"] == "m"
    result = check_circuit(changed, circuit, path)
    assert not result.equal


def test_gate_proof_not_applicable_for_other_shapes(tmp_path):
    circuit, _ = c17_like(tmp_path)
    levelled = level_circuit(to_threshold_circuit(circuit))
    flat = Network(3, [Layer.from_dense([[1, 0, 0]], [0])])
    proof = prove_gates(flat, levelled)
    assert proof.status == "not-applicable"
    assert "depth 1" in proof.reason


def test_gate_proof_rejects_unpaired_reading(tmp_path):
    circuit, _ = c17_like(tmp_path)
    network = convert_circuit(circuit).network
    data = network.to_json()
    # Drop the weight by which z's first unit reads the second unit of n, leaving (a, 0) for n's pair.
    data["layers"][1]["weights"] = [e for e in data["layers"][1]["weights"] if (e[0], e[1]) != (0, 1)]
    proof = prove_gates(Network.from_json(data), level_circuit(to_threshold_circuit(circuit)))
    assert proof.status == "not-applicable"
    assert "not opposite" in proof.reason


def test_check_rejects_dimension_mismatch(tmp_path):
    circuit, path = c17_like(tmp_path)
    with pytest.raises(InputError, match="maps 2 inputs to 1 outputs"):
        check_circuit(Network(2, [Layer.from_dense([[1, 1]], [0])]), circuit, path)


def test_random_check_on_wide_circuit(tmp_path):
    names = [f"x{i}" for i in range(1, 23)]
    lines = [f"INPUT({n})" for n in names] + ["OUTPUT(z)", f"a = AND({', '.join(names[:11])})",
                                               f"b = XOR({', '.join(names[11:14])})", "z = NOR(a, b)"]
    circuit, path = bench(tmp_path, "\n".join(lines) + "\n")
    result = check_circuit(convert_circuit(circuit).network, circuit, path, seed=7, samples=300)
    end_to_end = result.certificate["end_to_end"]
    assert (end_to_end["method"], end_to_end["points"], end_to_end["seed"], end_to_end["mismatches"]) == ("random", 300, 7, 0)
    assert result.certificate["gate_proof"]["status"] == "pass"
    assert result.equal


def test_random_points_are_seeded():
    first, again, other = random_points(5, 40, 3), random_points(5, 40, 3), random_points(5, 40, 4)
    assert first.shape == (5, 40)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert set(np.unique(first).tolist()) == {-1, 1}


# Lemma 3.12's h_xi on values in [0, 1].


def test_h_xi_with_and_without_rescaling():
    values = ["0", "1/4", "1/2", "3/4", "1"]
    # xi = 1/8: h(y) = clip(8y) and h(2y - 1) = clip(16y - 8).
    assert apply_h_xi(values, 8) == [Dyadic(v) for v in (0, 1, 1, 1, 1)]
    assert apply_h_xi(values, 8, rescale=True) == [Dyadic(v) for v in (-1, -1, 0, 1, 1)]
    assert apply_h_xi(["1/32"], 8, rescale=True) == [Dyadic(-1)]  # 2/32 - 1 = -15/16
    assert apply_h_xi(["33/64"], 8, rescale=True) == [Dyadic(1, 2)]  # 2y - 1 = 1/32, and 8/32 = 1/4
    assert h_xi_summary(values, 8) == {
        "h_xi(y)": {"plus_one": 4, "minus_one": 0, "between": 1},
        "h_xi(2y - 1)": {"plus_one": 2, "minus_one": 2, "between": 1},
    }


def test_h_xi_rejects_non_positive_width():
    with pytest.raises(InputError, match="1/xi must be positive"):
        apply_h_xi(["0"], 0)


def test_build_network_rejects_unknown_construction(tmp_path):
    circuit, _ = c17_like(tmp_path)
    with pytest.raises(ValueError, match="unknown construction"):
        build_network(level_circuit(to_threshold_circuit(circuit)), "magic")


@st.composite
def random_circuits(draw):
    """Draw a small circuit of random gate types, including threshold gates with dyadic weights and ties."""
    inputs = [f"x{i}" for i in range(draw(st.integers(1, 5)))]
    signals, gates = list(inputs), []
    types = ["AND", "OR", "NAND", "NOR", "NOT", "BUF", "XOR", "XNOR", "MAJ", "THRESHOLD"]
    for index in range(draw(st.integers(1, 6))):
        gate_type = draw(st.sampled_from(types))
        arity = 1 if gate_type in ("NOT", "BUF") else draw(st.integers(1, 4))
        fan_in = tuple(draw(st.lists(st.sampled_from(signals), min_size=arity, max_size=arity)))
        weights = threshold = None
        if gate_type == "THRESHOLD":
            weights = tuple(Dyadic(draw(st.integers(-6, 6)), draw(st.integers(0, 2))) for _ in fan_in)
            threshold = Dyadic(draw(st.integers(-6, 6)), draw(st.integers(0, 2)))
        gates.append(Gate(f"g{index}", gate_type, fan_in, weights, threshold))
        signals.append(f"g{index}")
    outputs = draw(st.lists(st.sampled_from(signals), min_size=1, max_size=3, unique=True))
    return Circuit(inputs, outputs, gates)


@settings(max_examples=60, deadline=None)
@given(random_circuits())
def test_random_circuits_convert_exactly(circuit):
    converted = convert_circuit(circuit)
    points = hypercube_points(len(circuit.inputs))
    evaluation = evaluate(converted.network, points)
    assert evaluation.exponent == 0 or not np.any(evaluation.numerators % (1 << evaluation.exponent))
    outputs = evaluation.numerators // (1 << evaluation.exponent)
    assert np.array_equal(outputs, simulate(circuit, points))
    assert prove_gates(converted.network, converted.levelled).status == "pass"


@settings(max_examples=60, deadline=None)
@given(random_circuits(), st.sampled_from(["corrected", "literal"]), st.integers(0, 10**6), st.sampled_from(["-1", "1/2", "3"]))
def test_gate_proof_pass_implies_equality(circuit, construction, position, change):
    # Change one bias of the network; whenever the per-gate proof still passes, the network must equal the circuit.
    converted = convert_circuit(circuit, construction)
    data = converted.network.to_json()
    biases = [(i, j) for i, layer in enumerate(data["layers"]) for j in range(len(layer["bias"]))]
    layer, row = biases[position % len(biases)]
    data["layers"][layer]["bias"][row] = str(Fraction(data["layers"][layer]["bias"][row]) + Fraction(change))
    network = Network.from_json(data)
    points = hypercube_points(len(circuit.inputs))
    evaluation = evaluate(network, points)
    equal = np.array_equal(evaluation.numerators, simulate(circuit, points).astype(np.int64) << evaluation.exponent)
    if prove_gates(network, converted.levelled).status == "pass":
        assert equal
