import json
import re
from decimal import Decimal
from fractions import Fraction

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
        (["generate", "goldreich", "--m", "10", "--d", "5", "--seed", "1.5"], "argument --seed: must be a non-negative integer, found '1.5'"),
        (["generate", "goldreich", "--m", "3", "--d", "5"], "k = 5, more than the m = 3 seed coordinates"),
        (["generate", "goldreich", "--m", "10", "--d", "5", "--predicate", "and:2", "--avoid-bias", "2"], "not balanced"),
        (["generate", "theorem-3.1", "--m", "6", "--eps", "0"], "--eps must lie strictly between 0 and 1"),
        (["generate", "theorem-3.1", "--m", "6", "--eps", "1"], "--eps must lie strictly between 0 and 1"),
        (["generate", "theorem-3.1", "--m", "6", "--eps", "0.1"], "--eps: '0.1' is not a dyadic rational"),
        (["generate", "theorem-3.1", "--m", "6", "--eps", "2^-4", "--slope", "3/4"], "--slope: lambda must lie in (0, 1/2]"),
        (["generate", "theorem-3.1", "--m", "6", "--eps", "2^-4", "--target", "relu"],
         "--target relu: no such file; --target takes 'leaky-relu' (a random Lemma 2.17 network) or the path of a network file"),
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


def write_network_and_bench(folder):
    """Write a network file of parity:2 and a .bench circuit with 21 inputs, above the limit for an exhaustive check."""
    folder.mkdir()
    network_path = folder / "n.json"
    main(["check", "predicate", "parity:2", "--out", str(folder / "p.json"), "--network-out", str(network_path)])
    names = [f"x{i}" for i in range(1, 22)]
    bench = "".join(f"INPUT({name})\n" for name in names) + f"OUTPUT(z)\nz = AND({', '.join(names)})\n"
    (folder / "wide.bench").write_text(bench)
    return network_path, folder / "wide.bench"


@pytest.mark.parametrize(
    "arguments, option",
    [
        (["generate", "goldreich", "--m", "12", "--d", "10", "--seed", "-1", "--out", "o8/"], "--seed"),
        (["sample", "{network}", "--n", "3", "--seed", "-1", "--law", "sign", "--out", "x.npy"], "--seed"),
        (["generate", "theorem-3.1", "--m", "6", "--eps", "2^-4", "--r", "2", "--d", "6", "--seed", "-1"], "--seed"),
        (["generate", "theorem-3.1", "--m", "6", "--eps", "2^-4", "--r", "2", "--d", "6", "--target-seed", "-1"], "--target-seed"),
        (["generate", "theorem-3.1", "--m", "6", "--eps", "2^-4", "--r", "2", "--d", "6", "--sample-seed", "-1"], "--sample-seed"),
        (["convert", "circuit", "{bench}", "--seed", "-1", "--samples", "5"], "--seed"),
        (["check", "circuit", "--circuit", "{bench}", "--seed", "-1", "--samples", "5"], "--seed"),
        (["check", "lemma-4.5", "--m", "6", "--d", "8", "--seed", "-1"], "--seed"),
    ],
)
def test_negative_seed_exit_two_nothing_written(tmp_path, capsys, monkeypatch, arguments, option):
    network_path, bench_path = write_network_and_bench(tmp_path / "inputs")
    capsys.readouterr()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    arguments = [a.format(network=network_path, bench=bench_path) for a in arguments]
    code, _, stderr = run(capsys, *arguments)
    assert code == 2
    assert f"argument {option}: must be a non-negative integer, found -1" in stderr
    assert list(work.iterdir()) == []


def test_seed_with_hypergraph_rejected(tmp_path, capsys):
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"format": "verifier-hypergraph", "schema_version": 1, "m": 7, "hyperedges": [[0, 1, 2, 3, 4]]}))
    out = tmp_path / "out"
    code, _, stderr = run(capsys, "generate", "goldreich", "--hypergraph", str(path), "--seed", "3", "--out", str(out))
    assert code == 2
    assert "--seed draws the hypergraph, so it cannot be used with --hypergraph" in stderr
    assert not out.exists()


def test_summary_says_no_parity_is_biased(tmp_path, capsys):
    # Disjoint hyperedges: the only connected sets are the two single outputs, and TSA is balanced
    # (the factor x1 x2 x3 has mean 0), so no parity of at most 2 outputs is biased.
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"format": "verifier-hypergraph", "schema_version": 1, "m": 10,
                                "hyperedges": [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]}))
    code, stdout, _ = run(capsys, "generate", "goldreich", "--hypergraph", str(path), "--out", str(tmp_path / "c.json"))
    assert code == 0
    assert "exact biases of up to 2 outputs: no parity of at most 2 outputs is biased (all 2 connected sets have bias 0)" in stdout
    assert "largest |bias|" not in stdout


