"""Combinational Boolean circuits with threshold gates (Definition 13), their readers and a simulator.

Values are +-1 with -1 meaning true. A linear threshold gate computes

    sgn(<w, x> - b)    with sgn(0) = 1,

so it is true exactly when <w, x> < b. The other gate types are the usual Boolean
functions of their inputs: AND, OR, NAND, NOR, NOT, BUF (also spelled BUFF), XOR
and XNOR (parity of any fan-in), and MAJ. MAJ is true when more than half of its
inputs are true, so an even fan-in split half and half is false.

Two file formats are read:

* ISCAS ``.bench`` netlists: ``INPUT(a)``, ``OUTPUT(z)`` and ``z = NAND(a, b)`` lines,
  gate names in any case, ``#`` comments and blank lines, UTF-8 with or without a
  byte-order mark. A signal may be used on a line before the line that defines it,
  because the format allows that. A signal that is never defined, a signal defined
  twice and a cycle are errors. ``DFF`` is rejected, because the circuits here are
  combinational, and so is ``THRESHOLD``, because a line cannot hold its weights.
* The project's JSON circuit format (``CIRCUIT_FORMAT``, schema_version 1), which
  also holds threshold gates with dyadic weights and threshold::

      {"format": "verifier-circuit", "schema_version": 1,
       "inputs": ["x1", "x2"], "outputs": ["g"],
       "gates": [{"name": "g", "type": "THRESHOLD", "inputs": ["x1", "x2"],
                  "weights": ["1", "-1/2"], "threshold": "1/4"}]}

A circuit is a networkx DiGraph with an edge from each signal to every gate that
reads it. Its canonical form is ``to_json()`` with the gates in topological order
(the file order when that is one); ``sha256()`` hashes the canonical JSON text.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import Sequence

import networkx as nx
import numpy as np

from verifier.dyadic import Dyadic
from verifier.errors import InputError
from verifier.network import canonical_dumps, load_json, read_exact_number, read_text_file

_DYADIC_WEIGHTS = "threshold gate weights and thresholds must be dyadic rationals"

CIRCUIT_FORMAT = "verifier-circuit"
SCHEMA_VERSION = 1

GATE_TYPES = ("AND", "OR", "NAND", "NOR", "NOT", "BUF", "XOR", "XNOR", "MAJ", "THRESHOLD")
# A .bench line has no place for a threshold gate's weights and threshold, so THRESHOLD is JSON only.
BENCH_GATE_TYPES = tuple(kind for kind in GATE_TYPES if kind != "THRESHOLD")
ALIASES = {"BUFF": "BUF"}
SINGLE_INPUT_TYPES = ("NOT", "BUF")
SEQUENTIAL_TYPES = ("DFF",)


@dataclass(frozen=True)
class Gate:
    """One gate: its output signal ``name``, its type and its ordered inputs.

    ``weights`` and ``threshold`` are set for THRESHOLD gates only.
    """

    name: str
    type: str
    inputs: tuple[str, ...]
    weights: tuple[Dyadic, ...] | None = None
    threshold: Dyadic | None = None

    def to_json(self) -> dict:
        data = {"name": self.name, "type": self.type, "inputs": list(self.inputs)}
        if self.type == "THRESHOLD":
            data["weights"] = [str(w) for w in self.weights]
            data["threshold"] = str(self.threshold)
        return data


class Circuit:
    """A combinational circuit: ordered inputs and outputs, and gates in topological order."""

    def __init__(self, inputs: Sequence[str], outputs: Sequence[str], gates: Sequence[Gate], name: str = "circuit"):
        self.name = name
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.gates = {gate.name: gate for gate in gates}
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(self.inputs)
        for gate in gates:
            self.graph.add_node(gate.name)
            self.graph.add_edges_from((signal, gate.name) for signal in gate.inputs)

    @property
    def size(self) -> int:
        """The number of gates."""
        return len(self.gates)

    @property
    def wires(self) -> int:
        """The number of edges of the circuit graph (a signal read twice by one gate counts once)."""
        return self.graph.number_of_edges()

    def depth(self) -> int:
        """Return the number of gates on the longest path from an input to a gate."""
        levels = self.levels()
        return max(levels.values(), default=0)

    def levels(self) -> dict[str, int]:
        """Return, for every signal, the number of gates on the longest path from an input to it."""
        levels = {signal: 0 for signal in self.inputs}
        for gate in self.gates.values():
            levels[gate.name] = 1 + max(levels[signal] for signal in gate.inputs)
        return levels

    def type_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for gate in self.gates.values():
            counts[gate.type] = counts.get(gate.type, 0) + 1
        return dict(sorted(counts.items()))

    def to_json(self) -> dict:
        return {
            "format": CIRCUIT_FORMAT,
            "schema_version": SCHEMA_VERSION,
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "gates": [gate.to_json() for gate in self.gates.values()],
        }

    def canonical_json(self) -> str:
        return canonical_dumps(self.to_json())

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


# Reading circuits.


def load_circuit(path: str) -> Circuit:
    """Read a circuit from a ``.bench`` netlist or a JSON circuit file, chosen by the extension."""
    extension = os.path.splitext(path)[1].lower()
    if extension == ".bench":
        return read_bench(path)
    if extension == ".json":
        return read_circuit_json(path)
    raise InputError(f"{path}: unknown circuit format {extension or '(no extension)'}; expected .bench or .json")


def file_sha256(path: str) -> str:
    """Return the SHA-256 of a file's bytes."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


