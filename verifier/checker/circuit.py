"""Checker for ``threshold-circuit-network`` certificates, written by ``convert circuit`` and ``check circuit``.

It reads the circuit embedded in the certificate with its own strict parser and
re-derives everything from it and the network:

* the threshold form of each gate type, against its own Boolean functions;
* the threshold circuit and its levelling, from the rules the certificate lists;
* the per-gate induction: every gate's block of the network is evaluated on all
  2^k assignments of its fan-in (up to MAX_ENUMERATED_FAN_IN inputs, and grouped by
  equal sums beyond that) and compared with sgn(<w, y> - b), sgn(0) = 1;
* the end-to-end check: exact evaluation on all inputs, or on the recorded seeded
  random inputs, against its own circuit simulator;
* the network's class, proved operator norms, Lipschitz bound, and every claim.

A recorded first failure is checked as a witness: it must name the first failing
gate (or input) and give the values the checker computes there.
"""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np

from verifier.checker.core import (
    Failure,
    MISSING,
    NETWORK_FIELDS,
    Verifier,
    check_fields,
    check_header,
    evaluate_batch,
    get_field,
    hypercube,
    network_sha256,
    read_dyadic,
    read_integer,
    read_list,
    read_text,
    show_value,
)
from verifier.errors import InputError

SCHEMA_VERSION = 1
KIND = "threshold-circuit-network"
CIRCUIT_FORMAT = "verifier-circuit"
GATE_TYPES = ("AND", "OR", "NAND", "NOR", "NOT", "BUF", "XOR", "XNOR", "MAJ", "THRESHOLD")
CONSTRUCTIONS = ("corrected", "literal", "given")
MAX_EXHAUSTIVE_INPUTS = 20
MAX_ENUMERATED_FAN_IN = 16  # larger blocks are checked by groups of assignments with equal sums
MAX_BLOCK_GROUPS = 1 << 20
RANDOM_GENERATOR = "x = 1 - 2 * numpy.random.default_rng(seed).integers(0, 2, size=(samples, inputs)), one point per row"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_FAILURE_FIELDS = {"level": None, "signal": None, "buffer": None, "inputs": None, "expected": None, "network": None}
_CERTIFICATE_FIELDS = {
    "schema_version": None, "kind": None, "tool": {"name": None, "version": None},
    "circuit_sha256": None, "circuit": None, "source": {"file": None, "sha256": None},
    "network_sha256": None, "network": NETWORK_FIELDS,
    "construction": {"name": None, "layout": None, "rules": None},
    "threshold_forms": {"method": None, "gates": [{"type": None, "fan_in": None, "threshold_gates": None,
                                                  "classes": None, "status": None}]},
    "levelling": {"depth": None, "size": None, "wires": None, "rewritten_gates": None, "levelled_size": None,
                  "buffers": None, "widths": None},
    "gate_proof": {"status": None, "layout": None, "gates": None, "failing_gates": None, "distinct_blocks": None, "assignments": None,
                   "first_failure": _FAILURE_FIELDS, "reason": None, "method": None},
    "end_to_end": {"method": None, "points": None, "seed": None, "generator": None, "mismatches": None, "status": None,
                   "first_failure": {"index": None, "input": None, "expected": None, "network": None}},
    "network_class": {"input_dim": None, "depth": None, "size": None, "widths": None, "tau": None},
    "operator_norms": [{"layer": None, "upper": None, "method": None, "blocks": None,
                        "distinct_blocks": None, "float_estimate": None}],
    "lipschitz": {"upper": None, "upper_method": None},
    "claims": [{"id": None, "source": None, "statement": None, "stated": None, "measured": None,
                "status": None, "method": None}],
}
_CLAIMS = ("lemma-4.4/computes-circuit", "lemma-2.11/depth", "lemma-2.11/size", "lemma-4.4/depth", "lemma-4.4/size",
           "lemma-4.4/size-order")


class _NotApplicable(Exception):
    """The network does not have the layout of either construction."""


# The circuit.


