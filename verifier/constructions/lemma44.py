"""Lemma 4.4 and Lemma 4.5 at small sizes: the Boolean generator G' = h_xi o G o J and the hard function h_d.

Lemma numbers are those of Chen, Li, Li and Meka, "Minimax Optimality (Probably)
Doesn't Imply Distribution Learning for GANs" (2022). Lemma 4.4 turns a generator
G: R^m -> R^d with G(I_m) close to I_d into a Boolean generator on mn seed bits. With
Lemma 3.10's J and Lemma 3.12's h_xi,

    J(x)_i = sum_{j=1..n} 2^-(j+1) (x_((i-1)n+j) + 1)       (the n-bit fraction with bits (x + 1)/2, in [0, 1 - 2^-n])
    h_xi(z) = phi(z/xi + 1) - phi(z/xi - 1) - 1 = clip(z/xi, -1, 1)
    G'(x) = h_xi(G(J(x)))                                   (as printed)

The proof needs G'(U_mn) close to U_d (its step 2 compares E f(U_d) with E f(h_xi(I_d))),
but h_xi sends every y >= xi to +1 and no y in [0, 1] to -1. Two readings are built:

* literal: h_xi(y). For u uniform on [0, 1], h_xi(u) has mean 1 - xi/2 and
  W_1(U_1, h_xi(u)) = 1 - xi/2, where the proof needs O(xi).
* corrected: h_xi(2y - 1), which is sgn(2y - 1) whenever |2y - 1| >= xi. For u uniform
  on [0, 1] its mean is 0 and W_1(U_1, h_xi(2u - 1)) = xi/2.

Neither reading is Boolean everywhere: the corrected G' lies strictly between -1 and 1
where |2y - 1| < xi. A grid of Lemma 3.10's map contains 1/2, at a block whose first
bit is +1 and all others -1. A G whose outputs come from such a map, as in Theorem 3.7
and in the example generator below, therefore has outputs exactly 1/2, where the
corrected G' is 0.
The counts are measured exactly on all 2^(mn) seeds. A Boolean generator needs a
rounding such as sgn with sgn(0) = 1, which the Lemma 4.5 check accepts on request.

Lemma 4.5, the step from a pseudorandom generator to average-case hardness. For
G: {+-1}^m -> {+-1}^d with range R, let h_d(x) = 1 when x is in R and -1 otherwise, and
D = (U_d + G(U_m))/2. These are the lemma's values, so under the project's convention
(-1 true) h_d is the negation of "x is in the range". For any f: {+-1}^d -> {+-1} with
eps_f = |E f(G(U_m)) - E f(U_d)|, the proof's chain, with each line at most the next, is

    P_D[f = h_d] = 1/2 P_U[f = h_d] + 1/2 P_G[f = 1]                          (h_d = 1 on R)
                <= 1/2 (P_U[f = -1] + |R|/2^d) + 1/2 P_G[f = 1]             (union bound)
                <= 1/2 (P_U[f = -1] + 2^(m-d)) + 1/2 P_G[f = 1]             (|R| <= 2^m)
                <= 1/2 (P_U[f = -1] + 2^(m-d)) + 1/2 (P_U[f = 1] + eps_f/2)  (G eps_f-fools f)
                 = 1/2 + eps_f/4 + 2^(m-d-1).

The printed second line has P[f(U_d) = 0]; for f with values +-1 it is read as
P[f(U_d) = -1], the only reading under which the union bound is a bound. The exact
agreement uses P_U[f = h_d] = P_U[f = -1] + (sum over x in R of f(x)) / 2^d.

The class of Lemma 4.5 (threshold circuits of depth D and size S) cannot be enumerated,
so f runs over a fixed family of tests, each a small threshold circuit: the constants
+-1 (one gate sgn(0 - b)), the dictators +-x_l (one gate) and the products +-x_l x_l'
(XOR of two inputs: depth 2, size 3). For that family every quantity above is exact.

Theorem 4.2 feeds Lemma 4.4's G' (seed length mn, 2 eps-fooling) into Lemma 4.5, which
gives eps' = eps/2 + 2^(mn - d - 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np

from verifier.combinators import compose
from verifier.constructions.continuous import build_j, entrywise
from verifier.constructions.goldreich import build_goldreich, draw_hypergraph
from verifier.constructions.threshold import h_xi_network
from verifier.errors import InputError
from verifier.evaluator import evaluate
from verifier.network import Layer, Network

READINGS = ("literal", "corrected")

# Both lemmas are checked on every seed: 2^20 seeds is the largest enumeration.
MAX_SEED_BITS = 20

# Points per exact evaluation: a hidden layer of 3,000 units then takes about 200 MB as float64.
CHUNK_POINTS = 1 << 13

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def hypercube_columns(dimension: int, start: int, stop: int) -> np.ndarray:
    """Return columns start..stop-1 of {+-1}^d in truth-table order: x_j = -1 exactly when bit j-1 of the index is 1."""
    index = np.arange(start, stop, dtype=np.int64)
    return 1 - 2 * ((index[None, :] >> np.arange(dimension, dtype=np.int64)[:, None]) & 1)


def evaluate_on_hypercube(network: Network, progress: Progress = _quiet) -> tuple[np.ndarray, int]:
    """Evaluate ``network`` exactly on all of {+-1}^input_dim; return the output numerators (outputs by seeds) and the exponent."""
    dimension = network.input_dim
    if dimension > MAX_SEED_BITS:
        raise InputError(f"the network has {dimension} inputs; exhaustive evaluation is limited to {MAX_SEED_BITS} (2^{MAX_SEED_BITS} seeds)")
    total = 1 << dimension
    parts, exponent = [], 0
    for start in range(0, total, CHUNK_POINTS):
        stop = min(total, start + CHUNK_POINTS)
        result = evaluate(network, hypercube_columns(dimension, start, stop), 0, 0)
        parts.append(result.numerators)
        exponent = result.exponent
        if start and start % (1 << 16) == 0:
            progress(f"  evaluated {start} of {total} seeds")
    return np.concatenate(parts, axis=1), exponent


# Lemma 4.4, the given generator G. The example below is Theorem 3.7's chain with uniform seeds (Remark 3.14).


def seed_sign_network(xi_inverse: int) -> Network:
    """Return z -> h_xi(2z - 1 + xi) = h_1(2Kz - K + 1) for K = 1/xi: sgn(2z - 1) with sgn(0) = 1 outside (1/2 - xi, 1/2).

    The shift by xi moves Lemma 3.12's band off z = 1/2, a point of J's grid, so that a
    seed bit block (+1, -1, ..., -1) still reads as +1. The affine map merges into
    h_1's first layer, so every weight is an integer.
    """
    scale = Layer.from_dense([[2 * xi_inverse]], [1 - xi_inverse])
    gadget, _ = compose(Network(1, [scale]), h_xi_network(1), mode="merge")
    return gadget


def build_example_generator(m: int, d: int, output_bits: int, predicate, hypergraph_seed: int, xi_inverse: int,
                            construction: str = "tree") -> tuple[Network, dict]:
    """Return G(z) = J_(d,b)(G_(P,H)(h_xi(2z - 1 + xi))): R^m -> R^d with its description.

    h_xi(2z - 1 + xi) turns a seed z in [0, 1]^m into signs, exact outside the band
    (1/2 - xi, 1/2). Goldreich's generator G_(P,H) stretches them to d b signs. Lemma
    3.10's map J_(d,b) packs each block of b signs into one output in [0, 1 - 2^-b].
    On J's n-bit grid every seed reads as a sign when xi <= 2^-n.
    """
    if output_bits < 1:
        raise InputError(f"--output-bits must be at least 1, found {output_bits}")
    hypergraph = draw_hypergraph(m, d * output_bits, predicate.arity, hypergraph_seed)
    goldreich = build_goldreich(predicate, hypergraph, construction)

    # The seed signs are signed, so they reach G_(P,H) as pairs (phi(z), phi(-z)). J_(d,b) is affine and merges into the last layer.
    signs, _ = compose(entrywise(seed_sign_network(xi_inverse), m), goldreich.network, mode="pairs")
    generator, _ = compose(signs, build_j(d, output_bits), mode="merge")
    description = {
        "kind": "example: G(z) = J_(d,b)(G_(P,H)(h_xi(2z - 1 + xi)))",
        "output_bits": output_bits,
        "predicate": {"name": predicate.name, "arity": predicate.arity, "truth_table": predicate.truth_table_hex()},
        "construction": construction,
        "hypergraph": hypergraph.to_json(),
        "seed_xi_inverse": xi_inverse,
        "rules": [
            "seed signs: h_xi(2 z_i - 1 + xi) = h_1(2K z_i - K + 1) with K = 1/xi, the same xi as G'",
            "G_(P,H): Goldreich's generator from m to d b signs (Corollary 3.4), reading the seed signs as pairs",
            "J_(d,b)(s)_l = sum_{j=1..b} 2^-(j+1) (s_((l-1)b+j) + 1), merged into the last layer",
        ],
    }
    return generator, description


# Lemma 4.4, the compositions G' = h_xi o G o J in both readings.


@dataclass
class Compositions:
    """The networks of Lemma 4.4 for one generator G: R^m -> R^d, n bits per seed coordinate and 1/xi."""

    generator: Network
    n: int
    xi_inverse: int
    j: Network  # R^(mn) -> R^m
    on_grid: Network  # G o J
    readings: dict[str, Network]  # "literal": h_xi(G(J(x))), "corrected": h_xi(2 G(J(x)) - 1)

    @property
    def seed_bits(self) -> int:
        return self.generator.input_dim * self.n


def check_composition_parameters(m: int, n: int, xi_inverse: int) -> None:
    """Raise InputError unless n >= 1, 1/xi >= 1 and the mn seed bits can be enumerated."""
    if n < 1:
        raise InputError(f"--n must be at least 1, found {n}")
    if xi_inverse < 1:
        raise InputError(f"--xi-inverse must be a positive integer (xi = 1/K <= 1), found {xi_inverse}")
    if m * n > MAX_SEED_BITS:
        raise InputError(f"G' has m n = {m} * {n} = {m * n} seed bits; the exhaustive check is limited to "
                         f"{MAX_SEED_BITS}: lower --n or use a generator with fewer inputs")


def build_compositions(generator: Network, n: int, xi_inverse: int) -> Compositions:
    """Build G o J and both readings of G' = h_xi o G o J."""
    m, d = generator.input_dim, generator.output_dim
    check_composition_parameters(m, n, xi_inverse)

    # Step 1: J from Lemma 3.10 on mn seed bits. J >= 0 on {+-1}^(mn), so Lemma 2.8 as printed (a ReLU on J) is right.
    j = build_j(m, n)
    on_grid, _ = compose(j, generator, mode="literal")

    # Step 2: h_xi on each output of G, as printed and after 2y - 1. G's outputs may be negative, so they pass as pairs.
    readings = {}
    for reading in READINGS:
        gadget = entrywise(h_xi_network(xi_inverse, rescale=reading == "corrected"), d)
        readings[reading], _ = compose(on_grid, gadget, mode="pairs")
    return Compositions(generator, n, xi_inverse, j, on_grid, readings)


