"""A test that needs no training: the empirical bias of every parity of at most t outputs.

For a set T of outputs the parity is prod_{l in T} y_l. Under U_d every such parity has
mean 0. On n independent samples its sum S gives the empirical bias S / n and an exact
two-sided binomial p-value; Holm's method corrects the p-values for the number of sets
tested, d + C(d, 2) + ... + C(d, t). Each reported set also carries its exact bias under
G(U_m), computed by enumeration of the seed bits it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np

from verifier.experiment.statistics import format_estimate, format_p, holm_log, sign_test_log_p


@dataclass
class ParityTest:
    """The sums of every parity of at most ``order`` outputs over ``samples`` samples, with their p-values."""

    order: int
    samples: int
    sets: list[np.ndarray]  # per size r = 1..order, an array of shape (number of sets, r), rows increasing
    sums: np.ndarray  # over all sizes, in the order of ``sets``
    log_p: np.ndarray
    corrected_log_p: np.ndarray

    @property
    def count(self) -> int:
        return len(self.sums)

    def outputs(self, index: int) -> tuple[int, ...]:
        """Return the output set at position ``index`` of the concatenated order."""
        for group in self.sets:
            if index < len(group):
                return tuple(int(v) for v in group[index])
            index -= len(group)
        raise IndexError(index)

    def position(self, outputs: Sequence[int]) -> int:
        """Return the position of a set of outputs, given in any order."""
        target = np.sort(np.asarray(outputs, dtype=np.int64))
        offset = 0
        for group in self.sets:
            if group.shape[1] == len(target):
                hits = np.flatnonzero(np.all(group == target, axis=1))
                return offset + int(hits[0])
            offset += len(group)
        raise ValueError(f"no set of {len(target)} outputs was tested")

    def significant(self, alpha: Fraction) -> np.ndarray:
        """Return the positions whose Holm-corrected p-value is below ``alpha``."""
        return np.flatnonzero(self.corrected_log_p < np.log(float(alpha)))

    def describe(self, position: int, exact_bias: Fraction | None) -> dict:
        """Return the record of one set: its outputs, empirical and exact bias, raw and corrected p-value."""
        return {
            "outputs": list(self.outputs(position)),
            "empirical_bias": format_estimate(int(self.sums[position]) / self.samples),
            "exact_bias": None if exact_bias is None else str(exact_bias),
            "p_value": format_p(float(self.log_p[position])),
            "corrected_p_value": format_p(float(self.corrected_log_p[position])),
        }


def output_sets(d: int, size: int) -> np.ndarray:
    """Return every set of ``size`` of the d outputs as rows of increasing indices, in lexicographic order."""
    if size == 1:
        return np.arange(d, dtype=np.int64)[:, None]
    if size == 2:
        return np.stack(np.triu_indices(d, 1), axis=1).astype(np.int64)
    if size == 3:
        blocks = []
        for first in range(d - 2):
            rows, columns = np.triu_indices(d - first - 1, 1)
            block = np.empty((len(rows), 3), dtype=np.int64)
            block[:, 0], block[:, 1], block[:, 2] = first, first + 1 + rows, first + 1 + columns
            blocks.append(block)
        return np.concatenate(blocks) if blocks else np.empty((0, 3), dtype=np.int64)
    raise ValueError(f"parities of {size} outputs are not supported")


def parity_sums(samples: np.ndarray, size: int) -> np.ndarray:
    """Return sum over samples of prod_{l in T} y_l for every set T of ``output_sets(d, size)``, in that order.

    The sums are products of +-1 matrices in float64; every partial sum is an integer of
    magnitude at most n < 2^53, so they are exact.
    """
    values = np.asarray(samples, dtype=np.float64)
    d = values.shape[1]
    if size == 1:
        return values.sum(axis=0).astype(np.int64)
    if size == 2:
        gram = values.T @ values
        return gram[np.triu_indices(d, 1)].astype(np.int64)
    if size == 3:
        parts = []
        for first in range(d - 2):
            rest = values[:, first + 1:]
            gram = (rest * values[:, first:first + 1]).T @ rest
            parts.append(gram[np.triu_indices(d - first - 1, 1)])
        return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)
    raise ValueError(f"parities of {size} outputs are not supported")


def run_parity_test(samples: np.ndarray, order: int) -> ParityTest:
    """Compute the empirical bias and the Holm-corrected p-value of every parity of at most ``order`` outputs."""
    d = samples.shape[1]
    sizes = range(1, min(order, d) + 1)
    sets = [output_sets(d, size) for size in sizes]
    sums = np.concatenate([parity_sums(samples, size) for size in sizes])
    log_p = sign_test_log_p(sums, len(samples))
    return ParityTest(order, len(samples), sets, sums, log_p, holm_log(log_p))


def parity_test_record(test: ParityTest, alpha: Fraction,
                       exact_biases: Callable[[list[tuple[int, ...]]], list[Fraction]] | None) -> dict:
    """Summarise a parity test: the most significant set, the significant sets and, when given, their exact biases.

    ``exact_biases`` maps output sets to their exact biases under the law the samples came
    from. It is None for samples of U_d, where every parity has exact bias 0.
    """
    significant = test.significant(alpha)
    strongest = int(np.argmin(test.log_p))
    strongest_exact = exact_biases([test.outputs(strongest)])[0] if exact_biases else Fraction(0)

    record = {
        "order": test.order,
        "samples": test.samples,
        "parities_tested": test.count,
        "null_hypothesis": "the parity has mean 0 and the samples are independent, so its count of -1 values is Binomial(n, 1/2)",
        "p_value_method": "exact two-sided binomial",
        "correction": "Holm, over all parities tested",
        "alpha": str(alpha),
        "most_significant": test.describe(strongest, strongest_exact),
        "significant": len(significant),
        "detected": len(significant) > 0,
    }
    if exact_biases is not None and len(significant):
        exact = exact_biases([test.outputs(int(position)) for position in significant])
        record["significant_with_exact_bias_zero"] = sum(1 for value in exact if value == 0)
    else:
        record["significant_with_exact_bias_zero"] = len(significant) if exact_biases is None else 0
    return record
