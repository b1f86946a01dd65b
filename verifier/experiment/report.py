"""The summary of a run: exact facts from the certificate kept apart from the statistical estimates."""

from __future__ import annotations

import math
import os
import platform
from fractions import Fraction

import numpy as np

from verifier import __version__
from verifier.experiment.curves import Curve
from verifier.experiment.run import RunOutcome
from verifier.experiment.settings import (
    CERTIFICATE_FILE,
    CURVES_CSV_FILE,
    CURVES_PNG_FILE,
    ExperimentSettings,
    seed_rules,
)
from verifier.experiment.statistics import (
    CONFIDENCE,
    format_estimate,
    format_p,
    holm_log,
    log_p_below_zero,
    normal_interval,
    t_interval,
)

SUMMARY_SCHEMA_VERSION = 1
SUMMARY_KIND = "discriminator-experiment"


def parity_discriminator_loss(bias: Fraction) -> float:
    """Return the expected test loss of the best discriminator that reads only one parity of exact bias ``bias``.

    Under U_d the parity is +1 or -1 with probability 1/2 each, and under G(U_m) it is +1
    with probability p = (1 + bias) / 2. The best such D has loss -2 JS(Bernoulli(1/2),
    Bernoulli(p)). A ReLU network with one hidden layer of two units computes the parity
    of two +-1 inputs exactly, as relu(y_a + y_b) + relu(-y_a - y_b) - 1.
    """
    real = np.array([0.5, 0.5])
    fake = np.array([(1 + float(bias)) / 2, (1 - float(bias)) / 2])
    middle = (real + fake) / 2
    divergence = 0.0
    for law in (real, fake):
        positive = law > 0
        divergence += float(np.sum(law[positive] * np.log(law[positive] / middle[positive]))) / 2
    return -2 * divergence


def depth_records(curves: list[Curve], settings: ExperimentSettings) -> list[dict]:
    """Summarise each depth: final and best test loss over seeds with intervals, and whether it distinguished.

    A depth distinguished when its final test loss is below zero with Holm-corrected
    one-sided p-value below alpha (over the depths). The best test loss is chosen on the
    held-out samples, so it is biased low and decides nothing.
    """
    by_depth = {depth: [c for c in curves if c.depth == depth] for depth in settings.depths}
    log_p = {}
    for depth, group in by_depth.items():
        log_p[depth] = log_p_below_zero([c.test_loss[-1] for c in group], [c.test_loss_standard_error[-1] for c in group])
    corrected = dict(zip(by_depth, holm_log(np.array([log_p[d] for d in by_depth]))))

    records = []
    for depth, group in by_depth.items():
        finals = [c.test_loss[-1] for c in group]
        bests = [min(c.test_loss) for c in group]
        errors = [c.test_loss_standard_error[-1] for c in group]
        records.append({
            "depth": depth,
            "final_test_loss": _interval_record(finals, errors),
            "final_test_loss_standard_error_per_seed": [format_estimate(e) for e in errors],
            "best_test_loss": _interval_record(bests, None),
            "best_step_per_seed": [c.steps[int(np.argmin(c.test_loss))] for c in group],
            "p_value": format_p(log_p[depth]),
            "corrected_p_value": format_p(corrected[depth]),
            "distinguished": bool(corrected[depth] < math.log(float(settings.alpha))),
            "seconds": {"total": _seconds(sum(c.seconds for c in group)), "per_seed": [_seconds(c.seconds) for c in group]},
        })
    return records


def _interval_record(values: list[float], standard_errors: list[float] | None) -> dict:
    if len(values) > 1:
        mean, low, high = t_interval(values)
        method = f"{CONFIDENCE:.0%} Student t interval over the {len(values)} training seeds"
    elif standard_errors is not None:
        mean, low, high = normal_interval(values[0], standard_errors[0])
        method = f"{CONFIDENCE:.0%} normal interval from the held-out samples (one training seed)"
    else:
        mean, low, high = values[0], None, None
        method = "one training seed: no interval"
    return {
        "mean": format_estimate(mean),
        "interval": None if low is None else [format_estimate(low), format_estimate(high)],
        "interval_method": method,
        "per_seed": [format_estimate(v) for v in values],
    }