# Lemma 4.4, every seed: the outputs y = G(J(x)) and G'(x) in both readings.


def clip_numerators(values: np.ndarray, exponent: int, xi_inverse: int, rescale: bool) -> np.ndarray:
    """Return h_xi(y) (or h_xi(2y - 1)) over 2^exponent for y = values / 2^exponent, from the definition clip(z/xi, -1, 1).

    The caller chooses the integer type: int64 only when (2 max|values| + 2^exponent) / xi < 2^62.
    """
    one = 1 << exponent
    z = values * 2 - one if rescale else values
    return np.clip(z * xi_inverse, -one, one)


@dataclass
class ReadingOutcome:
    """Outcome of one reading of G' on all seeds: counts over (seed, output) pairs and the largest output mean."""

    reading: str
    mismatches: int  # pairs where the network differs from the definition of h_xi
    first_mismatch: dict | None
    plus_one: int
    minus_one: int
    between: int
    first_between: dict | None
    largest_mean: dict  # max over outputs l of |E_x G'(x)_l|, the advantage of the dictator test y -> y_l
    largest_rounded_mean: dict  # the same for sgn(G'(x)_l) with sgn(0) = 1

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class SeedOutcome:
    """Exact results of Lemma 4.4's compositions on all 2^(mn) seeds."""

    seeds: int
    outputs: dict  # the values y = G(J(x)): range and counts
    readings: dict[str, ReadingOutcome]


