"""Tests for ``convert circuit`` and ``check circuit`` on the command line.

Most tests call verifier.cli.main in this process; one runs ``python -m verifier``
end to end. Values for c17 were worked out by hand (see the comments).
"""

import json
import pathlib
import re
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import pytest

from verifier import circuit_check
from verifier.circuits import load_circuit
from verifier.cli import main
from verifier.combinators import pad_depth
from verifier.constructions.threshold import convert_circuit

ISCAS = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "iscas85"
needs_iscas = pytest.mark.skipif(not ISCAS.is_dir(), reason=f"ISCAS-85 circuits not found at {ISCAS}")

SMALL = "INPUT(a)\nINPUT(b)\nINPUT(c)\nOUTPUT(z)\nn = NAND(a, b)\nm = NOR(b, c)\nz = XOR(n, m)\n"


def run_main(capsys, *arguments):
    code = main([str(a) for a in arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_convert_then_check_small_circuit(tmp_path, capsys):
    circuit = write(tmp_path, "small.bench", SMALL)
    out = tmp_path / "small"
    code, stdout, _ = run_main(capsys, "convert", "circuit", circuit, "--out", out)
    assert code == 0
    assert "per-gate proof: PASS" in stdout
    assert "exhaustive check: 0 mismatches on 8 inputs" in stdout
    network_text = (out / "network.json").read_text()
    assert "\n" not in network_text.strip()  # canonical form: one line, no spaces
    assert " " not in network_text
    certificate = json.loads((out / "certificate.json").read_text())
    assert certificate["kind"] == "threshold-circuit-network"
    assert certificate["levelling"]["rewritten_gates"] == 1

    code, stdout, _ = run_main(capsys, "check", "circuit", out / "network.json", "--circuit", circuit,
                               "--out", tmp_path / "again.json")
    assert code == 0
    again = json.loads((tmp_path / "again.json").read_text())
    assert again["network_sha256"] == certificate["network_sha256"]
    assert again["construction"]["name"] == "given"


def test_json_flag_prints_certificate(tmp_path, capsys):
    circuit = write(tmp_path, "small.bench", SMALL)
    code, stdout, _ = run_main(capsys, "convert", "circuit", circuit, "--out", tmp_path / "o", "--json")
    assert code == 0
    assert json.loads(stdout) == json.loads((tmp_path / "o" / "certificate.json").read_text())


def test_strict_exits_one_on_failed_bound(tmp_path, capsys):
    # The output a must be carried to level 2: 5 levelled gates against D * S = 2 * 2.
    circuit = write(tmp_path, "lv.bench", "INPUT(a)\nINPUT(b)\nINPUT(c)\nOUTPUT(g2)\nOUTPUT(a)\ng1 = AND(a, b)\ng2 = OR(g1, c)\n")
    code, stdout, _ = run_main(capsys, "convert", "circuit", circuit, "--out", tmp_path / "plain")
    assert code == 0
    assert "! FAILS     lemma-2.11/size: stated 4, measured 5" in stdout
    code, _, _ = run_main(capsys, "convert", "circuit", circuit, "--out", tmp_path / "strict", "--strict")
    assert code == 1


@pytest.mark.parametrize(
    "text, message",
    [
        ("INPUT(a)\nOUTPUT(z)\nz = AND(a, q)\n", "line 3: signal q is used but never defined"),
        ("INPUT(a)\nOUTPUT(z)\nz = NOT(a)\nz = NOT(a)\n", "line 4: signal z is defined twice"),
        ("INPUT(a)\nOUTPUT(z)\nz = AND(a, y)\ny = NOT(z)\n", "form a cycle (line 3, line 4)"),
        ("INPUT(a)\nOUTPUT(w)\nz = NOT(a)\n", "line 2: output w is never driven"),
        ("INPUT(a)\nOUTPUT(z)\nz = MUX(a)\n", "line 3: unknown gate type 'MUX'"),
        ("INPUT(a)\nOUTPUT(z)\nz = dff(a)\n", "line 3: gate z is a DFF"),
        ("", "the file is empty"),
        ("INPUT(a)\nINPUT(b)\nINPUT(c)\nOUTPUT(y)\ny = THRESHOLD(a, b, c)\n",
         "line 5: gate y is a THRESHOLD gate, whose weights and threshold a .bench line cannot hold"),
    ],
)
def test_convert_bad_bench_exits_two_and_writes_nothing(tmp_path, capsys, text, message):
    circuit = write(tmp_path, "bad.bench", text)
    out = tmp_path / "out"
    code, stdout, stderr = run_main(capsys, "convert", "circuit", circuit, "--out", out)
    assert code == 2
    assert message in stderr
    assert str(circuit) in stderr
    assert stdout == ""
    assert not out.exists()


def test_convert_non_dyadic_weight_exits_two(tmp_path, capsys):
    data = {"format": "verifier-circuit", "schema_version": 1, "inputs": ["a"], "outputs": ["t"],
            "gates": [{"name": "t", "type": "THRESHOLD", "inputs": ["a"], "weights": ["0.1"], "threshold": "0"}]}
    circuit = write(tmp_path, "t.json", json.dumps(data))
    code, _, stderr = run_main(capsys, "convert", "circuit", circuit, "--out", tmp_path / "out")
    assert code == 2
    assert "gates[0].weights[0]: '0.1' is not a dyadic rational" in stderr
    assert not (tmp_path / "out").exists()


def test_check_dimension_mismatch_exits_two(tmp_path, capsys):
    circuit = write(tmp_path, "small.bench", SMALL)
    network = write(tmp_path, "n.json", json.dumps({"format": "verifier-relu-network", "schema_version": 1, "input_dim": 2,
                                                     "layers": [{"shape": [1, 2], "weights": [[0, 0, "1"]], "bias": ["0"]}]}))
    out = tmp_path / "c.json"
    code, _, stderr = run_main(capsys, "check", "circuit", network, "--circuit", circuit, "--out", out)
    assert code == 2
    assert "maps 2 inputs to 1 outputs" in stderr
    assert not out.exists()


def test_samples_must_be_positive(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["convert", "circuit", "x.bench", "--samples", "0"])
    assert exit_info.value.code == 2
    assert "must be a positive integer" in capsys.readouterr().err


def test_help_numbers_match_constants(capsys):
    with pytest.raises(SystemExit):
        main(["convert", "circuit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"more than {circuit_check.MAX_EXHAUSTIVE_INPUTS} inputs" in text
    assert f"(default: {circuit_check.DEFAULT_SAMPLES})" in text


@needs_iscas
def test_literal_c17_shows_failing_input(tmp_path, capsys):
    # All inputs false: the literal level 1 gives N10 = N11 = -1, which the ReLU after W^(2) turns into 0,
    # so the last level sums to 0 and both outputs are 0 where the circuit gives 1.
    out = tmp_path / "lit"
    code, stdout, _ = run_main(capsys, "convert", "circuit", ISCAS / "c17.bench", "--construction", "literal", "--out", out)
    assert code == 1
    assert "first failing input [1, 1, 1, 1, 1]: circuit [1, 1], network [0, 0]" in stdout
    # N10 = NAND(N1, N3) with N3 alone true: <w, x> = 0 and the threshold b = 1 is missing, so h gives 0.
    assert "first failing gate N10 (level 1) at N1 = 1, N3 = -1: sgn gives -1, the network 0" in stdout
    certificate = json.loads((out / "certificate.json").read_text())
    assert certificate["end_to_end"]["mismatches"] == 32


@needs_iscas
def test_c432_converts_and_proves(tmp_path, capsys):
    out = tmp_path / "c432"
    code, stdout, _ = run_main(capsys, "convert", "circuit", ISCAS / "c432.bench", "--out", out, "--samples", "500")
    assert code == 0
    assert "threshold circuit: 196 gates (18 XOR/XNOR rewritten)" in stdout  # 160 + 18 * 2 counters
    assert "random check: 0 mismatches on 500 inputs, seed 0" in stdout


@needs_iscas
def test_module_entry_point_end_to_end(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "verifier", "convert", "circuit", str(ISCAS / "c17.bench"),
                                "--out", str(tmp_path / "c17")], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "c17" / "network.json").exists()
    assert "depth 4, size 18" in completed.stdout  # D = 3 levels plus the output map; 2 units for each of 9 levelled gates


# Re-checking certificates with the independent checker.

CERTIFICATES = pathlib.Path(__file__).resolve().parents[1] / "certificates"


@pytest.mark.parametrize("name", ["c17.cert.json", "c432.cert.json"])
def test_checked_in_certificates_verify(capsys, name):
    code, stdout, _ = run_main(capsys, "verify", CERTIFICATES / name)
    assert code == 0, stdout
    assert "verified" in stdout


@pytest.mark.parametrize("construction", ["corrected", "literal"])
def test_verify_converted_small_circuit(tmp_path, capsys, construction):
    circuit = write(tmp_path, "small.bench", SMALL)
    run_main(capsys, "convert", "circuit", circuit, "--construction", construction, "--out", tmp_path / "o")
    code, stdout, _ = run_main(capsys, "verify", tmp_path / "o" / "certificate.json")
    assert code == 0, stdout


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c["claims"][2].update(status="fails"), "claims[2].status (lemma-2.11/size)"),
        (lambda c: c["end_to_end"].update(mismatches=1), "end_to_end.mismatches: recorded 1, re-derived 0"),
        (lambda c: c["levelling"].update(buffers=5), "levelling.buffers: recorded 5, re-derived 0"),
        (lambda c: c["gate_proof"].update(status="fail"), "gate_proof.status"),
        (lambda c: c["gate_proof"].update(failing_gates=1), "gate_proof.failing_gates: recorded 1, re-derived 0"),
        (lambda c: c["circuit"]["gates"][0].update(type="AND"), "circuit_sha256"),
    ],
)
def test_verify_rejects_tampered_certificate(tmp_path, capsys, change, message):
    circuit = write(tmp_path, "small.bench", SMALL)
    run_main(capsys, "convert", "circuit", circuit, "--out", tmp_path / "o")
    certificate = json.loads((tmp_path / "o" / "certificate.json").read_text())
    change(certificate)
    tampered = write(tmp_path, "t.json", json.dumps(certificate))
    code, stdout, _ = run_main(capsys, "verify", tampered)
    assert code == 1
    assert message in stdout


