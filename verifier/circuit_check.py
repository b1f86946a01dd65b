"""Proof that a ReLU network computes a threshold circuit on every input, and its certificate.

The proof is an induction over the levels of the levelled circuit (Lemma 2.11).
Each gate's block of the network (its two units, and in the literal layout its
W^(2) row) is evaluated exactly on all 2^k assignments of +-1 to the gate's k
inputs and compared with sgn(<w, y> - b). Since the block reads its inputs only
through their +-1 values, and every block maps them to its gate's +-1 value, the
whole network equals the circuit on all 2^n inputs without enumerating them.

The layout of the network decides how a block reads its inputs:

* ``merged`` (depth D + 1): gate i of level l owns units 2i and 2i + 1 of ReLU
  layer l. A gate of level l + 1 must read them with opposite weights (a, -a), so
  it reads a (P - N) = a (y + 1). The block passes when P - N = y + 1, and the last
  affine map must give y.
* ``literal`` (depth 2D, equation (14)): layer 2l - 1 has units 2i and 2i + 1 per
  gate, and row i of layer 2l must give y. The next level reads phi(y).

The enumeration groups assignments by the sums they give (the two pre-activations
and <w, y>): assignments with equal sums give equal outputs, so each group is
checked once, and the union of the groups is all 2^k assignments.

Two independent checks run beside the proof: exact evaluation of the network on
all 2^n inputs when n <= MAX_EXHAUSTIVE_INPUTS, and otherwise on random inputs,
both compared with ``verifier.circuits.simulate``, which never builds a threshold
gate. The threshold form of every gate type is checked against that simulator too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from verifier import __version__
from verifier.circuits import Circuit, Gate, file_sha256, gate_truth, simulate
from verifier.claims import make_claim
from verifier.constructions.threshold import (
    LEVELLING_RULES,
    RULES,
    LevelledCircuit,
    level_circuit,
    parity_subcircuit,
    threshold_form,
    to_threshold_circuit,
)
from verifier.errors import InputError
from verifier.evaluator import evaluate, hypercube_points
from verifier.network import Network
from verifier.norms import lipschitz_upper_bound

CERTIFICATE_SCHEMA_VERSION = 1
CERTIFICATE_KIND = "threshold-circuit-network"
MAX_EXHAUSTIVE_INPUTS = 20
DEFAULT_SAMPLES = 10_000
CHUNK = 4096  # points evaluated at once, to bound memory
MAX_BLOCK_GROUPS = 1 << 20  # distinct sum triples per block before the proof gives up on it
RANDOM_GENERATOR = "x = 1 - 2 * numpy.random.default_rng(seed).integers(0, 2, size=(samples, inputs)), one point per row"
GATE_PROOF_METHOD = "exact: every block on all 2^k assignments of its fan-in, grouped by equal sums"
FORMS_METHOD = "exact: every count 0..k of true inputs, since both sides are symmetric in their inputs"


# Threshold forms of the gate types.


def prove_threshold_forms(circuit: Circuit) -> list[dict]:
    """Check, per gate type and fan-in in the circuit, that its threshold gates compute the gate.

    The reference is ``gate_truth``, the simulator's Boolean function. Every gate
    type here is symmetric and so are the threshold gates that replace it (equal
    weights within each gate), so the count t of true inputs determines both sides.
    """
    records = []
    kinds = sorted({(gate.type, len(gate.inputs)) for gate in circuit.gates.values() if gate.type != "THRESHOLD"})
    for gate_type, k in kinds:
        counts = np.arange(k + 1)
        true = [counts > j for j in range(k)]  # input j is true in the first t inputs
        expected = gate_truth(Gate("g", gate_type, tuple(f"x{j}" for j in range(k))), true)
        values = np.where(np.array(true), -1, 1)
        if gate_type in ("XOR", "XNOR") and k >= 2:
            *counters, (weights, threshold) = parity_subcircuit(gate_type, k)
            hidden = np.array([_threshold_value(w, b, values) for w, b in counters])
            got = _threshold_value(weights, threshold, hidden)
            gates = k + 1
        else:
            weights, threshold = threshold_form(gate_type, k)
            got = _threshold_value(weights, threshold, values)
            gates = 1
        holds = bool(np.array_equal(got == -1, expected))
        records.append({"type": gate_type, "fan_in": k, "threshold_gates": gates, "classes": k + 1,
                        "status": "pass" if holds else "fail"})
    return records


def _threshold_value(weights, threshold, values: np.ndarray) -> np.ndarray:
    """Return sgn(<w, y> - b) (with sgn(0) = 1) for each column y of ``values``, exactly in fractions."""
    totals = [sum((w.to_fraction() * int(v) for w, v in zip(weights, column)), Fraction(0)) for column in values.T]
    return np.array([1 if total >= threshold.to_fraction() else -1 for total in totals])


# The per-gate proof.


@dataclass
class GateProof:
    """Outcome of the per-gate induction; ``status`` is "pass", "fail" or "not-applicable"."""

    status: str
    layout: str | None
    gates: int = 0
    failing_gates: int = 0
    distinct_blocks: int = 0
    assignments: int = 0
    first_failure: dict | None = None
    reason: str | None = None

    def to_json(self) -> dict:
        return {"status": self.status, "layout": self.layout, "gates": self.gates, "failing_gates": self.failing_gates,
                "distinct_blocks": self.distinct_blocks, "assignments": str(self.assignments),
                "first_failure": self.first_failure, "reason": self.reason, "method": GATE_PROOF_METHOD}


class _NotApplicable(Exception):
    """The network does not have the layout the proof needs; the message names the layer, row or gate."""


class _Rows:
    """The rows of one layer as {column: numerator} dictionaries, with the bias numerators and the scale."""

    def __init__(self, layer):
        self.scale = layer.scale
        self.bias = [int(b) for b in layer.bias.tolist()]
        self.rows: list[dict[int, int]] = [{} for _ in range(layer.shape[0])]
        for r, c, v in zip(layer.rows.tolist(), layer.cols.tolist(), layer.values.tolist()):
            self.rows[r][c] = int(v)


def detect_layout(network: Network, levelled: LevelledCircuit) -> str:
    """Return "merged" or "literal" from the network's shapes, or raise _NotApplicable naming the mismatch."""
    inputs, outputs, depth = len(levelled.inputs), len(levelled.outputs), levelled.depth
    if network.input_dim != inputs:
        raise _NotApplicable(f"the network has {network.input_dim} inputs, the circuit {inputs}")
    if network.output_dim != outputs:
        raise _NotApplicable(f"the network has {network.output_dim} outputs, the circuit {outputs}")
    widths = levelled.widths
    if network.depth == depth + 1:
        layout, expected = "merged", [2 * k for k in widths] + [outputs]
    elif network.depth == 2 * depth:
        layout, expected = "literal", [n for k in widths[:-1] for n in (2 * k, k)] + [2 * widths[-1], outputs]
    else:
        raise _NotApplicable(f"the network has depth {network.depth}; a levelled circuit of depth {depth} gives "
                             f"{depth + 1} (one layer per level) or {2 * depth} (equation (14))")
    for index, (layer, rows) in enumerate(zip(network.layers, expected), start=1):
        if layer.shape[0] != rows:
            raise _NotApplicable(f"layer {index} has {layer.shape[0]} rows where the {layout} layout has {rows}")
    return layout