def _parse_circuit(data) -> tuple[list[str], list[str], list[tuple]]:
    """Return (inputs, outputs, gates) of the embedded circuit; each gate is (name, type, inputs, weights, threshold).

    The gates must be in topological order, so every input of a gate is defined above it.
    """
    path = "circuit"
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a circuit object")
    check_fields(data, {"format": None, "schema_version": None, "inputs": None, "outputs": None, "gates": None}, path)
    if data.get("format") != CIRCUIT_FORMAT or data.get("schema_version") != 1:
        raise InputError(f"{path}: expected format {CIRCUIT_FORMAT!r} with schema_version 1")
    inputs = [read_text(s, f"{path}.inputs[{i}]") for i, s in enumerate(read_list(data.get("inputs"), f"{path}.inputs"))]
    outputs = [read_text(s, f"{path}.outputs[{i}]") for i, s in enumerate(read_list(data.get("outputs"), f"{path}.outputs"))]
    defined = set(inputs)
    if len(defined) != len(inputs) or len(set(outputs)) != len(outputs) or not inputs or not outputs:
        raise InputError(f"{path}: inputs and outputs must be non-empty lists without repeats")

    gates = []
    for index, raw in enumerate(read_list(data.get("gates"), f"{path}.gates")):
        where = f"{path}.gates[{index}]"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: expected a gate object")
        check_fields(raw, {"name": None, "type": None, "inputs": None, "weights": None, "threshold": None}, where)
        name, kind = read_text(raw.get("name"), f"{where}.name"), raw.get("type")
        fan_in = [read_text(s, f"{where}.inputs[{i}]") for i, s in enumerate(read_list(raw.get("inputs"), f"{where}.inputs"))]
        if kind not in GATE_TYPES:
            raise InputError(f"{where}.type: expected one of {', '.join(GATE_TYPES)}, found {kind!r}")
        if name in defined or not fan_in or any(s not in defined for s in fan_in):
            raise InputError(f"{where}: the gate must have a new name and inputs defined above it")
        if kind in ("NOT", "BUF") and len(fan_in) != 1:
            raise InputError(f"{where}.inputs: a {kind} gate has one input")
        weights = threshold = None
        if kind == "THRESHOLD":
            raw_weights = read_list(raw.get("weights"), f"{where}.weights")
            if len(raw_weights) != len(fan_in):
                raise InputError(f"{where}.weights: expected {len(fan_in)} weights")
            weights = [read_dyadic(w, f"{where}.weights[{i}]") for i, w in enumerate(raw_weights)]
            threshold = read_dyadic(raw.get("threshold"), f"{where}.threshold")
        elif "weights" in raw or "threshold" in raw:
            raise InputError(f"{where}: only THRESHOLD gates have weights and a threshold")
        defined.add(name)
        gates.append((name, kind, fan_in, weights, threshold))
    if any(s not in defined for s in outputs):
        raise InputError(f"{path}.outputs: every output must be an input or a gate")
    return inputs, outputs, gates


def _truth(kind: str, true: list[np.ndarray]) -> np.ndarray:
    """Return where a Boolean gate is true, given where its inputs are true."""
    count = np.sum(true, axis=0, dtype=np.int64)
    k = len(true)
    table = {"AND": count == k, "OR": count > 0, "NAND": count < k, "NOR": count == 0, "NOT": count == 0,
             "BUF": count == 1, "XOR": count % 2 == 1, "XNOR": count % 2 == 0, "MAJ": 2 * count > k}
    return table[kind]


def _simulate(inputs, outputs, gates, points: np.ndarray) -> np.ndarray:
    """Return the circuit's outputs (outputs by points, +-1) on the columns of a +-1 matrix."""
    true = {signal: points[index] == -1 for index, signal in enumerate(inputs)}
    for name, kind, fan_in, weights, threshold in gates:
        if kind == "THRESHOLD":
            denominator = max([w.denominator for w in weights] + [threshold.denominator])
            total = np.zeros(points.shape[1], dtype=object)
            for signal, weight in zip(fan_in, weights):
                total = total + np.where(true[signal], -1, 1).astype(object) * int(weight * denominator)
            true[name] = total < int(threshold * denominator)
        else:
            true[name] = _truth(kind, [true[signal] for signal in fan_in])
    return np.stack([np.where(true[signal], -1, 1) for signal in outputs]).astype(np.int64)


# Threshold gates and levelling, by the rules the certificate lists.