def test_verify_literal_witness_is_checked(tmp_path, capsys):
    # The literal network of NAND(a, b) gives h(0) = 0 at a = 1, b = -1, where the gate gives -1.
    circuit = write(tmp_path, "nand.bench", "INPUT(a)\nINPUT(b)\nOUTPUT(n)\nn = NAND(a, b)\n")
    run_main(capsys, "convert", "circuit", circuit, "--construction", "literal", "--out", tmp_path / "o")
    certificate = json.loads((tmp_path / "o" / "certificate.json").read_text())
    failure = certificate["gate_proof"]["first_failure"]
    assert (failure["signal"], failure["inputs"], failure["expected"], failure["network"]) == ("n", [["a", 1], ["b", -1]], -1, "0")
    failure["network"] = "1"
    code, stdout, _ = run_main(capsys, "verify", write(tmp_path, "t.json", json.dumps(certificate)))
    assert code == 1
    assert 'gate_proof.first_failure.network: recorded "1", re-derived "0"' in stdout


def test_verify_network_without_construction_layout(tmp_path, capsys):
    # A network padded by one identity layer has neither layout, so only the exhaustive check decides.
    circuit_path = write(tmp_path, "small.bench", SMALL)
    circuit = load_circuit(str(circuit_path))
    network = convert_circuit(circuit).network
    padded = pad_depth(network, network.depth + 1)
    network_path = write(tmp_path, "padded.json", json.dumps(padded.to_json()))
    code, stdout, _ = run_main(capsys, "check", "circuit", network_path, "--circuit", circuit_path, "--out", tmp_path / "c.json")
    assert code == 0
    assert "per-gate proof: NOT APPLICABLE" in stdout
    code, stdout, _ = run_main(capsys, "verify", tmp_path / "c.json")
    assert code == 0, stdout