def _seed_of(index: int, bits: int) -> list[int]:
    return [1 - 2 * ((index >> j) & 1) for j in range(bits)]


def _int64_or_object(arrays: Sequence[np.ndarray], bound: int) -> list[np.ndarray]:
    """Return the arrays as int64 when ``bound`` (a bound on every intermediate value) is below 2^62, else as Python integers."""
    if bound < 1 << 62 and all(array.dtype == np.int64 for array in arrays):
        return list(arrays)
    return [array.astype(object) for array in arrays]


def _fraction(numerator, exponent: int) -> Fraction:
    return Fraction(int(numerator), 1 << exponent)


def _largest_mean(sums: np.ndarray, denominator: int) -> dict:
    """Return the first output with the largest |sum| / denominator, and that mean (signed)."""
    magnitudes = np.abs(sums.astype(object))
    output = int(np.argmax(magnitudes)) if len(sums) else 0
    return {"output": output, "mean": str(Fraction(int(sums[output]), denominator))}


def evaluate_compositions(compositions: Compositions, progress: Progress = _quiet) -> SeedOutcome:
    """Evaluate G o J and both readings of G' on every seed and compare each with the definition of h_xi."""
    bits, xi_inverse = compositions.seed_bits, compositions.xi_inverse
    seeds = 1 << bits
    progress(f"evaluating G o J on all {seeds} seeds ...")
    values, exponent = evaluate_on_hypercube(compositions.on_grid, progress)
    one = 1 << exponent
    largest = int(np.abs(values).max())
    (values,) = _int64_or_object([values], (2 * largest + one) * xi_inverse)

    # Step 1: the outputs y = G(J(x)).
    band = np.abs(values * 2 - one) * xi_inverse < one  # |2y - 1| < xi
    outputs = {
        "values": int(values.size),
        "min": str(_fraction(values.min(), exponent)),
        "max": str(_fraction(values.max(), exponent)),
        "outside_unit_interval": int(np.count_nonzero((values < 0) | (values > one))),
        "at_least_xi": int(np.count_nonzero(values * xi_inverse >= one)),
        "equal_to_half": int(np.count_nonzero(values * 2 == one)),
        "within_xi_of_half": int(np.count_nonzero(band)),
    }

    # Step 2: each reading against the definition, then its counts.
    readings = {}
    for reading in READINGS:
        progress(f"evaluating the {reading} G' on all {seeds} seeds ...")
        network_values, network_exponent = evaluate_on_hypercube(compositions.readings[reading], progress)
        network_largest = int(np.abs(network_values).max())
        bound = max((2 * largest + one) * xi_inverse << network_exponent, (network_largest * one) << bits)
        own_values, network_values = _int64_or_object([values, network_values], bound)
        expected = clip_numerators(own_values, exponent, xi_inverse, reading == "corrected")
        differs = network_values * one != expected * (1 << network_exponent)
        readings[reading] = _reading_outcome(reading, network_values, network_exponent, expected, exponent, differs, bits)
    return SeedOutcome(seeds, outputs, readings)


