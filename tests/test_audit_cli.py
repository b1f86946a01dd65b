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
        (["compare", "{linear}", "{nnet}"], "one.nnet: has 1 input and 1 output, but"),
    ],
)
def test_bad_input_exits_two_with_error_record(capsys, tmp_path, linear, arguments, message):
    wide = tmp_path / "wide.npy"
    np.save(wide, np.ones((2, 3)))
    nnet = tmp_path / "one.nnet"
    nnet.write_text("1,1,1,1,\n1,1,\n0,\n0,\n1,\n0,0,\n1,1,\n1,\n0,\n")
    report = tmp_path / "out" / "report.json"
    arguments = [a.format(linear=linear, wide=wide, nnet=nnet) for a in arguments]
    code, _, err = run(capsys, *arguments, "--report", report)
    assert code == 2
    assert message in err
    record = json.loads(report.read_text())
    assert record["status"] == "error"
    assert message in record["error"]["message"]
    assert record["error"]["type"] == "InvalidInput"


def test_export_then_audit_round_trip(capsys, linear, tmp_path):
    out = tmp_path / "linear.onnx"
    code, printed, _ = run(capsys, "export", linear, "--format", "onnx", "--out", out)
    assert code == 0
    assert "exactly" in printed
    code, report, _ = run(capsys, "audit", out, "--json", "--sample", 10)
    assert json.loads(report)["model"]["weights_sha256"] == LINEAR.sha256()


def test_export_refusal_leaves_no_file(capsys, tmp_path):
    # The input range 3 folds into the first weight layer as 1/3, which is no
    # float64. Export numbers layers as audit does: weight layer 1 is layer 1,
    # and the clipping layer before it is layer 0.
    nnet = tmp_path / "third.nnet"
    nnet.write_text("1,1,1,1,\n1,1,\n0,\n0,\n1,\n0,0,\n3,1,\n1,\n0,\n")
    out = tmp_path / "third.onnx"
    code, _, err = run(capsys, "export", nnet, "--format", "onnx", "--out", out)
    assert code == 2
    assert "layer 1 (with the input normalisation and output scaling folded in), weight (0, 0) = 1/3 is not dyadic" in err
    assert "pass --weights-only to export the weight layers without them" in err
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



@pytest.fixture
def shifted(tmp_path):
    """LINEAR with the output bias 1/8: its outputs differ from LINEAR's by exactly 1/8 at every point."""
    path = tmp_path / "shifted.json"
    path.write_text(Network(2, [LINEAR.layers[0], Layer.from_dense([[1, -1, 2, -2]], ["1/8"])]).canonical_json())
    return str(path)


def test_compare_max_difference_verdict_in_summary(capsys, linear, shifted):
    code, out, _ = run(capsys, "compare", linear, shifted, "--sample", 5, "--max-difference", "1e-5")
    assert code == 1
    assert "FAIL  max-difference: max |F_a - F_b| = 0.125 exceeds 1e-05" in out
    assert "result: FAIL (1 of 1 budget exceeded)" in out


def test_compare_max_difference_verdict_in_json(capsys, linear, shifted):
    code, out, _ = run(capsys, "compare", linear, shifted, "--sample", 5, "--max-difference", "1/16", "--json")
    assert code == 1
    data = json.loads(out)
    (budget,) = data["budgets"]
    assert budget["name"] == "max-difference"
    assert budget["limit"] == "1/16"
    assert budget["measured"] == "1/8"
    assert budget["status"] == "fail"
    assert budget["excess"] == "proved"
    assert data["status"] == "fail"


def test_compare_max_difference_met_exactly(capsys, linear, shifted):
    # The limit equals the largest difference 1/8, so the budget holds.
    code, out, _ = run(capsys, "compare", linear, shifted, "--sample", 5, "--max-difference", "0.125")
    assert code == 0
    assert "pass  max-difference: max |F_a - F_b| = 0.125 is within 0.125" in out
    code, out, _ = run(capsys, "compare", linear, shifted, "--sample", 5, "--max-difference", "0.125", "--json")
    assert json.loads(out)["status"] == "pass"


def test_lipschitz_excess_kind_in_json_and_junit(capsys, linear, tmp_path):
    # Lip = sqrt 5 = 2.236 and the proved upper bound is about sqrt 20 = 4.47, so the
    # budget 2 is exceeded provably and the budget 3 is only not proved to hold.
    kinds = {}
    for limit in ("2", "3"):
        junit = tmp_path / f"lipschitz-{limit}.xml"
        code, out, _ = run(capsys, "audit", linear, "--max-lipschitz", limit, "--sample", 50, "--json", "--junit", junit)
        assert code == 1
        (budget,) = json.loads(out)["budgets"]
        failure = ElementTree.parse(junit).getroot().find("testsuite/testcase[@name='max-lipschitz']/failure")
        kinds[limit] = (budget["status"], budget["excess"], failure.get("type"), failure.get("message").startswith("not proved: "))
    assert kinds["2"] == ("fail", "proved", "BudgetExceeded", False)
    assert kinds["3"] == ("fail", "not excluded", "BudgetNotProved", True)


