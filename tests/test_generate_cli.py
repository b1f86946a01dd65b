import json

import numpy as np
import pytest

from verifier.cli import main
from verifier.network import load_network


def run(capsys, *arguments):
    """Run the command line in this process; return (exit code, stdout, stderr)."""
    try:
        code = main(list(arguments))
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tsa_by_hand(x):
    conjunction = -1 if x[3] == -1 and x[4] == -1 else 1
    return x[0] * x[1] * x[2] * conjunction


def test_goldreich_writes_network_and_certificate(tmp_path, capsys):
    out = tmp_path / "gen"
    code, stdout, _ = run(capsys, "generate", "goldreich", "--m", "12", "--d", "20", "--seed", "3", "--out", str(out))
    assert code == 0
    assert "per-coordinate proof for all 2^12 seeds: PASS" in stdout
    certificate = json.loads((out / "certificate.json").read_text())
    network = load_network(str(out / "network.json"))
    assert certificate["kind"] == "goldreich-generator"
    assert certificate["network_sha256"] == network.sha256()
    assert certificate["predicate"]["truth_table"] == "0x69969696"
    assert (network.input_dim, network.output_dim) == (12, 20)
    rng = np.random.default_rng(3)
    assert certificate["hypergraph"]["hyperedges"][0] == [int(i) for i in rng.choice(12, size=5, replace=False)]


def test_goldreich_same_seed_same_hash(tmp_path, capsys):
    hashes = []
    for name in ("a.json", "b.json"):
        code, _, _ = run(capsys, "generate", "goldreich", "--m", "10", "--d", "8", "--seed", "5", "--out", str(tmp_path / name))
        assert code == 0
        hashes.append(json.loads((tmp_path / name).read_text())["network_sha256"])
    assert hashes[0] == hashes[1]


def test_appendix_construction_exits_one(tmp_path, capsys):
    code, stdout, _ = run(capsys, "generate", "goldreich", "--m", "10", "--d", "4", "--construction", "appendix", "--out", str(tmp_path / "c.json"))
    assert code == 1
    assert "FAIL" in stdout


def test_avoid_bias_records_draws(tmp_path, capsys):
    out = tmp_path / "c.json"
    code, _, _ = run(capsys, "generate", "goldreich", "--m", "50", "--d", "200", "--seed", "0", "--avoid-bias", "2", "--out", str(out))
    assert code == 0
    biases = json.loads(out.read_text())["biases"]
    # Draw 1 at seed 0 has outputs 6 and 76 sharing their XOR inputs (bias 1/2), so at least one redraw happened.
    assert biases["avoid_bias"]["draws"] >= 2
    assert biases["biased_sets"] == []
    code, stdout, _ = run(capsys, "verify", str(out))
    assert code == 0, stdout


def test_sample_reads_law_from_certificate(tmp_path, capsys):
    out = tmp_path / "gen"
    run(capsys, "generate", "goldreich", "--m", "10", "--d", "6", "--seed", "1", "--out", str(out))
    samples, seeds = tmp_path / "y.npy", tmp_path / "x.csv"
    code, stdout, _ = run(capsys, "sample", str(out / "network.json"), "--n", "40", "--seed", "2", "--out", str(samples), "--seeds-out", str(seeds))
    assert code == 0
    assert "uniform on {-1,+1}^m" in stdout
    hyperedges = json.loads((out / "certificate.json").read_text())["hypergraph"]["hyperedges"]
    outputs = np.load(samples)
    points = [[int(v) for v in line.split(",")] for line in seeds.read_text().splitlines()]
    assert outputs.shape == (40, 6)
    for x, y in zip(points, outputs.tolist()):
        assert y == [tsa_by_hand([x[i] for i in edge]) for edge in hyperedges]


def test_sample_csv_exact(tmp_path, capsys):
    certificate = tmp_path / "c.json"
    run(capsys, "generate", "goldreich", "--m", "10", "--d", "3", "--out", str(certificate))
    out = tmp_path / "y.csv"
    code, _, _ = run(capsys, "sample", str(certificate), "--n", "5", "--out", str(out))
    assert code == 0
    assert {cell for line in out.read_text().splitlines() for cell in line.split(",")} <= {"1", "-1"}


def test_theorem_3_1_small_end_to_end(tmp_path, capsys):
    out = tmp_path / "thm"
    code, stdout, _ = run(capsys, "generate", "theorem-3.1", "--m", "6", "--eps", "2^-4", "--r", "2", "--d", "6",
                          "--samples", "16", "--out", str(out), "--json")
    assert code == 0
    certificate = json.loads(stdout)
    claims = {c["id"]: c for c in certificate["claims"]}
    parameters = certificate["parameters"]
    assert (parameters["n"], parameters["s"]) == (4, 8)  # s = r n > m, so G' is Goldreich's generator
    assert certificate["target"]["widths"] == [2, 4, 6]
    # Signed pairs cost s units in J' o G' and m units in G_0 o h_xi beyond the printed Lemma 2.8.
    stated_size, measured_size = int(claims["theorem-3.1/item-1/size"]["stated"]), int(claims["theorem-3.1/item-1/size"]["measured"])
    assert measured_size - stated_size == 6 + 8  # m + s
    assert claims["lemma-3.12/values"]["status"] == "holds"
    assert claims["theorem-3.1/item-1/depth"]["status"] == "holds"
    assert certificate["seed_distribution"] == "standard Gaussian on R^m"
    assert load_network(str(out / "network.json")).sha256() == certificate["network_sha256"]