def _reading_outcome(reading, network_values, network_exponent, expected, exponent, differs, bits) -> ReadingOutcome:
    """Count the reading's outputs; the caller chose an integer type in which sums over all 2^bits seeds are exact."""
    one = 1 << network_exponent
    first_mismatch = None
    mismatches = int(np.count_nonzero(differs))
    if mismatches:
        seed, output = (int(i) for i in np.argwhere(differs.T)[0])
        first_mismatch = {"seed": _seed_of(seed, bits), "output": output,
                          "expected": str(_fraction(expected[output, seed], exponent)),
                          "network": str(_fraction(network_values[output, seed], network_exponent))}

    between = (network_values != one) & (network_values != -one)
    first_between = None
    if between.any():
        seed, output = (int(i) for i in np.argwhere(between.T)[0])
        first_between = {"seed": _seed_of(seed, bits), "output": output,
                         "value": str(_fraction(network_values[output, seed], network_exponent))}

    seeds = network_values.shape[1]
    rounded = np.where(network_values >= 0, 1, -1)
    return ReadingOutcome(
        reading=reading,
        mismatches=mismatches,
        first_mismatch=first_mismatch,
        plus_one=int(np.count_nonzero(network_values == one)),
        minus_one=int(np.count_nonzero(network_values == -one)),
        between=int(np.count_nonzero(between)),
        first_between=first_between,
        largest_mean=_largest_mean(network_values.sum(axis=1), seeds * one),
        largest_rounded_mean=_largest_mean(rounded.sum(axis=1), seeds),
    )


