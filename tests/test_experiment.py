import itertools
import json
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from verifier.cli import main
from verifier.constructions.goldreich import build_goldreich, draw_hypergraph
from verifier.errors import InputError
from verifier.experiment.curves import Curve, curves_csv, read_curves_csv
from verifier.experiment.instance import build_instance, choose_hypergraph, read_predicate
from verifier.experiment.parity_test import output_sets, parity_sums, parity_test_record, run_parity_test
from verifier.experiment.report import parity_discriminator_loss
from verifier.experiment.sampling import (
    FloatPass,
    SamplingError,
    cross_check,
    generator_samples,
    partial_sum_bounds,
    sign_vectors,
    signs_from_numerators,
)
from verifier.experiment.settings import ExperimentSettings, evaluation_steps, resolve_settings
from verifier.experiment.statistics import binomial_log_upper_tail, format_p, holm_log, sign_test_log_p, t_interval
from verifier.network import Layer, Network
from verifier.predicates import parse_predicate

NEEDS_TORCH = "needs the experiment extra: pip install -e '.[experiment]'"
EXTRA_COMMAND = 'pip install -e ".[experiment]"'


def tsa_by_hand(x):
    """x1 x2 x3 AND(x4, x5) with -1 meaning true."""
    conjunction = -1 if x[3] == -1 and x[4] == -1 else 1
    return x[0] * x[1] * x[2] * conjunction


def bias_by_enumeration(hyperedges, outputs):
    """Mean of prod_l TSA(x_{S_l}) over every assignment of the seed bits the outputs read."""
    coordinates = sorted({c for l in outputs for c in hyperedges[l]})
    total = 0
    for bits in itertools.product((1, -1), repeat=len(coordinates)):
        value = dict(zip(coordinates, bits))
        product = 1
        for l in outputs:
            product *= tsa_by_hand([value[c] for c in hyperedges[l]])
        total += product
    return Fraction(total, 2 ** len(coordinates))


def run(capsys, *arguments):
    """Run the command line in this process; return (exit code, stdout, stderr)."""
    try:
        code = main(list(arguments))
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def reject_float(text):
    raise AssertionError(f"summary.json holds the JSON float {text}")


# Statistics.


def test_sign_test_small_binomial():
    # n = 10, sum 8: one -1 value; P(X >= 9) = (1 + 10) / 2^10, doubled for two sides.
    assert math.isclose(math.exp(sign_test_log_p(np.array([8]), 10)[0]), 22 / 1024)
    assert math.isclose(math.exp(sign_test_log_p(np.array([-8]), 10)[0]), 22 / 1024)
    assert sign_test_log_p(np.array([0]), 10)[0] == 0.0


def test_sign_test_beyond_float_range():
    # All 10,000 products equal: p = 2 * 2^-10000, far below the smallest float64.
    log_p = sign_test_log_p(np.array([10000]), 10000)[0]
    assert math.isclose(log_p, -9999 * math.log(2), rel_tol=1e-12)


def test_tail_bound_brackets_exact_tail():
    n, k = 10000, 7500
    terms = [math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) - n * math.log(2) for j in range(k, n + 1)]
    top = max(terms)
    exact = top + math.log(sum(math.exp(t - top) for t in terms))
    bound = binomial_log_upper_tail(np.array([k]), n)[0]
    assert bound >= exact - 1e-9
    assert bound <= exact - math.log1p(-(n - k) / (k + 1)) + 1e-9


def test_holm_step_down():
    adjusted = np.exp(holm_log(np.log([0.01, 0.04, 0.03])))
    assert np.allclose(adjusted, [0.03, 0.06, 0.06])


def test_holm_caps_at_one():
    assert np.exp(holm_log(np.log([0.5, 0.9]))).tolist() == [1.0, 1.0]


def test_format_p_below_float_range():
    assert format_p(-700 * math.log(10)) == "1.00e-700"
    assert format_p(math.log(0.0123)) == "0.0123"
    assert format_p(0.0) == "1"


def test_t_interval_three_values():
    mean, low, high = t_interval([1.0, 2.0, 3.0])
    half_width = 4.302652729911275 / math.sqrt(3)  # t quantile 0.975 with 2 degrees of freedom, standard deviation 1
    assert mean == 2.0
    assert math.isclose(low, 2.0 - half_width)
    assert math.isclose(high, 2.0 + half_width)


def test_parity_discriminator_loss_by_hand():
    # Bias 1/2: the parity is +1 with probability 3/4 under G(U_m); the middle law is (5/8, 3/8).
    divergence = 0.5 * (0.75 * math.log(0.75 / 0.625) + 0.25 * math.log(0.25 / 0.375)) \
        + 0.5 * (0.5 * math.log(0.5 / 0.625) + 0.5 * math.log(0.5 / 0.375))
    assert math.isclose(parity_discriminator_loss(Fraction(1, 2)), -2 * divergence)
    assert parity_discriminator_loss(Fraction(0)) == 0.0