def _form(kind: str, k: int) -> list[tuple[list[Fraction], Fraction]]:
    """Return the threshold gates (w, b) of a gate type; for XOR and XNOR of k >= 2, the k counters then the output."""
    if kind in ("XOR", "XNOR") and k == 1:
        kind = "BUF" if kind == "XOR" else "NOT"
    single = {"AND": (1, 1 - k), "OR": (1, k - 1), "NAND": (-1, k - 1), "NOR": (-1, 1 - k), "NOT": (-1, 0),
              "BUF": (1, 0), "MAJ": (1, 0)}
    if kind in single:
        weight, threshold = single[kind]
        return [([Fraction(weight)] * k, Fraction(threshold))]
    counters = [([Fraction(1)] * k, Fraction(k - 2 * j + 1)) for j in range(1, k + 1)]
    sign = 1 if kind == "XOR" else -1
    output = ([Fraction(sign * (-1) ** (j + 1)) for j in range(1, k + 1)], Fraction(sign * (k % 2 - 1)))
    return counters + [output]


def _sgn(total: Fraction, threshold: Fraction) -> int:
    return 1 if total >= threshold else -1


def _form_records(gates) -> list[dict]:
    """Check each (type, fan-in) by the count t of true inputs, which determines both the gate and its threshold form."""
    records = []
    for kind, k in sorted({(kind, len(fan_in)) for _, kind, fan_in, _, _ in gates if kind != "THRESHOLD"}):
        form = _form(kind, k)
        holds = True
        for t in range(k + 1):
            y = [-1] * t + [1] * (k - t)
            expected = -1 if _truth(kind, [np.array([v == -1]) for v in y])[0] else 1
            values = [_sgn(sum(w * v for w, v in zip(weights, y)), b) for weights, b in form[:-1]] if len(form) > 1 else y
            weights, b = form[-1]
            holds = holds and _sgn(sum(w * v for w, v in zip(weights, values)), b) == expected
        records.append({"type": kind, "fan_in": k, "threshold_gates": len(form), "classes": k + 1,
                        "status": "pass" if holds else "fail"})
    return records


def _threshold_circuit(inputs, gates) -> tuple[list[tuple], int]:
    """Return the threshold gates (name, inputs, weights, threshold) with repeated inputs merged, and the rewrite count."""
    used = set(inputs) | {name for name, *_ in gates}
    result, rewritten = [], 0

    def merged(name, fan_in, weights, threshold):
        total = {}
        for signal, weight in zip(fan_in, weights):
            total[signal] = total.get(signal, Fraction(0)) + weight
        return (name, list(total), list(total.values()), threshold)

    for name, kind, fan_in, weights, threshold in gates:
        if kind == "THRESHOLD":
            result.append(merged(name, fan_in, weights, threshold))
            continue
        form = _form(kind, len(fan_in))
        if len(form) == 1:
            result.append(merged(name, fan_in, *form[0]))
            continue
        rewritten += 1
        counter_names = []
        for j, (counter_weights, counter_threshold) in enumerate(form[:-1], start=1):
            counter = f"{name}#atleast{j}"
            while counter in used:
                counter += "#"
            used.add(counter)
            counter_names.append(counter)
            result.append(merged(counter, fan_in, counter_weights, counter_threshold))
        result.append(merged(name, counter_names, *form[-1]))
    return result, rewritten


def _levels(inputs, outputs, threshold_gates) -> list[list[tuple]]:
    """Return levels 1..D; each node is (signal, buffer, input positions, weights, threshold)."""
    level = {signal: 0 for signal in inputs}
    for name, fan_in, _, _ in threshold_gates:
        level[name] = 1 + max(level[s] for s in fan_in)
    depth = max([level[name] for name, *_ in threshold_gates] + [1])
    last = dict(level)
    for name, fan_in, _, _ in threshold_gates:
        for signal in fan_in:
            last[signal] = max(last[signal], level[name] - 1)
    for signal in outputs:
        last[signal] = depth

    order = list(inputs) + [name for name, *_ in threshold_gates]
    by_name = {name: (fan_in, weights, threshold) for name, fan_in, weights, threshold in threshold_gates}
    levels, position = [], {signal: index for index, signal in enumerate(inputs)}
    for current in range(1, depth + 1):
        nodes = []
        for signal in order:
            if level[signal] == current:
                fan_in, weights, threshold = by_name[signal]
                nodes.append((signal, False, [position[s] for s in fan_in], weights, threshold))
            elif level[signal] < current <= last[signal]:
                nodes.append((signal, True, [position[signal]], [Fraction(1)], Fraction(0)))
        levels.append(nodes)
        position = {node[0]: index for index, node in enumerate(nodes)}
    return levels