def prove_gates(network: Network, levelled: LevelledCircuit) -> GateProof:
    """Run the per-gate induction of the module docstring on ``network`` against ``levelled``."""
    try:
        layout = detect_layout(network, levelled)
    except _NotApplicable as reason:
        return GateProof("not-applicable", None, reason=str(reason))
    try:
        return _prove_layout(network, levelled, layout)
    except _NotApplicable as reason:
        return GateProof("not-applicable", layout, reason=str(reason))


def _prove_layout(network: Network, levelled: LevelledCircuit, layout: str) -> GateProof:
    results: dict[tuple, tuple | None] = {}
    proof = GateProof("pass", layout)
    output_rows = {position: row for row, position in enumerate(levelled.output_positions)}

    for number, nodes in enumerate(levelled.levels, start=1):
        last = number == levelled.depth
        if layout == "merged":
            units = _Rows(network.layers[number - 1])
            readout = _Rows(network.layers[number]) if last else None
        else:
            units = _Rows(network.layers[2 * number - 2])
            readout = _Rows(network.layers[2 * number - 1])
        for index, node in enumerate(nodes):
            if layout == "literal" and last and index not in output_rows:
                continue  # a gate of the last level that is not an output has no W^(2) row
            key, ordered = _block(node, index, number, layout, units, readout, output_rows, last)
            proof.gates += 1
            proof.assignments += 1 << len(node.inputs)
            if key not in results:
                results[key] = _check_block(*key)
            if results[key] is None:
                continue
            proof.failing_gates += 1
            if proof.first_failure is None:
                proof.status = "fail"
                proof.first_failure = _failure_record(node, number, key, ordered, levelled)
    proof.distinct_blocks = len(results)
    return proof