_NAME = r"[^\s(),=#]+"
_DECLARATION = re.compile(rf"^(?P<keyword>INPUT|OUTPUT)\s*\(\s*(?P<name>{_NAME})\s*\)$", re.IGNORECASE)
_ASSIGNMENT = re.compile(rf"^(?P<name>{_NAME})\s*=\s*(?P<type>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<arguments>[^()]*)\)$")
_SIGNAL = re.compile(rf"^{_NAME}$")


def read_bench(path: str) -> Circuit:
    """Read an ISCAS ``.bench`` netlist; errors name the file and the line."""
    text = read_text_file(path).removeprefix("\ufeff")
    inputs: list[str] = []
    outputs: list[tuple[str, int]] = []
    gates: list[Gate] = []
    defined: dict[str, int] = {}
    used: dict[str, int] = {}

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{path}: line {number}"

        declaration = _DECLARATION.match(line)
        if declaration:
            name = declaration["name"]
            if declaration["keyword"].upper() == "OUTPUT":
                first = next((line_number for signal, line_number in outputs if signal == name), None)
                if first is not None:
                    raise InputError(f"{where}: output {name} is declared twice (first on line {first})")
                outputs.append((name, number))
                continue
            _define(name, number, defined, where)
            inputs.append(name)
            continue

        assignment = _ASSIGNMENT.match(line)
        if not assignment:
            raise InputError(f"{where}: expected INPUT(name), OUTPUT(name) or 'name = GATE(input, ...)', found {line!r}")
        name = assignment["name"]
        if assignment["type"].upper() == "THRESHOLD":
            raise InputError(f"{where}: gate {name} is a THRESHOLD gate, whose weights and threshold a .bench line cannot hold; "
                             "write the circuit in the JSON circuit format, where each threshold gate has 'weights' and 'threshold'")
        gate_type = _gate_type(assignment["type"], name, where, BENCH_GATE_TYPES)
        arguments = [argument.strip() for argument in assignment["arguments"].split(",")]
        if arguments == [""]:
            raise InputError(f"{where}: gate {name} ({gate_type}) has no inputs")
        for argument in arguments:
            if not _SIGNAL.match(argument):
                raise InputError(f"{where}: {argument!r} is not a valid signal name in the inputs of gate {name}")
            used.setdefault(argument, number)
        _check_arity(gate_type, len(arguments), name, where)
        _define(name, number, defined, where)
        gates.append(Gate(name, gate_type, tuple(arguments)))

    if not inputs and not outputs and not gates:
        raise InputError(f"{path}: the file defines no inputs, outputs or gates")
    for signal, number in sorted(used.items(), key=lambda item: item[1]):
        if signal not in defined:
            raise InputError(f"{path}: line {number}: signal {signal} is used but never defined (no INPUT({signal}) and no '{signal} = ...' line)")
    for signal, number in outputs:
        if signal not in defined:
            raise InputError(f"{path}: line {number}: output {signal} is never driven (no INPUT({signal}) and no '{signal} = ...' line)")
    return _assemble(inputs, [signal for signal, _ in outputs], gates, path, lambda gate: f"line {defined[gate]}")


def _define(name: str, number: int, defined: dict[str, int], where: str) -> None:
    if name in defined:
        raise InputError(f"{where}: signal {name} is defined twice (first on line {defined[name]})")
    defined[name] = number


def _gate_type(text: str, name: str, where: str, known: tuple[str, ...] = GATE_TYPES) -> str:
    """Return the gate type in upper case with aliases resolved; ``known`` lists the types the file format accepts."""
    upper = text.upper()
    upper = ALIASES.get(upper, upper)
    if upper in SEQUENTIAL_TYPES:
        raise InputError(f"{where}: gate {name} is a {upper}, a sequential element; only combinational circuits are supported")
    if upper not in known:
        raise InputError(f"{where}: unknown gate type {text!r} for signal {name}; known types: {', '.join(known + tuple(ALIASES))}")
    return upper