def _seconds(value: float) -> str:
    return f"{value:.1f}"


def exact_record(outcome: RunOutcome, settings: ExperimentSettings) -> dict:
    """Return the exact facts from the generator's certificate."""
    certificate = outcome.instance.certificate
    largest = outcome.instance.largest_bias(settings.bias_order)
    biases = certificate["biases"]
    listed = [entry for entry in biases["biased_sets"] if len(entry["outputs"]) <= settings.bias_order]
    record = {
        "source": f"{CERTIFICATE_FILE}, fields coordinate_proof and biases",
        "generator_proof": certificate["coordinate_proof"]["status"],
        "order": settings.bias_order,
        "largest_bias": largest,
        "biased_connected_sets": biases["biased_connected_sets"],
        "biased_connected_sets_order": biases["order"],
        "biased_connected_sets_listed": listed[:20],
    }
    if largest is not None and Fraction(largest["bias"]) != 0:
        record["parity_discriminator_loss"] = {
            "value": format_estimate(parity_discriminator_loss(Fraction(largest["bias"]))),
            "meaning": "expected test loss of the best discriminator that reads only this parity, -2 JS(Bernoulli(1/2), "
                       "Bernoulli((1 + bias)/2)); one hidden layer of two ReLU units computes the parity of two outputs",
            "method": "closed form in floating point from the exact bias",
        }
    return record


def findings(summary: dict, settings: ExperimentSettings) -> list[str]:
    """Return the run's conclusions as plain sentences, exact facts first."""
    exact = summary["exact"]
    test = summary["parity_test"]["generator"]
    depths = summary["discriminators"]["depths"]
    distinguished = [r["depth"] for r in depths if r["distinguished"]]
    largest = exact["largest_bias"]
    biased = largest is not None and Fraction(largest["bias"]) != 0
    lines = [_exact_sentence(exact, settings.bias_order), _parity_test_sentence(test)]

    if distinguished:
        lines.append(f"Discriminators: distinguished G(U_m) from U_d at depth {', '.join(map(str, distinguished))} "
                     f"(final test loss below 0, Holm-corrected one-sided p < {test['alpha']}).")
    else:
        lines.append("Discriminators: no depth distinguished G(U_m) from U_d (no final test loss significantly below 0).")

    if biased:
        lines.append(_bias_against_training(exact, test, depths, bool(distinguished)))
    if settings.generator == "weak" and distinguished:
        lines.append("Control: detected by the discriminators.")
    elif settings.generator == "weak":
        lines.append("Control: NOT detected by the discriminators, so this training cannot be trusted to find a bias.")
    return lines


def _exact_sentence(exact: dict, order: int) -> str:
    largest = exact["largest_bias"]
    if largest is None or Fraction(largest["bias"]) == 0:
        return f"Exact: every parity of at most {order} outputs has bias exactly 0 under G(U_m), as under U_d."
    outputs = " and ".join(str(o) for o in largest["outputs"])
    return (f"Exact: the largest bias of a parity of at most {order} outputs is {largest['bias']}, at outputs {outputs} "
            f"({exact['biased_connected_sets']} biased connected sets of at most {exact['biased_connected_sets_order']} outputs), "
            "so G(U_m) and U_d differ on that parity.")