# The parity test.


def test_parity_sums_match_loops():
    rng = np.random.default_rng(4)
    samples = (1 - 2 * rng.integers(0, 2, size=(50, 6))).astype(np.int8)
    for size in (1, 2, 3):
        sets = output_sets(6, size)
        assert [tuple(row) for row in sets] == list(itertools.combinations(range(6), size))
        expected = [int(sum(np.prod([int(row[l]) for l in chosen]) for row in samples)) for chosen in sets.tolist()]
        assert parity_sums(samples, size).tolist() == expected


def test_parity_test_finds_copied_output():
    rng = np.random.default_rng(5)
    samples = (1 - 2 * rng.integers(0, 2, size=(400, 8))).astype(np.int8)
    samples[:, 5] = samples[:, 2]
    test = run_parity_test(samples, 2)
    assert test.count == 8 + 28
    record = parity_test_record(test, Fraction(1, 20), lambda sets: [Fraction(1) if s == (2, 5) else Fraction(0) for s in sets])
    most = record["most_significant"]
    assert most["outputs"] == [2, 5]
    assert most["empirical_bias"] == "1"
    assert most["exact_bias"] == "1"
    # p = 2 * 2^-400 before the correction, times 36 tests after it.
    assert math.isclose(test.log_p[test.position((5, 2))], -399 * math.log(2))
    assert math.isclose(test.corrected_log_p[test.position((2, 5))], -399 * math.log(2) + math.log(36))
    assert record["detected"]


def test_parity_test_quiet_on_uniform():
    samples = sign_vectors([9, 9], 2000, 20)
    record = parity_test_record(run_parity_test(samples, 2), Fraction(1, 20), None)
    assert record["parities_tested"] == 20 + 190
    assert record["significant"] == 0


# Samples of G(U_m).


def test_float_pass_computes_goldreich():
    hypergraph = draw_hypergraph(10, 7, 5, seed=3)
    generator = build_goldreich(parse_predicate("TSA"), hypergraph)
    float_pass = FloatPass(generator.network)
    seeds = sign_vectors([1, 2], 300, 10)
    samples = generator_samples(float_pass, seeds)
    expected = [[tsa_by_hand([int(seed[c]) for c in edge]) for edge in hypergraph.hyperedges] for seed in seeds]
    assert float_pass.is_exact
    assert samples.dtype == np.int8
    assert samples.tolist() == expected
    assert cross_check(generator.network, seeds, samples) == 0


def test_cross_check_counts_wrong_samples():
    hypergraph = draw_hypergraph(10, 7, 5, seed=3)
    generator = build_goldreich(parse_predicate("TSA"), hypergraph)
    seeds = sign_vectors([1, 2], 20, 10)
    samples = generator_samples(FloatPass(generator.network), seeds)
    samples[[3, 11], 0] *= -1
    assert cross_check(generator.network, seeds, samples) == 2


def test_partial_sum_bounds_by_hand():
    first = Layer.from_dense([[1, -1], [2, 0]], [1, 0])
    second = Layer.from_dense([[1, 1]])
    # Layer 1: row sums 2 and 2, inputs of size 1, bias 1: 3. Layer 2: row sum 2 times 3: 6.
    assert partial_sum_bounds(Network(2, [first, second])) == [3, 6]


def test_non_sign_output_rejected():
    with pytest.raises(SamplingError, match="not \\+1 or -1"):
        signs_from_numerators(np.array([[2.0, 2.0], [2.0, 0.0]]), 1)


# The instance.


def test_default_instance_largest_bias():
    instance = build_instance(ExperimentSettings())
    hyperedges = draw_hypergraph(50, 200, 5, seed=0).hyperedges
    assert instance.proves_generator
    assert instance.network.sha256() == instance.certificate["network_sha256"]
    assert instance.largest_bias(2) == {"outputs": [6, 76], "bias": "1/2"}
    assert bias_by_enumeration(hyperedges, [6, 76]) == Fraction(1, 2)


def test_avoid_bias_hypergraph_unbiased():
    settings = resolve_settings({"m": 12, "d": 8, "avoid_bias": 2, "hypergraph_seed": 1}, quick=False)
    hypergraph, _ = choose_hypergraph(settings, read_predicate(settings), lambda _: None)
    for size in (1, 2):
        for outputs in itertools.combinations(range(8), size):
            assert bias_by_enumeration(hypergraph.hyperedges, outputs) == 0, outputs