# Lemma 4.4, step 2 for one coordinate: the law of h_xi(u), or h_xi(2u - 1), for u uniform on [0, 1].


def _integral_of_absolute(width: Fraction, left: Fraction, right: Fraction) -> Fraction:
    """Return the integral of |g| over an interval of this width, for g linear with these end values."""
    if left * right >= 0:
        return width * (abs(left) + abs(right)) / 2
    return width * (left * left + right * right) / (2 * (abs(left) + abs(right)))


def uniform_image_law(xi: Fraction, reading: str) -> dict:
    """Return the mean of h_xi(v) and W_1(U_1, h_xi(v)) for v = u (literal) or v = 2u - 1 (corrected), u uniform on [0, 1].

    Both come from the CDF. For -1 <= t < 1, P[h_xi(v) <= t] = P[v <= xi t], which is
    linear in t between the breaks where xi t meets the ends of v's range. U_1's CDF is
    1/2 on [-1, 1), so W_1 = integral over [-1, 1] of |1/2 - F(t)|, and, because h_xi takes
    values in [-1, 1], the mean is -1 + integral over [-1, 1] of (1 - F(t)).
    """
    scale, offset = (Fraction(2), Fraction(-1)) if reading == "corrected" else (Fraction(1), Fraction(0))

    def cdf(t: Fraction) -> Fraction:
        return min(max((xi * t - offset) / scale, Fraction(0)), Fraction(1))

    breaks = sorted({Fraction(-1), Fraction(1)} | {t for t in (offset / xi, (scale + offset) / xi) if -1 < t < 1})
    wasserstein, mean = Fraction(0), Fraction(-1)
    for left, right in zip(breaks, breaks[1:]):
        width = right - left
        wasserstein += _integral_of_absolute(width, Fraction(1, 2) - cdf(left), Fraction(1, 2) - cdf(right))
        mean += width * (2 - cdf(left) - cdf(right)) / 2
    return {"mean": mean, "w1": wasserstein}


# Lemma 4.5: the function h_d of a Boolean generator, by brute force over all 2^m seeds.


@dataclass
class SeedTable:
    """G(y) for every seed y in truth-table order, as a seeds-by-d array of +-1 (int8)."""

    table: np.ndarray
    rounded: int  # outputs that were not +-1 and were rounded by sgn (sgn(0) = 1)

    @property
    def m(self) -> int:
        return int(self.table.shape[0]).bit_length() - 1

    @property
    def d(self) -> int:
        return int(self.table.shape[1])