def test_budget_in_limit_has_no_excess(capsys, linear):
    code, out, _ = run(capsys, "audit", linear, "--max-lipschitz", 5, "--max-tau", 1, "--sample", 20, "--json")
    assert code == 0
    assert [budget["excess"] for budget in json.loads(out)["budgets"]] == [None, None]


def test_summary_counts_not_proved_budgets(capsys, linear):
    code, out, _ = run(capsys, "audit", linear, "--max-lipschitz", 3, "--max-tau", 0, "--sample", 20)
    assert code == 1
    assert "result: FAIL (2 of 2 budgets not met: 1 exceeded, 1 not proved to hold)" in out


# Report files after a failed run.


def unsupported_onnx(tmp_path):
    """An ONNX graph of one Sigmoid node, which the audit rejects."""
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["y"], name="act")], "sigmoid",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    path = tmp_path / "sigmoid.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    return path


def test_failed_audit_replaces_stale_report(capsys, linear, tmp_path):
    report, junit = tmp_path / "stale.json", tmp_path / "stale.xml"
    code, _, _ = run(capsys, "audit", linear, "--max-tau", 1, "--sample", 5, "--report", report, "--junit", junit)
    assert code == 0
    code, _, err = run(capsys, "audit", unsupported_onnx(tmp_path), "--report", report, "--junit", junit)
    assert code == 2
    assert "operator Sigmoid is not supported" in err
    record = json.loads(report.read_text())
    assert record["status"] == "error"
    assert record["kind"] == "audit-report"
    assert record["model"]["path"].endswith("sigmoid.onnx")
    assert record["error"]["step"] == "read model"
    assert "operator Sigmoid is not supported" in record["error"]["message"]
    assert "budgets" not in record


def test_failed_audit_replaces_stale_junit(capsys, linear, tmp_path):
    junit = tmp_path / "stale.xml"
    code, _, _ = run(capsys, "audit", linear, "--max-tau", 1, "--sample", 5, "--junit", junit)
    assert code == 0
    code, _, _ = run(capsys, "audit", unsupported_onnx(tmp_path), "--junit", junit)
    assert code == 2
    (suite,) = ElementTree.parse(junit).getroot().findall("testsuite")
    (case,) = suite.findall("testcase")
    assert suite.get("name") == "audit sigmoid.onnx"
    assert suite.get("tests") == "1"
    assert suite.get("failures") == "1"
    assert case.get("name") == "read model"
    assert "operator Sigmoid is not supported" in case.find("failure").get("message")


def test_failed_compare_replaces_stale_report(capsys, linear, shifted, tmp_path):
    report = tmp_path / "stale.json"
    code, _, _ = run(capsys, "compare", linear, shifted, "--sample", 5, "--report", report)
    assert code == 0
    code, _, _ = run(capsys, "compare", linear, shifted, "--box", "1:0", "--report", report)
    assert code == 2
    record = json.loads(report.read_text())
    assert record["status"] == "error"
    assert record["kind"] == "model-comparison"
    assert record["error"]["step"] == "check options"
    assert "must have finite LOW <= HIGH" in record["error"]["message"]


def test_unwritable_report_path_writes_no_results(capsys, linear, tmp_path):
    # tiny.pt is a file, so tiny.pt/r.json cannot be written; the JUnit file must not get the results.
    blocking = tmp_path / "tiny.pt"
    blocking.write_text("not a directory")
    junit = tmp_path / "j.xml"
    code, _, err = run(capsys, "audit", linear, "--max-tau", 1, "--sample", 5, "--report", blocking / "r.json", "--junit", junit)
    assert code == 2
    assert f"{blocking / 'r.json'}: cannot write ({blocking} is a file, not a directory)" in err
    assert blocking.read_text() == "not a directory"
    (case,) = ElementTree.parse(junit).getroot().findall("testsuite/testcase")
    assert case.get("name") == "check output paths"
    assert "is a file, not a directory" in case.find("failure").get("message")


def test_report_path_naming_the_model_is_refused(capsys, linear):
    before = Path(linear).read_text()
    code, _, err = run(capsys, "audit", linear, "--sample", 5, "--report", linear)
    assert code == 2
    assert "--report names a file this command reads" in err
    assert Path(linear).read_text() == before