# The per-gate induction.


def _layout(network, levels, outputs: int) -> str:
    depth, widths = len(levels), [len(nodes) for nodes in levels]
    if len(network.layers) == depth + 1:
        layout, rows = "merged", [2 * k for k in widths] + [outputs]
    elif len(network.layers) == 2 * depth:
        layout, rows = "literal", [n for k in widths[:-1] for n in (2 * k, k)] + [2 * widths[-1], outputs]
    else:
        raise _NotApplicable()
    if [layer.shape[0] for layer in network.layers] != rows or network.layers[-1].shape[0] != outputs:
        raise _NotApplicable()
    return layout


def _rows(layer) -> list[dict[int, int]]:
    rows = [{} for _ in range(layer.shape[0])]
    for r, c, m in layer.entries:
        rows[r][c] = m
    return rows


def _read_row(entries: dict, sources, reading: str) -> list[int]:
    """Return the coefficient of each fan-in in one row, or raise _NotApplicable if the row reads anything else."""
    entries, coefficients = dict(entries), []
    for source in sources:
        if reading == "pair":
            a, b = entries.pop(2 * source, 0), entries.pop(2 * source + 1, 0)
            if a != -b:
                raise _NotApplicable()
        else:
            a = entries.pop(source, 0)
        coefficients.append(a)
    if entries:
        raise _NotApplicable()
    return coefficients


def _read_value(reading: str, v: int) -> int:
    """Return what a block reads of a fan-in value v: v itself, v + 1 through a (P, N) pair, or phi(v)."""
    if reading == "pair":
        return v + 1
    if reading == "relu":
        return max(v, 0)
    return v


class _Block:
    """One gate's block: its two unit rows, the affine row that reads them (if any) and its threshold gate."""

    def __init__(self, layout, reading, coefficients, units_bias, scale, weights, threshold, readout):
        self.layout, self.reading = layout, reading
        self.coefficients, self.units_bias, self.scale = coefficients, units_bias, scale
        self.readout = readout
        denominator = max([w.denominator for w in weights] + [threshold.denominator])
        self.weights = [int(w * denominator) for w in weights]
        self.threshold = int(threshold * denominator)

    def key(self) -> tuple:
        terms = tuple(sorted((p, n, w) for (p, n), w in zip(self.coefficients, self.weights)))
        return (self.layout, self.reading, terms) + self.units_bias + (self.scale, self.threshold, self.readout)

    def value(self, y: list[int]) -> Fraction:
        """Return the value the network passes on at the fan-in values y."""
        p = max(sum(a * _read_value(self.reading, v) for (a, _), v in zip(self.coefficients, y)) + self.units_bias[0], 0)
        n = max(sum(b * _read_value(self.reading, v) for (_, b), v in zip(self.coefficients, y)) + self.units_bias[1], 0)
        if self.readout is None:
            return Fraction(p - n, 1 << self.scale) - 1
        c_p, c_n, bias, scale = self.readout
        return Fraction(c_p * p + c_n * n, 1 << (self.scale + scale)) + Fraction(bias, 1 << scale)

    def expected(self, y: list[int]) -> int:
        return 1 if sum(w * v for w, v in zip(self.weights, y)) >= self.threshold else -1

    def holds(self) -> bool:
        """Decide whether the block gives sgn(<w, y> - b) on every y in {+-1}^k."""
        k = len(self.weights)
        if k <= MAX_ENUMERATED_FAN_IN:
            for mask in range(1 << k):
                y = [-1 if mask >> j & 1 else 1 for j in range(k)]
                if self.value(y) != self.expected(y):
                    return False
            return True
        return self._holds_by_groups()

    def _holds_by_groups(self) -> bool:
        """Decide what holds() decides, keeping one assignment per triple of sums (P row, N row, <w, y>)."""
        groups = {(0, 0, 0): []}
        for (a, b), w in zip(self.coefficients, self.weights):
            grown = {}
            for (p, n, s), y in groups.items():
                for v in (1, -1):
                    seen = _read_value(self.reading, v)
                    grown.setdefault((p + a * seen, n + b * seen, s + w * v), y + [v])
            groups = grown
            if len(groups) > MAX_BLOCK_GROUPS:
                raise _NotApplicable()
        return all(self.value(y) == self.expected(y) for y in groups.values())