def boolean_table(network: Network, round_to_sign: bool = False, progress: Progress = _quiet) -> SeedTable:
    """Evaluate a generator on all 2^m seeds; its outputs must be +-1 unless ``round_to_sign``.

    Raises InputError naming the first seed and output whose value is not +-1.
    """
    values, exponent = evaluate_on_hypercube(network, progress)
    one = 1 << exponent
    boolean = (values == one) | (values == -one)
    rounded = int(values.size - np.count_nonzero(boolean))
    if rounded and not round_to_sign:
        output, seed = np.argwhere(~boolean)[0]
        value = _fraction(values[output, seed], exponent)
        raise InputError(f"the generator's output {int(output)} at seed {_seed_of(int(seed), network.input_dim)} is {value}, not +-1; "
                         "Lemma 4.5 needs a Boolean generator (pass --round-to-sign to analyse sgn(G) with sgn(0) = 1)")
    table = np.where(values >= 0, 1, -1).astype(np.int8).T.copy()
    return SeedTable(table, rounded)


def generator_range(table: np.ndarray) -> np.ndarray:
    """Return the range R of G, as the distinct rows of the seed table in sorted order."""
    return np.unique(table, axis=0)


class HardFunction:
    """h_d(x) = 1 when x = G(y) for some seed y, -1 otherwise (Lemma 4.5)."""

    def __init__(self, range_rows: np.ndarray):
        self.d = int(range_rows.shape[1])
        self._members = {row.tobytes() for row in np.asarray(range_rows, dtype=np.int8)}

    def __call__(self, x: Sequence[int]) -> int:
        row = np.asarray(x, dtype=np.int8)
        if row.shape != (self.d,) or not np.all(np.abs(row) == 1):
            raise ValueError(f"h_d takes a vector of {self.d} values +-1, found {list(x)}")
        return 1 if row.tobytes() in self._members else -1

    def __len__(self) -> int:
        return len(self._members)


# Lemma 4.5, the tests f and the proof's chain for each.

TEST_FAMILIES = (
    {"family": "constant", "circuit": "one threshold gate sgn(0 - b): depth 1, size 1"},
    {"family": "dictator", "circuit": "one threshold gate sgn(+-x_l): depth 1, size 1"},
    {"family": "pair product", "circuit": "XOR of two inputs as threshold gates: depth 2, size 3"},
)
# The steps of the proof's chain, one per pair of consecutive lines; "sum" is the last line's identity
# P_U[f = -1] + P_U[f = 1] = 1, an equality.
CHAIN_STEPS = ("union_bound", "range_size", "fooling", "sum")
TEST_ORDER = ("constants +1, -1; then for l = 0..d-1 the dictators x[l], -x[l]; then for l < l' the products "
              "x[l]*x[l'], -x[l]*x[l']; ties go to the first test in this order")


def test_name(sign: int, coordinates: tuple[int, ...]) -> str:
    """Return the name of the test sign * prod_{l in coordinates} x[l], such as "-x[2]*x[7]" or "1"."""
    body = "*".join(f"x[{l}]" for l in coordinates) or "1"
    return body if sign > 0 else f"-{body}"