def test_report_and_junit_on_one_path_are_refused(capsys, linear, tmp_path):
    both = tmp_path / "both.out"
    code, _, err = run(capsys, "audit", linear, "--sample", 5, "--report", both, "--junit", both)
    assert code == 2
    assert "--junit names the same file as --report" in err
    assert json.loads(both.read_text())["status"] == "error"


# Layer numbers and eval of every model format.


def test_export_and_audit_number_layers_alike(capsys, tmp_path):
    # Weight layer 1 is layer 1 in the Lipschitz table, in the evaluator layers and
    # in the export message. The clipping layer before it is layer 0.
    nnet = tmp_path / "third.nnet"
    nnet.write_text("1,1,1,1,\n1,1,\n0,\n0,\n1,\n0,0,\n3,1,\n1,\n0,\n")
    code, out, _ = run(capsys, "audit", nnet, "--sample", 5, "--json")
    assert code == 0
    data = json.loads(out)
    assert [layer["layer"] for layer in data["lipschitz"]["layers"]] == [1]
    assert [layer["layer"] for layer in data["exact_vs_float"]["evaluator_layers"]] == [0, 1]
    code, _, err = run(capsys, "export", nnet, "--format", "onnx", "--out", tmp_path / "third.onnx")
    assert code == 2
    assert "third.nnet: layer 1 (with the input normalisation and output scaling folded in)" in err


def test_eval_reads_onnx(capsys, linear, tmp_path):
    model = tmp_path / "linear.onnx"
    code, _, _ = run(capsys, "export", linear, "--format", "onnx", "--out", model)
    assert code == 0
    points = tmp_path / "points.csv"
    points.write_text("1/2,-1/4\n-3,2\n")
    code, out, err = run(capsys, "eval", model, "--inputs", points)
    assert code == 0, err
    assert out.splitlines() == ["1/2 -1/4 -> 0", "-3 2 -> 1"]  # x1 + 2 x2


def test_eval_reads_nnet_with_normalisation(capsys, tmp_path):
    # One input clipped to [0, 8], mean 1, range 3, output mean 0 and range 1, and
    # two weight layers of weight 1 and bias 0: F(x) = max(clip(x) - 1, 0) / 3, so
    # F(2) = 1/3, F(10) = (8 - 1) / 3 = 7/3 and F(-1) = max(-1/3, 0) = 0.
    nnet = tmp_path / "third.nnet"
    nnet.write_text("2,1,1,1,\n1,1,1,\n0,\n0,\n8,\n1,0,\n3,1,\n1,\n0,\n1,\n0,\n")
    points = tmp_path / "points.csv"
    points.write_text("2\n10\n-1\n")
    code, out, err = run(capsys, "eval", nnet, "--inputs", points, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [point["output"] for point in data["points"]] == [["1/3"], ["7/3"], ["0"]]
    assert [layer["layer"] for layer in data["layers"]] == [0, 1, 2]
    assert data["model"]["format"] == "nnet"
    assert data["network_sha256"] is None


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


@needs_acasxu
def test_acasxu_lipschitz_excess_proved_or_not_excluded(capsys):
    # The proved l2 bracket is about [634, 1.7e9]: 600 is below the lower end and 1000 inside.
    records = {}
    for limit in ("600", "1000"):
        code, out, _ = run(capsys, "audit", NNET, "--max-lipschitz", limit, "--sample", 20, "--json")
        assert code == 1
        (budget,) = json.loads(out)["budgets"]
        records[limit] = budget
    assert Fraction(json.loads(out)["lipschitz"]["lower"]) > 600
    assert records["600"]["excess"] == "proved"
    assert records["1000"]["excess"] == "not excluded"


@needs_acasxu
def test_acasxu_export_names_layer_and_weights_only(capsys, tmp_path):
    out = tmp_path / "nnet.onnx"
    code, _, err = run(capsys, "export", NNET, "--format", "onnx", "--out", out)
    assert code == 2
    assert "layer 1 (with the input normalisation folded in), weight (0, 0)" in err
    assert "pass --weights-only" in err
    assert not out.exists()
    code, _, _ = run(capsys, "export", NNET, "--format", "onnx", "--out", out, "--weights-only")
    assert code == 0
    _, nnet_report, _ = run(capsys, "audit", NNET, "--sample", 5, "--json")
    _, onnx_report, _ = run(capsys, "audit", out, "--sample", 5, "--json")
    assert json.loads(onnx_report)["model"]["weights_sha256"] == json.loads(nnet_report)["model"]["weights_sha256"]