def test_weak_control_pair_bias():
    settings = resolve_settings({"generator": "weak", "m": 12, "d": 10}, quick=False)
    instance = build_instance(settings)
    hyperedges = instance.generator.hypergraph.hyperedges
    shared = next((a, b) for a, b in itertools.combinations(range(10), 2) if len(set(hyperedges[a]) & set(hyperedges[b])) == 1)
    assert instance.generator.predicate.name == "maj:3"
    # maj(x1, x2, x3) = (x1 + x2 + x3)/2 - x1 x2 x3/2: one shared input gives bias (1/2)^2.
    listed = {tuple(entry["outputs"]): entry["bias"] for entry in instance.certificate["biases"]["biased_sets"]}
    assert listed[shared] == "1/4"


def test_evaluation_steps_end_at_last():
    settings = resolve_settings({"steps": 250, "eval_every": 100}, quick=False)
    assert evaluation_steps(settings) == [0, 100, 200, 250]


def test_quick_values_yield_to_explicit():
    settings = resolve_settings({"steps": 7}, quick=True)
    assert (settings.steps, settings.m, settings.d) == (7, 16, 32)


# curves.csv.


def test_curves_csv_round_trip(tmp_path):
    curve = Curve(2, 1, [0, 10], [0.5, -0.25], [0.01, 0.02], [None, -0.125])
    path = tmp_path / "curves.csv"
    path.write_text(curves_csv([curve]))
    (back,) = read_curves_csv(str(path))
    assert (back.depth, back.seed, back.steps) == (2, 1, [0, 10])
    assert back.test_loss == [0.5, -0.25]
    assert back.train_loss == [None, -0.125]


def test_curves_csv_wrong_schema(tmp_path):
    path = tmp_path / "curves.csv"
    path.write_text(curves_csv([Curve(1, 0, [0], [0.0], [0.0], [None])]).replace("\n1,", "\n9,"))
    with pytest.raises(InputError, match="schema_version 9"):
        read_curves_csv(str(path))


# Bad input: exit code 2, one message, nothing written.


@pytest.mark.parametrize("arguments, message", [
    (["--generator", "strong"], "invalid choice"),
    (["--predicate", "nosuch"], "nosuch"),
    (["--m", "0"], "positive integer"),
    (["--d", "-3"], "positive integer"),
    (["--steps", "0"], "positive integer"),
    (["--batch-size", "0"], "positive integer"),
    (["--width", "0"], "positive integer"),
    (["--test-samples", "0"], "positive integer"),
    (["--learning-rate", "0"], "positive number"),
    (["--depths", "0,1"], "positive number of hidden layers"),
    (["--seeds", "1,1"], "distinct"),
    (["--alpha", "2"], "between 0 and 1"),
    (["--bias-order", "4"], "above the limit 3"),
    (["--generator", "weak", "--predicate", "TSA"], "maj:3"),
    (["--generator", "weak", "--avoid-bias", "2"], "biased on purpose"),
])
def test_invalid_option_exits_two(tmp_path, capsys, arguments, message):
    out = tmp_path / "run"
    code, stdout, stderr = run(capsys, "experiment", "discriminators", "--quick", "--out", str(out), *arguments)
    assert code == 2
    assert message in stderr
    assert stdout == ""
    assert not out.exists()


