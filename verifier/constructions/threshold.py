"""Threshold circuits as ReLU networks: Lemma 2.11 (levelling) and Lemma 4.4, step 1 (equation (14)).

Identity. Lemma 3.12 writes the clipping gadget as a two-unit ReLU network,

    h_xi(z) = phi(z/xi + 1) - phi(z/xi - 1) - 1 = clip(z/xi, -1, 1),        (12)

and Lemma 4.4 uses sgn(<w, y> - b) = h_xi'(<w, y> - b) on y in {+-1}^k. With
sgn(0) = 1 that needs a shift: let v+ = min{<w, y> : <w, y> >= b} and
v- = max{<w, y> : <w, y> < b} over all 2^k inputs. For any xi and theta with

    v+ - theta >= xi    and    v- - theta <= -xi,

h_xi(<w, y> - theta) = sgn(<w, y> - b) on every y, ties included.

Steps of the conversion:

1. Every gate becomes a threshold gate sgn(<w, y> - b) (values +-1, -1 true):
   AND is w = 1, b = 1 - k; OR is w = 1, b = k - 1; NAND and NOR negate both;
   NOT is w = -1, b = 0; BUF is w = 1, b = 0; MAJ is w = 1, b = 0, so an even split
   gives sgn(0) = 1, false. XOR and XNOR of k >= 2 inputs are not single threshold
   gates; each becomes k + 1 gates in two levels: g_j = [at least j inputs true]
   (w = 1, b = k - 2j + 1) and then, with c = k mod 2, XOR = sgn(sum_j (-1)^(j+1) g_j - (c - 1))
   and XNOR = sgn(sum_j (-1)^j g_j - (1 - c)), because the alternating sum of the
   [t >= j] is 1 exactly when the count t of true inputs is odd. A signal read twice
   by one gate is read once with the summed weight.
2. Levelling (Lemma 2.11): a gate sits at the length of its longest path from the
   inputs (the layers S_1, ..., S_D of the proof of Lemma 4.4), and a signal needed
   at later levels is carried up by buffer gates (w = 1, b = 0), one chain per
   signal shared by all its readers. Outputs are carried to level D.
3. Network. ``corrected`` (the default) gives each gate the two units
   phi(u + 1) and phi(u - 1) with u = (<w, y> - theta)/xi, where xi is the largest
   power of two at most (v+ - v-)/2 and theta = v+ - xi. The next level reads the
   gate's value y = phi(u + 1) - phi(u - 1) - 1 directly through its own weights
   (the output map of one level merged into the input map of the next), so a
   threshold level is one ReLU layer and the network has depth D + 1 and 2 S'
   units for S' levelled gates. ``literal`` builds equation (14) as printed: per
   level W^(1) = (1/xi') (w; w) with biases (1, -1), a ReLU, W^(2) = (1, -1) with
   bias -1, and a ReLU on that before the next level; depth 2D. Its faults: the
   threshold b appears nowhere, h maps a gate input of exactly 0 to 0 where sgn
   gives 1, and the ReLU after W^(2) turns the value -1 into 0.

Reading of xi' in the literal equation, which the text gives only as 1/poly(d):
xi' = 2^-e with e the largest denominator exponent among all weights and
thresholds. Every non-zero <w, y> - b is then at least xi' in magnitude, so
h_xi'(z) = sgn(z) for z != 0, which is the property the proof invokes. The last
W^(2) keeps only the rows of the circuit's outputs (the text has one output, k_D = 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from verifier.circuits import Circuit
from verifier.dyadic import Dyadic
from verifier.errors import InputError
from verifier.evaluator import evaluate, points_to_integers
from verifier.network import Layer, Network

CONSTRUCTIONS = ("corrected", "literal")

# Margins are found from the set of sums <w, y> over y in {+-1}^k; a gate whose
# weights give more distinct sums than this cannot be converted.
MAX_DISTINCT_SUMS = 1 << 20

RULES = {
    "corrected": (
        "Each gate sgn(<w, y> - b) becomes h_xi(<w, y> - theta) with xi the largest power of two at most half the gap "
        "between the largest sum below b and the smallest sum at least b, and theta = (smallest sum at least b) - xi, "
        "so a sum equal to b gives 1 as sgn does.",
        "The output map y = phi(u + 1) - phi(u - 1) - 1 of each level is merged into the next level's input map: one ReLU "
        "layer per threshold level, depth D + 1.",
    ),
    "literal": (
        "Equation (14) as printed: W^(1) = (1/xi') (w; w), b^(1) = (1, -1), W^(2) = (1, -1), b^(2) = -1, with a ReLU "
        "after every affine map but the last; no term for the threshold b.",
        "xi' = 2^-e for the largest denominator exponent e among all weights and thresholds.",
        "The last W^(2) keeps only the rows of the circuit's outputs.",
    ),
}
LEVELLING_RULES = (
    "XOR and XNOR of k >= 2 inputs become k + 1 threshold gates in two levels: [at least j inputs true] for j = 1..k, "
    "then their alternating sum. The counters of gate g are named g#atleast1, ..., g#atleastk, with # appended "
    "until the name is unused.",
    "A signal read twice by one gate is read once with the sum of its weights.",
    "A gate sits at the length of its longest path from the inputs; each signal is carried to later levels by one "
    "chain of buffer gates (w = 1, b = 0) shared by all its readers; outputs are carried to the last level.",
    "Nodes of a level are ordered as their signals: circuit inputs in declaration order, then gates in topological order.",
)


# Step 1: threshold gates.


@dataclass(frozen=True)
class ThresholdGate:
    """sgn(<w, y> - b) on distinct input signals; ``origin`` is the circuit gate it comes from."""

    name: str
    inputs: tuple[str, ...]
    weights: tuple[Dyadic, ...]
    threshold: Dyadic
    origin: str


@dataclass
class ThresholdCircuit:
    """A circuit of threshold gates in topological order, with how many gates were rewritten."""

    inputs: list[str]
    outputs: list[str]
    gates: list[ThresholdGate]
    rewritten: int  # XOR and XNOR gates of fan-in >= 2, each replaced by a subcircuit

    @property
    def size(self) -> int:
        return len(self.gates)

    @property
    def wires(self) -> int:
        return sum(len(gate.inputs) for gate in self.gates)


def threshold_form(gate_type: str, arity: int) -> tuple[list[Dyadic], Dyadic]:
    """Return (w, b) with sgn(<w, y> - b) equal to a single-threshold gate type of the given fan-in."""
    k = arity
    forms = {
        "AND": (1, 1 - k),
        "OR": (1, k - 1),
        "NAND": (-1, k - 1),
        "NOR": (-1, 1 - k),
        "NOT": (-1, 0),
        "BUF": (1, 0),
        "MAJ": (1, 0),
    }
    if gate_type in ("XOR", "XNOR") and k == 1:
        return threshold_form("BUF" if gate_type == "XOR" else "NOT", 1)
    if gate_type not in forms:
        raise ValueError(f"{gate_type} of fan-in {k} is not a single threshold gate")
    weight, threshold = forms[gate_type]
    return [Dyadic(weight)] * k, Dyadic(threshold)


def parity_subcircuit(gate_type: str, arity: int) -> list[tuple[list[Dyadic], Dyadic]]:
    """Return the k + 1 threshold gates of XOR or XNOR of k >= 2 inputs: k counters on the inputs, then the output.

    Gate j (1-based, j <= k) reads the k inputs; the last gate reads the k counters.
    """
    k = arity
    counters = [([Dyadic(1)] * k, Dyadic(k - 2 * j + 1)) for j in range(1, k + 1)]
    odd = k % 2
    if gate_type == "XOR":
        output = ([Dyadic((-1) ** (j + 1)) for j in range(1, k + 1)], Dyadic(odd - 1))
    else:
        output = ([Dyadic((-1) ** j) for j in range(1, k + 1)], Dyadic(1 - odd))
    return counters + [output]


def to_threshold_circuit(circuit: Circuit) -> ThresholdCircuit:
    """Rewrite every gate of ``circuit`` as threshold gates (step 1 of the module docstring)."""
    used_names = set(circuit.inputs) | set(circuit.gates)
    gates = []
    rewritten = 0
    for gate in circuit.gates.values():
        k = len(gate.inputs)
        if gate.type == "THRESHOLD":
            gates.append(_merged_gate(gate.name, gate.inputs, gate.weights, gate.threshold, gate.name))
        elif gate.type in ("XOR", "XNOR") and k >= 2:
            rewritten += 1
            *counters, (output_weights, output_threshold) = parity_subcircuit(gate.type, k)
            names = []
            for j, (weights, threshold) in enumerate(counters, start=1):
                name = _fresh_name(f"{gate.name}#atleast{j}", used_names)
                names.append(name)
                gates.append(_merged_gate(name, gate.inputs, weights, threshold, gate.name))
            gates.append(_merged_gate(gate.name, names, output_weights, output_threshold, gate.name))
        else:
            weights, threshold = threshold_form(gate.type, k)
            gates.append(_merged_gate(gate.name, gate.inputs, weights, threshold, gate.name))
    return ThresholdCircuit(list(circuit.inputs), list(circuit.outputs), gates, rewritten)


def _fresh_name(name: str, used_names: set[str]) -> str:
    while name in used_names:
        name += "#"
    used_names.add(name)
    return name


def _merged_gate(name, inputs, weights, threshold, origin) -> ThresholdGate:
    """Return the gate with each repeated input read once, with the sum of its weights."""
    total: dict[str, Dyadic] = {}
    for signal, weight in zip(inputs, weights):
        total[signal] = total.get(signal, Dyadic(0)) + weight
    return ThresholdGate(name, tuple(total), tuple(total.values()), Dyadic(threshold), origin)


# Step 2: levelling (Lemma 2.11).


@dataclass(frozen=True)
class LevelledNode:
    """One gate of a levelled circuit: signal ``signal`` computed at ``level``.

    ``inputs`` are positions in the previous level (in the circuit's inputs at level 1).
    A buffer copies its one input (w = 1, b = 0).
    """

    signal: str
    level: int
    buffer: bool
    inputs: tuple[int, ...]
    weights: tuple[Dyadic, ...]
    threshold: Dyadic


@dataclass
class LevelledCircuit:
    """Levels S_1, ..., S_D of a levelled threshold circuit and the positions of the outputs in S_D."""

    inputs: list[str]
    outputs: list[str]
    levels: list[list[LevelledNode]]
    output_positions: list[int]
    size: int  # gates of the threshold circuit before levelling (S)
    wires: int  # wires of the threshold circuit before levelling (W)
    rewritten: int

    @property
    def depth(self) -> int:
        return len(self.levels)

    @property
    def widths(self) -> list[int]:
        return [len(level) for level in self.levels]

    @property
    def levelled_size(self) -> int:
        return sum(self.widths)

    @property
    def buffers(self) -> int:
        return sum(node.buffer for level in self.levels for node in level)


def level_circuit(circuit: ThresholdCircuit) -> LevelledCircuit:
    """Level a threshold circuit so that every path from the inputs to a gate has the same length."""
    gates = {gate.name: gate for gate in circuit.gates}
    order = {signal: index for index, signal in enumerate(list(circuit.inputs) + [gate.name for gate in circuit.gates])}

    # The level of each signal: the longest path from an input.
    level = {signal: 0 for signal in circuit.inputs}
    for gate in circuit.gates:
        level[gate.name] = 1 + max(level[signal] for signal in gate.inputs)
    depth = max([level[gate.name] for gate in circuit.gates] + [1])

    # The last level at which each signal must be present.
    needed = dict(level)
    for gate in circuit.gates:
        for signal in gate.inputs:
            needed[signal] = max(needed[signal], level[gate.name] - 1)
    for signal in circuit.outputs:
        needed[signal] = depth

    # Nodes: each signal at its own level (gates only) and as a buffer above it.
    present = sorted(order, key=order.__getitem__)
    levels: list[list[LevelledNode]] = []
    positions: list[dict[str, int]] = [{signal: index for index, signal in enumerate(circuit.inputs)}]
    for current in range(1, depth + 1):
        nodes = []
        for signal in present:
            if not (level[signal] <= current <= needed[signal]) or (current == level[signal] == 0):
                continue
            previous = positions[current - 1]
            if level[signal] == current:
                gate = gates[signal]
                nodes.append(LevelledNode(signal, current, False, tuple(previous[s] for s in gate.inputs), gate.weights, gate.threshold))
            else:
                nodes.append(LevelledNode(signal, current, True, (previous[signal],), (Dyadic(1),), Dyadic(0)))
        levels.append(nodes)
        positions.append({node.signal: index for index, node in enumerate(nodes)})

    output_positions = [positions[depth][signal] for signal in circuit.outputs]
    return LevelledCircuit(list(circuit.inputs), list(circuit.outputs), levels, output_positions,
                           circuit.size, circuit.wires, circuit.rewritten)


# Step 3: the shift theta and the width xi of each gate, from exact margins.


def sums_over_hypercube(weights: Sequence[Dyadic]) -> tuple[list[int], int]:
    """Return the sorted distinct values of <w, y> over y in {+-1}^k, as integers over 2^exponent, and the exponent."""
    exponent = max((w.exponent for w in weights), default=0)
    sums = {0}
    for weight in weights:
        step = weight.scaled(exponent)
        sums = {s + step for s in sums} | {s - step for s in sums}
        if len(sums) > MAX_DISTINCT_SUMS:
            raise InputError(
                f"a threshold gate with {len(weights)} inputs has more than {MAX_DISTINCT_SUMS} distinct sums <w, y>; "
                "its margins cannot be found by enumeration"
            )
    return sorted(sums), exponent


def margins(weights: Sequence[Dyadic], threshold: Dyadic) -> tuple[Dyadic | None, Dyadic | None]:
    """Return (v-, v+): the largest sum <w, y> below b and the smallest at least b (None when there is none)."""
    sums, exponent = sums_over_hypercube(weights)
    exponent = max(exponent, threshold.exponent)
    shift = exponent - max((w.exponent for w in weights), default=0)
    bound = threshold.scaled(exponent)
    below = [s << shift for s in sums if s << shift < bound]
    above = [s << shift for s in sums if s << shift >= bound]
    lower = Dyadic(below[-1], exponent) if below else None
    upper = Dyadic(above[0], exponent) if above else None
    return lower, upper


def shift_and_width(weights: Sequence[Dyadic], threshold: Dyadic) -> tuple[Dyadic, int]:
    """Return (theta, log2 xi) with h_xi(<w, y> - theta) = sgn(<w, y> - b) on all of {+-1}^k.

    xi is the largest power of two at most (v+ - v-)/2 and theta = v+ - xi. A gate
    that is constant gets xi = 1 and theta one unit past its sums.
    """
    lower, upper = margins(weights, threshold)
    if lower is None:
        return upper - 1, 0
    if upper is None:
        return lower + 1, 0
    half_gap = (upper - lower) * Dyadic(1, 1)
    log_xi = half_gap.mantissa.bit_length() - 1 - half_gap.exponent
    return upper - Dyadic(1).shift(log_xi), log_xi


def literal_log_xi(levelled: LevelledCircuit) -> int:
    """Return log2 xi' for the literal equation (14): minus the largest denominator exponent of any weight or threshold."""
    exponents = [value.exponent for level in levelled.levels for node in level for value in node.weights + (node.threshold,)]
    return -max(exponents, default=0)


# Step 4: the network.


@dataclass
class ConvertedNetwork:
    """A network built from a levelled circuit, and the layout of its layers."""

    network: Network
    levelled: LevelledCircuit
    construction: str
    layout: str  # "merged" (one layer per level) or "literal" (two layers per level)


def build_network(levelled: LevelledCircuit, construction: str = "corrected") -> ConvertedNetwork:
    """Build the ReLU network of a levelled threshold circuit (step 3 of the module docstring)."""
    if construction == "corrected":
        return _build_merged(levelled)
    if construction == "literal":
        return _build_literal(levelled)
    raise ValueError(f"unknown construction {construction!r}; expected one of {', '.join(CONSTRUCTIONS)}")


def _build_merged(levelled: LevelledCircuit) -> ConvertedNetwork:
    choices: dict[tuple, tuple[Dyadic, int]] = {}
    layers = []
    columns = len(levelled.inputs)
    for number, nodes in enumerate(levelled.levels, start=1):
        entries, bias = [], []
        for index, node in enumerate(nodes):
            key = (node.weights, node.threshold)
            if key not in choices:
                try:
                    choices[key] = shift_and_width(node.weights, node.threshold)
                except InputError as error:
                    raise InputError(f"gate {node.signal}: {error}") from None
            theta, log_xi = choices[key]
            scaled = [w.shift(-log_xi) for w in node.weights]

            # u = (<w, y> - theta) / xi. From level 2 on, y_j = phi(a_j) - phi(a'_j) - 1 of the fan-in gate j.
            if number == 1:
                row = [(source, weight) for source, weight in zip(node.inputs, scaled)]
                constant = -theta.shift(-log_xi)
            else:
                row = [(2 * source, weight) for source, weight in zip(node.inputs, scaled)]
                row += [(2 * source + 1, -weight) for source, weight in zip(node.inputs, scaled)]
                constant = -(sum(scaled, Dyadic(0)) + theta.shift(-log_xi))

            # The two units phi(u + 1) and phi(u - 1) of equation (12).
            entries += [(2 * index, column, weight) for column, weight in row]
            entries += [(2 * index + 1, column, weight) for column, weight in row]
            bias += [constant + 1, constant - 1]
        layers.append(Layer.from_entries((2 * len(nodes), columns), entries, bias))
        columns = 2 * len(nodes)

    # The output map of the last level: y = phi(u + 1) - phi(u - 1) - 1.
    outputs = levelled.output_positions
    entries = [(row, 2 * position, 1) for row, position in enumerate(outputs)]
    entries += [(row, 2 * position + 1, -1) for row, position in enumerate(outputs)]
    layers.append(Layer.from_entries((len(outputs), columns), entries, [-1] * len(outputs)))
    network = Network(len(levelled.inputs), layers)
    return ConvertedNetwork(network, levelled, "corrected", "merged")


def _build_literal(levelled: LevelledCircuit) -> ConvertedNetwork:
    log_xi = literal_log_xi(levelled)
    layers = []
    columns = len(levelled.inputs)
    for number, nodes in enumerate(levelled.levels, start=1):
        # W^(1) = (1/xi') (w_j; w_j) and b^(1) = (1, -1): no term for the threshold b.
        entries = []
        for index, node in enumerate(nodes):
            for source, weight in zip(node.inputs, node.weights):
                entries += [(2 * index, source, weight.shift(-log_xi)), (2 * index + 1, source, weight.shift(-log_xi))]
        layers.append(Layer.from_entries((2 * len(nodes), columns), entries, [1, -1] * len(nodes)))

        # W^(2) = (1, -1) per gate and b^(2) = -1; the last one keeps the output rows only.
        rows = levelled.output_positions if number == levelled.depth else list(range(len(nodes)))
        entries = [(row, 2 * index, 1) for row, index in enumerate(rows)]
        entries += [(row, 2 * index + 1, -1) for row, index in enumerate(rows)]
        layers.append(Layer.from_entries((len(rows), 2 * len(nodes)), entries, [-1] * len(rows)))
        columns = len(rows)
    network = Network(len(levelled.inputs), layers)
    return ConvertedNetwork(network, levelled, "literal", "literal")


def convert_circuit(circuit: Circuit, construction: str = "corrected") -> ConvertedNetwork:
    """Rewrite, level and convert a circuit: steps 1 to 3 of the module docstring."""
    return build_network(level_circuit(to_threshold_circuit(circuit)), construction)


# Lemma 3.12's h_xi on values in [0, 1], as Lemma 4.4 applies it to generator outputs.


def h_xi_network(xi_inverse, rescale: bool = False) -> Network:
    """Return the network of h_xi (Lemma 3.12), or of y -> h_xi(2y - 1) when ``rescale``.

    h_xi(z) = phi(z/xi + 1) - phi(z/xi - 1) - 1, so W_1 = (1/xi, 1/xi)^T, b_1 = (1, -1),
    W_2 = (1, -1), b_2 = -1. With 2y - 1 in place of z, W_1 doubles and b_1 drops by 1/xi.
    """
    inverse = Dyadic(xi_inverse)
    if inverse <= 0:
        raise InputError(f"1/xi must be positive, found {inverse}")
    slope = inverse * 2 if rescale else inverse
    offset = -inverse if rescale else Dyadic(0)
    first = Layer.from_dense([[slope], [slope]], [offset + 1, offset - 1])
    second = Layer.from_dense([[1, -1]], [-1])
    return Network(1, [first, second])


def apply_h_xi(values: Sequence, xi_inverse, rescale: bool = False) -> list[Dyadic]:
    """Evaluate h_xi (or h_xi(2y - 1) when ``rescale``) exactly at each value."""
    network = h_xi_network(xi_inverse, rescale)
    matrix, exponent, tau = points_to_integers([[value] for value in values])
    return [output[0] for output in evaluate(network, matrix, exponent, tau).outputs]


def h_xi_summary(values: Sequence, xi_inverse) -> dict:
    """Count how h_xi sends values in [0, 1] to +1, -1 or strictly between, with and without 2y - 1 first.

    Lemma 4.4 applies h_xi to generator outputs in [0, 1]; without 2y - 1 every
    value at least xi goes to +1 and none goes to -1.
    """
    summary = {}
    for name, rescale in (("h_xi(y)", False), ("h_xi(2y - 1)", True)):
        outputs = apply_h_xi(values, xi_inverse, rescale)
        summary[name] = {
            "plus_one": sum(1 for value in outputs if value == 1),
            "minus_one": sum(1 for value in outputs if value == -1),
            "between": sum(1 for value in outputs if -1 < value < 1),
        }
    return summary