def test_verify_accepts_then_rejects_changed_hyperedge(tmp_path, capsys):
    out = tmp_path / "c.json"
    run(capsys, "generate", "goldreich", "--m", "12", "--d", "10", "--seed", "4", "--out", str(out))
    code, stdout, _ = run(capsys, "verify", str(out))
    assert code == 0, stdout

    certificate = json.loads(out.read_text())
    edge = certificate["hypergraph"]["hyperedges"][3]
    edge[0] = next(i for i in range(12) if i not in edge)  # still k distinct coordinates in range
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(certificate))
    code, stdout, _ = run(capsys, "verify", str(changed))
    assert code == 1
    assert "hypergraph.hyperedges[3]" in stdout


def test_verify_repeats_proof_without_seed(tmp_path, capsys):
    # With the seed removed the checker cannot redraw, so only its own per-coordinate proof can catch the change.
    out = tmp_path / "c.json"
    run(capsys, "generate", "goldreich", "--m", "12", "--d", "10", "--seed", "4", "--out", str(out))
    certificate = json.loads(out.read_text())
    certificate["hypergraph"].update(seed=None, draws=None)
    edge = certificate["hypergraph"]["hyperedges"][3]
    edge[0] = next(i for i in range(12) if i not in edge)
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(certificate))
    code, stdout, _ = run(capsys, "verify", str(changed))
    assert code == 1
    assert 'coordinate_proof.status: recorded "pass", re-derived "fail"' in stdout


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["generate", "goldreich", "--m", "0", "--d", "5"], "argument --m: must be a positive integer, found '0'"),
        (["generate", "goldreich", "--m", "10", "--d", "-3"], "argument --d: must be a positive integer"),
        (["generate", "goldreich", "--m", "10", "--d", "5", "--seed", "1.5"], "argument --seed: must be an integer, found '1.5'"),
        (["generate", "goldreich", "--m", "3", "--d", "5"], "k = 5, more than the m = 3 seed coordinates"),
        (["generate", "goldreich", "--m", "10", "--d", "5", "--predicate", "and:2", "--avoid-bias", "2"], "not balanced"),
        (["generate", "theorem-3.1", "--m", "6", "--eps", "0"], "--eps must lie strictly between 0 and 1"),
        (["generate", "theorem-3.1", "--m", "6", "--eps", "1"], "--eps must lie strictly between 0 and 1"),
        (["generate", "theorem-3.1", "--m", "6", "--eps", "0.1"], "--eps: '0.1' is not a dyadic rational"),
        (["generate", "theorem-3.1", "--m", "6", "--eps", "2^-4", "--slope", "3/4"], "--slope: lambda must lie in (0, 1/2]"),
    ],
)
def test_bad_input_exit_two_nothing_written(tmp_path, capsys, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    code, _, stderr = run(capsys, *arguments)
    assert code == 2
    assert message in stderr
    assert list(tmp_path.iterdir()) == []


def test_hypergraph_file_generates_and_verifies(tmp_path, capsys):
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"format": "verifier-hypergraph", "schema_version": 1, "m": 7,
                                "hyperedges": [[0, 1, 2, 3, 4], [1, 0, 2, 4, 5], [6, 5, 4, 3, 2]]}))
    out = tmp_path / "c.json"
    code, _, _ = run(capsys, "generate", "goldreich", "--hypergraph", str(path), "--out", str(out))
    assert code == 0
    largest = json.loads(out.read_text())["biases"]["largest"]
    assert largest == {"outputs": [0, 1], "bias": "1/2"}  # same XOR inputs, AND parts sharing seed coordinate 4
    code, stdout, _ = run(capsys, "verify", str(out))
    assert code == 0, stdout


@pytest.mark.parametrize(
    "edges, message",
    [
        ([[0, 1, 2, 3, 3]], "h.json: hyperedges[0]: seed coordinate 3 appears twice"),
        ([[0, 1, 2, 3, 10]], "h.json: hyperedges[0]: seed coordinate 10 is out of range 0..9"),
    ],
)
def test_bad_hypergraph_file(tmp_path, capsys, edges, message):
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"format": "verifier-hypergraph", "schema_version": 1, "m": 10, "hyperedges": edges}))
    code, _, stderr = run(capsys, "generate", "goldreich", "--hypergraph", str(path), "--out", str(tmp_path / "out"))
    assert code == 2
    assert message in stderr
    assert not (tmp_path / "out").exists()


def test_target_file_wrong_input_dimension(tmp_path, capsys):
    network_path = tmp_path / "n.json"
    run(capsys, "check", "predicate", "parity:3", "--out", str(tmp_path / "p.json"), "--network-out", str(network_path))
    code, _, stderr = run(capsys, "generate", "theorem-3.1", "--m", "6", "--eps", "2^-4", "--target", str(network_path), "--r", "2",
                          "--out", str(tmp_path / "thm"))
    assert code == 2
    assert "n.json: the target network's input_dim is 3 but --r 2 was given" in stderr
    assert not (tmp_path / "thm").exists()


def test_sample_without_law_exit_two(tmp_path, capsys):
    network_path = tmp_path / "n.json"
    run(capsys, "check", "predicate", "parity:2", "--out", str(tmp_path / "p.json"), "--network-out", str(network_path))
    code, _, stderr = run(capsys, "sample", str(network_path), "--n", "3", "--out", str(tmp_path / "y.npy"))
    assert code == 2
    assert "pass --law sign or --law gaussian" in stderr
    assert not (tmp_path / "y.npy").exists()
