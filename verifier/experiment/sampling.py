"""Samples of G(U_m), computed from the generator network, and of U_d, as int8 arrays of +-1.

The generator network has integer weight numerators over 2^s. On a seed in {+-1}^m the
float64 pass below keeps every activation as an integer numerator A over 2^E, exactly
as the Lemma A.2 evaluator does: layer l computes M_l A + B_l 2^E. Every partial sum is
then an integer, and when the evaluator's bound on them stays below 2^53 every float64
sum is exact, in any order. So the float pass is exact arithmetic done in floats, and
it is also compared with ``verifier.evaluator.evaluate`` on a sample of every stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verifier.evaluator import FLOAT64_EXACT_BOUND, evaluate
from verifier.network import Network

# Seeds per float64 pass. The widest hidden layer of the default generator (6400 units)
# then needs 4096 x 6400 float64 values, about 210 MB.
CHUNK_SEEDS = 4096

# Seeds of each stream that are also evaluated by the exact evaluator.
CROSS_CHECK_SEEDS = 512


class SamplingError(Exception):
    """The generator network produced a value outside {+-1}, or the float pass disagreed with the exact evaluator."""


def partial_sum_bounds(network: Network) -> list[int]:
    """Return, per layer, an upper bound on every integer partial sum on seeds in {+-1}^m.

    This is the bound of ``verifier.evaluator.evaluate``: max row sum of |M| times the
    largest input numerator, plus the largest |B| times 2^E.
    """
    bounds = []
    largest_input, exponent = 1, 0
    for layer in network.layers:
        bound = max(layer.row_abs_sums(), default=0) * largest_input + (layer.max_abs_bias() << exponent)
        bounds.append(bound)
        largest_input, exponent = bound, exponent + layer.scale
    return bounds


class FloatPass:
    """Evaluates a network on seeds in {+-1}^m in float64, exactly when ``is_exact`` is true."""

    def __init__(self, network: Network):
        self.network = network
        self.is_exact = max(partial_sum_bounds(network)) < FLOAT64_EXACT_BOUND
        self._matrices = [layer.scipy_matrix(np.float64).T.tocsr() for layer in network.layers]

    def numerators(self, seeds: np.ndarray) -> tuple[np.ndarray, int]:
        """Return (N, E) with the outputs at the rows of ``seeds`` equal to N / 2^E, N as float64 integers."""
        activation = np.asarray(seeds, dtype=np.float64)
        exponent = 0
        last = len(self.network.layers) - 1
        for index, (layer, matrix) in enumerate(zip(self.network.layers, self._matrices)):
            pre_activation = np.asarray(activation @ matrix)
            pre_activation += layer.bias.astype(np.float64) * float(1 << exponent)
            exponent += layer.scale
            activation = pre_activation if index == last else np.maximum(pre_activation, 0, out=pre_activation)
        return activation, exponent


def signs_from_numerators(numerators: np.ndarray, exponent: int) -> np.ndarray:
    """Return the int8 array of outputs N / 2^E, raising SamplingError unless each is exactly +1 or -1."""
    unit = float(1 << exponent)
    valid = (numerators == unit) | (numerators == -unit)
    if not valid.all():
        row, column = np.argwhere(~valid)[0]
        raise SamplingError(f"the generator network's output {column} is {numerators[row, column] / unit} at sample {row}, not +1 or -1")
    return np.where(numerators > 0, 1, -1).astype(np.int8)


def generator_samples(float_pass: FloatPass, seeds: np.ndarray) -> np.ndarray:
    """Return G(seed) for every row of ``seeds`` (int8, +-1) as an int8 array of +-1, chunk by chunk."""
    if not float_pass.is_exact:
        return _exact_samples(float_pass.network, seeds)
    outputs = np.empty((len(seeds), float_pass.network.output_dim), dtype=np.int8)
    for start in range(0, len(seeds), CHUNK_SEEDS):
        part = seeds[start:start + CHUNK_SEEDS]
        outputs[start:start + len(part)] = signs_from_numerators(*float_pass.numerators(part))
    return outputs


def _exact_samples(network: Network, seeds: np.ndarray) -> np.ndarray:
    # NOTE: only reached by a network whose partial sums can exceed 2^53; the Goldreich
    # networks of this project stay far below (the default one below 2^8), so this slow
    # path is not exercised by the experiment runs.
    outputs = np.empty((len(seeds), network.output_dim), dtype=np.int8)
    for start in range(0, len(seeds), CHUNK_SEEDS):
        part = seeds[start:start + CHUNK_SEEDS]
        evaluation = evaluate(network, part.T.astype(np.int64))
        numerators = np.asarray(evaluation.numerators.T, dtype=object)
        unit = 1 << evaluation.exponent
        if not np.all((numerators == unit) | (numerators == -unit)):
            raise SamplingError("the generator network produced an output that is not +1 or -1")
        outputs[start:start + len(part)] = np.where(numerators > 0, 1, -1).astype(np.int8)
    return outputs


def cross_check(network: Network, seeds: np.ndarray, samples: np.ndarray) -> int:
    """Return how many of the first CROSS_CHECK_SEEDS samples differ from the exact evaluator's outputs."""
    count = min(CROSS_CHECK_SEEDS, len(seeds))
    evaluation = evaluate(network, seeds[:count].T.astype(np.int64))
    exact = evaluation.numerators.T
    expected = np.where(np.asarray(exact >= 0), 1, -1)
    unit = 1 << evaluation.exponent
    is_sign = np.all((exact == unit) | (exact == -unit), axis=1)
    matches = np.all(expected == samples[:count], axis=1) & is_sign
    return int(count - matches.sum())


def sign_vectors(seed_words: list[int], rows: int, columns: int) -> np.ndarray:
    """Return a rows-by-columns int8 array of independent uniform +-1 values from default_rng(seed_words)."""
    bits = np.random.default_rng(seed_words).integers(0, 2, size=(rows, columns), dtype=np.int8)
    return (1 - 2 * bits).astype(np.int8)


@dataclass
class SeedSamples:
    """The training streams and the held-out samples of one training seed (rows are samples)."""

    seed: int
    train_generator: np.ndarray
    train_uniform: np.ndarray
    test_generator: np.ndarray
    test_uniform: np.ndarray
    cross_checked: int
    mismatches: int


def draw_seed_samples(float_pass: FloatPass, seed: int, training_rows: int, test_rows: int) -> SeedSamples:
    """Draw the four sample sets of one training seed as ``settings.seed_rules`` describes."""
    network = float_pass.network
    m, d = network.input_dim, network.output_dim

    # Step 1: the training streams, G(U_m) from the network and U_d directly.
    train_seeds = sign_vectors([seed, 0], training_rows, m)
    train_generator = generator_samples(float_pass, train_seeds)
    train_uniform = sign_vectors([seed, 1], training_rows, d)

    # Step 2: the held-out samples for the test loss.
    test_seeds = sign_vectors([seed, 2], test_rows, m)
    test_generator = generator_samples(float_pass, test_seeds)
    test_uniform = sign_vectors([seed, 3], test_rows, d)

    # Step 3: the float pass against the exact evaluator on the start of both generator sets.
    mismatches = cross_check(network, train_seeds, train_generator) + cross_check(network, test_seeds, test_generator)
    checked = min(CROSS_CHECK_SEEDS, training_rows) + min(CROSS_CHECK_SEEDS, test_rows)
    return SeedSamples(seed, train_generator, train_uniform, test_generator, test_uniform, checked, mismatches)