def test_literal_summary_counts_failing_gates(tmp_path, capsys):
    # The literal network drops each gate's threshold b and computes h(<w, y>) with h(0) = 0.
    # AND(a, b) is sgn(a + b + 1) and OR(a, b) is sgn(a + b - 1): at a = 1, b = -1 both give h(0) = 0,
    # where sgn gives 1 and -1. NOT(a) is sgn(-a), whose sum is never 0 and whose b is 0, so it holds.
    circuit = write(tmp_path, "three.bench", "INPUT(a)\nINPUT(b)\nOUTPUT(x)\nOUTPUT(y)\nOUTPUT(z)\n"
                                             "x = AND(a, b)\ny = NOT(a)\nz = OR(a, b)\n")
    out = tmp_path / "o"
    code, stdout, _ = run_main(capsys, "convert", "circuit", circuit, "--construction", "literal", "--out", out)
    assert code == 1
    assert "per-gate proof: FAIL: 2 of 3 gates fail (" in stdout
    assert json.loads((out / "certificate.json").read_text())["gate_proof"]["failing_gates"] == 2
    code, stdout, _ = run_main(capsys, "verify", out / "certificate.json")
    assert code == 0, stdout


def test_summary_rounds_lipschitz_bound_up(tmp_path, capsys):
    circuit = write(tmp_path, "three.bench", "INPUT(a)\nINPUT(b)\nOUTPUT(x)\nOUTPUT(y)\nOUTPUT(z)\n"
                                             "x = AND(a, b)\ny = NOT(a)\nz = OR(a, b)\n")
    out = tmp_path / "o"
    code, stdout, _ = run_main(capsys, "convert", "circuit", circuit, "--out", out)
    assert code == 0
    upper = Fraction(json.loads((out / "certificate.json").read_text())["lipschitz"]["upper"])
    displayed = re.search(r"Lipschitz constant: <= (\S+) ", stdout)
    assert displayed is not None, stdout
    value = Fraction(Decimal(displayed[1]))
    last_place = Fraction(10) ** Decimal(displayed[1]).as_tuple().exponent
    assert value >= upper
    assert value - last_place < upper
    assert "e+" not in stdout