def _check_arity(gate_type: str, arity: int, name: str, where: str) -> None:
    if gate_type in SINGLE_INPUT_TYPES and arity != 1:
        raise InputError(f"{where}: gate {name} is a {gate_type}, which takes one input, but has {arity}")


def _assemble(inputs, outputs, gates, source: str, place_of) -> Circuit:
    """Build the circuit, put the gates in topological order, and reject cycles and empty interfaces."""
    if not inputs:
        raise InputError(f"{source}: the circuit declares no inputs")
    if not outputs:
        raise InputError(f"{source}: the circuit declares no outputs")
    circuit = Circuit(inputs, outputs, gates, name=_stem(source))
    try:
        cycle = nx.find_cycle(circuit.graph)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        signals = [edge[0] for edge in cycle] + [cycle[0][0]]
        places = ", ".join(place_of(signal) for signal in signals[:-1])
        raise InputError(f"{source}: the signals {' -> '.join(signals)} form a cycle ({places})")

    position = {gate.name: index for index, gate in enumerate(gates)}
    position.update({signal: -len(inputs) + index for index, signal in enumerate(inputs)})
    order = [signal for signal in nx.lexicographical_topological_sort(circuit.graph, key=position.__getitem__) if signal in circuit.gates]
    return Circuit(inputs, outputs, [circuit.gates[signal] for signal in order], name=circuit.name)


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0] or "circuit"


_JSON_FIELDS = {"format", "schema_version", "inputs", "outputs", "gates"}
_GATE_FIELDS = {"name", "type", "inputs", "weights", "threshold"}


def read_circuit_json(path: str) -> Circuit:
    """Read the project's JSON circuit format; errors name the file and the field."""
    return circuit_from_json(load_json(path), path)