def character_sums(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (sum of x_l, sum of x_l x_l') over the rows of a +-1 matrix, exactly.

    float64 products are exact here because every partial sum is an integer of
    magnitude at most the number of rows, at most 2^20 < 2^53.
    """
    singles = rows.sum(axis=0, dtype=np.int64)
    pairs = np.zeros((rows.shape[1], rows.shape[1]), dtype=np.int64)
    for start in range(0, rows.shape[0], 1 << 16):
        block = rows[start:start + (1 << 16)].astype(np.float64)
        pairs += np.rint(block.T @ block).astype(np.int64)
    return singles, pairs


@dataclass
class TestResult:
    """The exact quantities of Lemma 4.5's proof for one test f."""

    name: str
    advantage: Fraction  # eps_f = |E f(G(U_m)) - E f(U_d)|
    lines: list[Fraction]  # the five lines of the proof's chain; the first is P_D[f = h_d]

    @property
    def agreement(self) -> Fraction:
        return self.lines[0]


def chain_for_test(sign: int, constant: bool, seed_sum: int, range_sum: int, m: int, d: int, range_size: int) -> tuple[Fraction, list[Fraction]]:
    """Return eps_f and the proof's five lines for f = sign * chi_T, from chi_T's sums over the seeds and over R.

    ``constant`` is T = {} (chi_T = 1); otherwise E chi_T(U_d) = 0.
    """
    mean_generator = Fraction(sign * seed_sum, 1 << m)
    mean_uniform = Fraction(sign if constant else 0)
    advantage = abs(mean_generator - mean_uniform)
    uniform_minus = (1 - mean_uniform) / 2  # P_U[f = -1]
    uniform_plus = 1 - uniform_minus
    generator_plus = (1 + mean_generator) / 2  # P_G[f = 1] = P_G[f = h_d]
    uniform_agreement = uniform_minus + Fraction(sign * range_sum, 1 << d)
    half = Fraction(1, 2)
    lines = [
        half * uniform_agreement + half * generator_plus,
        half * (uniform_minus + Fraction(range_size, 1 << d)) + half * generator_plus,
        half * (uniform_minus + Fraction(2) ** (m - d)) + half * generator_plus,
        half * (uniform_minus + Fraction(2) ** (m - d)) + half * (uniform_plus + advantage / 2),
        half + advantage / 4 + Fraction(2) ** (m - d - 1),
    ]
    return advantage, lines


@dataclass
class HardnessOutcome:
    """Lemma 4.5 on one Boolean generator: its range, every test's chain, and the extremes."""

    m: int
    d: int
    range_size: int
    tests: int
    largest_advantage: TestResult
    largest_agreement: TestResult
    step_violations: dict[str, int]  # tests where a line of the chain exceeds the next


def each_test(table: np.ndarray, range_rows: np.ndarray):
    """Yield (sign, coordinates, seed sum, range sum) for every test, in TEST_ORDER."""
    seeds, d = table.shape
    single_seed, pair_seed = character_sums(table)
    single_range, pair_range = character_sums(range_rows)
    for sign in (1, -1):
        yield sign, (), seeds, len(range_rows)
    for l in range(d):
        for sign in (1, -1):
            yield sign, (l,), int(single_seed[l]), int(single_range[l])
    for l in range(d):
        for other in range(l + 1, d):
            for sign in (1, -1):
                yield sign, (l, other), int(pair_seed[l, other]), int(pair_range[l, other])


def analyse_hardness(seed_table: SeedTable, progress: Progress = _quiet) -> HardnessOutcome:
    """Compute h_d's range and, for every test, eps_f, P_D[f = h_d] and the proof's chain, exactly."""
    table, m, d = seed_table.table, seed_table.m, seed_table.d
    progress(f"range of G over all {1 << m} seeds ...")
    range_rows = generator_range(table)
    range_size = len(range_rows)

    progress("tests: constants, dictators and pair products ...")
    violations = dict.fromkeys(CHAIN_STEPS, 0)
    count, best_advantage, best_agreement = 0, None, None
    for sign, coordinates, seed_sum, range_sum in each_test(table, range_rows):
        advantage, lines = chain_for_test(sign, not coordinates, seed_sum, range_sum, m, d, range_size)
        result = TestResult(test_name(sign, coordinates), advantage, lines)
        count += 1
        for step, left, right in zip(CHAIN_STEPS, lines, lines[1:]):
            violations[step] += left > right if step != "sum" else left != right
        if best_advantage is None or advantage > best_advantage.advantage:
            best_advantage = result
        if best_agreement is None or result.agreement > best_agreement.agreement:
            best_agreement = result
    return HardnessOutcome(m, d, range_size, count, best_advantage, best_agreement, violations)


def stated_bound(eps: Fraction, m: int, d: int) -> Fraction:
    """Return Lemma 4.5's 1/2 + eps'(m) with eps'(m) = eps/4 + 2^(m-d-1)."""
    return Fraction(1, 2) + eps / 4 + Fraction(2) ** (m - d - 1)
