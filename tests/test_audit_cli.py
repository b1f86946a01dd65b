"""The audit, export and compare commands: exit codes, reports, JUnit XML, and the ACAS Xu files."""

import json
import xml.etree.ElementTree as ElementTree
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from verifier.cli import main
from verifier.network import Layer, Network

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "acasxu"
NNET = DATA / "TestNetwork.nnet"
ONNX = DATA / "TestNetwork2.onnx"
needs_acasxu = pytest.mark.skipif(not NNET.exists(), reason=f"the ACAS Xu files are not in {DATA}")

# relu(x1) - relu(-x1) + 2 relu(x2) - 2 relu(-x2) = x1 + 2 x2: depth 2, size 4, tau 1
# (the weight 2 needs 2 <= 2^tau), l2 Lipschitz constant sqrt 5 with proved upper
# bound about sqrt 20 = 4.47.
LINEAR = Network(2, [Layer.from_dense([[1, 0], [-1, 0], [0, 1], [0, -1]]), Layer.from_dense([[1, -1, 2, -2]])])


@pytest.fixture
def linear(tmp_path):
    path = tmp_path / "linear.json"
    path.write_text(LINEAR.canonical_json())
    return str(path)


def run(capsys, *arguments):
    code = main([str(a) for a in arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_audit_in_budget_exits_zero(capsys, linear):
    code, out, _ = run(capsys, "audit", linear, "--max-tau", 1, "--max-depth", 2, "--max-size", 4, "--max-lipschitz", 5, "--sample", 50)
    assert code == 0
    assert "result: pass (0 of 4 budgets exceeded)" in out


def test_audit_over_budget_exits_one(capsys, linear):
    code, out, _ = run(capsys, "audit", linear, "--max-tau", 0, "--max-depth", 1, "--sample", 50)
    assert code == 1
    assert "max-tau: tau of the weight layers 1 exceeds 0 by 1" in out
    assert "max-depth: depth 2 exceeds 1 by 1" in out


def test_audit_lipschitz_excess_proved_or_not(capsys, linear):
    _, proved, _ = run(capsys, "audit", linear, "--max-lipschitz", 2, "--sample", 50)
    _, open_case, _ = run(capsys, "audit", linear, "--max-lipschitz", "3", "--sample", 50)
    assert "excess proved" in proved  # the lower bound is about sqrt 5 = 2.236 > 2
    assert "only not excluded" in open_case  # 2.236 <= 3 < 4.47


def test_audit_json_and_report_agree(capsys, linear, tmp_path):
    report = tmp_path / "report.json"
    code, out, _ = run(capsys, "audit", linear, "--norm", "inf", "--json", "--report", report, "--sample", 20)
    assert code == 0
    printed = json.loads(out)
    assert printed == json.loads(report.read_text())
    assert printed["schema_version"] == 1
    assert printed["lipschitz"]["lower"] == "3"
    assert printed["lipschitz"]["upper"] == "6"
    assert printed["exact_vs_float"]["points"] == 20


def test_junit_is_valid_xml_with_failures(capsys, linear, tmp_path):
    junit = tmp_path / "report.xml"
    code, _, _ = run(capsys, "audit", linear, "--max-tau", 0, "--max-size", 4, "--junit", junit, "--sample", 20)
    assert code == 1
    root = ElementTree.parse(junit).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert set(cases) == {"read model", "max-tau", "max-size"}
    assert suite.get("tests") == "3"
    assert suite.get("failures") == "1"
    failure = cases["max-tau"].find("failure")
    assert failure is not None
    assert "exceeds 0 by 1" in failure.get("message")
    assert cases["max-size"].find("failure") is None


def test_audit_with_inputs_file(capsys, linear, tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("1/2,1/4\n-1,3\n")
    code, out, _ = run(capsys, "audit", linear, "--inputs", points, "--json")
    assert code == 0
    assert json.loads(out)["exact_vs_float"]["float64"]["max_abs_error"] == "0"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["audit", "missing.onnx"], "missing.onnx: file not found"),
        (["audit", "{linear}", "--inputs", "{wide}"], "point 1 has 3 coordinates but the network takes 2"),
        (["audit", "{linear}", "--box", "0:1,0:1,0:1"], "--box: 3 intervals for a model with 2 inputs"),
        (["audit", "{linear}", "--box", "1:0"], "must have finite LOW <= HIGH"),
        (["audit", "{linear}", "--max-lipschitz", "big"], "--max-lipschitz: 'big' is not an exact number"),
        (["compare", "{linear}", "{nnet}"], "one.nnet: has 1 inputs and 1 outputs, but"),
    ],
)
def test_bad_input_exits_two_without_output(capsys, tmp_path, linear, arguments, message):
    wide = tmp_path / "wide.npy"
    np.save(wide, np.ones((2, 3)))
    nnet = tmp_path / "one.nnet"
    nnet.write_text("1,1,1,1,\n1,1,\n0,\n0,\n1,\n0,0,\n1,1,\n1,\n0,\n")
    report = tmp_path / "out" / "report.json"
    arguments = [a.format(linear=linear, wide=wide, nnet=nnet) for a in arguments]
    code, _, err = run(capsys, *arguments, "--report", report)
    assert code == 2
    assert message in err
    assert not report.exists()