def _blocks(network, levels, output_positions, layout):
    """Return (level, node, block) for every gate the induction checks, or raise _NotApplicable."""
    result = []
    output_rows = {position: row for row, position in enumerate(output_positions)}
    for number, nodes in enumerate(levels, start=1):
        last = number == len(levels)
        units_layer = network.layers[number - 1] if layout == "merged" else network.layers[2 * number - 2]
        if layout == "merged":
            readout_layer = network.layers[number] if last else None
        else:
            readout_layer = network.layers[2 * number - 1]
        units, readout_rows = _rows(units_layer), _rows(readout_layer) if readout_layer else None
        if number == 1:
            reading = "input"
        elif layout == "merged":
            reading = "pair"
        else:
            reading = "relu"
        for index, node in enumerate(nodes):
            _, _, sources, weights, threshold = node
            if layout == "literal" and last and index not in output_rows:
                continue
            p_row = _read_row(units[2 * index], sources, reading)
            n_row = _read_row(units[2 * index + 1], sources, reading)
            readout = None
            row = output_rows.get(index) if (layout == "merged" or last) else index
            if readout_layer is not None and row is not None:
                entries = dict(readout_rows[row])
                c_p, c_n = entries.pop(2 * index, 0), entries.pop(2 * index + 1, 0)
                if entries or (layout == "merged" and c_p != -c_n):
                    raise _NotApplicable()
                readout = (c_p, c_n, readout_layer.bias[row], readout_layer.scale)
            bias = (units_layer.bias[2 * index], units_layer.bias[2 * index + 1])
            block = _Block(layout, reading, list(zip(p_row, n_row)), bias, units_layer.scale, weights, threshold, readout)
            result.append((number, node, block))
    return result