def _parity_test_sentence(test: dict) -> str:
    most = test["most_significant"]
    if not test["detected"]:
        return (f"Parity test on {test['samples']} held-out samples: no parity of at most {test['order']} outputs is significant "
                f"after Holm's correction at alpha {test['alpha']} (smallest corrected p = {most['corrected_p_value']}).")
    return (f"Parity test on {test['samples']} held-out samples: {test['significant']} of {test['parities_tested']} parities "
            f"significant after Holm's correction at alpha {test['alpha']}. The strongest is at outputs "
            f"{', '.join(map(str, most['outputs']))}, with empirical bias {most['empirical_bias']}, exact bias "
            f"{most['exact_bias']} and corrected p = {most['corrected_p_value']}.")


def _bias_against_training(exact: dict, test: dict, depths: list[dict], distinguished: bool) -> str:
    """Compare what training found with the exact bias and the loss of the best discriminator reading that parity."""
    outputs = " and ".join(str(o) for o in exact["largest_bias"]["outputs"])
    reference = exact["parity_discriminator_loss"]["value"]
    if not distinguished:
        detected = "which the training-free test detects, " if test["detected"] else ""
        return (f"Finding: this instance has an exact parity bias of {exact['largest_bias']['bias']}, {detected}but no trained "
                f"discriminator distinguished. A test loss at or above 0 here shows what training found, not that G(U_m) "
                f"fools ReLU discriminators: the best discriminator that reads only the parity of outputs {outputs} has "
                f"expected test loss {reference}.")
    lowest = min(depths, key=lambda r: float(r["final_test_loss"]["mean"]))
    relation = "at or below" if float(lowest["final_test_loss"]["mean"]) <= float(reference) else "above"
    return (f"The lowest mean final test loss, {lowest['final_test_loss']['mean']} at depth {lowest['depth']}, is {relation} "
            f"{reference}, the expected loss of the best discriminator that reads only the parity of outputs {outputs}.")


def build_summary(outcome: RunOutcome, settings: ExperimentSettings) -> dict:
    """Assemble summary.json: settings, seeds, the generator, exact facts, estimates, verdicts and wall times."""
    from verifier.experiment.training import torch_threads, torch_version

    instance = outcome.instance
    hypergraph = instance.generator.hypergraph
    predicate = instance.generator.predicate
    seconds = outcome.seconds
    summary = {
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "kind": SUMMARY_KIND,
        "tool": {"name": "verifier", "version": __version__, "torch": torch_version(), "numpy": np.__version__},
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "torch_threads": torch_threads(),
                    "device": settings.device,
                    "load_average_1_minute": {"start": f"{seconds['load_average'][0]:.2f}", "end": f"{seconds['load_average'][1]:.2f}"}},
        "settings": settings.to_json(),
        "discriminator": {"hidden_layers": list(settings.depths), "width": settings.width, "activation": "ReLU",
                          "output": "one logit, D(x) = sigmoid(logit)", "initialisation": "torch.nn.Linear default",
                          "optimiser": f"torch.optim.Adam, lr {settings.learning_rate!r}, betas (0.9, 0.999)",
                          "objective": "DCGAN: BCE of D on a batch of U_d (label 1) plus on a batch of G(U_m) (label 0)",
                          "test_loss": "E[-log D(X)] + E[-log(1 - D(G(z)))] - 2 log 2 on held-out samples, X ~ U_d"},
        "seeds": {"hypergraph": settings.hypergraph_seed, "hypergraph_draws": hypergraph.draws,
                  "training": list(settings.seeds), "rules": seed_rules()},
        "generator": {
            "kind": settings.generator,
            "predicate": {"name": predicate.name, "arity": predicate.arity, "truth_table": predicate.truth_table_hex()},
            "m": hypergraph.m,
            "d": hypergraph.d,
            "network_sha256": instance.network.sha256(),
            "certificate": CERTIFICATE_FILE,
            "certificate_sha256": instance.certificate_sha256(),
            "sampling": outcome.sampling,
        },
        "exact": exact_record(outcome, settings),
        "parity_test": {"generator": outcome.parity_test_generator, "uniform": outcome.parity_test_uniform,
                        "samples_from": "the held-out samples of the first training seed"},
        "discriminators": {
            "depths": depth_records(outcome.curves, settings),
            "verdict_rule": "a depth distinguished when its final test loss is below 0 with one-sided p-value (Student t over "
                            "seeds, or normal from the held-out samples for one seed) below alpha after Holm's correction over "
                            "the depths; the best test loss is chosen on the held-out samples and decides nothing",
        },
        "seconds": {
            "certificate": _seconds(seconds["certificate"]),
            "sampling_per_seed": {str(s): _seconds(v) for s, v in seconds["sampling_per_seed"].items()},
            "parity_test": _seconds(seconds["parity_test"]),
            "training_per_depth": {str(d): _seconds(sum(v.values())) for d, v in seconds["training"].items()},
            "total": _seconds(seconds["total"]),
            "note": "wall-clock seconds; training includes the test-loss evaluations; sampling is shared by all depths",
        },
        "files": {"curves_csv": CURVES_CSV_FILE, "curves_png": CURVES_PNG_FILE, "certificate": CERTIFICATE_FILE},
    }
    summary["findings"] = findings(summary, settings)
    summary["control_detected"] = (any(r["distinguished"] for r in summary["discriminators"]["depths"])
                                   if settings.generator == "weak" else None)
    return summary