def test_export_then_audit_round_trip(capsys, linear, tmp_path):
    out = tmp_path / "linear.onnx"
    code, printed, _ = run(capsys, "export", linear, "--format", "onnx", "--out", out)
    assert code == 0
    assert "exactly" in printed
    code, report, _ = run(capsys, "audit", out, "--json", "--sample", 10)
    assert json.loads(report)["model"]["weights_sha256"] == LINEAR.sha256()


def test_export_refusal_leaves_no_file(capsys, tmp_path):
    # The input range 3 folds into the first weight layer as 1/3, which is no
    # float64. In the exported function that is layer 2, after the clipping layer.
    nnet = tmp_path / "third.nnet"
    nnet.write_text("1,1,1,1,\n1,1,\n0,\n0,\n1,\n0,0,\n3,1,\n1,\n0,\n")
    out = tmp_path / "third.onnx"
    code, _, err = run(capsys, "export", nnet, "--format", "onnx", "--out", out)
    assert code == 2
    assert "layer 2, weight (0, 0) = 1/3 is not dyadic" in err
    assert "--weights-only" in err
    assert not out.exists()
    code, _, _ = run(capsys, "export", nnet, "--format", "onnx", "--out", out, "--weights-only")
    assert code == 0
    assert out.exists()


def test_compare_max_difference_budget(capsys, linear, tmp_path):
    shifted = tmp_path / "shifted.json"
    shifted.write_text(Network(2, [LINEAR.layers[0], Layer.from_dense([[1, -1, 2, -2]], ["1/8"])]).canonical_json())
    code, out, _ = run(capsys, "compare", linear, shifted, "--sample", 5, "--json")
    assert code == 0
    assert json.loads(out)["outputs"]["max_output_difference"] == "1/8"
    code, _, _ = run(capsys, "compare", linear, shifted, "--sample", 5, "--max-difference", "1/16")
    assert code == 1


# The ACAS Xu files.


@needs_acasxu
def test_acasxu_nnet_audit(capsys, tmp_path):
    # Read as float64, the smallest weights such as -1.18488e-05 in layer 2 are
    # float64 numbers m / 2^66 with m odd, so tau = 66 (see the data notes).
    report = tmp_path / "report.json"
    code, _, _ = run(capsys, "audit", NNET, "--max-tau", 64, "--max-depth", 12, "--report", report, "--sample", 100)
    assert code == 1
    data = json.loads(report.read_text())
    assert data["bit_complexity"]["tau"] == 66
    assert data["structure"]["depth"] == 8  # seven weight layers and the clipping layer
    assert data["structure"]["size"] == 310
    assert [b["status"] for b in data["budgets"]] == ["pass", "fail"]
    assert float(Fraction(data["lipschitz"]["lower"])) <= float(Fraction(data["lipschitz"]["upper"]))


@needs_acasxu
def test_acasxu_nnet_exact_decimals_have_no_tau(capsys):
    code, out, _ = run(capsys, "audit", NNET, "--decimal", "exact", "--max-tau", 100, "--sample", 20, "--json")
    assert code == 1
    data = json.loads(out)
    assert data["bit_complexity"]["tau"] is None
    assert data["budgets"][0]["message"].startswith("tau is undefined")


@needs_acasxu
def test_acasxu_onnx_audit_in_budget(capsys):
    code, out, _ = run(capsys, "audit", ONNX, "--max-tau", 47, "--max-depth", 7, "--sample", 100, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["bit_complexity"]["tau"] == 47
    assert data["model"]["stored_float_type"] == "float32"


@needs_acasxu
def test_acasxu_compare_nnet_and_onnx(capsys):
    # The ONNX file is the NNet network with the normalisation folded in and every
    # weight rounded to float32, so each folded weight differs by at most 2^-24 of
    # its value (round to nearest, float32 has 24 significant bits).
    code, out, _ = run(capsys, "compare", NNET, ONNX, "--sample", 200, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["weights"]["comparable"] is True
    assert data["weights"]["identical"] is False
    for layer in data["weights"]["layers"]:
        assert 0 < layer["max_relative_weight_difference_float"] <= 2.0**-24
    assert 0 < Fraction(data["outputs"]["max_output_difference"]) < Fraction(1, 1000)
    assert data["clipping"][1] is None