def test_verify_names_first_failing_output(tmp_path, capsys):
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"format": "verifier-hypergraph", "schema_version": 1, "m": 8,
                                "hyperedges": [[0, 1, 2, 3, 4], [3, 4, 5, 6, 7], [7, 6, 5, 1, 0]]}))
    out = tmp_path / "c.json"
    run(capsys, "generate", "goldreich", "--hypergraph", str(path), "--out", str(out))
    certificate = json.loads(out.read_text())
    # Output 1's network still reads seed coordinate 7, which the edited hyperedge no longer holds.
    certificate["hypergraph"]["hyperedges"][1] = [3, 4, 5, 6, 0]
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(certificate))
    code, stdout, _ = run(capsys, "verify", str(changed))
    assert code == 1
    assert 'coordinate_proof.status: recorded "pass", re-derived "fail"' in stdout
    assert "first failing output 1: it reads seed coordinates [7] outside hypergraph.hyperedges[1] = [3, 4, 5, 6, 0]" in stdout


def test_verify_names_output_that_differs_from_predicate(tmp_path, capsys):
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"format": "verifier-hypergraph", "schema_version": 1, "m": 8,
                                "hyperedges": [[0, 1, 2, 3, 4], [3, 4, 5, 6, 7], [7, 6, 5, 1, 0]]}))
    out = tmp_path / "c.json"
    run(capsys, "generate", "goldreich", "--hypergraph", str(path), "--out", str(out))
    certificate = json.loads(out.read_text())
    # With the hyperedge read as [7, 6, 1, 5, 0], local input u sets x7, x6, x1, x5, x0 to u1, ..., u5.
    # The network, built for [7, 6, 5, 1, 0], then computes u1 u2 u4 AND(u3, u5), and TSA is u1 u2 u3 AND(u4, u5).
    # Inputs 0 to 3 vary only u1 and u2 and agree. Input 4 is u = (1, 1, -1, 1, 1): the network gives 1, TSA -1.
    certificate["hypergraph"]["hyperedges"][2] = [7, 6, 1, 5, 0]
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(certificate))
    code, stdout, _ = run(capsys, "verify", str(changed))
    assert code == 1
    assert "first failing output 2: at local input [1, 1, -1, 1, 1] of hypergraph.hyperedges[2] = [7, 6, 1, 5, 0]" in stdout
    assert "the network gives 1 where the predicate gives -1" in stdout


def last_place(decimal_text: str) -> Fraction:
    """Return one unit in the last place of a decimal such as "1.22405E+11"."""
    return Fraction(10) ** Decimal(decimal_text).as_tuple().exponent


def test_theorem_3_1_summary_shows_rounded_bounds(tmp_path, capsys):
    out = tmp_path / "thm"
    code, stdout, _ = run(capsys, "generate", "theorem-3.1", "--m", "6", "--eps", "2^-4", "--r", "2", "--d", "6",
                          "--samples", "16", "--out", str(out))
    assert code == 0
    claims = {c["id"]: c for c in json.loads((out / "certificate.json").read_text())["claims"]}
    for identifier in ("theorem-3.7/lipschitz", "theorem-3.1/item-1/lipschitz"):
        line = next(line for line in stdout.splitlines() if f" {identifier}: " in line)
        displayed = re.search(r"stated <= (\S+), measured <= (\S+)$", line)
        assert displayed is not None, line
        stated_squared = Fraction(claims[identifier]["stated"].removeprefix("sqrt(").removesuffix(")"))
        measured = Fraction(claims[identifier]["measured"])
        stated, measured_displayed = Fraction(Decimal(displayed[1])), Fraction(Decimal(displayed[2]))
        # Each decimal is an upper bound, and one unit less in its last place is not.
        assert stated**2 >= stated_squared
        assert (stated - last_place(displayed[1])) ** 2 < stated_squared
        assert measured_displayed >= measured
        assert measured_displayed - last_place(displayed[2]) < measured


def test_eps_help_explains_dyadic_and_negative_values(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "theorem-3.1", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "a dyadic rational written exactly: '2^-12', '1/4096', '0.25'" in text
    assert "must be written as --eps=VALUE" in text
