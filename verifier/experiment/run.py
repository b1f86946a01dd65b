"""One discriminator run: certify the generator, draw samples, test parities, train every depth on every seed."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

from verifier.generator_check import set_biases

from verifier.experiment.curves import Curve
from verifier.experiment.instance import Instance, build_instance
from verifier.experiment.parity_test import parity_test_record, run_parity_test
from verifier.experiment.sampling import CROSS_CHECK_SEEDS, FloatPass, draw_seed_samples, partial_sum_bounds
from verifier.experiment.settings import ExperimentSettings


class Reporter(Protocol):
    """Receives progress: stage messages and every training step."""

    def message(self, text: str) -> None: ...

    def step(self, seed: int, depth: int, step: int) -> None: ...


class ExperimentFailure(Exception):
    """The generator network does not compute G_{P,H}, or its samples disagree with the exact evaluator."""


@dataclass
class RunOutcome:
    """Everything a run measured, before it is summarised."""

    instance: Instance
    curves: list[Curve]
    parity_test_generator: dict
    parity_test_uniform: dict
    sampling: dict
    seconds: dict = field(default_factory=dict)


def run_experiment(settings: ExperimentSettings, reporter: Reporter) -> RunOutcome:
    """Run the whole experiment that ``settings`` describes."""
    from verifier.experiment.training import configure_torch, train_discriminator

    configure_torch(settings)
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    seconds = {"sampling_per_seed": {}, "training": {depth: {} for depth in settings.depths}}

    # Step 1: the certified generator.
    instance = build_instance(settings, reporter.message)
    if not instance.proves_generator:
        first = instance.certificate["coordinate_proof"]["first_failure"]
        raise ExperimentFailure(f"the generator network does not compute G_(P,H): {first}")
    seconds["certificate"] = time.perf_counter() - started
    float_pass = FloatPass(instance.network)

    curves, checked, mismatches = [], 0, 0
    parity_generator = parity_uniform = None
    for seed in settings.seeds:
        # Step 2: this seed's training streams and held-out samples.
        reporter.message(f"seed {seed}: drawing {settings.steps * settings.batch_size} training and "
                         f"{settings.test_samples} held-out samples of each law ...")
        sampling_started = time.perf_counter()
        samples = draw_seed_samples(float_pass, seed, settings.steps * settings.batch_size, settings.test_samples)
        seconds["sampling_per_seed"][seed] = time.perf_counter() - sampling_started
        checked, mismatches = checked + samples.cross_checked, mismatches + samples.mismatches
        if samples.mismatches:
            raise ExperimentFailure(f"seed {seed}: the float64 pass of the generator network differs from the exact "
                                    f"evaluator on {samples.mismatches} of {samples.cross_checked} samples")

        # Step 3: the training-free parity test, on the first seed's held-out samples.
        if parity_generator is None:
            reporter.message(f"testing every parity of at most {settings.bias_order} outputs on the held-out samples ...")
            test_started = time.perf_counter()
            parity_generator = parity_test_record(run_parity_test(samples.test_generator, settings.bias_order),
                                                  settings.alpha, exact_bias_function(instance))
            parity_uniform = parity_test_record(run_parity_test(samples.test_uniform, settings.bias_order), settings.alpha, None)
            seconds["parity_test"] = time.perf_counter() - test_started

        # Step 4: one discriminator per depth, all on the same batches.
        for depth in settings.depths:
            curve = train_discriminator(samples, depth, settings, lambda step, d=depth: reporter.step(seed, d, step))
            seconds["training"][depth][seed] = curve.seconds
            curves.append(curve)
        del samples

    seconds["total"] = time.perf_counter() - started
    seconds["load_average"] = (load_at_start, os.getloadavg()[0])
    sampling = sampling_record(float_pass, checked, mismatches)
    return RunOutcome(instance, curves, parity_generator, parity_uniform, sampling, seconds)


def exact_bias_function(instance: Instance):
    """Return a function mapping sets of outputs to their exact biases under G(U_m), by enumeration."""
    hypergraph, table = instance.generator.hypergraph, instance.generator.predicate.table

    def exact_biases(sets: list[tuple[int, ...]]) -> list[Fraction]:
        return set_biases(hypergraph, table, sets)[0]

    return exact_biases


def sampling_record(float_pass: FloatPass, checked: int, mismatches: int) -> dict:
    """Describe how the samples of G(U_m) were computed and checked."""
    bound = max(partial_sum_bounds(float_pass.network))
    if float_pass.is_exact:
        method = "float64 pass of the generator network on integer numerators"
        exactness = f"every partial sum is an integer of magnitude at most {bound} < 2^53, so every float64 operation is exact"
    else:
        method = "verifier.evaluator.evaluate"
        exactness = f"exact integer arithmetic: the partial sums may reach {bound} >= 2^53, too large for the float64 pass"
    return {
        "seed_law": "uniform on {-1,+1}^m",
        "method": method,
        "exactness": exactness,
        "cross_check": {
            "method": f"the first {CROSS_CHECK_SEEDS} seeds of each training stream and held-out set, "
                      "evaluated again by verifier.evaluator.evaluate",
            "samples": checked,
            "mismatches": mismatches,
        },
    }