class CircuitVerifier(Verifier):
    """Re-derive a threshold-circuit-network certificate."""

    def run(self) -> None:
        self.check_descriptions()
        self.check_network()
        self.check_circuit()
        self.check_forms()
        self.check_levelling()
        self.check_gate_proof()
        self.check_end_to_end()
        self.check_class()
        self.check_norms()
        self.check_lipschitz_upper()
        self.check_claims()

    def check_descriptions(self) -> None:
        """Check the descriptive fields, which have nothing to re-derive, and the fixed vocabularies."""
        for section, field in (("tool", "name"), ("tool", "version"), ("source", "file")):
            read_text(get_field(self.section(section), field, section), f"{section}.{field}")
        # NOTE: the source file's own hash cannot be re-derived without the file; only its form is checked.
        digest = get_field(self.section("source"), "sha256", "source")
        self.require(isinstance(digest, str) and bool(_HEX64.fullmatch(digest)),
                     f"source.sha256: recorded {show_value(digest)}, expected 64 lowercase hexadecimal digits")
        construction = self.section("construction")
        name = get_field(construction, "name", "construction")
        self.require(name in CONSTRUCTIONS, f"construction.name: recorded {show_value(name)}, expected one of {', '.join(CONSTRUCTIONS)}")
        for index, rule in enumerate(read_list(get_field(construction, "rules", "construction"), "construction.rules")):
            read_text(rule, f"construction.rules[{index}]")

    def check_circuit(self) -> None:
        raw = get_field(self.data, "circuit", "")
        self.inputs, self.outputs, self.gates = _parse_circuit(raw)
        self.expect("circuit_sha256", get_field(self.data, "circuit_sha256", ""), network_sha256(raw),
                    " (SHA-256 of the canonical JSON of the embedded circuit)")
        if self.network.input_dim != len(self.inputs) or self.network.layers[-1].shape[0] != len(self.outputs):
            raise Failure(f"network: maps {self.network.input_dim} inputs to {self.network.layers[-1].shape[0]} outputs, "
                          f"but the circuit has {len(self.inputs)} inputs and {len(self.outputs)} outputs")

    def check_forms(self) -> None:
        forms = self.section("threshold_forms")
        read_text(get_field(forms, "method", "threshold_forms"), "threshold_forms.method")
        self.forms = _form_records(self.gates)
        self.expect("threshold_forms.gates", get_field(forms, "gates", "threshold_forms"), self.forms)

    def check_levelling(self) -> None:
        threshold_gates, rewritten = _threshold_circuit(self.inputs, self.gates)
        self.levels = _levels(self.inputs, self.outputs, threshold_gates)
        last = {node[0]: index for index, node in enumerate(self.levels[-1])}
        self.output_positions = [last[signal] for signal in self.outputs]
        self.size = len(threshold_gates)
        self.levelled_size = sum(len(nodes) for nodes in self.levels)
        derived = {
            "depth": len(self.levels),
            "size": self.size,
            "wires": sum(len(fan_in) for _, fan_in, _, _ in threshold_gates),
            "rewritten_gates": rewritten,
            "levelled_size": self.levelled_size,
            "buffers": sum(node[1] for nodes in self.levels for node in nodes),
            "widths": [len(nodes) for nodes in self.levels],
        }
        levelling = self.section("levelling")
        for field, value in derived.items():
            self.expect(f"levelling.{field}", levelling.get(field, MISSING), value)

    def check_gate_proof(self) -> None:
        recorded = self.section("gate_proof")
        read_text(get_field(recorded, "method", "gate_proof"), "gate_proof.method")
        layout = None
        try:
            layout = _layout(self.network, self.levels, len(self.outputs))
            blocks = _blocks(self.network, self.levels, self.output_positions, layout)
        except _NotApplicable:
            self.gate_status = "not-applicable"
            for field, value in (("status", "not-applicable"), ("gates", 0), ("failing_gates", 0), ("distinct_blocks", 0),
                                 ("assignments", "0"), ("first_failure", None)):
                self.expect(f"gate_proof.{field}", recorded.get(field, MISSING), value)
            read_text(get_field(recorded, "reason", "gate_proof"), "gate_proof.reason")
            self._expect_layout(layout)
            return

        outcomes, first, failing = {}, None, 0
        for number, node, block in blocks:
            key = block.key()
            if key not in outcomes:
                outcomes[key] = block.holds()
            if not outcomes[key]:
                failing += 1
                if first is None:
                    first = (number, node, block)
        self.gate_status = "pass" if first is None else "fail"
        self._expect_layout(layout)
        derived = {"status": self.gate_status, "gates": len(blocks), "failing_gates": failing, "distinct_blocks": len(outcomes),
                   "assignments": str(sum(1 << len(node[2]) for _, node, _ in blocks)), "reason": None}
        for field, value in derived.items():
            self.expect(f"gate_proof.{field}", recorded.get(field, MISSING), value)
        self._check_gate_witness(recorded.get("first_failure", MISSING), first)

    def _expect_layout(self, layout) -> None:
        self.expect("gate_proof.layout", self.section("gate_proof").get("layout", MISSING), layout)
        self.expect("construction.layout", self.section("construction").get("layout", MISSING), layout)

    def _check_gate_witness(self, recorded, first) -> None:
        path = "gate_proof.first_failure"
        if first is None:
            self.expect(path, recorded, None)
            return
        number, (signal, buffer, sources, _, _), block = first
        if not isinstance(recorded, dict):
            raise Failure(f"{path}: recorded {show_value(recorded)}, but gate {signal} of level {number} fails")
        for field, value in (("level", number), ("signal", signal), ("buffer", buffer)):
            self.expect(f"{path}.{field}", recorded.get(field, MISSING), value, " (the first failing gate)")
        names = self.inputs if number == 1 else [node[0] for node in self.levels[number - 2]]
        pairs = read_list(get_field(recorded, "inputs", path), f"{path}.inputs")
        self.expect(f"{path}.inputs (names)", [pair[0] if isinstance(pair, list) and pair else None for pair in pairs],
                    [names[source] for source in sources])
        y = []
        for index, pair in enumerate(pairs):
            if not (isinstance(pair, list) and len(pair) == 2 and pair[1] in (1, -1) and not isinstance(pair[1], bool)):
                raise InputError(f"{path}.inputs[{index}]: expected [name, 1 or -1], found {pair!r}")
            y.append(pair[1])
        expected, value = block.expected(y), block.value(y)
        self.expect(f"{path}.expected", recorded.get("expected", MISSING), expected)
        self.expect(f"{path}.network", recorded.get("network", MISSING), str(value))
        self.require(value != expected, f"{path}: the network gives {value} at the recorded inputs, which is what sgn gives")

    def check_end_to_end(self) -> None:
        recorded = self.section("end_to_end")
        n = len(self.inputs)
        if n <= MAX_EXHAUSTIVE_INPUTS:
            points = hypercube(n)
            derived = {"method": "exhaustive", "points": points.shape[1], "seed": None, "generator": None}
        else:
            seed = read_integer(get_field(recorded, "seed", "end_to_end"), "end_to_end.seed")
            samples = read_integer(get_field(recorded, "points", "end_to_end"), "end_to_end.points")
            if samples < 1:
                raise InputError(f"end_to_end.points: expected a positive number of random inputs, found {samples}")
            bits = np.random.default_rng(seed).integers(0, 2, size=(samples, n))
            points = (1 - 2 * bits).T.astype(np.int64)
            derived = {"method": "random", "points": samples, "seed": seed, "generator": RANDOM_GENERATOR}

        outputs, stats = evaluate_batch(self.network, points)
        exponent = stats[-1][1]
        expected = _simulate(self.inputs, self.outputs, self.gates, points)
        differs = np.any(np.asarray(outputs != expected * (1 << exponent), dtype=bool), axis=0)
        self.mismatches = int(differs.sum())
        first = None
        if self.mismatches:
            i = int(np.argmax(differs))
            first = {"index": i, "input": [int(v) for v in points[:, i]], "expected": [int(v) for v in expected[:, i]],
                     "network": [str(Fraction(int(v), 1 << exponent)) for v in outputs[:, i]]}
        derived.update({"mismatches": self.mismatches, "status": "fail" if self.mismatches else "pass", "first_failure": first})
        self.exhaustive = derived["method"] == "exhaustive"
        self.points = derived["points"]
        for field, value in derived.items():
            self.expect(f"end_to_end.{field}", recorded.get(field, MISSING), value)

    def check_lipschitz_upper(self) -> None:
        lipschitz = self.section("lipschitz")
        upper = Fraction(1)
        for value in self.layer_uppers:
            upper *= value
        self.upper = upper
        self.expect("lipschitz.upper", get_field(lipschitz, "upper", "lipschitz"), str(upper),
                    " (the product of the recorded operator_norms upper bounds)")
        read_text(get_field(lipschitz, "upper_method", "lipschitz"), "lipschitz.upper_method")

    def check_claims(self) -> None:
        depth, size, outputs = len(self.levels), self.size, len(self.outputs)
        levelled, network_depth, network_size = self.levelled_size, len(self.network.layers), sum(self.network.widths)
        forms_hold = all(record["status"] == "pass" for record in self.forms)
        if self.mismatches or not forms_hold:
            status = "fails"
        elif self.gate_status == "pass" or self.exhaustive:
            status = "holds"
        else:
            status = "undecided"
        method = "exhaustive" if self.exhaustive else "random"
        measured = (f"per-gate proof {self.gate_status}; {method} check: {self.mismatches} mismatches on {self.points} "
                    f"inputs; threshold forms {'pass' if forms_hold else 'fail'}")
        claims = {
            "lemma-4.4/computes-circuit": ("0 mismatches on all inputs", measured, status),
            "lemma-2.11/depth": (depth, depth, None),
            "lemma-2.11/size": (depth * size, levelled, None),
            "lemma-4.4/depth": (2 * depth, network_depth, None),
            "lemma-4.4/size": (3 * levelled - outputs, network_size, None),
            "lemma-4.4/size-order": (3 * depth * size, network_size, None),
        }
        records = read_list(get_field(self.data, "claims", ""), "claims")
        self.expect("claims (ids in order)", [c.get("id") if isinstance(c, dict) else None for c in records], list(_CLAIMS))
        for index, (record, identifier) in enumerate(zip(records, _CLAIMS)):
            path = f"claims[{index}]"
            for field in ("source", "statement", "method"):
                read_text(get_field(record, field, path), f"{path}.{field}")
            stated, measured, status = claims[identifier]
            if status is None:
                status = "holds" if measured <= stated else "fails"
            self.expect(f"{path}.stated ({identifier})", record.get("stated", MISSING), str(stated))
            self.expect(f"{path}.measured ({identifier})", record.get("measured", MISSING), str(measured))
            self.expect(f"{path}.status ({identifier})", record.get("status", MISSING), status)



def verify(data: dict, network: dict | None = None) -> dict:
    """Re-derive every recorded value of a threshold-circuit-network certificate; see verifier.checker.verify_certificate."""
    check_header(data, KIND, SCHEMA_VERSION, _CERTIFICATE_FIELDS)
    return CircuitVerifier(data, network).outcome()