def plot_title(summary: dict) -> str:
    """Return a two-line figure title: the instance, and its exact largest bias."""
    generator = summary["generator"]
    settings = summary["settings"]
    largest = summary["exact"]["largest_bias"]
    redraw = f", --avoid-bias {settings['avoid_bias']}" if settings["avoid_bias"] else ""
    kind = "control: " if generator["kind"] == "weak" else ""
    exact = (f"exact largest parity bias ({settings['bias_order']} outputs or fewer): "
             + (f"{largest['bias']} at outputs {largest['outputs']}" if largest and Fraction(largest["bias"]) != 0 else "0"))
    return (f"{kind}Goldreich {generator['predicate']['name']}, m = {generator['m']}, d = {generator['d']}, "
            f"hypergraph seed {settings['hypergraph_seed']}{redraw}\n{exact}")


def plot_reference(summary: dict) -> tuple[float, str] | None:
    """Return (loss, label) of the best discriminator reading only the largest-bias parity, when it is biased."""
    exact = summary["exact"]
    if "parity_discriminator_loss" not in exact:
        return None
    outputs = ", ".join(str(o) for o in exact["largest_bias"]["outputs"])
    return float(exact["parity_discriminator_loss"]["value"]), f"best D reading only the parity of outputs {outputs}"


def summary_text(summary: dict, written: list[str]) -> str:
    """Return the human-readable summary printed by the command."""
    lines = [plot_title(summary).replace("\n", "; ")]
    lines.append(f"generator network sha256 {summary['generator']['network_sha256'][:16]}..., "
                 f"certificate sha256 {summary['generator']['certificate_sha256'][:16]}...")
    lines.append("discriminators (final test loss, mean over seeds, 95% interval; wall time over all seeds):")
    for record in summary["discriminators"]["depths"]:
        final = record["final_test_loss"]
        interval = f"[{final['interval'][0]}, {final['interval'][1]}]" if final["interval"] else "(no interval)"
        verdict = "distinguished" if record["distinguished"] else "not distinguished"
        lines.append(f"  depth {record['depth']}: {final['mean']} {interval}, best {record['best_test_loss']['mean']}, "
                     f"corrected p {record['corrected_p_value']}: {verdict}; {record['seconds']['total']} s")
    seconds = summary["seconds"]
    lines.append(f"time: certificate {seconds['certificate']} s, sampling "
                 f"{' + '.join(seconds['sampling_per_seed'].values())} s, parity test {seconds['parity_test']} s, "
                 f"total {seconds['total']} s")
    lines.extend(summary["findings"])
    lines.append("written: " + ", ".join(written))
    return "\n".join(lines)