def _block(node, index, number, layout, units, readout, output_rows, last):
    """Return one gate's block as a hashable key for _check_block, and its terms in the gate's input order.

    Equal keys describe equal blocks up to the order of the inputs, so each is checked once.
    """
    # What the block reads of input j: x_j at level 1, y + 1 through (P, N) when merged, phi(y) in the literal layout.
    if number == 1:
        reading = "input"
    elif layout == "merged":
        reading = "pair"
    else:
        reading = "relu"
    weight_exponent = max([w.exponent for w in node.weights] + [node.threshold.exponent])
    gate_weights = [w.scaled(weight_exponent) for w in node.weights]
    gate_threshold = node.threshold.scaled(weight_exponent)

    coefficients = []
    for row in (2 * index, 2 * index + 1):
        entries = dict(units.rows[row])
        row_coefficients = []
        for source in node.inputs:
            if reading == "pair":
                a, b = entries.pop(2 * source, 0), entries.pop(2 * source + 1, 0)
                if a != -b:
                    raise _NotApplicable(f"gate {node.signal} (level {number}) reads its input {source} with weights "
                                         f"{a} and {b} (over 2^{units.scale}), which are not opposite")
            else:
                a = entries.pop(source, 0)
            row_coefficients.append(a)
        if entries:
            raise _NotApplicable(f"gate {node.signal} (level {number}) reads column {min(entries)}, "
                                 "which belongs to none of its inputs")
        coefficients.append(row_coefficients)

    if layout == "merged":
        final = _output_row(readout, output_rows.get(index), index, node, pair=True) if last else None
    else:
        final = _output_row(readout, output_rows[index] if last else index, index, node, pair=False)

    ordered = tuple(zip(coefficients[0], coefficients[1], gate_weights))
    rest = (units.bias[2 * index], units.bias[2 * index + 1], units.scale, gate_threshold, final)
    return (layout, reading, tuple(sorted(ordered))) + rest, ordered


def _output_row(readout, row, index, node, pair: bool):
    """Return (c_P, c_N, bias, scale) of the affine row that reads gate ``index``'s two units, or None if no row does."""
    if row is None:
        return None
    entries = dict(readout.rows[row])
    c_p, c_n = entries.pop(2 * index, 0), entries.pop(2 * index + 1, 0)
    if entries:
        raise _NotApplicable(f"the row that reads gate {node.signal} in the next affine map also reads units of other gates")
    if pair and c_p != -c_n:
        raise _NotApplicable(f"the output row of gate {node.signal} reads its units with weights {c_p} and {c_n}, not opposite")
    return (c_p, c_n, readout.bias[row], readout.scale)


def _check_block(layout, reading, terms, bias_p, bias_n, scale, gate_threshold, final):
    """Evaluate the block on every group of assignments; return (group sums, mask) of a failure, or None."""
    for (sum_p, sum_n, gate_sum), mask in _assignment_groups(reading, terms).items():
        expected = 1 if gate_sum >= gate_threshold else -1
        if _block_value(layout, sum_p, sum_n, bias_p, bias_n, scale, final) != expected:
            return (sum_p, sum_n, gate_sum), mask
    return None


def _assignment_groups(reading: str, terms) -> dict[tuple[int, int, int], int]:
    """Return {(sum P, sum N, <w, y>): a bitmask of one assignment giving them} over all of {+-1}^k.

    Bit j of the mask set means y_j = -1, for input j in the order of ``terms``.
    """
    groups = {(0, 0, 0): 0}
    for position, (a_p, a_n, weight) in enumerate(terms):
        grown = {}
        for (sum_p, sum_n, gate_sum), mask in groups.items():
            for y in (1, -1):
                value = {"input": y, "pair": y + 1, "relu": max(y, 0)}[reading]
                key = (sum_p + a_p * value, sum_n + a_n * value, gate_sum + weight * y)
                grown.setdefault(key, mask | (1 << position if y == -1 else 0))
        groups = grown
        if len(groups) > MAX_BLOCK_GROUPS:
            raise _NotApplicable(f"a block has more than {MAX_BLOCK_GROUPS} distinct groups of assignments")
    return groups


def _block_value(layout, sum_p, sum_n, bias_p, bias_n, scale, final) -> Fraction:
    """Return the value the network passes on for this gate: y of the merged layout or the W^(2) output."""
    p = max(sum_p + bias_p, 0)
    n = max(sum_n + bias_n, 0)
    if final is None:
        return Fraction(p - n, 1 << scale) - 1
    c_p, c_n, bias, final_scale = final
    return Fraction(c_p * p + c_n * n, 1 << (scale + final_scale)) + Fraction(bias, 1 << final_scale)