def test_nonempty_folder_rejected(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    code, _, stderr = run(capsys, "experiment", "discriminators", "--quick", "--out", str(out))
    assert code == 2
    assert "--overwrite" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_out_is_a_file(tmp_path, capsys):
    out = tmp_path / "run"
    out.write_text("x")
    code, _, stderr = run(capsys, "experiment", "discriminators", "--quick", "--out", str(out))
    assert code == 2
    assert "not a folder" in stderr


@pytest.mark.parametrize("module", ["torch", "matplotlib"])
def test_missing_extra_named(tmp_path, capsys, monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)
    out = tmp_path / "run"
    code, _, stderr = run(capsys, "experiment", "discriminators", "--quick", "--out", str(out))
    assert code == 2
    assert f"{module} is not installed" in stderr
    assert EXTRA_COMMAND in stderr
    assert not out.exists()


def test_cuda_unavailable_rejected(tmp_path, capsys):
    torch = pytest.importorskip("torch", reason=NEEDS_TORCH)
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    out = tmp_path / "run"
    code, _, stderr = run(capsys, "experiment", "discriminators", "--quick", "--device", "cuda", "--out", str(out))
    assert code == 2
    assert "CUDA" in stderr
    assert not out.exists()


def test_figure_needs_png(tmp_path, capsys):
    code, _, stderr = run(capsys, "experiment", "figure", str(tmp_path), "--out", str(tmp_path / "f.svg"))
    assert code == 2
    assert ".png" in stderr


def test_figure_needs_summary(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason=NEEDS_TORCH)
    pytest.importorskip("torch", reason=NEEDS_TORCH)
    code, _, stderr = run(capsys, "experiment", "figure", str(tmp_path), "--out", str(tmp_path / "f.png"))
    assert code == 2
    assert "summary.json: file not found" in stderr
    assert not (tmp_path / "f.png").exists()


def test_cli_start_without_torch():
    code = "import sys, verifier.cli; verifier.cli.build_parser(); print(sorted({'torch', 'matplotlib'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# Training (needs torch).


def test_test_loss_of_chance_is_zero():
    torch = pytest.importorskip("torch", reason=NEEDS_TORCH)
    from verifier.experiment.training import test_loss

    loss, error = test_loss(torch.zeros(100, dtype=torch.float64), torch.zeros(50, dtype=torch.float64))
    assert abs(loss) < 1e-12
    assert error == 0.0


def test_test_loss_confident_logits():
    torch = pytest.importorskip("torch", reason=NEEDS_TORCH)
    from verifier.experiment.training import test_loss

    a = 3.0
    loss, _ = test_loss(torch.full((10,), a), torch.full((10,), -a))
    # -log sigmoid(a) = log(1 + e^-a) on both laws.
    assert math.isclose(loss, 2 * math.log1p(math.exp(-a)) - 2 * math.log(2), rel_tol=1e-12)


def test_discriminator_shape():
    pytest.importorskip("torch", reason=NEEDS_TORCH)
    from verifier.experiment.training import build_discriminator

    model = build_discriminator(200, 3, 200)
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Linear", "ReLU"] * 3 + ["Linear"]
    assert sum(p.numel() for p in model.parameters()) == 3 * (200 * 200 + 200) + 201


def test_training_reproducible():
    pytest.importorskip("torch", reason=NEEDS_TORCH)
    from verifier.experiment.sampling import draw_seed_samples
    from verifier.experiment.training import train_discriminator

    settings = resolve_settings({"generator": "weak", "m": 8, "d": 12, "steps": 30, "eval_every": 10, "width": 16,
                                 "test_samples": 200}, quick=False)
    instance = build_instance(settings)
    samples = draw_seed_samples(FloatPass(instance.network), 3, settings.steps * settings.batch_size, settings.test_samples)
    first = train_discriminator(samples, 2, settings)
    second = train_discriminator(samples, 2, settings)
    assert first.steps == [0, 10, 20, 30]
    assert first.test_loss == second.test_loss


def test_quick_control_detected(tmp_path, capsys):
    pytest.importorskip("torch", reason=NEEDS_TORCH)
    pytest.importorskip("matplotlib", reason=NEEDS_TORCH)
    out = tmp_path / "control"
    code, stdout, _ = run(capsys, "experiment", "discriminators", "--generator", "weak", "--quick", "--out", str(out), "--json")
    assert code == 0

    summary = json.loads((out / "summary.json").read_text(), parse_float=reject_float)
    assert summary == json.loads(stdout, parse_float=reject_float)
    assert summary["schema_version"] == 1
    assert summary["control_detected"] is True
    assert [r["distinguished"] for r in summary["discriminators"]["depths"]] == [True, True]
    assert summary["parity_test"]["generator"]["detected"] is True
    assert summary["generator"]["sampling"]["cross_check"]["mismatches"] == 0

    import hashlib

    certificate_bytes = (out / "certificate.json").read_bytes()
    assert summary["generator"]["certificate_sha256"] == hashlib.sha256(certificate_bytes).hexdigest()
    assert summary["generator"]["network_sha256"] == json.loads(certificate_bytes)["network_sha256"]

    rows = (out / "curves.csv").read_text().splitlines()
    # 2 depths x 2 seeds x evaluations at steps 0, 50, ..., 300.
    assert len(rows) == 1 + 2 * 2 * 7
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    figure = tmp_path / "figure.png"
    code, _, _ = run(capsys, "experiment", "figure", str(out), str(out), "--out", str(figure))
    assert code == 0
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_overwrite_allows_nonempty_folder(tmp_path, capsys):
    pytest.importorskip("torch", reason=NEEDS_TORCH)
    pytest.importorskip("matplotlib", reason=NEEDS_TORCH)
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    code, _, _ = run(capsys, "experiment", "discriminators", "--quick", "--steps", "10", "--eval-every", "5", "--depths", "1",
                     "--seeds", "0", "--out", str(out), "--overwrite", "--json")
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["certificate.json", "curves.csv", "curves.png", "notes.txt", "summary.json"]