def circuit_from_json(data, source: str) -> Circuit:
    """Build a circuit from its JSON object, raising InputError that names ``source`` and the field."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a JSON object describing a circuit")
    unknown = sorted(set(data) - _JSON_FIELDS)
    if unknown:
        raise InputError(f"{source}: unknown field {unknown[0]!r} (a circuit has {', '.join(sorted(_JSON_FIELDS))})")
    if data.get("format") != CIRCUIT_FORMAT:
        raise InputError(f"{source}: field 'format' must be {CIRCUIT_FORMAT!r}, found {data.get('format')!r}")
    if data.get("schema_version") != SCHEMA_VERSION or isinstance(data.get("schema_version"), bool):
        raise InputError(f"{source}: unsupported schema_version {data.get('schema_version')!r} (this tool reads {SCHEMA_VERSION})")

    inputs = _signal_list(data.get("inputs"), f"{source}: inputs")
    outputs = _signal_list(data.get("outputs"), f"{source}: outputs")
    raw_gates = data.get("gates")
    if not isinstance(raw_gates, list):
        raise InputError(f"{source}: gates: expected a list of gate objects")

    defined = {signal: f"inputs[{index}]" for index, signal in enumerate(inputs)}
    if len(defined) < len(inputs):
        duplicate = next(signal for signal in inputs if inputs.count(signal) > 1)
        raise InputError(f"{source}: inputs: signal {duplicate} is listed twice")
    seen_outputs: dict[str, int] = {}
    for index, signal in enumerate(outputs):
        if signal in seen_outputs:
            raise InputError(f"{source}: outputs[{index}]: output {signal} is declared twice (first as outputs[{seen_outputs[signal]}])")
        seen_outputs[signal] = index

    gates = []
    for index, raw in enumerate(raw_gates):
        where = f"{source}: gates[{index}]"
        gate = _json_gate(raw, where)
        if gate.name in defined:
            raise InputError(f"{where}.name: signal {gate.name} is defined twice (first as {defined[gate.name]})")
        defined[gate.name] = f"gates[{index}]"
        gates.append(gate)

    for index, gate in enumerate(gates):
        for position, signal in enumerate(gate.inputs):
            if signal not in defined:
                raise InputError(f"{source}: gates[{index}].inputs[{position}]: signal {signal} is used but never defined")
    for index, signal in enumerate(outputs):
        if signal not in defined:
            raise InputError(f"{source}: outputs[{index}]: output {signal} is never driven (it is neither an input nor a gate)")
    return _assemble(inputs, outputs, gates, source, defined.__getitem__)


def _signal_list(value, where: str) -> list[str]:
    if not isinstance(value, list):
        raise InputError(f"{where}: expected a list of signal names")
    for index, signal in enumerate(value):
        if not isinstance(signal, str) or not signal:
            raise InputError(f"{where}[{index}]: expected a non-empty signal name, found {signal!r}")
    return list(value)


def _json_gate(raw, where: str) -> Gate:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a gate object with 'name', 'type' and 'inputs'")
    unknown = sorted(set(raw) - _GATE_FIELDS)
    if unknown:
        raise InputError(f"{where}: unknown field {unknown[0]!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{where}.name: expected a non-empty signal name, found {name!r}")
    if not isinstance(raw.get("type"), str):
        raise InputError(f"{where}.type: expected a gate type such as \"AND\", found {raw.get('type')!r}")
    gate_type = _gate_type(raw["type"], name, f"{where}.type")
    inputs = _signal_list(raw.get("inputs"), f"{where}.inputs")
    if not inputs:
        raise InputError(f"{where}.inputs: gate {name} has no inputs")
    _check_arity(gate_type, len(inputs), name, f"{where}.inputs")

    if gate_type != "THRESHOLD":
        for field in ("weights", "threshold"):
            if field in raw:
                raise InputError(f"{where}.{field}: only THRESHOLD gates have weights and a threshold; gate {name} is a {gate_type}")
        return Gate(name, gate_type, tuple(inputs))

    weights = raw.get("weights")
    if not isinstance(weights, list) or len(weights) != len(inputs):
        raise InputError(f"{where}.weights: expected a list of {len(inputs)} exact numbers, one per input")
    values = tuple(read_exact_number(value, f"{where}.weights[{index}]", _DYADIC_WEIGHTS) for index, value in enumerate(weights))
    if "threshold" not in raw:
        raise InputError(f"{where}.threshold: missing; a THRESHOLD gate computes sgn(<w, x> - threshold)")
    threshold = read_exact_number(raw["threshold"], f"{where}.threshold", _DYADIC_WEIGHTS)
    return Gate(name, gate_type, tuple(inputs), values, threshold)


# Simulation.


def simulate(circuit: Circuit, points: np.ndarray) -> np.ndarray:
    """Evaluate the circuit on the columns of a +-1 matrix (inputs by points); return outputs by points in +-1.

    Works on Boolean arrays gate by gate, with integer arithmetic for threshold gates.
    """
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[0] != len(circuit.inputs):
        raise ValueError(f"expected a matrix with {len(circuit.inputs)} rows, one per circuit input")
    true = {signal: points[index] == -1 for index, signal in enumerate(circuit.inputs)}
    for gate in circuit.gates.values():
        true[gate.name] = gate_truth(gate, [true[signal] for signal in gate.inputs])
    return np.stack([np.where(true[signal], -1, 1).astype(np.int8) for signal in circuit.outputs])


def gate_truth(gate: Gate, arguments: list[np.ndarray]) -> np.ndarray:
    """Return where the gate is true, given where each of its inputs is true."""
    kind = gate.type
    if kind in ("BUF", "NOT"):
        return arguments[0] if kind == "BUF" else ~arguments[0]
    if kind in ("AND", "NAND"):
        value = np.logical_and.reduce(arguments)
        return value if kind == "AND" else ~value
    if kind in ("OR", "NOR"):
        value = np.logical_or.reduce(arguments)
        return value if kind == "OR" else ~value
    if kind in ("XOR", "XNOR"):
        value = np.logical_xor.reduce(arguments)
        return value if kind == "XOR" else ~value
    if kind == "MAJ":
        return 2 * np.sum(arguments, axis=0, dtype=np.int64) > len(arguments)
    if kind == "THRESHOLD":
        return _threshold_truth(gate, arguments)
    raise ValueError(f"unknown gate type {kind}")


def _threshold_truth(gate: Gate, arguments: list[np.ndarray]) -> np.ndarray:
    """Return where <w, x> < b, with every number scaled to an integer."""
    exponent = max([w.exponent for w in gate.weights] + [gate.threshold.exponent])
    weights = [w.scaled(exponent) for w in gate.weights]
    bound = sum(abs(w) for w in weights) + abs(gate.threshold.scaled(exponent))
    dtype = np.int64 if bound < 1 << 62 else object
    total = np.zeros(len(arguments[0]), dtype=dtype)
    for weight, argument in zip(weights, arguments):
        total = total + np.where(argument, -weight, weight).astype(dtype)
    return total < gate.threshold.scaled(exponent)