def _failure_record(node, number, key, ordered, levelled) -> dict:
    """Describe the first failing assignment of a gate, with the inputs in the gate's own order."""
    layout, reading, _, bias_p, bias_n, scale, gate_threshold, final = key
    (sum_p, sum_n, gate_sum), mask = _check_block(layout, reading, ordered, bias_p, bias_n, scale, gate_threshold, final)
    names = levelled.inputs if number == 1 else [other.signal for other in levelled.levels[number - 2]]
    return {
        "level": number,
        "signal": node.signal,
        "buffer": node.buffer,
        "inputs": [[names[source], -1 if mask >> j & 1 else 1] for j, source in enumerate(node.inputs)],
        "expected": 1 if gate_sum >= gate_threshold else -1,
        "network": str(_block_value(layout, sum_p, sum_n, bias_p, bias_n, scale, final)),
    }


# End-to-end checks against the simulator.


def random_points(inputs: int, samples: int, seed: int) -> np.ndarray:
    """Return the seeded random +-1 points of RANDOM_GENERATOR as an inputs-by-samples matrix."""
    bits = np.random.default_rng(seed).integers(0, 2, size=(samples, inputs))
    return (1 - 2 * bits).T.astype(np.int64)


def compare_with_simulator(network: Network, circuit: Circuit, points: np.ndarray, progress=None) -> tuple[int, dict | None]:
    """Evaluate the network exactly and simulate the circuit on the columns of ``points``.

    Returns the number of points where they differ and the first of them.
    """
    mismatches, first = 0, None
    for start in range(0, points.shape[1], CHUNK):
        chunk = points[:, start:start + CHUNK]
        evaluation = evaluate(network, chunk, 0, 0)
        expected = simulate(circuit, chunk).astype(np.int64)
        got = evaluation.numerators
        differs = np.any(np.asarray(got != (expected * (1 << evaluation.exponent)), dtype=bool), axis=0)
        mismatches += int(differs.sum())
        if first is None and differs.any():
            column = int(np.argmax(differs))
            first = {
                "index": start + column,
                "input": [int(v) for v in chunk[:, column]],
                "expected": [int(v) for v in expected[:, column]],
                "network": [str(Fraction(int(v), 1 << evaluation.exponent)) for v in got[:, column]],
            }
        if progress:
            progress(min(start + CHUNK, points.shape[1]), points.shape[1])
    return mismatches, first


def end_to_end(network: Network, circuit: Circuit, seed: int, samples: int, progress=None) -> dict:
    """Compare network and simulator on all inputs (at most MAX_EXHAUSTIVE_INPUTS of them) or on random ones."""
    n = len(circuit.inputs)
    if n <= MAX_EXHAUSTIVE_INPUTS:
        points = hypercube_points(n)
        record = {"method": "exhaustive", "points": int(points.shape[1]), "seed": None, "generator": None}
    else:
        points = random_points(n, samples, seed)
        record = {"method": "random", "points": samples, "seed": seed, "generator": RANDOM_GENERATOR}
    mismatches, first = compare_with_simulator(network, circuit, points, progress)
    record.update({"mismatches": mismatches, "status": "pass" if mismatches == 0 else "fail", "first_failure": first})
    return record


# The certificate.


@dataclass
class CircuitCheck:
    certificate: dict
    equal: bool
    findings: list[dict]


