"""Tests for verifier.circuits: the .bench and JSON readers, their errors, and the simulator.

Expected values were worked out by hand with -1 meaning true; point i of the
hypercube has x_j = -1 exactly when bit j-1 of i is set.
"""

import json
import pathlib

import numpy as np
import pytest

from verifier.circuits import Circuit, Gate, load_circuit, read_bench, simulate
from verifier.dyadic import Dyadic
from verifier.errors import InputError
from verifier.evaluator import hypercube_points

ISCAS = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "iscas85"
needs_iscas = pytest.mark.skipif(not ISCAS.is_dir(), reason=f"ISCAS-85 circuits not found at {ISCAS}")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def write_json(tmp_path, data, name="c.json"):
    return write(tmp_path, name, json.dumps(data))


def json_circuit(gates, inputs=("a", "b"), outputs=("g",)):
    return {"format": "verifier-circuit", "schema_version": 1, "inputs": list(inputs), "outputs": list(outputs), "gates": gates}


# Reading .bench files.


def test_bench_reads_any_case_and_buff(tmp_path):
    path = write(tmp_path, "m.bench", "# a comment\n\ninput(a)\nINPUT(b)\noutput(z)\n\nn = nand(a, b)  # inline comment\nz = BUFF(n)\ny = Buf(a)\n")
    circuit = read_bench(path)
    assert circuit.inputs == ["a", "b"]
    assert circuit.outputs == ["z"]
    assert [(g.name, g.type, g.inputs) for g in circuit.gates.values()] == [("n", "NAND", ("a", "b")), ("z", "BUF", ("n",)), ("y", "BUF", ("a",))]


def test_bench_reads_crlf_lines(tmp_path):
    path = tmp_path / "crlf.bench"
    path.write_bytes(b"INPUT(a)\r\nINPUT(b)\r\nOUTPUT(z)\r\n\r\nz = AND(a, b)\r\n")
    circuit = read_bench(str(path))
    assert circuit.gates["z"].inputs == ("a", "b")


def test_bench_skips_byte_order_mark(tmp_path):
    path = tmp_path / "bom.bench"
    path.write_bytes(b"\xef\xbb\xbfINPUT(a)\nINPUT(b)\nOUTPUT(z)\nz = AND(a, b)\n")
    circuit = read_bench(str(path))
    assert circuit.inputs == ["a", "b"]
    assert circuit.gates["z"].inputs == ("a", "b")


def test_bench_non_utf8_byte_names_line(tmp_path):
    path = tmp_path / "latin1.bench"
    path.write_bytes(b"INPUT(a)\nOUTPUT(z)\n# caf\xe9\nz = NOT(a)\n")
    with pytest.raises(InputError) as error:
        read_bench(str(path))
    assert f"{path}: line 3: byte 0xe9 is not valid UTF-8" in str(error.value)
    assert "position" not in str(error.value)


def test_bench_rejects_threshold_gate_with_reason(tmp_path):
    path = write(tmp_path, "th2.bench", "INPUT(a)\nINPUT(b)\nINPUT(c)\nOUTPUT(y)\ny = THRESHOLD(a, b, c)\n")
    with pytest.raises(InputError) as error:
        read_bench(path)
    assert "line 5: gate y is a THRESHOLD gate, whose weights and threshold a .bench line cannot hold" in str(error.value)
    assert "JSON circuit format" in str(error.value)


def test_bench_unknown_gate_lists_bench_types(tmp_path):
    path = write(tmp_path, "foo.bench", "INPUT(a)\nOUTPUT(z)\nz = FOO(a)\n")
    with pytest.raises(InputError) as error:
        read_bench(path)
    assert "known types: AND, OR, NAND, NOR, NOT, BUF, XOR, XNOR, MAJ, BUFF" in str(error.value)
    assert "THRESHOLD" not in str(error.value)


def test_bench_accepts_forward_reference(tmp_path):
    path = write(tmp_path, "f.bench", "INPUT(a)\nOUTPUT(z)\nz = NOT(n)\nn = NOT(a)\n")
    circuit = read_bench(path)
    assert list(circuit.gates) == ["n", "z"]  # topological order
    assert circuit.depth() == 2


