import json
import subprocess
import sys

import numpy as np
import pytest


def run(*arguments, cwd=None):
    return subprocess.run([sys.executable, "-m", "verifier", *arguments], capture_output=True, text=True, cwd=cwd)


def test_check_tsa_writes_certificate(tmp_path):
    result = run("check", "predicate", "TSA", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "exhaustive check on 32 inputs: PASS" in result.stdout
    certificate = json.loads((tmp_path / "TSA.cert.json").read_text())
    assert certificate["kind"] == "predicate-network"
    assert certificate["predicate"]["truth_table"] == "0x69969696"


def test_check_json_prints_certificate(tmp_path):
    out = tmp_path / "c.json"
    result = run("check", "predicate", "maj:3", "--out", str(out), "--json")
    assert result.returncode == 0
    printed = json.loads(result.stdout)
    assert printed == json.loads(out.read_text())
    coefficients = {tuple(c["set"]): c["value"] for c in printed["fourier"]["coefficients"]}
    assert coefficients == {(1,): "1/2", (2,): "1/2", (3,): "1/2", (1, 2, 3): "-1/2"}


def test_appendix_exits_one_with_failing_input(tmp_path):
    out = tmp_path / "a.json"
    result = run("check", "predicate", "TSA", "--construction", "appendix", "--out", str(out))
    assert result.returncode == 1
    assert "first failing input [1, 1, -1, 1, 1]: P = -1, network = 1" in result.stdout
    assert out.exists()


def test_findings_exit_one_only_under_strict(tmp_path):
    plain = run("check", "predicate", "TSA", "--construction", "sequential", "--out", str(tmp_path / "s.json"))
    strict = run("check", "predicate", "TSA", "--construction", "sequential", "--strict", "--out", str(tmp_path / "t.json"))
    assert plain.returncode == 0
    assert "FAILS" in plain.stdout
    assert strict.returncode == 1


def test_eval_replays_counterexample(tmp_path):
    out = tmp_path / "a.json"
    run("check", "predicate", "TSA", "--construction", "appendix", "--out", str(out))
    points = tmp_path / "points.npy"
    np.save(points, np.array([[1, 1, -1, 1, 1], [1, 1, 1, 1, 1]], dtype=np.int64))
    result = run("eval", str(out), "--inputs", str(points), "--json")
    assert result.returncode == 0, result.stderr
    outputs = [p["output"] for p in json.loads(result.stdout)["points"]]
    assert outputs == [["1"], ["1"]]


def test_eval_exact_on_float_points(tmp_path):
    network = tmp_path / "n.json"
    run("check", "predicate", "parity:2", "--out", str(tmp_path / "c.json"), "--network-out", str(network))
    points = tmp_path / "p.csv"
    points.write_text("1/2,-3/4\n0.25,2^-3\n")
    result = run("eval", str(network), "--inputs", str(points))
    assert result.returncode == 0, result.stderr
    # The parity:2 tree network is phi(a+b) + phi(-a-b) - phi(b) - phi(-b) = |a + b| - |b|.
    assert result.stdout.splitlines() == ["1/2 -3/4 -> -1/2", "1/4 1/8 -> 1/4"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["check", "predicate", "NOPE"], "TSA"),
        (["check", "predicate", "0101010"], "length"),
        (["check", "predicate", "x1 & (x2 | x3"], "column"),
        (["check", "predicate", "parity:13"], "limit 12"),
        (["check", "predicate", "TSA", "--construction", "magic"], "invalid choice"),
        (["verify", "missing.json"], "not found"),
        (["eval", "missing.json", "--inputs", "p.npy"], "not found"),
    ],
)
def test_bad_input_exit_two(tmp_path, arguments, message):
    result = run(*arguments, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == []


def test_eval_rejects_bad_files(tmp_path):
    network = tmp_path / "n.json"
    run("check", "predicate", "parity:2", "--out", str(tmp_path / "c.json"), "--network-out", str(network))
    wide = tmp_path / "wide.npy"
    np.save(wide, np.ones((2, 3)))
    result = run("eval", str(network), "--inputs", str(wide))
    assert result.returncode == 2
    assert "point 1 has 3 coordinates but the network takes 2" in result.stderr

    nan = tmp_path / "nan.npy"
    np.save(nan, np.array([[1.0, np.nan]]))
    result = run("eval", str(network), "--inputs", str(nan))
    assert result.returncode == 2
    assert "not a finite number" in result.stderr

    third = tmp_path / "third.csv"
    third.write_text("1/3,1\n")
    result = run("eval", str(network), "--inputs", str(third))
    assert result.returncode == 2
    assert "line 1, column 1" in result.stderr

    broken = tmp_path / "broken.json"
    broken.write_text(network.read_text().replace('"1"', '"0.1"', 1))
    result = run("eval", str(broken), "--inputs", str(wide))
    assert result.returncode == 2
    assert "not a dyadic rational" in result.stderr
    assert "layers[0].weights[0][2]" in result.stderr


def test_eval_rounding_rule_is_recorded(tmp_path):
    network = tmp_path / "n.json"
    run("check", "predicate", "parity:2", "--out", str(tmp_path / "c.json"), "--network-out", str(network))
    points = tmp_path / "p.csv"
    points.write_text("0.1,1\n")
    rejected = run("eval", str(network), "--inputs", str(points))
    assert rejected.returncode == 2
    assert "pass --rounding" in rejected.stderr
    result = run("eval", str(network), "--inputs", str(points), "--rounding", "floor", "--precision", "4", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rounding"] == {"rule": "floor", "precision": 4}
    # floor(0.1 * 16) / 16 = 1/16; |1/16 + 1| - |1| = 1/16.
    assert report["points"][0]["input"] == ["1/16", "1"]
    assert report["points"][0]["output"] == ["1/16"]


def test_output_path_that_is_a_directory(tmp_path):
    result = run("check", "predicate", "TSA", "--out", str(tmp_path / "c.json"), "--network-out", str(tmp_path))
    assert result.returncode == 2
    assert "is a directory" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_json_float_point_rejected(tmp_path):
    network = tmp_path / "n.json"
    run("check", "predicate", "parity:2", "--out", str(tmp_path / "c.json"), "--network-out", str(network))
    for text, message in [("[[1, 0.1]]", "JSON float 0.1"), ("[[1, 1e400]]", "JSON float 1E+400")]:
        points = tmp_path / "p.json"
        points.write_text(text)
        result = run("eval", str(network), "--inputs", str(points))
        assert result.returncode == 2
        assert message in result.stderr
        assert "point 1, coordinate 2" in result.stderr