def check_circuit(network: Network, circuit: Circuit, source_path: str, construction: str = "given",
                  seed: int = 0, samples: int = DEFAULT_SAMPLES, progress=None) -> CircuitCheck:
    """Prove or refute that ``network`` computes ``circuit``, and certify the bounds of Lemmas 2.11 and 4.4.

    Raises InputError when the network's input or output dimension differs from the circuit's.
    """
    if network.input_dim != len(circuit.inputs) or network.output_dim != len(circuit.outputs):
        raise InputError(f"the network maps {network.input_dim} inputs to {network.output_dim} outputs, but circuit "
                         f"{circuit.name} has {len(circuit.inputs)} inputs and {len(circuit.outputs)} outputs")

    # Step 1: threshold forms and the levelled circuit (Lemma 2.11).
    forms = prove_threshold_forms(circuit)
    threshold_circuit = to_threshold_circuit(circuit)
    levelled = level_circuit(threshold_circuit)

    # Step 2: the per-gate induction, and the end-to-end check beside it.
    gate_proof = prove_gates(network, levelled)
    checked = end_to_end(network, circuit, seed, samples, progress)

    # Step 3: the class of the network and its proved Lipschitz bound.
    upper, proofs = lipschitz_upper_bound(network)
    norms = [{"layer": index, "upper": str(proof.upper), "method": proof.method, "blocks": proof.blocks,
              "distinct_blocks": proof.distinct_blocks, "float_estimate": repr(float(proof.float_estimate))}
             for index, proof in enumerate(proofs, start=1)]

    claims = _claims(network, levelled, gate_proof, checked, forms)
    computes = claims[0]["status"] == "holds"
    findings = [claim for claim in claims[1:] if claim["status"] != "holds"]
    certificate = {
        "schema_version": CERTIFICATE_SCHEMA_VERSION,
        "kind": CERTIFICATE_KIND,
        "tool": {"name": "verifier", "version": __version__},
        "circuit_sha256": circuit.sha256(),
        "circuit": circuit.to_json(),
        "source": {"file": os.path.basename(source_path), "sha256": file_sha256(source_path)},
        "network_sha256": network.sha256(),
        "network": network.to_json(),
        "construction": {"name": construction, "layout": gate_proof.layout,
                         "rules": list(LEVELLING_RULES) + list(RULES.get(construction, ()))},
        "threshold_forms": {"method": FORMS_METHOD, "gates": forms},
        "levelling": {
            "depth": levelled.depth,
            "size": levelled.size,
            "wires": levelled.wires,
            "rewritten_gates": levelled.rewritten,
            "levelled_size": levelled.levelled_size,
            "buffers": levelled.buffers,
            "widths": levelled.widths,
        },
        "gate_proof": gate_proof.to_json(),
        "end_to_end": checked,
        "network_class": {"input_dim": network.input_dim, "depth": network.depth, "size": network.size,
                          "widths": network.widths, "tau": network.tau()},
        "operator_norms": norms,
        "lipschitz": {"upper": str(upper), "upper_method": "product of the proved operator norms (Fact 2.2)"},
        "claims": claims,
    }
    return CircuitCheck(certificate, computes, findings)



def _holds(measured: int, stated: int) -> str:
    return "holds" if measured <= stated else "fails"


def _claims(network, levelled, gate_proof, checked, forms) -> list[dict]:
    depth, size = levelled.depth, levelled.size
    levelled_size, outputs = levelled.levelled_size, len(levelled.outputs)
    mismatches = checked["mismatches"]
    exhaustive = checked["method"] == "exhaustive"
    forms_hold = all(record["status"] == "pass" for record in forms)
    if mismatches or not forms_hold:
        status = "fails"
    elif (gate_proof.status == "pass") or exhaustive:
        status = "holds"
    else:
        status = "undecided"
    measured = (f"per-gate proof {gate_proof.status}; {checked['method']} check: {mismatches} mismatches on "
                f"{checked['points']} inputs; threshold forms {'pass' if forms_hold else 'fail'}")
    method = GATE_PROOF_METHOD if gate_proof.status == "pass" else f"exact: {checked['method']} evaluation against the circuit simulator"

    claims = [make_claim("lemma-4.4/computes-circuit", "Lemma 4.4, step 1",
                     "the network equals the circuit on every input of {+-1}^n",
                     "0 mismatches on all inputs", measured, status, method)]
    claims.append(make_claim("lemma-2.11/depth", "Lemma 2.11", "the levelled circuit has the depth D of the circuit",
                         depth, levelled.depth, _holds(levelled.depth, depth), "exact: count of levels"))
    claims.append(make_claim("lemma-2.11/size", "Lemma 2.11", "the levelled circuit has size at most D * S",
                         depth * size, levelled_size, _holds(levelled_size, depth * size), "exact: count of levelled gates"))
    claims.append(make_claim("lemma-4.4/depth", "Lemma 4.4, step 1",
                         "depth Theta(D); the concrete count of equation (14) is two affine maps per level, 2D",
                         2 * depth, network.depth, _holds(network.depth, 2 * depth), "exact: count of layers"))
    claims.append(make_claim("lemma-4.4/size", "Lemma 4.4, step 1",
                         "size 3d + Theta(S) for f o h_xi; the concrete count of equation (14) for f is 3 S' - k_D hidden "
                         "units for S' levelled gates and k_D outputs",
                         3 * levelled_size - outputs, network.size, _holds(network.size, 3 * levelled_size - outputs),
                         "exact: count of hidden units"))
    claims.append(make_claim("lemma-4.4/size-order", "Lemma 4.4 with Lemma 2.11",
                         "size at most 3 D S, from 3 S' hidden units and S' <= D S",
                         3 * depth * size, network.size, _holds(network.size, 3 * depth * size), "exact: count of hidden units"))
    return claims