@pytest.mark.parametrize(
    "text, message",
    [
        ("INPUT(a)\nOUTPUT(z)\nz = AND(a, q)\n", "line 3: signal q is used but never defined"),
        ("INPUT(a)\nOUTPUT(z)\nz = NOT(a)\nz = BUF(a)\n", "line 4: signal z is defined twice (first on line 3)"),
        ("INPUT(a)\nOUTPUT(a)\nINPUT(a)\n", "line 3: signal a is defined twice (first on line 1)"),
        ("INPUT(a)\nOUTPUT(z)\nz = AND(a, y)\ny = OR(a, z)\n", "the signals"),
        ("INPUT(a)\nOUTPUT(z)\nOUTPUT(w)\nz = NOT(a)\n", "line 3: output w is never driven"),
        ("INPUT(a)\nOUTPUT(z)\nz = NOT(a)\nOUTPUT(z)\n", "line 4: output z is declared twice (first on line 2)"),
        ("INPUT(a)\nOUTPUT(z)\nz = FOO(a)\n", "line 3: unknown gate type 'FOO' for signal z"),
        ("INPUT(a)\nOUTPUT(z)\nz = DFF(a)\n", "line 3: gate z is a DFF, a sequential element"),
        ("INPUT(a)\nOUTPUT(z)\nz = NOT(a, a)\n", "line 3: gate z is a NOT, which takes one input, but has 2"),
        ("INPUT(a)\nOUTPUT(z)\nz = AND()\n", "line 3: gate z (AND) has no inputs"),
        ("INPUT(a)\nOUTPUT(z)\nz := AND(a)\n", "line 3: expected INPUT(name)"),
        ("", "the file is empty"),
        ("\n  \n", "the file is empty"),
        ("# only a comment\n", "defines no inputs, outputs or gates"),
        ("INPUT(a)\nz = NOT(a)\n", "declares no outputs"),
    ],
)
def test_bench_rejects_bad_input(tmp_path, text, message):
    path = write(tmp_path, "bad.bench", text)
    with pytest.raises(InputError) as error:
        read_bench(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_bench_cycle_names_signals_and_lines(tmp_path):
    path = write(tmp_path, "cycle.bench", "INPUT(a)\nOUTPUT(z)\nz = AND(a, y)\ny = OR(a, z)\n")
    with pytest.raises(InputError) as error:
        read_bench(path)
    message = str(error.value)
    assert "z -> y -> z" in message or "y -> z -> y" in message
    assert "line 3" in message
    assert "line 4" in message


def test_bench_self_loop_is_cycle(tmp_path):
    path = write(tmp_path, "loop.bench", "INPUT(a)\nOUTPUT(z)\nz = AND(a, z)\n")
    with pytest.raises(InputError, match="z -> z form a cycle"):
        read_bench(path)


def test_missing_file_and_unknown_extension(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_circuit(str(tmp_path / "nope.bench"))
    with pytest.raises(InputError, match="unknown circuit format .txt"):
        load_circuit(write(tmp_path, "c.txt", "INPUT(a)\n"))


# Reading JSON circuits.


def test_json_reads_threshold_gate(tmp_path):
    gate = {"name": "g", "type": "threshold", "inputs": ["a", "b"], "weights": ["1", "-0.5"], "threshold": "1/4"}
    circuit = load_circuit(write_json(tmp_path, json_circuit([gate])))
    read = circuit.gates["g"]
    assert read.type == "THRESHOLD"
    assert read.weights == (Dyadic(1), Dyadic(-1, 1))
    assert read.threshold == Dyadic(1, 2)


@pytest.mark.parametrize(
    "gates, outputs, message",
    [
        ([{"name": "g", "type": "THRESHOLD", "inputs": ["a", "b"], "weights": ["1", "1/3"], "threshold": "0"}], ("g",),
         "gates[0].weights[1]: '1/3' is not a dyadic rational"),
        ([{"name": "g", "type": "THRESHOLD", "inputs": ["a", "b"], "weights": ["1", 0.5], "threshold": "0"}], ("g",),
         "gates[0].weights[1]: found the JSON float 0.5; write exact numbers as strings"),
        ([{"name": "g", "type": "THRESHOLD", "inputs": ["a", "b"], "weights": ["1"], "threshold": "0"}], ("g",),
         "gates[0].weights: expected a list of 2 exact numbers"),
        ([{"name": "g", "type": "THRESHOLD", "inputs": ["a"], "weights": ["1"]}], ("g",), "gates[0].threshold: missing"),
        ([{"name": "g", "type": "AND", "inputs": ["a", "b"], "threshold": "0"}], ("g",), "gates[0].threshold: only THRESHOLD gates"),
        ([{"name": "g", "type": "AND", "inputs": ["a", "c"]}], ("g",), "gates[0].inputs[1]: signal c is used but never defined"),
        ([{"name": "a", "type": "NOT", "inputs": ["b"]}], ("a",), "gates[0].name: signal a is defined twice (first as inputs[0])"),
        ([{"name": "g", "type": "NOT", "inputs": ["h"]}, {"name": "h", "type": "NOT", "inputs": ["g"]}], ("g",), "form a cycle (gates[0], gates[1])"),
        ([{"name": "g", "type": "NOT", "inputs": ["a"]}], ("h",), "outputs[0]: output h is never driven"),
        ([{"name": "g", "type": "XAND", "inputs": ["a"]}], ("g",), "gates[0].type: unknown gate type 'XAND'"),
        ([{"name": "g", "type": "dff", "inputs": ["a"]}], ("g",), "gates[0].type: gate g is a DFF"),
        ([{"name": "g", "type": "AND", "inputs": ["a"], "colour": "red"}], ("g",), "gates[0]: unknown field 'colour'"),
    ],
)
def test_json_rejects_bad_input(tmp_path, gates, outputs, message):
    path = write_json(tmp_path, json_circuit(gates, outputs=outputs))
    with pytest.raises(InputError) as error:
        load_circuit(path)
    assert message in str(error.value)


def test_json_float_weight_shown_as_written(tmp_path):
    gate = {"name": "g", "type": "THRESHOLD", "inputs": ["a", "b"], "weights": ["1", 0.5], "threshold": "0"}
    with pytest.raises(InputError) as error:
        load_circuit(write_json(tmp_path, json_circuit([gate])))
    assert "gates[0].weights[1]: found the JSON float 0.5;" in str(error.value)
    assert "write exact numbers as strings" in str(error.value)
    assert "Decimal" not in str(error.value)


def test_json_rejects_wrong_header(tmp_path):
    data = json_circuit([{"name": "g", "type": "AND", "inputs": ["a"]}])
    data["schema_version"] = 2
    with pytest.raises(InputError, match="unsupported schema_version 2"):
        load_circuit(write_json(tmp_path, data))
    with pytest.raises(InputError, match="the file is empty"):
        load_circuit(write(tmp_path, "e.json", ""))


def test_json_round_trip_keeps_hash(tmp_path):
    bench = read_bench(write(tmp_path, "r.bench", "INPUT(a)\nINPUT(b)\nOUTPUT(z)\nz = XOR(a, b)\n"))
    again = load_circuit(write_json(tmp_path, bench.to_json(), "r.json"))
    assert again.to_json() == bench.to_json()
    assert again.sha256() == bench.sha256()


# Simulation.


def test_simulate_gate_types_on_all_inputs():
    types = ["AND", "OR", "NAND", "NOR", "XOR", "XNOR", "MAJ"]
    gates = [Gate(t.lower(), t, ("x1", "x2", "x3")) for t in types]
    circuit = Circuit(["x1", "x2", "x3"], [t.lower() for t in types], gates)
    got = simulate(circuit, hypercube_points(3))
    for i in range(8):
        true = [(i >> j) & 1 for j in range(3)]
        count = sum(true)
        expected = {"AND": count == 3, "OR": count >= 1, "NAND": count < 3, "NOR": count == 0,
                    "XOR": count % 2 == 1, "XNOR": count % 2 == 0, "MAJ": count >= 2}
        assert [int(v) for v in got[:, i]] == [-1 if expected[t] else 1 for t in types], i


def test_simulate_even_majority_tie_is_false():
    circuit = Circuit(["a", "b"], ["m"], [Gate("m", "MAJ", ("a", "b"))])
    assert simulate(circuit, hypercube_points(2)).tolist() == [[1, 1, 1, -1]]


def test_simulate_threshold_tie_goes_to_one():
    # x1 - x2/2 - 1/2 is 0, -2, 1, -1 at the points (1,1), (-1,1), (1,-1), (-1,-1); sgn(0) = 1.
    gate = Gate("t", "THRESHOLD", ("x1", "x2"), (Dyadic(1), Dyadic(-1, 1)), Dyadic(1, 1))
    circuit = Circuit(["x1", "x2"], ["t"], [gate])
    assert simulate(circuit, hypercube_points(2)).tolist() == [[1, -1, 1, -1]]


@needs_iscas
def test_c17_reads_and_simulates():
    circuit = load_circuit(str(ISCAS / "c17.bench"))
    assert circuit.inputs == ["N1", "N2", "N3", "N6", "N7"]
    assert circuit.outputs == ["N22", "N23"]
    assert circuit.type_counts() == {"NAND": 6}
    # All inputs false: N10 = N11 = true, N16 = N19 = true, N22 = N23 = false.
    # Only N1 and N3 true (point 5): N10 false, N11 true, N16 true, N19 true; N22 = NAND(false, true) = true, N23 false.
    points = np.array([[1, 1, 1, 1, 1], [-1, 1, -1, 1, 1]]).T
    assert simulate(circuit, points).tolist() == [[1, -1], [1, 1]]


@needs_iscas
def test_c432_gate_counts():
    circuit = load_circuit(str(ISCAS / "c432.bench"))
    assert (len(circuit.inputs), len(circuit.outputs), circuit.size) == (36, 7, 160)
    assert circuit.type_counts() == {"AND": 4, "NAND": 79, "NOR": 19, "NOT": 40, "XOR": 18}
