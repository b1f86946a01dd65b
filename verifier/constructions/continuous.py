"""Theorem 3.1: a generator on Gaussian seeds, G(x) = G_0(h_xi(x)) with G_0 = H o J o G' (Theorem 3.7).

The chain, with base-2 logarithms throughout (Fact 3.9 needs n >= log2(1/eps)):

* Lemma 3.10: n = ceil(log2(1/eps)), s = r n and J: R^s -> R^r with
  J(y)_i = <w, y_(S_i) + 1>, w = (1/4, 1/8, ..., 2^-(n+1)), S_i the i-th block of n
  coordinates. On {+-1}^s, J(y)_i is the n-bit binary fraction with bits (y + 1)/2.
* Lemma 2.17: the target H = W_L psi(W_(L-1) ... psi(W_1 x)), with the leaky ReLU
  psi(z) = (1 - lambda) phi(z) - lambda phi(-z) written as two ReLU units.
* Theorem 3.7: G' is the projection onto the first s seed coordinates when s <= m,
  and Goldreich's generator {+-1}^m -> {+-1}^s otherwise; G_0 = H o J o G'.
* Lemma 3.12: h_xi(x) = phi(x/xi + 1) - phi(x/xi - 1) - 1 = clip(x/xi, -1, 1).
* Lemma 3.13: xi' = eps / (Lambda'' sqrt((2/pi) m^3 d)) and xi = 1/ceil(1/xi'), with
  Lambda'' the certified Lipschitz upper bound of G_0; G = G_0 o h_xi entrywise.

Readings where the printed formulas are garbled or loose, as implemented:

* Theorem 3.1, item 1 is read from its proof: tau = max(tau'', log2(1/xi)),
  Lambda = Lambda'' sqrt(m) / xi, L = L'' + 2 and S = 3m + S'', where (tau'',
  Lambda'', L'', S'') is G_0's class from Theorem 3.7's proof: Lemma 2.8 applied to
  J' = H o J and then to J' o G', so tau'' = max(tau_G', n + 1, tau'),
  Lambda'' = Lambda_G' Lambda_J Lambda' sqrt(r) sqrt(s), L'' = L_G' + 1 + L' and
  S'' = (S_G' + 1) s + r + S'.
* Lemma 2.17's diversity exponent is read from its proof with r = 1/3 and
  N = 1/(2 alpha_L): log2 N = (k_0/2) log2(k_0/2) - (k_1 + ... + k_(L-1)) - 1 and
  beta = r_L / 2. The proof's r_L uses Lemma 2.19's sigma_min >= gamma/(2(1 + gamma)),
  whose step 1 - sqrt((d-1)/n) >= gamma/(1 + gamma) is false in general, so here
  r_L = (1/3) lambda^(L-1) prod_i sigma_i with sigma_i a proved lower bound on the
  smallest singular value of the drawn W_i.

Compositions: Lemma 2.8 as printed puts a ReLU on the inner map's outputs, which is
right only where they are non-negative. J's outputs are (J >= 0 on {+-1}^s), so H o J
uses the printed form. G' and h_xi have signed outputs, so J' o G' and G_0 o h_xi carry
each signed value as the pair (phi(z), phi(-z)), one unit per inner output more than
Lemma 2.8 counts.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np

from verifier.claims import make_claim
from verifier.combinators import compose
from verifier.constructions.goldreich import Hypergraph, build_goldreich, draw_hypergraph, place_copies
from verifier.decimals import bound_text
from verifier.dyadic import Dyadic, parse_exact
from verifier.errors import InputError
from verifier.network import Layer, Network

LEAKY_DEFAULTS = {"r": 8, "d": 200, "slope": Fraction(1, 4), "tau": 12}
EXPANSION = Fraction(11, 10)  # Lemma 2.17 needs k_i >= 1.1 k_(i-1)
DIVERSITY_RADIUS = Fraction(1, 3)  # the r of Lemma 2.17's proof
_SIGMA_MARGIN = 2.0**-10


# Lemma 3.10: the map J.


def bits_per_output(eps: Fraction) -> int:
    """Return n = ceil(log2(1/eps)) exactly, for 0 < eps < 1."""
    inverse = 1 / Fraction(eps)
    n = (inverse.numerator // inverse.denominator).bit_length() - 1  # floor(log2(1/eps))
    return n if Fraction(2) ** n >= inverse else n + 1


def build_j(r: int, n: int) -> Network:
    """Return J: R^(r n) -> R^r, J(y)_i = sum_j 2^-(j+1) (y_((i-1)n + j) + 1) (Lemma 3.10), as one affine layer."""
    weights = [Dyadic(1).shift(-(j + 1)) for j in range(1, n + 1)]
    offset = sum(weights, Dyadic(0))
    entries = [(i, i * n + j, weights[j]) for i in range(r) for j in range(n)]
    return Network(r * n, [Layer.from_entries((r, r * n), entries, [offset] * r)])


def j_weight_norm_squared(n: int) -> Fraction:
    """Return ||w||^2 = sum_{j=1..n} 4^-(j+1) = (1 - 4^-n)/12, the squared Lipschitz constant of each J_i."""
    return sum((Fraction(1, 4 ** (j + 1)) for j in range(1, n + 1)), Fraction(0))


# Lemma 2.17: the random expansive leaky-ReLU target.


@dataclass
class LeakyTarget:
    """A drawn Lemma 2.17 network: integer weights M_i with W_i = M_i / 2^tau, and its ReLU form."""

    widths: list[int]  # k_0, ..., k_L
    slope: Dyadic
    tau: int
    seed: int
    matrices: list[np.ndarray]  # integer numerators, shape (k_i, k_(i-1))
    network: Network


def default_widths(r: int, d: int) -> list[int]:
    """Return k_0 = r, doubling while below d, then k_L = d (dropping the last doubled width if d < 1.1 times it)."""
    if d * EXPANSION.denominator < r * EXPANSION.numerator:
        raise InputError(f"Lemma 2.17 needs an expansive network, d >= 1.1 r; found r = {r}, d = {d}")
    widths = [r]
    while 2 * widths[-1] < d:
        widths.append(2 * widths[-1])
    if len(widths) > 1 and d * EXPANSION.denominator < widths[-1] * EXPANSION.numerator:
        widths.pop()
    return widths + [d]


def draw_leaky_target(widths: Sequence[int], slope: Dyadic, tau: int, seed: int) -> LeakyTarget:
    """Draw W_i with entries N(0, 1/k_i) from numpy.random.default_rng(seed), rounded to multiples of 2^-tau.

    Layers are drawn in order, each as rng.standard_normal((k_i, k_(i-1))) / sqrt(k_i);
    the float only proposes the value and the rounded integer matrix is the weight.
    """
    rng = np.random.default_rng(seed)
    matrices = []
    for previous, width in zip(widths[:-1], widths[1:]):
        drawn = rng.standard_normal((width, previous)) / math.sqrt(width)
        matrices.append(np.rint(np.ldexp(drawn, tau)).astype(np.int64))
    return LeakyTarget(list(widths), slope, tau, seed, matrices, leaky_relu_network(matrices, slope, tau, widths[0]))


def leaky_relu_network(matrices: Sequence[np.ndarray], slope: Dyadic, tau: int, input_dim: int) -> Network:
    """Write x -> W_L psi(... psi(W_1 x)) as a ReLU network with psi(z) = (1 - lambda) phi(z) - lambda phi(-z).

    Hidden layer i contains (phi(z), phi(-z)) for z = W_i a, so the next layer's weight
    matrix is W_(i+1) [(1 - lambda) I, -lambda I].
    """
    keep = Dyadic(1) - slope
    layers = []
    for index, matrix in enumerate(matrices):
        rows, cols = matrix.shape
        entries = []
        for i, j in zip(*np.nonzero(matrix)):
            weight = Dyadic(int(matrix[i, j]), tau)
            if index == 0:
                entries.append((i, j, weight))
            else:
                entries += [(i, j, weight * keep), (i, cols + j, -(weight * slope))]
        in_dim = input_dim if index == 0 else 2 * cols
        if index < len(matrices) - 1:
            entries += [(rows + i, j, -v) for i, j, v in entries]
            layers.append(Layer.from_entries((2 * rows, in_dim), entries))
        else:
            layers.append(Layer.from_entries((rows, in_dim), entries))
    return Network(input_dim, layers)


def prove_smallest_singular_value(matrix: np.ndarray, scale: int) -> tuple[Fraction, Fraction]:
    """Return proved (lower, upper) bounds on sigma_min(W)^2 for W = matrix / 2^scale with at least as many rows as columns.

    Lower: a float estimate proposes l slightly below sigma_min^2; M^T M - 4^scale l I is
    then shown positive definite exactly, by the signs of its leading principal minors
    from flint's fraction-free LU. Upper: ||W v||^2 / ||v||^2 for a dyadic v near the
    smallest right singular vector.
    """
    import flint

    rows, cols = matrix.shape
    exact = [[int(v) for v in row] for row in matrix.tolist()]
    product = flint.fmpz_mat(exact).transpose() * flint.fmpz_mat(exact)
    gram = [[int(product[i, j]) for j in range(cols)] for i in range(cols)]
    singular_values = np.linalg.svd(np.ldexp(matrix.astype(np.float64), -scale), compute_uv=False)
    estimate = float(singular_values[-1]) ** 2

    lower = Fraction(0)
    proposal = Fraction(estimate * (1 - _SIGMA_MARGIN)).limit_denominator(1 << 40)
    while proposal > 0:
        if _positive_definite(gram, proposal * 4**scale):
            lower = proposal
            break
        proposal = proposal / 2 if proposal > Fraction(1, 1 << 40) else Fraction(0)

    _, _, vt = np.linalg.svd(np.ldexp(matrix.astype(np.float64), -scale))
    vector = [round(float(x) * 2**30) for x in vt[-1]]
    image = flint.fmpz_mat(exact) * flint.fmpz_mat([[v] for v in vector])
    image_squared = sum(int(image[i, 0]) ** 2 for i in range(rows))
    upper = Fraction(image_squared, 4**scale * sum(v * v for v in vector))
    return lower, upper


def _positive_definite(gram: list[list[int]], shift: Fraction) -> bool:
    """Return whether gram - shift I is positive definite, exactly: every leading principal minor > 0."""
    import flint

    size = len(gram)
    denominator = shift.denominator
    scaled = [[gram[i][j] * denominator - (shift.numerator if i == j else 0) for j in range(size)] for i in range(size)]
    permutation, _, _, upper = flint.fmpz_mat(scaled).fflu()
    if not permutation.is_one():
        return False  # a zero leading minor forced a row swap
    return all(upper[i, i] > 0 for i in range(size))


def lemma_2_19_step(d: int, n: int) -> dict:
    """Evaluate Lemma 2.19's step 1 - sqrt((d-1)/n) >= gamma/(1 + gamma) with gamma = n/d - 1, exactly.

    gamma/(1 + gamma) = 1 - d/n, so the step states sqrt((d-1)/n) <= d/n, that is n (d - 1) <= d^2.
    """
    holds = n * (d - 1) <= d * d
    return {"d": d, "n": n, "gamma": str(Fraction(n, d) - 1), "step_holds": holds,
            "comparison": f"n (d - 1) = {n * (d - 1)} {'<=' if holds else '>'} d^2 = {d * d}"}


def diversity_from_singular_values(widths: Sequence[int], slope: Fraction, sigma_squared_lower: Sequence[Fraction]) -> dict:
    """Return the (N, beta) diversity that Lemma 2.17's proof gives with proved singular values in place of Lemma 2.19.

    Q_(D_1)(sigma_1 r) <= (18 r^2 / k_0)^(k_0/2) (Fact 2.3, with W_1 injective),
    Q_(D_(i+1))(lambda sigma_(i+1) r_i) <= 2^(k_i) alpha_i (Lemmas 2.18 and 2.19's
    argument), and Lemma 2.15 with N = 1/(2 alpha_L) gives beta = r_L / 2.
    """
    import sympy

    k0 = widths[0]
    hidden = sum(widths[1:-1])
    r = sympy.Rational(DIVERSITY_RADIUS.numerator, DIVERSITY_RADIUS.denominator)
    log2_alpha = sympy.Rational(k0, 2) * sympy.log(18 * r**2 / k0, 2) + hidden
    log2_n = sympy.nsimplify(-1 - log2_alpha)
    sigma = sympy.Integer(1)
    for square in sigma_squared_lower:
        sigma *= sympy.sqrt(sympy.Rational(square.numerator, square.denominator))
    radius = r * sympy.Rational(slope.numerator, slope.denominator) ** (len(widths) - 2) * sigma
    return {
        "radius_r": str(DIVERSITY_RADIUS),
        "log2_N": str(sympy.simplify(log2_n)),
        "log2_N_formula": "(k_0/2) log2(k_0/2) - (k_1 + ... + k_(L-1)) - 1",
        "beta": str(sympy.simplify(radius / 2)),
        "beta_formula": "r_L / 2 with r_L = (1/3) lambda^(L-1) prod_i sigma_i",
        "log2_N_value": log2_n,
    }


# Lemma 3.12: the clipping gadget h_xi.


def h_xi_definition(x: Fraction, xi: Fraction) -> Fraction:
    """Return h_xi(x) from its definition: -1 for x <= -xi, x/xi for |x| < xi, 1 for x >= xi."""
    if x <= -xi:
        return Fraction(-1)
    if x >= xi:
        return Fraction(1)
    return x / xi


def check_h_xi(gadget: Network, xi_inverse: int) -> dict:
    """Evaluate the h_xi network exactly at and on both sides of -xi, 0 and +xi, and find its Lipschitz constant.

    The gadget is piecewise linear in one variable with breaks where a hidden unit's
    pre-activation is zero, so its Lipschitz constant is the largest |slope| between
    consecutive breaks (and beyond the outer ones), computed from exact values.
    """
    from verifier.reference import evaluate_fraction

    xi = Fraction(1, xi_inverse)
    offsets = [Fraction(0), xi / 4, -xi / 4, xi / 1024, -xi / 1024]
    points = sorted({c + o for c in (-xi, Fraction(0), xi) for o in offsets} | {-2 * xi, 2 * xi, Fraction(-1), Fraction(1), Fraction(-1000), Fraction(1000)})
    mismatches = []
    for x in points:
        got = evaluate_fraction(gadget, [x])[0]
        want = h_xi_definition(x, xi)
        if got != want:
            mismatches.append({"x": str(x), "expected": str(want), "network": str(got)})

    first = gadget.layers[0]
    breaks = sorted({-Fraction(int(b), 1 << first.scale) / Fraction(int(w), 1 << first.scale)
                     for w, b, r in zip(first.values.tolist(), first.bias.tolist(), first.rows.tolist()) if w})
    span = max(abs(b) for b in breaks) + 1
    knots = [breaks[0] - span] + breaks + [breaks[-1] + span]
    values = [evaluate_fraction(gadget, [x])[0] for x in knots]
    slopes = [abs((b - a) / (y - x)) for x, y, a, b in zip(knots, knots[1:], values, values[1:])]

    # Lemma 2.8 as printed would pass h_xi's output through a ReLU before G_0.
    literal = max(evaluate_fraction(gadget, [Fraction(-1)])[0], Fraction(0))
    return {
        "points": [str(x) for x in points],
        "mismatches": mismatches,
        "breaks": [str(b) for b in breaks],
        "lipschitz": str(max(slopes)),
        "lipschitz_method": "exact: largest |slope| between consecutive breaks of a piecewise-linear function of one variable",
        "literal_lemma_2_8": {"x": "-1", "expected": "-1", "relu_of_h": str(literal)},
    }


def entrywise(gadget: Network, m: int) -> Network:
    """Return x -> (g(x_1), ..., g(x_m)) for a one-input network g."""
    return place_copies(gadget, Hypergraph(m, 1, tuple((i,) for i in range(m))))


# Lemma 3.13: xi from the certified Lambda''.


def pi_bounds(bits: int) -> tuple[Fraction, Fraction]:
    """Return rationals lo < pi < hi with hi - lo < 2^-bits, from Machin's formula pi = 16 atan(1/5) - 4 atan(1/239).

    Partial sums of the alternating Taylor series of atan(1/q) bracket it, so the
    brackets combine into a bracket of pi.
    """
    def atan_bracket(q: int) -> tuple[Fraction, Fraction]:
        total, term, sign, k = Fraction(0), Fraction(1, q), 1, 0
        while True:
            previous = total
            total += sign * term / (2 * k + 1)
            if term / (2 * k + 1) < Fraction(1, 1 << (bits + 8)):
                return (min(previous, total), max(previous, total))
            sign, k, term = -sign, k + 1, term / (q * q)

    low5, high5 = atan_bracket(5)
    low239, high239 = atan_bracket(239)
    return 16 * low5 - 4 * high239, 16 * high5 - 4 * low239


def xi_inverse_from_lemma_3_13(eps: Fraction, lipschitz: Fraction, m: int, d: int) -> tuple[int, str]:
    """Return ceil(1/xi') = ceil(Lambda'' sqrt((2/pi) m^3 d) / eps) exactly, with the method that confirmed it.

    sympy evaluates the ceiling of the exact expression. The value is then confirmed
    with integers only: with a = Lambda''^2 2 m^3 d / eps^2 the ceiling is the least N
    with N^2 pi >= a, and rational bounds lo < pi < hi pin N down once
    ceil(sqrt(a/hi)) = ceil(sqrt(a/lo)).
    """
    import sympy

    symbolic = sympy.ceiling(
        sympy.Rational(lipschitz.numerator, lipschitz.denominator)
        * sympy.sqrt(sympy.Rational(2) / sympy.pi * m**3 * d)
        / sympy.Rational(eps.numerator, eps.denominator)
    )
    square = lipschitz**2 * 2 * m**3 * d / eps**2
    bits = 64
    while True:
        low, high = pi_bounds(bits)
        smallest, largest = _ceil_sqrt(square / high), _ceil_sqrt(square / low)
        if smallest == largest:
            break
        bits *= 2
    if int(symbolic) != smallest:
        raise AssertionError(f"sympy's ceiling {symbolic} differs from the one confirmed with bounds on pi, {smallest}")
    return smallest, f"exact: sympy ceiling, confirmed by rational bounds on pi within 2^-{bits} (Machin's formula)"


def _ceil_sqrt(value: Fraction) -> int:
    """Return the least integer N >= 0 with N^2 >= value."""
    root = math.isqrt(value.numerator // value.denominator)
    while root * root < value:
        root += 1
    return root


# Sampling on Gaussian seeds.


def float_points_to_integers(points: np.ndarray) -> tuple[np.ndarray, int]:
    """Write float64 points (one per row) exactly as an integer matrix (coordinates by points) over 2^exponent."""
    mantissas, exponents = np.frexp(points.T)
    integers = np.ldexp(mantissas, 53).astype(np.int64)
    shifts = 53 - exponents.astype(np.int64)
    exponent = int(max(0, shifts[integers != 0].max(initial=0)))
    lifts = exponent - shifts
    if int(lifts.max(initial=0)) + 53 < 62:
        return integers << lifts, exponent
    exact = np.empty(integers.shape, dtype=object)
    exact.reshape(-1)[:] = [int(v) << int(s) for v, s in zip(integers.reshape(-1).tolist(), lifts.reshape(-1).tolist())]
    return exact, exponent


@dataclass
class SampledCheck:
    """Outcome of the sampled checks: the count of the event E^c and of G(g) = G_0(sgn(g)) outside it."""

    samples: int
    seed: int
    inside_band: int  # samples with some |g_i| < xi (the event E^c)
    agreements: int  # samples outside E^c with G(g) = G_0(sgn(g)) exactly
    first_disagreement: int | None = None


def sample_gaussian_identity(generator: Network, base: Network, xi_inverse: int, samples: int, seed: int) -> SampledCheck:
    """Draw standard Gaussian seeds g, count |g_i| < xi exactly and check G(g) = G_0(sgn(g)) outside that event.

    sgn(0) = 1, the paper's sign convention. |g_i| < xi is |numerator| * (1/xi) < 2^exponent.
    """
    from verifier.evaluator import evaluate

    rng = np.random.default_rng(seed)
    points = rng.standard_normal((samples, generator.input_dim))
    matrix, exponent = float_points_to_integers(points)
    inside = np.array([any(abs(int(v)) * xi_inverse < (1 << exponent) for v in column) for column in matrix.T.tolist()])

    full = evaluate(generator, matrix, exponent)
    signs = np.where(points >= 0, 1, -1).T.astype(np.int64)
    reference = evaluate(base, signs, 0, 0)
    agreements, first = 0, None
    for index in range(samples):
        if inside[index]:
            continue
        left = [Fraction(int(v), 1 << full.exponent) for v in full.numerators[:, index].tolist()]
        right = [Fraction(int(v), 1 << reference.exponent) for v in reference.numerators[:, index].tolist()]
        if left == right:
            agreements += 1
        elif first is None:
            first = index
    return SampledCheck(samples, seed, int(inside.sum()), agreements, first)


# Theorem 3.7 and Theorem 3.1: building the chain.


@dataclass
class Chain:
    """Every network of Theorem 3.1's construction."""

    m: int
    eps: Fraction
    n: int
    r: int
    s: int
    d: int
    target: Network
    target_description: dict
    inner: Network  # G'
    goldreich: object | None  # the GoldreichGenerator when s > m
    j: Network
    j_prime: Network  # H o J
    base: Network  # G_0 = H o J o G'
    xi_inverse: int = 0
    xi_method: str = ""
    gadget: Network | None = None
    generator: Network | None = None  # G = G_0 o h_xi
    lemma_2_8: dict = field(default_factory=dict)


def parse_eps(text: str) -> Fraction:
    """Parse eps as an exact number in (0, 1)."""
    try:
        value = parse_exact(text).to_fraction()
    except InputError as error:
        raise InputError(f"--eps: {error}") from None
    if not 0 < value < 1:
        raise InputError(f"--eps must lie strictly between 0 and 1, found {text!r}")
    return value


def build_base(m: int, eps: Fraction, target: Network, predicate, seed: int, construction: str = "tree") -> Chain:
    """Build G_0 = H o J o G' of Theorem 3.7 for the target H: R^r -> R^d."""
    r, d = target.input_dim, target.output_dim

    # Step 1: J from Lemma 3.10, with n = ceil(log2(1/eps)) bits per output.
    n = bits_per_output(eps)
    s = r * n
    j = build_j(r, n)

    # Step 2: G' from Theorem 3.7's proof: a projection when s <= m, else Goldreich's generator.
    goldreich = None
    if s <= m:
        inner = Network(m, [Layer.from_entries((s, m), [(i, i, 1) for i in range(s)])])
    else:
        goldreich = build_goldreich(predicate, draw_hypergraph(m, s, predicate.arity, seed), construction)
        inner = goldreich.network

    # Step 3: J' = H o J (Lemma 3.11, printed Lemma 2.8: J >= 0 on {+-1}^s), then G_0 = J' o G' with signed pairs.
    j_prime, j_stated = compose(j, target, mode="literal")
    base, base_stated = compose(inner, j_prime, mode="pairs")
    return Chain(m, eps, n, r, s, d, target, {}, inner, goldreich, j, j_prime, base,
                 lemma_2_8={"H o J": j_stated, "J' o G'": base_stated})


def attach_gadget(chain: Chain, base_lipschitz: Fraction) -> None:
    """Choose xi by Lemma 3.13 from the certified Lipschitz bound of G_0 and build G = G_0 o h_xi."""
    from verifier.constructions.threshold import h_xi_network

    chain.xi_inverse, chain.xi_method = xi_inverse_from_lemma_3_13(chain.eps, base_lipschitz, chain.m, chain.d)
    chain.gadget = h_xi_network(chain.xi_inverse)
    chain.generator, chain.lemma_2_8["G_0 o h_xi"] = compose(entrywise(chain.gadget, chain.m), chain.base, mode="pairs")


# Theorem 3.1: certificate.

CERTIFICATE_SCHEMA_VERSION = 1
CERTIFICATE_KIND = "theorem-3.1-generator"
SEED_LAW = "standard Gaussian on R^m"


@dataclass
class TheoremResult:
    certificate: dict
    summary: str
    correct: bool  # every built part computes what it should
    findings: list[dict]


def target_from_arguments(arguments) -> tuple[Network, dict, LeakyTarget | None]:
    """Return the target H with its description: a drawn Lemma 2.17 network or a network file."""
    from verifier.network import load_network

    if arguments.target != "leaky-relu":
        if not os.path.exists(arguments.target):
            raise InputError(f"--target {arguments.target}: no such file; --target takes 'leaky-relu' (a random Lemma 2.17 "
                             "network) or the path of a network file")
        if arguments.widths or arguments.target_seed is not None:
            raise InputError("--widths and --target-seed apply only to --target leaky-relu")
        network = load_network(arguments.target)
        for option, value, field_name, found in (("--r", arguments.r, "input_dim", network.input_dim),
                                                  ("--d", arguments.d, "output dimension", network.output_dim)):
            if value is not None and value != found:
                raise InputError(f"{arguments.target}: the target network's {field_name} is {found} but {option} {value} was given")
        return network, {"kind": "network file", "path": arguments.target, "sha256": network.sha256()}, None

    r = arguments.r or LEAKY_DEFAULTS["r"]
    d = arguments.d or LEAKY_DEFAULTS["d"]
    widths = _parse_widths(arguments.widths, r, d) if arguments.widths else default_widths(r, d)
    slope = _parse_slope(arguments.slope)
    seed = arguments.seed if arguments.target_seed is None else arguments.target_seed
    target = draw_leaky_target(widths, slope, arguments.target_tau, seed)
    description = {
        "kind": "random expansive leaky-ReLU network (Lemma 2.17)",
        "widths": widths,
        "slope": str(slope),
        "tau": arguments.target_tau,
        "seed": seed,
        "draw_rule": "numpy.random.default_rng(seed); for i = 1..L in turn rng.standard_normal((k_i, k_(i-1))) / sqrt(k_i), "
                     "rounded to the nearest multiple of 2^-tau",
        "leaky_relu": "psi(z) = (1 - lambda) phi(z) - lambda phi(-z), two ReLU units per leaky unit",
    }
    return target.network, description, target


def _parse_widths(text: str, r: int, d: int) -> list[int]:
    try:
        widths = [int(part) for part in text.split(",")]
    except ValueError:
        raise InputError(f"--widths: expected comma-separated positive integers, found {text!r}") from None
    if any(w < 1 for w in widths):
        raise InputError(f"--widths: expected positive integers, found {text!r}")
    widths = [r] + widths if widths[0] != r else widths
    if widths[-1] != d:
        raise InputError(f"--widths: the last width is the output dimension d = {d}, found {widths[-1]}")
    for previous, width in zip(widths, widths[1:]):
        if width * EXPANSION.denominator < previous * EXPANSION.numerator:
            raise InputError(f"--widths: Lemma 2.17 needs k_i >= 1.1 k_(i-1), but {width} follows {previous}")
    return widths


def _parse_slope(text: str) -> Dyadic:
    try:
        slope = parse_exact(text)
    except InputError as error:
        raise InputError(f"--slope: {error}") from None
    if not 0 < slope <= Dyadic(1, 1):
        raise InputError(f"--slope: lambda must lie in (0, 1/2] (Lemma 2.18), found {text!r}")
    return slope



def _at_most(measured: int, stated: int) -> str:
    return "holds" if measured <= stated else "fails"


def _square_status(upper: Fraction, stated_squared: Fraction) -> str:
    """Return "holds" when the proved upper bound meets the stated value, else "undecided" (no lower bound is proved here)."""
    return "holds" if upper * upper <= stated_squared else "undecided"


def run_theorem_3_1(arguments, predicate, progress: Callable[[str], None]) -> TheoremResult:
    """Build Theorem 3.1's generator from the command-line arguments, certify each part and compare every stated parameter."""
    from verifier import __version__
    from verifier.generator_check import check_goldreich, coordinate_classes, fact_3_9_facts

    # Step 1: inputs, all checked before anything is built.
    eps = parse_eps(arguments.eps)
    target, target_description, leaky = target_from_arguments(arguments)

    # Step 2: G_0 = H o J o G' (Theorem 3.7).
    progress("building G_0 = H o J o G' ...")
    chain = build_base(arguments.m, eps, target, predicate, arguments.seed, arguments.construction)
    chain.target_description = target_description
    m, n, r, s, d = chain.m, chain.n, chain.r, chain.s, chain.d

    # Step 3: certify the parts: G', J, H.
    inner_record, inner_classes, inner_correct = _certify_inner(chain, predicate, arguments.seed, progress, check_goldreich)
    progress("per-coordinate classes of H ...")
    target_classes = coordinate_classes(target, progress)
    target_record, diversity_log2_n = _certify_target(leaky, target_description)
    j_norm_squared = j_weight_norm_squared(n)

    # Step 4: G_0's classes, then xi from Lemma 3.13 with the certified Lambda'', then G.
    progress("per-coordinate classes of G_0 ...")
    base_classes = coordinate_classes(chain.base, progress)
    base_lipschitz = max(c.lipschitz_upper.to_fraction() for c in base_classes)
    progress("choosing xi (Lemma 3.13) and building G = G_0 o h_xi ...")
    attach_gadget(chain, base_lipschitz)
    progress("per-coordinate classes of G ...")
    classes = coordinate_classes(chain.generator, progress)

    # Step 5: exact checks of h_xi and Fact 3.9, then the sampled checks on Gaussian seeds.
    gadget = check_h_xi(chain.gadget, chain.xi_inverse)
    fact = fact_3_9_facts(n, eps)
    progress(f"sampling {arguments.samples} Gaussian seeds ...")
    sampled = sample_gaussian_identity(chain.generator, chain.base, chain.xi_inverse, arguments.samples, arguments.sample_seed)
    composition = _sample_composition(chain, arguments.samples, arguments.sample_seed)

    # Step 6: claims and the certificate.
    parts = {
        "inner": _class_summary(inner_classes), "target": _class_summary(target_classes),
        "base": _class_summary(base_classes), "generator": _class_summary(classes),
        "j_norm_squared": j_norm_squared,
    }
    claims = _theorem_claims(chain, parts, inner_record, target_record, diversity_log2_n, gadget, fact, sampled, composition, m, n, r, s, d)
    findings = [c for c in claims if c["status"] != "holds"]
    correct = inner_correct and not gadget["mismatches"] and sampled.first_disagreement is None and composition["disagreements"] == 0
    certificate = {
        "schema_version": CERTIFICATE_SCHEMA_VERSION,
        "kind": CERTIFICATE_KIND,
        "tool": {"name": "verifier", "version": __version__, "numpy": np.__version__},
        "seed_distribution": SEED_LAW,
        "network_sha256": chain.generator.sha256(),
        "network": chain.generator.to_json(),
        "parameters": {"m": m, "eps": str(eps), "n": n, "r": r, "s": s, "d": d, "seed": arguments.seed,
                       "logarithms": "base 2: n = ceil(log2(1/eps))"},
        "target": {**target_record, "sha256": target.sha256(), "depth": target.depth, "size": target.size, "tau": target.tau()},
        "inner": inner_record,
        "j": {"sha256": chain.j.sha256(), "tau": chain.j.tau(), "depth": chain.j.depth, "size": chain.j.size,
              "weight_norm_squared": str(j_norm_squared), "weights": "2^-(j+1) for j = 1..n on each block of n coordinates, bias 1/2 - 2^-(n+1)"},
        "networks": {
            "j_prime": {"sha256": chain.j_prime.sha256(), "depth": chain.j_prime.depth, "size": chain.j_prime.size, "composition": "Lemma 2.8 as printed (J >= 0 on {-1,+1}^s)"},
            "base": {"sha256": chain.base.sha256(), "depth": chain.base.depth, "size": chain.base.size, "composition": "signed pairs (phi(z), phi(-z)) for G''s outputs"},
            "generator": {"depth": chain.generator.depth, "size": chain.generator.size, "composition": "signed pairs for h_xi's outputs"},
        },
        "lemma_2_8": {name: {"depth": p.depth, "size": p.size, "tau": p.tau} for name, p in chain.lemma_2_8.items()},
        "xi": {"inverse": chain.xi_inverse, "xi": str(Fraction(1, chain.xi_inverse)), "method": chain.xi_method,
               "lambda_base": str(base_lipschitz),
               "formula": "xi' = eps / (Lambda'' sqrt((2/pi) m^3 d)), xi = 1 / ceil(1/xi'), Lambda'' = the largest certified per-coordinate bound of G_0"},
        "h_xi": gadget,
        "fact_3_9": fact,
        "coordinates": {"target": [c.to_json() for c in target_classes], "base": [c.to_json() for c in base_classes],
                        "generator": [c.to_json() for c in classes]},
        "sampling": {
            "gaussian_seed": sampled.seed, "samples": sampled.samples, "inside_band": sampled.inside_band,
            "agreements_outside_band": sampled.agreements, "first_disagreement": sampled.first_disagreement,
            "band": "the event E^c: some |g_i| < xi, counted exactly",
            "band_probability_bound": f"m xi sqrt(2/pi) = {m} sqrt(2/pi) / {chain.xi_inverse}",
            "composition": composition,
        },
        "proved_claims": [c["id"] for c in claims if c["method"].startswith("exact")],
        "sampled_claims": [c["id"] for c in claims if c["method"].startswith("sampled")],
        "claims": claims,
    }
    return TheoremResult(certificate, _theorem_summary(certificate), correct, findings)


def _class_summary(classes) -> dict:
    return {
        "depth": max(c.depth for c in classes),
        "size": max(c.size for c in classes),
        "tau": max(c.tau for c in classes),
        "lipschitz": max(c.lipschitz_upper.to_fraction() for c in classes),
    }


def _certify_inner(chain: Chain, predicate, seed: int, progress, check_goldreich):
    """Certify G': the per-coordinate proof of Goldreich's generator, or the projection's exact class."""
    from verifier.generator_check import CoordinateClass

    if chain.goldreich is None:
        classes = [CoordinateClass(i, 1, 0, 0, Dyadic(1)) for i in range(chain.s)]
        return {"kind": "projection onto the first s seed coordinates", "sha256": chain.inner.sha256()}, classes, True
    progress(f"proving G' (Goldreich, m = {chain.m}, d = s = {chain.s}) for all seeds ...")
    result = check_goldreich(chain.goldreich, 2, seed, progress=progress)
    certificate = result.certificate
    classes = [CoordinateClass(row["output"], row["depth"], row["size"], row["tau"], Dyadic(row["lipschitz_upper"]))
               for row in certificate["coordinates"]]
    record = {
        "kind": "Goldreich's generator (Theorem 3.2)",
        "sha256": certificate["network_sha256"],
        "predicate": certificate["predicate"],
        "hypergraph": certificate["hypergraph"],
        "coordinate_proof": certificate["coordinate_proof"],
        "largest_bias": certificate["biases"]["largest"],
        "claims": certificate["claims"],
    }
    return record, classes, result.proves_generator


def _certify_target(leaky: LeakyTarget | None, description: dict) -> tuple[dict, object]:
    """Add, for a drawn target, the proved smallest singular values, Lemma 2.19's step and the diversity that follows.

    Returns the record and log2 N of the diversity (a sympy number), or None for a target file.
    """
    record = dict(description)
    if leaky is None:
        return record, None
    layers, squares = [], []
    for index, matrix in enumerate(leaky.matrices, start=1):
        lower, upper = prove_smallest_singular_value(matrix, leaky.tau)
        rows, cols = matrix.shape
        gamma = Fraction(rows, cols) - 1
        stated = gamma / (2 * (1 + gamma))
        status = "undecided"
        if lower >= stated**2:
            status = "holds"
        elif upper < stated**2:
            status = "fails"
        layers.append({
            "layer": index, "shape": [rows, cols],
            "sigma_min_squared_lower": str(lower), "sigma_min_squared_upper": str(upper),
            "lemma_2_19_sigma_min": str(stated), "lemma_2_19_status": status,
            "lemma_2_19_step": lemma_2_19_step(cols, rows),
        })
        squares.append(lower)
    diversity = diversity_from_singular_values(leaky.widths, leaky.slope.to_fraction(), squares)
    record["singular_values"] = layers
    record["singular_value_method"] = ("exact: M^T M - l I positive definite by its leading principal minors (flint fraction-free LU); "
                                       "upper bound ||W v||^2 / ||v||^2 for a dyadic v")
    record["diversity"] = {key: value for key, value in diversity.items() if key != "log2_N_value"}
    return record, diversity["log2_N_value"]


def _sample_composition(chain: Chain, samples: int, seed: int) -> dict:
    """Check G_0(x) = H(J(G'(x))) on uniform seeds x, each part evaluated on its own."""
    from verifier.evaluator import evaluate

    rng = np.random.default_rng(seed)
    seeds = 1 - 2 * rng.integers(0, 2, size=(chain.m, samples), dtype=np.int64)
    whole = evaluate(chain.base, seeds, 0, 0)
    bits = evaluate(chain.inner, seeds, 0, 0)
    fractions = evaluate(chain.j, bits.numerators, bits.exponent)
    parts = evaluate(chain.target, fractions.numerators, fractions.exponent)
    disagreements = 0
    for index in range(samples):
        left = [Fraction(int(v), 1 << whole.exponent) for v in whole.numerators[:, index].tolist()]
        right = [Fraction(int(v), 1 << parts.exponent) for v in parts.numerators[:, index].tolist()]
        disagreements += left != right
    return {"uniform_seed": seed, "samples": samples, "disagreements": disagreements,
            "statement": "G_0(x) = H(J(G'(x))) with each part evaluated separately"}


def _theorem_claims(chain, parts, inner, target, diversity, gadget, fact, sampled, composition, m, n, r, s, d) -> list[dict]:
    inner_class, target_class, base, generator = parts["inner"], parts["target"], parts["base"], parts["generator"]
    claims = []

    # Theorem 3.7 (G_0) with the proof's constants.
    tau_base = max(inner_class["tau"], n + 1, target_class["tau"])
    lipschitz_base_squared = inner_class["lipschitz"] ** 2 * parts["j_norm_squared"] * target_class["lipschitz"] ** 2 * r * s
    depth_base = inner_class["depth"] + 1 + target_class["depth"]
    size_base = (inner_class["size"] + 1) * s + r + target_class["size"]
    claims += [
        make_claim("theorem-3.7/tau", "Theorem 3.7, item 1", "tau'' = max(O(log(1/eps)), tau', O(1)); proof's constants: max(tau_G', n + 1, tau')",
               tau_base, base["tau"], _at_most(base["tau"], tau_base), "exact: bit complexity, maximum over outputs"),
        make_claim("theorem-3.7/lipschitz", "Theorem 3.7, item 1",
               "Lambda'' = O(Lambda') poly(m); proof's constants (Lemma 2.8 twice): Lambda_G' Lambda_J Lambda' sqrt(r) sqrt(s) with the certified bounds of the parts",
               f"sqrt({lipschitz_base_squared})", base["lipschitz"], _square_status(base["lipschitz"], lipschitz_base_squared),
               "exact: product of proved layer norms, compared as squares"),
        make_claim("theorem-3.7/depth", "Theorem 3.7, item 1", "L'' = L' + O(1); proof's constants: L_G' + 1 + L'",
               depth_base, base["depth"], _at_most(base["depth"], depth_base), "exact: count of layers"),
        make_claim("theorem-3.7/size", "Theorem 3.7, item 1",
               "S'' = O(r log(1/eps)) + S'; proof's constants: (S_G' + 1) s + r + S'. Lemma 2.8 as printed sends G''s -1 outputs to 0, "
               "and carrying them as signed pairs costs s more units",
               size_base, base["size"], _at_most(base["size"], size_base), "exact: count of hidden units per output, maximum over outputs"),
    ]

    # Lemma 3.10, Fact 3.9 and Lemma 3.12.
    claims += [
        make_claim("lemma-3.10/j-class", "Lemma 3.10", "each J_i is in C^{n+1, O(1)}_{1,0,s}: tau <= n + 1, depth 1, size 0, ||w|| <= 1",
               f"tau {n + 1}, depth 1, size 0, ||w||^2 <= 1", f"tau {chain.j.tau()}, depth {chain.j.depth}, size {chain.j.size}, ||w||^2 = {parts['j_norm_squared']}",
               "holds" if chain.j.tau() <= n + 1 and chain.j.depth == 1 and parts["j_norm_squared"] <= 1 else "fails", "exact"),
        make_claim("fact-3.9/w1", "Fact 3.9", "W_1(h(U_n), I_1) <= 2^-n (the proof's bound, at most eps)",
               fact["stated_bound"], fact["w1"], fact["status"], fact["method"]),
        make_claim("lemma-3.12/values", "Lemma 3.12", "h_xi(x) = phi(x/xi + 1) - phi(x/xi - 1) - 1 equals clip(x/xi, -1, 1) at and on both sides of -xi, 0 and xi",
               "0 mismatches", f"{len(gadget['mismatches'])} mismatches at {len(gadget['points'])} points",
               "holds" if not gadget["mismatches"] else "fails", "exact: Fraction evaluation"),
        make_claim("lemma-3.12/lipschitz", "Lemma 3.12", "h_xi is 1/xi-Lipschitz",
               chain.xi_inverse, gadget["lipschitz"], "holds" if Fraction(gadget["lipschitz"]) <= chain.xi_inverse else "fails", gadget["lipschitz_method"]),
        make_claim("lemma-3.12/class", "Lemma 3.12", "h_xi is in C^{tau,1/xi}_{2,2,1} with 1/xi in R_tau",
               f"depth 2, size 2, tau {Dyadic(chain.xi_inverse).tau()}", f"depth {chain.gadget.depth}, size {chain.gadget.size}, tau {chain.gadget.tau()}",
               "holds" if (chain.gadget.depth, chain.gadget.size) == (2, 2) and chain.gadget.tau() <= Dyadic(chain.xi_inverse).tau() else "fails",
               "exact: count of layers and units, bit complexity"),
    ]

    # Lemma 3.13 and Theorem 3.1 (G) with the proof's constants.
    band_squared = base["lipschitz"] ** 2 * 2 * m**3 * d / Fraction(chain.xi_inverse) ** 2
    low, _ = pi_bounds(64)
    claims.append(make_claim(
        "lemma-3.13/w1", "Lemma 3.13, item 2", "W_1(G_0(U_m), G(gamma_m)) <= Lambda'' xi sqrt((2/pi) m^3 d) <= eps",
        str(chain.eps), f"Lambda''^2 xi^2 2 m^3 d / pi < {band_squared / low}",
        "holds" if band_squared <= low * chain.eps**2 else "undecided",
        "exact: squares compared with a rational lower bound on pi",
    ))
    tau_stated = max(tau_base, Dyadic(chain.xi_inverse).tau())
    lipschitz_squared = base["lipschitz"] ** 2 * m * chain.xi_inverse**2
    depth_stated = depth_base + 2
    size_stated = 3 * m + size_base
    claims += [
        make_claim("theorem-3.1/item-1/tau", "Theorem 3.1, item 1",
               "tau = max(O(log(Lambda' m d/eps)), tau', O(1)); proof's constants: max(tau'', log2(1/xi)) with tau'' from Theorem 3.7",
               tau_stated, generator["tau"], _at_most(generator["tau"], tau_stated), "exact: bit complexity, maximum over outputs"),
        make_claim("theorem-3.1/item-1/lipschitz", "Theorem 3.1, item 1",
               "Lambda = O(Lambda'^2 poly(m)/eps); proof's constants (Lemma 3.13): Lambda'' sqrt(m) / xi with Lambda'' G_0's certified bound",
               f"sqrt({lipschitz_squared})", generator["lipschitz"], _square_status(generator["lipschitz"], lipschitz_squared),
               "exact: product of proved layer norms, compared as squares"),
        make_claim("theorem-3.1/item-1/depth", "Theorem 3.1, item 1", "L = L' + O(1); proof's constants: L'' + 2",
               depth_stated, generator["depth"], _at_most(generator["depth"], depth_stated), "exact: count of layers"),
        make_claim("theorem-3.1/item-1/size", "Theorem 3.1, item 1",
               "S = O(r log(1/eps)) + 3m + S'; proof's constants: 3m + S''. Lemma 2.8 as printed sends h_xi's -1 outputs to 0, "
               "and carrying them as signed pairs costs m more units",
               size_stated, generator["size"], _at_most(generator["size"], size_stated), "exact: count of hidden units per output, maximum over outputs"),
        make_claim("theorem-3.1/item-2", "Theorem 3.1, item 2",
               "W_F*(G(gamma_m), H(I_r)) <= eps poly(m): rests on Assumption 1 (G' fools poly-size circuits), which no computation decides",
               "eps poly(m)", f"proved parts: Fact 3.9 gives W_1 = {fact['w1']} per coordinate of J(U_s); Lemma 3.13's W_1 <= eps",
               "undecided", "exact for the parts; the rest is Assumption 1"),
    ]

    if diversity is None:
        item_3 = ("no diversity certificate for a target given as a file", "undecided")
    else:
        certified = bool(diversity >= m)
        item_3 = (f"Lemma 2.17's chain with proved sigma_min gives log2 N = {diversity} against m = {m}, beta = {target['diversity']['beta']}",
                  "holds" if certified else "undecided")
    claims.append(make_claim(
        "theorem-3.1/item-3", "Theorem 3.1, item 3, with Lemma 2.17",
        "W_1(G(gamma_m), H(I_r)) >= Omega(1), which needs H(I_r) to be (2^m, Omega(1))-diverse",
        "diversity at N >= 2^m", item_3[0], item_3[1], "exact: Lemma 2.17's proof with the proved singular values",
    ))

    claims += [
        make_claim("lemma-3.13/sampled-identity", "Lemma 3.13, proof",
               "outside E^c (every |g_i| >= xi), G(g) = G_0(sgn(g))",
               f"{sampled.samples - sampled.inside_band} agreements", f"{sampled.agreements} agreements; {sampled.inside_band} of {sampled.samples} seeds in E^c",
               "holds" if sampled.first_disagreement is None else "fails", f"sampled: {sampled.samples} Gaussian seeds, each checked exactly"),
        make_claim("theorem-3.7/sampled-composition", "Theorem 3.7, proof",
               "G_0(x) = H(J(G'(x))) on {-1,+1}^m", "0 disagreements", f"{composition['disagreements']} disagreements",
               "holds" if composition["disagreements"] == 0 else "fails", f"sampled: {composition['samples']} uniform seeds, each checked exactly"),
    ]
    return claims


def _theorem_summary(certificate: dict) -> str:
    parameters = certificate["parameters"]
    networks = certificate["networks"]
    sampling = certificate["sampling"]
    lines = [
        f"Theorem 3.1 generator: m = {parameters['m']}, eps = {parameters['eps']}, n = {parameters['n']}, r = {parameters['r']}, "
        f"s = {parameters['s']}, d = {parameters['d']}",
        f"network G = G_0 o h_xi: depth {networks['generator']['depth']}, size {networks['generator']['size']}, "
        f"sha256 {certificate['network_sha256'][:16]}...; 1/xi = {certificate['xi']['inverse']}",
        f"sampled: {sampling['samples']} Gaussian seeds, {sampling['inside_band']} with some |g_i| < xi, "
        f"{sampling['agreements_outside_band']} with G(g) = G_0(sgn(g)) exactly",
        "claims (decimals rounded outwards; exact values in the certificate):",
    ]
    for claim in certificate["claims"]:
        marker = {"holds": "  holds    ", "fails": "! FAILS    ", "undecided": "? undecided"}[claim["status"]]
        stated = _clip(bound_text(claim["stated"], "up"), 50)
        measured = _clip(bound_text(claim["measured"], "up"), 60)
        lines.append(f"  {marker} {claim['id']}: stated {stated}, measured {measured}")
    return "\n".join(lines)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."
