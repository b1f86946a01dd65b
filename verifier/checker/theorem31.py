"""Checker for ``theorem-3.1-generator`` certificates, written by ``generate theorem-3.1``.

Theorem, lemma and fact numbers refer to Chen, Li, Li and Meka, "Minimax Optimality
(Probably) Doesn't Imply Distribution Learning for GANs" (2022). The certificate embeds G = G_0 o h_xi with G_0 = H o J o G' (Theorem 3.7), whose
layers are, in order: the m copies of h_xi (2 layers), G''s layers with its last
layer doubled to the pairs (z, -z), J reading those pairs, and H's layers. The checker
cuts G into these parts itself, requires each cut to be exact (a paired layer must
hold W and -W), rebuilds every part's canonical JSON and compares its SHA-256 with
the recorded hash.

Re-derived exactly from the embedded network and the recorded parameters:

* every hash; depth, size and tau of every part, whole and per output coordinate;
  Lemma 2.8's stated parameters for the three compositions;
* n = ceil(log2(1/eps)), s = r n, J's weights 2^-(j+1) and bias 1/2 - 2^-(n+1),
  and ||w||^2;
* 1/xi = ceil(Lambda'' sqrt((2/pi) m^3 d) / eps) (Lemma 3.13) with the checker's
  own rational bounds on pi, and the h_xi layers of G from it; the h_xi record
  (points, values, breaks, exact Lipschitz constant); Fact 3.9's W_1 = 2^-(n+1);
* for a drawn Lemma 2.17 target: the weights, redrawn from the recorded seed,
  the leaky-ReLU form of each layer, Lemma 2.19's stated sigma_min and step, and
  the diversity exponent and radius from the proved singular values;
* G' (Goldreich's generator, Theorem 3.2): the predicate's Fourier expansion, the
  hypergraph from its seed and the per-coordinate proof, by the goldreich-generator
  checker's own functions, and the largest bias of at most two outputs;
* every claim's stated value, measured value and status, except where listed
  below, and which claims rest on samples.

Proved as bounds, not re-derived: each per-coordinate Lipschitz upper bound is the
builder's product of proved layer norms, found from float proposals that the
checker cannot repeat. The checker proves its own bound on every layer (exact
elimination, or a rounded Cholesky factor checked with integers, see
verifier.checker.cholesky) and requires the recorded value to be at least the
product. So is the measured Lipschitz bound of G''s local networks. The singular
value bounds of H's layers are proved the same way: the lower bound by a positive
definite M^T M - l I, the upper bound by the checker's own Rayleigh quotient.

Checked for consistency only:

* Lambda'' and the Lipschitz claims use the recorded per-coordinate bounds, which
  are proved as above. Lemma 3.13's measured value is proved to be an upper bound,
  because the rational below pi that it divides by is shown to be below pi.
* The sampled counts (Gaussian seeds in the band |g_i| < xi, agreements
  G(g) = G_0(sgn(g)), and disagreements of G_0 with H(J(G'(x)))) are data. The
  checker does not redraw them. It checks that they add up and that both claims
  built on them are labelled as sampled.
* The diversity exponent and radius are written as sympy expressions. They are
  evaluated in floating point and compared with the exact values within a relative
  1e-9.
* Whether G''s local network equals the predicate network N_P (Theorem 3.2,
  item 1): the certificate does not contain N_P, so only the count of distinct local
  networks is re-derived.
* A "fails" status of Corollary 3.4's Lipschitz claim needs a Lipschitz lower bound
  that this certificate does not record. It is accepted when the recorded upper
  bound exceeds the stated value.
"""

from __future__ import annotations

import ast
import math
import re
from fractions import Fraction

import numpy as np
import scipy.sparse

from verifier.checker.cholesky import SMALL_SIDE, block_norm_squared_upper, positive_definite
from verifier.checker.core import (
    CheckedLayer,
    CheckedNetwork,
    Failure,
    MISSING,
    NETWORK_FIELDS,
    Verifier,
    check_header,
    evaluate_point,
    get_field,
    network_sha256,
    pivots_nonnegative,
    read_exact,
    read_integer,
    read_list,
    read_text,
    show_value,
    split_blocks,
)
from verifier.checker.generator import GeneratorVerifier, _bias, _connected_sets, _normalised
from verifier.checker.predicate import CONVENTIONS, SOURCES
from verifier.errors import InputError

SCHEMA_VERSION = 1
KIND = "theorem-3.1-generator"
SEED_LAW = "standard Gaussian on R^m"
NETWORK_FORMAT = "verifier-relu-network"
GOLDREICH = "Goldreich's generator (Theorem 3.2)"
PROJECTION = "projection onto the first s seed coordinates"
LEAKY_TARGET = "random expansive leaky-ReLU network (Lemma 2.17)"
FILE_TARGET = "network file"
HYPERGRAPH_FORMAT = "verifier-hypergraph"
# The builder measures the biases of G''s connected sets of at most this many outputs.
INNER_BIAS_ORDER = 2
DIVERSITY_RADIUS = Fraction(1, 3)
LOG2_N_FORMULA = "(k_0/2) log2(k_0/2) - (k_1 + ... + k_(L-1)) - 1"
BETA_FORMULA = "r_L / 2 with r_L = (1/3) lambda^(L-1) prod_i sigma_i"
SYMPY_TOLERANCE = 1e-9  # relative
MAX_EXACT_POWER_BITS = 1 << 16  # larger integer powers in a sympy expression are taken in floating point
# Machin's formula needs about this many bits of pi before 1/xi is pinned down.
PI_START_BITS = 64

_CLASS_FIELDS = [{"output": None, "depth": None, "size": None, "tau": None, "lipschitz_upper": None}]
_CLAIM_FIELDS = [{"id": None, "source": None, "statement": None, "stated": None, "measured": None, "status": None, "method": None}]
_PARAMETERS = {"depth": None, "size": None, "tau": None}
_CERTIFICATE_FIELDS = {
    "schema_version": None, "kind": None, "tool": {"name": None, "version": None, "numpy": None},
    "seed_distribution": None, "network_sha256": None, "network": NETWORK_FIELDS,
    "parameters": {"m": None, "eps": None, "n": None, "r": None, "s": None, "d": None, "seed": None, "logarithms": None},
    "target": {
        "kind": None, "path": None, "widths": None, "slope": None, "tau": None, "seed": None, "draw_rule": None,
        "leaky_relu": None, "singular_value_method": None, "sha256": None, "depth": None, "size": None,
        "singular_values": [{"layer": None, "shape": None, "sigma_min_squared_lower": None, "sigma_min_squared_upper": None,
                             "lemma_2_19_sigma_min": None, "lemma_2_19_status": None,
                             "lemma_2_19_step": {"d": None, "n": None, "gamma": None, "step_holds": None, "comparison": None}}],
        "diversity": {"radius_r": None, "log2_N": None, "log2_N_formula": None, "beta": None, "beta_formula": None},
    },
    "inner": {
        "kind": None, "sha256": None,
        "predicate": {"name": None, "arity": None, "truth_table": None, "convention": None, "source": None,
                      "fourier": [{"set": None, "value": None}]},
        "hypergraph": {"format": None, "schema_version": None, "m": None, "k": None, "indexing": None, "seed": None,
                       "draws": None, "draw_rule": None, "hyperedges": None},
        "coordinate_proof": {"status": None, "failing_outputs": None, "outputs": None, "local_inputs": None,
                             "distinct_local_networks": None, "method": None, "statement": None,
                             "first_failure": {"output": None, "reason": None, "columns": None, "local_input": None,
                                               "expected": None, "network": None}},
        "largest_bias": {"outputs": None, "bias": None},
        "claims": _CLAIM_FIELDS,
    },
    "j": {"sha256": None, "tau": None, "depth": None, "size": None, "weight_norm_squared": None, "weights": None},
    "networks": {
        "j_prime": {"sha256": None, "depth": None, "size": None, "composition": None},
        "base": {"sha256": None, "depth": None, "size": None, "composition": None},
        "generator": {"depth": None, "size": None, "composition": None},
    },
    "lemma_2_8": {"H o J": _PARAMETERS, "J' o G'": _PARAMETERS, "G_0 o h_xi": _PARAMETERS},
    "xi": {"inverse": None, "xi": None, "method": None, "lambda_base": None, "formula": None},
    "h_xi": {"points": None, "mismatches": [{"x": None, "expected": None, "network": None}], "breaks": None,
             "lipschitz": None, "lipschitz_method": None, "literal_lemma_2_8": {"x": None, "expected": None, "relu_of_h": None}},
    "fact_3_9": {"source": None, "n": None, "w1": None, "stated_bound": None, "stated_bound_formula": None, "status": None,
                 "method": None, "eps": None, "eps_status": None},
    "coordinates": {"target": _CLASS_FIELDS, "base": _CLASS_FIELDS, "generator": _CLASS_FIELDS},
    "sampling": {"gaussian_seed": None, "samples": None, "inside_band": None, "agreements_outside_band": None,
                 "first_disagreement": None, "band": None, "band_probability_bound": None,
                 "composition": {"uniform_seed": None, "samples": None, "disagreements": None, "statement": None}},
    "proved_claims": None, "sampled_claims": None, "claims": _CLAIM_FIELDS,
}
_LEAKY_ONLY = {"widths", "slope", "seed", "draw_rule", "leaky_relu", "singular_values", "singular_value_method", "diversity"}
_THEOREM_CLAIMS = (
    "theorem-3.7/tau", "theorem-3.7/lipschitz", "theorem-3.7/depth", "theorem-3.7/size", "lemma-3.10/j-class",
    "fact-3.9/w1", "lemma-3.12/values", "lemma-3.12/lipschitz", "lemma-3.12/class", "lemma-3.13/w1",
    "theorem-3.1/item-1/tau", "theorem-3.1/item-1/lipschitz", "theorem-3.1/item-1/depth", "theorem-3.1/item-1/size",
    "theorem-3.1/item-2", "theorem-3.1/item-3", "lemma-3.13/sampled-identity", "theorem-3.7/sampled-composition",
)
_INNER_CLAIMS = ("goldreich/computes-generator", "corollary-3.4/depth", "corollary-3.4/bit-complexity", "corollary-3.4/size",
                 "corollary-3.4/lipschitz", "theorem-3.2/item-1", "theorem-3.2/item-3")
_ITEM_3_MEASURED = re.compile(r"Lemma 2\.17's chain with proved sigma_min gives log2 N = (?P<log2_n>.+) "
                              r"against m = (?P<m>[0-9]+), beta = (?P<beta>.+)")
_LEMMA_3_13_MEASURED = re.compile(r"Lambda''\^2 xi\^2 2 m\^3 d / pi < (?P<bound>-?[0-9]+(/[0-9]+)?)")


# Exact numbers.


def value_tau(value: Fraction) -> int:
    """Return the least tau >= 0 with the dyadic ``value`` in R_tau: a multiple of 2^-tau of magnitude at most 2^tau."""
    if value == 0:
        return 0
    exponent = value.denominator.bit_length() - 1
    return max(0, exponent, (abs(value.numerator) - 1).bit_length() - exponent)


def numerator_tau(numerator: int, scale: int) -> int:
    """Return value_tau(numerator / 2^scale) without building the fraction."""
    if numerator == 0:
        return 0
    trailing_zeros = (numerator & -numerator).bit_length() - 1
    return max(0, scale - trailing_zeros, (abs(numerator) - 1).bit_length() - scale)


def bits_per_output(eps: Fraction) -> int:
    """Return n = ceil(log2(1/eps)), the least n with 2^n eps >= 1."""
    n = max(0, eps.denominator.bit_length() - eps.numerator.bit_length() - 1)
    while eps * 2**n < 1:
        n += 1
    return n


def ceil_sqrt(value: Fraction) -> int:
    """Return the least integer N >= 0 with N^2 >= value."""
    root = math.isqrt(max(value.numerator // value.denominator, 0))
    while root * root < value:
        root += 1
    return root


def _arctan_inverse(q: int, bits: int) -> tuple[Fraction, Fraction]:
    """Return rationals around arctan(1/q), q >= 2, at most 2^-bits apart.

    The Taylor series of arctan(x) alternates with decreasing terms for 0 < x < 1, so
    it differs from its partial sum by at most the first omitted term.
    """
    total, k, power = Fraction(0), 0, Fraction(1, q)
    while True:
        total += (-1) ** k * power / (2 * k + 1)
        k, power = k + 1, power / (q * q)
        remainder = power / (2 * k + 1)
        if 2 * remainder <= Fraction(1, 2**bits):
            return total - remainder, total + remainder


def pi_bounds(bits: int) -> tuple[Fraction, Fraction]:
    """Return rationals lo <= pi <= hi with hi - lo <= 2^-bits, from pi = 16 arctan(1/5) - 4 arctan(1/239) (Machin)."""
    low5, high5 = _arctan_inverse(5, bits + 5)
    low239, high239 = _arctan_inverse(239, bits + 3)
    return 16 * low5 - 4 * high239, 16 * high5 - 4 * low239


def xi_inverse(eps: Fraction, lipschitz: Fraction, m: int, d: int) -> int:
    """Return 1/xi = ceil(Lambda'' sqrt((2/pi) m^3 d) / eps) of Lemma 3.13, proved with rational bounds on pi.

    With a = Lambda''^2 2 m^3 d / eps^2, 1/xi is the least N with N^2 >= a / pi. As
    a / hi < a / pi < a / lo, the bounds pin N down once ceil(sqrt(a/hi)) equals
    ceil(sqrt(a/lo)). That happens at some precision because a / pi, with pi
    irrational, is never a perfect square.
    """
    square = lipschitz**2 * 2 * m**3 * d / eps**2
    bits = PI_START_BITS
    while True:
        low, high = pi_bounds(bits)
        smallest, largest = ceil_sqrt(square / high), ceil_sqrt(square / low)
        if smallest == largest:
            return smallest
        bits *= 2


def proves_below_pi(value: Fraction) -> bool:
    """Return whether value < pi, refining the bounds on pi up to 2^-4096."""
    bits = PI_START_BITS
    while bits <= 4096:
        low, high = pi_bounds(bits)
        if value < low:
            return True
        if value >= high:
            return False
        bits *= 2
    return False


def evaluate_expression(text: str) -> float | None:
    """Evaluate sympy's printed form of a real number (integers, + - * / **, log, sqrt, exp) in floating point.

    Return None for text outside that grammar or a value that is not a finite real.
    """
    def value(node):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return Fraction(node.value) if isinstance(node.value, int) else node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            operand = value(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = value(node.left), value(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                return left / right
            if isinstance(node.op, ast.Pow):
                if isinstance(left, Fraction) and isinstance(right, Fraction) and right.denominator == 1:
                    size = max(left.numerator.bit_length(), left.denominator.bit_length())
                    if size * abs(right) <= MAX_EXACT_POWER_BITS:
                        return left ** int(right)
                return float(left) ** float(right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            arguments = [float(value(argument)) for argument in node.args]
            if node.func.id == "log" and len(arguments) in (1, 2):
                return math.log(*arguments)
            if node.func.id in ("sqrt", "exp") and len(arguments) == 1:
                return getattr(math, node.func.id)(arguments[0])
        if isinstance(node, ast.Name) and node.id in ("pi", "E"):
            return math.pi if node.id == "pi" else math.e
        raise ValueError(f"unsupported expression {ast.dump(node)}")

    try:
        result = float(value(ast.parse(text, mode="eval").body))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError, RecursionError):
        return None
    return result if math.isfinite(result) else None


def close(value: float | None, exact: float) -> bool:
    return value is not None and math.isclose(value, exact, rel_tol=SYMPY_TOLERANCE, abs_tol=0.0)


# Networks: cutting G into its parts and serialising them.


def layer_values(layer: CheckedLayer) -> tuple[dict, list[Fraction]]:
    """Return the weights as {(row, column): value} and the bias as a list of values."""
    denominator = 1 << layer.scale
    weights = {(r, c): Fraction(m, denominator) for r, c, m in layer.entries}
    return weights, [Fraction(b, denominator) for b in layer.bias]


def layer_json(layer: CheckedLayer) -> dict:
    """Return the canonical JSON object of a layer: non-zero weights sorted by row and column, reduced fractions."""
    denominator = 1 << layer.scale
    return {
        "shape": [layer.shape[0], layer.shape[1]],
        "weights": [[r, c, str(Fraction(m, denominator))] for r, c, m in sorted(layer.entries) if m],
        "bias": [str(Fraction(b, denominator)) for b in layer.bias],
    }


def network_json(input_dim: int, layers: list[dict]) -> dict:
    return {"format": NETWORK_FORMAT, "schema_version": 1, "input_dim": input_dim, "layers": layers}


def unpair_columns(layer: CheckedLayer, half: int, where: str) -> CheckedLayer:
    """Return W a + b from a layer reading pairs (phi(z), phi(-z)): columns c and half + c must hold W and -W."""
    if layer.shape[1] != 2 * half:
        raise Failure(f"{where}: has {layer.shape[1]} columns, expected 2 x {half} for signed pairs")
    left = {(r, c): m for r, c, m in layer.entries if c < half}
    right = {(r, c - half): m for r, c, m in layer.entries if c >= half}
    if right != {key: -value for key, value in left.items()}:
        raise Failure(f"{where}: columns {half}..{2 * half - 1} are not the negated columns 0..{half - 1}, "
                       f"so the layer does not read signed pairs (phi(z), phi(-z))")
    return _normalised((layer.shape[0], half), [(r, c, m) for (r, c), m in sorted(left.items())], list(layer.bias), layer.scale)


def unpair_rows(layer: CheckedLayer, half: int, where: str) -> CheckedLayer:
    """Return W a + b from a layer that outputs (z, -z): rows r and half + r must hold (W, b) and (-W, -b)."""
    if layer.shape[0] != 2 * half:
        raise Failure(f"{where}: has {layer.shape[0]} rows, expected 2 x {half} for signed pairs")
    top = {(r, c): m for r, c, m in layer.entries if r < half}
    bottom = {(r - half, c): m for r, c, m in layer.entries if r >= half}
    negated_bias = [-b for b in layer.bias[:half]]
    if bottom != {key: -value for key, value in top.items()} or layer.bias[half:] != negated_bias:
        raise Failure(f"{where}: rows {half}..{2 * half - 1} are not the negated rows 0..{half - 1}, "
                       f"so the layer does not output signed pairs (z, -z)")
    return _normalised((half, layer.shape[1]), [(r, c, m) for (r, c), m in sorted(top.items())], layer.bias[:half], layer.scale)


def gadget_layers(xi_inv: int, m: int) -> tuple[tuple[dict, list], tuple[dict, list]]:
    """Return the exact weights and biases of G's first two layers: m copies of h_xi, the second layer doubled.

    h_xi(x) = phi(x/xi + 1) - phi(x/xi - 1) - 1 (Lemma 3.12). Copy i reads x_i with
    units 2i and 2i + 1. The second layer outputs (h, -h) as rows i and m + i.
    """
    first = {}
    second = {}
    for i in range(m):
        first[(2 * i, i)] = first[(2 * i + 1, i)] = Fraction(xi_inv)
        second[(i, 2 * i)], second[(i, 2 * i + 1)] = Fraction(1), Fraction(-1)
        second[(m + i, 2 * i)], second[(m + i, 2 * i + 1)] = Fraction(-1), Fraction(1)
    return (first, [Fraction(1), Fraction(-1)] * m), (second, [Fraction(-1)] * m + [Fraction(1)] * m)


def h_xi_network(xi_inv: int) -> CheckedNetwork:
    """Return the one-input network of h_xi with 1/xi = xi_inv."""
    return CheckedNetwork(1, [CheckedLayer((2, 1), [(0, 0, xi_inv), (1, 0, xi_inv)], [1, -1], 0),
                              CheckedLayer((1, 2), [(0, 0, 1), (0, 1, -1)], [-1], 0)])


def clip(x: Fraction, xi: Fraction) -> Fraction:
    """Return h_xi(x) by its definition: -1 for x <= -xi, x/xi between, 1 for x >= xi."""
    return max(Fraction(-1), min(Fraction(1), x / xi))


class LayerFacts:
    """Per-entry data of one layer for the per-coordinate classes: positions, numerators and bit complexities."""

    def __init__(self, layer: CheckedLayer):
        self.layer = layer
        self.rows = np.array([r for r, _, _ in layer.entries], dtype=np.int64)
        self.cols = np.array([c for _, c, _ in layer.entries], dtype=np.int64)
        self.numerators = [m for _, _, m in layer.entries]
        self.entry_taus = np.array([numerator_tau(m, layer.scale) for m in self.numerators], dtype=np.int64)
        self.bias_taus = np.array([numerator_tau(b, layer.scale) for b in layer.bias], dtype=np.int64)
        self.pattern = scipy.sparse.csr_matrix((np.ones(len(self.rows), dtype=np.int64), (self.rows, self.cols)), shape=layer.shape)


# The checker.


class Theorem31Verifier(Verifier):
    """Re-derive a theorem-3.1-generator certificate."""

    def __init__(self, data: dict, network_data):
        super().__init__(data, network_data)
        # Both caches are keyed by id(layer) and hold the layer, so that no id is reused while cached.
        self.facts: dict[int, LayerFacts] = {}
        self.layer_bounds: dict[int, tuple[CheckedLayer, Fraction]] = {}

    def run(self) -> None:
        self.check_descriptions()
        self.check_network()
        self.check_parameters()
        self.cut_network()
        self.check_j()
        self.check_coordinates()
        self.check_xi()
        self.check_h_xi()
        self.check_fact_3_9()
        self.check_networks()
        self.check_inner()
        self.check_target()
        self.check_sampling()
        self.check_claims()

    # Descriptions and parameters.

    def check_descriptions(self) -> None:
        """Check the types of the descriptive text fields, which have nothing to re-derive."""
        for section, fields in (("tool", ("name", "version", "numpy")), ("parameters", ("logarithms",)),
                                ("j", ("weights",)), ("xi", ("method", "formula")), ("h_xi", ("lipschitz_method",)),
                                ("fact_3_9", ("stated_bound_formula", "method")),
                                ("sampling", ("band",))):
            for name in fields:
                read_text(get_field(self.section(section), name, section), f"{section}.{name}")
        for name in ("j_prime", "base", "generator"):
            record = get_field(self.section("networks"), name, "networks")
            read_text(get_field(record, "composition", f"networks.{name}"), f"networks.{name}.composition")
        self.expect("seed_distribution", self.data.get("seed_distribution", MISSING), SEED_LAW)

    def check_parameters(self) -> None:
        parameters = self.section("parameters")
        network = self.network
        self.m = read_integer(get_field(parameters, "m", "parameters"), "parameters.m")
        self.d = read_integer(get_field(parameters, "d", "parameters"), "parameters.d")
        self.r = read_integer(get_field(parameters, "r", "parameters"), "parameters.r")
        self.eps = read_exact(get_field(parameters, "eps", "parameters"), "parameters.eps")
        read_integer(get_field(parameters, "seed", "parameters"), "parameters.seed")
        self.require(0 < self.eps < 1, f"parameters.eps: recorded {self.eps}, expected a number strictly between 0 and 1")
        self.expect("parameters.m", self.m, network.input_dim, " (the input dimension of the network)")
        self.expect("parameters.d", self.d, network.layers[-1].shape[0], " (the output dimension of the network)")
        self.require(self.r >= 1, f"parameters.r: recorded {self.r}, expected a positive integer")
        self.n = bits_per_output(self.eps)
        self.s = self.r * self.n
        self.expect("parameters.n", parameters.get("n", MISSING), self.n, " (ceil(log2(1/eps)))")
        self.expect("parameters.s", parameters.get("s", MISSING), self.s, " (r n)")

    def cut_network(self) -> None:
        """Cut G into h_xi's layers, G_0 = H o J o G', G', J and H, and check each recorded hash."""
        raw = self.network_data if self.network_data is not None else self.data["network"]
        raw_layers = raw["layers"]
        layers = self.network.layers
        m, r, s = self.m, self.r, self.s
        target_depth = read_integer(get_field(self.section("target"), "depth", "target"), "target.depth")
        inner_depth = len(layers) - 2 - 1 - target_depth
        self.require(target_depth >= 1 and inner_depth >= 1,
                     f"network: has {len(layers)} layers, but h_xi (2), G' (at least 1), J (1) and H (target.depth = "
                     f"{target_depth}) need at least {target_depth + 4}")

        # G_0's layers, with their JSON: the first one reads the pairs (h, -h) of h_xi's outputs.
        first = unpair_columns(layers[2], m, "network.layers[2]")
        base = [first] + layers[3:]
        base_json = [layer_json(first)] + list(raw_layers[3:])

        # G' is G_0's first inner_depth layers with the last one's doubled rows undone; J follows, reading pairs.
        inner_last = unpair_rows(base[inner_depth - 1], s, f"network.layers[{inner_depth + 1}]")
        self.inner = CheckedNetwork(m, base[:inner_depth - 1] + [inner_last])
        self.j = unpair_columns(base[inner_depth], s, f"network.layers[{inner_depth + 2}]")
        self.target = CheckedNetwork(r, base[inner_depth + 1:])
        self.base = CheckedNetwork(m, base)
        self.require(self.j.shape[0] == r,
                     f"network.layers[{inner_depth + 2}]: J has {self.j.shape[0]} outputs, expected r = {r}")
        self.require(self.target.layers[-1].shape[0] == self.d,
                     f"network: H has {self.target.layers[-1].shape[0]} outputs, expected d = {self.d}")

        inner_json = network_json(m, base_json[:inner_depth - 1] + [layer_json(inner_last)])
        target_json = list(base_json[inner_depth + 1:])
        j_json = layer_json(self.j)
        self.j_prime = CheckedNetwork(s, [self.j] + self.target.layers)
        hashes = (
            ("inner", "sha256", inner_json),
            ("j", "sha256", network_json(s, [j_json])),
            ("networks.j_prime", "sha256", network_json(s, [j_json] + target_json)),
            ("networks.base", "sha256", network_json(m, base_json)),
            ("target", "sha256", network_json(r, target_json)),
        )
        for section, name, derived in hashes:
            self.expect(f"{section}.{name}", self.record(section).get(name, MISSING), network_sha256(derived))

        # Paths of G's layers in messages; G_0's first layer is G's third without the negated columns.
        self.paths = [f"network.layers[{i}]" for i in range(len(layers))]
        self.base_paths = [f"network.layers[2] (columns 0..{m - 1})"] + self.paths[3:]
        self.target_paths = self.paths[len(layers) - len(self.target.layers):]

    def record(self, path: str) -> dict:
        """Return the object at a dotted path such as "networks.base", with InputError if a part is not an object."""
        value = self.data
        for position, part in enumerate(path.split(".")):
            value = get_field(value, part, ".".join(path.split(".")[:position]))
        if not isinstance(value, dict):
            raise InputError(f"{path}: expected a JSON object, found {type(value).__name__}")
        return value

    def check_j(self) -> None:
        """Re-derive J (Lemma 3.10): J(y)_i = sum_j 2^-(j+1) (y_((i-1)n + j) + 1) on blocks of n coordinates."""
        n, r = self.n, self.r
        weights, bias = layer_values(self.j)
        expected = {(i, i * n + j): Fraction(1, 2 ** (j + 2)) for i in range(r) for j in range(n)}
        offset = sum(expected[(0, j)] for j in range(n))
        self.require(weights == expected and bias == [offset] * r,
                     f"network: J's layer is not J(y)_i = sum_(j=1..n) 2^-(j+1) (y_((i-1)n + j) + 1) with n = {n}, r = {r}")
        self.j_norm_squared = sum((expected[(0, j)] ** 2 for j in range(n)), Fraction(0))
        record = self.section("j")
        for name, value in (("tau", CheckedNetwork(self.s, [self.j]).tau()), ("depth", 1), ("size", 0),
                            ("weight_norm_squared", str(self.j_norm_squared))):
            self.expect(f"j.{name}", record.get(name, MISSING), value)

    # Per-coordinate classes and Lipschitz bounds.

    def layer_facts(self, layer: CheckedLayer) -> LayerFacts:
        if id(layer) not in self.facts:
            self.facts[id(layer)] = LayerFacts(layer)
        return self.facts[id(layer)]

    def layer_bound(self, layer: CheckedLayer, where: str) -> Fraction:
        """Return a proved upper bound on ||W||_2^2: the largest bound of its distinct blocks."""
        if id(layer) not in self.layer_bounds:
            blocks, _ = split_blocks(layer)
            bounds = []
            for block in blocks:
                bound = block_norm_squared_upper(layer, block)
                if bound is None:
                    raise Failure(f"{where}: no float proposal for the norm of a {block[0]}x{block[1]} block could be proved")
                bounds.append(bound)
            self.layer_bounds[id(layer)] = (layer, max(bounds, default=Fraction(0)))
        return self.layer_bounds[id(layer)][1]

    def coordinate_classes(self, network: CheckedNetwork, paths: list[str], norms: bool = True) -> list[tuple]:
        """Return (depth, size, tau, squared Lipschitz upper bound or None) per output coordinate (Remark 2.7).

        Output l's sub-network keeps, in each layer, the units from which a path of
        non-zero weights reaches l. A sub-layer with one row or one column has its exact
        Euclidean norm. Any other sub-layer is a submatrix of the layer, whose proved
        norm bound then applies.
        """
        facts = [self.layer_facts(layer) for layer in network.layers]
        outputs = network.layers[-1].shape[0]
        reach = scipy.sparse.identity(outputs, dtype=np.int64, format="csr")
        supports = [reach]
        for fact in reversed(facts):
            reach = (reach @ fact.pattern).tocsr()  # path counts, at most the layer width, so exact in int64
            reach.data[:] = 1
            reach.sort_indices()
            supports.append(reach)
        supports.reverse()

        memo, classes = {}, []
        for output in range(outputs):
            size, tau, square = 0, 0, Fraction(1)
            for index, fact in enumerate(facts):
                rows = _row_indices(supports[index + 1], output)
                cols = _row_indices(supports[index], output)
                key = (index, rows.tobytes(), cols.tobytes())
                if key not in memo:
                    memo[key] = self._sub_layer(fact, rows, cols, paths[index], norms)
                width, layer_tau, factor = memo[key]
                if index < len(facts) - 1:
                    size += width
                tau = max(tau, layer_tau)
                square = square * factor if norms else None
            classes.append((len(facts), size, tau, square))
        return classes

    def _sub_layer(self, fact: LayerFacts, rows: np.ndarray, cols: np.ndarray, where: str, norms: bool) -> tuple:
        row_kept = np.zeros(fact.layer.shape[0], dtype=bool)
        row_kept[rows] = True
        col_kept = np.zeros(fact.layer.shape[1], dtype=bool)
        col_kept[cols] = True
        entries = np.flatnonzero(row_kept[fact.rows] & col_kept[fact.cols])  # positions of the sub-layer's entries
        tau = max(int(fact.entry_taus[entries].max(initial=0)), int(fact.bias_taus[rows].max(initial=0)))
        factor = None
        if norms:
            if not len(entries):
                factor = Fraction(0)
            elif len(rows) == 1 or len(cols) == 1:
                factor = Fraction(sum(fact.numerators[i] ** 2 for i in entries.tolist()), 4**fact.layer.scale)
            else:
                factor = self.layer_bound(fact.layer, where)
        return len(rows), tau, factor

    def check_coordinates(self) -> None:
        """Re-derive each output's depth, size and tau for H, G_0 and G, and prove each recorded Lipschitz bound."""
        coordinates = self.section("coordinates")
        self.parts = {}
        parts = (("generator", self.network, self.paths), ("base", self.base, self.base_paths), ("target", self.target, self.target_paths))
        for name, network, paths in parts:
            rows = read_list(get_field(coordinates, name, "coordinates"), f"coordinates.{name}")
            classes = self.coordinate_classes(network, paths)
            self.expect(f"coordinates.{name} (number of entries)", len(rows), len(classes))
            uppers = []
            for output, (row, (depth, size, tau, square)) in enumerate(zip(rows, classes)):
                path = f"coordinates.{name}[{output}]"
                for field, value in (("output", output), ("depth", depth), ("size", size), ("tau", tau)):
                    self.expect(f"{path}.{field}", get_field(row, field, path), value)
                upper = read_exact(get_field(row, "lipschitz_upper", path), f"{path}.lipschitz_upper")
                self.require(upper >= 0 and upper * upper >= square,
                             f"{path}.lipschitz_upper: recorded {upper}, but the product of the layer norms is only proved "
                             f"to be at most {math.sqrt(square)!r}, so the recorded value is not a proved upper bound")
                uppers.append(upper)
            self.parts[name] = {"depth": max(c[0] for c in classes), "size": max(c[1] for c in classes),
                                "tau": max(c[2] for c in classes), "lipschitz": max(uppers)}

    # Lemmas 3.12 and 3.13, Fact 3.9.

    def check_xi(self) -> None:
        """Re-derive 1/xi from Lemma 3.13 and check that G's first two layers are m copies of h_xi."""
        record = self.section("xi")
        lambda_base = self.parts["base"]["lipschitz"]
        self.expect("xi.lambda_base", record.get("lambda_base", MISSING), str(lambda_base),
                    " (the largest per-coordinate Lipschitz bound of G_0)")
        self.xi_inv = xi_inverse(self.eps, lambda_base, self.m, self.d)
        self.require(self.xi_inv >= 1, f"xi.lambda_base: Lemma 3.13 gives 1/xi = 0 for Lambda'' = {lambda_base}, so h_xi is undefined")
        self.expect("xi.inverse", record.get("inverse", MISSING), self.xi_inv,
                    " (ceil(Lambda'' sqrt((2/pi) m^3 d) / eps))")
        self.expect("xi.xi", record.get("xi", MISSING), str(Fraction(1, self.xi_inv)))

        for index, (weights, bias) in enumerate(gadget_layers(self.xi_inv, self.m)):
            found_weights, found_bias = layer_values(self.network.layers[index])
            self.require(found_weights == weights and found_bias == bias,
                         f"network.layers[{index}]: not layer {index + 1} of {self.m} copies of h_xi with 1/xi = {self.xi_inv} "
                         f"(the second layer doubled to signed pairs)")

    def check_h_xi(self) -> None:
        """Re-derive the h_xi record: values at and around -xi, 0 and xi, the breaks and the exact Lipschitz constant."""
        record = self.section("h_xi")
        xi = Fraction(1, self.xi_inv)
        gadget = h_xi_network(self.xi_inv)

        def h(x: Fraction) -> Fraction:
            return evaluate_point(gadget, [x])[0][0]

        offsets = [Fraction(0), xi / 4, -xi / 4, xi / 1024, -xi / 1024]
        fixed = {-2 * xi, 2 * xi, Fraction(-1), Fraction(1), Fraction(-1000), Fraction(1000)}
        points = sorted({centre + offset for centre in (-xi, Fraction(0), xi) for offset in offsets} | fixed)
        mismatches = [{"x": str(x), "expected": str(clip(x, xi)), "network": str(h(x))} for x in points if h(x) != clip(x, xi)]

        # h_xi is piecewise linear with breaks where a first-layer unit's pre-activation is zero.
        first_weights, first_bias = layer_values(gadget.layers[0])
        breaks = sorted({-first_bias[row] / weight for (row, _), weight in first_weights.items()})
        span = max(abs(b) for b in breaks) + 1
        knots = [breaks[0] - span] + breaks + [breaks[-1] + span]
        values = [h(x) for x in knots]
        lipschitz = max(abs((b - a) / (y - x)) for x, y, a, b in zip(knots, knots[1:], values, values[1:]))

        self.gadget = {"mismatches": len(mismatches), "points": len(points), "lipschitz": lipschitz,
                       "depth": len(gadget.layers), "size": sum(gadget.widths), "tau": gadget.tau()}
        derived = {"points": [str(x) for x in points], "mismatches": mismatches, "breaks": [str(b) for b in breaks],
                   "lipschitz": str(lipschitz),
                   "literal_lemma_2_8": {"x": "-1", "expected": "-1", "relu_of_h": str(max(h(Fraction(-1)), Fraction(0)))}}
        for name, value in derived.items():
            self.expect(f"h_xi.{name}", record.get(name, MISSING), value)

    def check_fact_3_9(self) -> None:
        """Re-derive W_1(h(U_n), I_1) = 2^-(n+1) for the grid {j / 2^n} against the uniform law on [0, 1].

        On each of the 2^n cells of width 2^-n, F_grid - F_uniform falls linearly from
        2^-n to 0, so it contributes 4^-n / 2, and the cells add up to 2^-(n+1).
        """
        record, n = self.section("fact_3_9"), self.n
        self.w1 = (1 << n) * Fraction(1, 2 * 4**n)
        stated = Fraction(1, 1 << n)
        derived = {"source": "Fact 3.9", "n": n, "w1": str(self.w1), "stated_bound": str(stated),
                   "status": "holds" if self.w1 <= stated else "fails", "eps": str(self.eps),
                   "eps_status": "holds" if self.w1 <= self.eps else "fails"}
        for name, value in derived.items():
            self.expect(f"fact_3_9.{name}", record.get(name, MISSING), value)

    # Whole networks and Lemma 2.8.

    def check_networks(self) -> None:
        """Re-derive the depth and size of J' = H o J, G_0 and G, and Lemma 2.8's stated parameters for each composition."""
        networks = self.section("networks")
        for name, network in (("j_prime", self.j_prime), ("base", self.base), ("generator", self.network)):
            record = get_field(networks, name, "networks")
            self.expect(f"networks.{name}.depth", record.get("depth", MISSING), len(network.layers))
            self.expect(f"networks.{name}.size", record.get("size", MISSING), sum(network.widths))

        # Lemma 2.8 for f o J with J of r outputs: depth L_J + L_f, size (S_J + 1) r + S_f, tau max(tau_J, tau_f),
        # where L_J, S_J and tau_J are the largest over J's output coordinates.
        j_classes = self.coordinate_classes(CheckedNetwork(self.s, [self.j]), ["J"], norms=False)
        inner_classes = self.coordinate_classes(self.inner, ["G'"] * len(self.inner.layers), norms=False)
        gadget_class = (self.gadget["depth"], self.gadget["size"], self.gadget["tau"])
        compositions = {
            "H o J": (j_classes, self.target),
            "J' o G'": (inner_classes, self.j_prime),
            "G_0 o h_xi": ([gadget_class] * self.m, self.base),
        }
        record = self.section("lemma_2_8")
        for name, (classes, outer) in compositions.items():
            derived = {"depth": max(c[0] for c in classes) + len(outer.layers),
                       "size": (max(c[1] for c in classes) + 1) * len(classes) + sum(outer.widths),
                       "tau": max(max(c[2] for c in classes), outer.tau())}
            entry = get_field(record, name, "lemma_2_8")
            for field, value in derived.items():
                self.expect(f"lemma_2_8.{name}.{field}", entry.get(field, MISSING), value)

    # G'.

    def check_inner(self) -> None:
        record = self.section("inner")
        kind = get_field(record, "kind", "inner")
        self.expect("inner.kind", kind, GOLDREICH if self.s > self.m else PROJECTION, f" (s = {self.s}, m = {self.m})")
        if kind == PROJECTION:
            if set(record) != {"kind", "sha256"}:
                raise InputError(f"inner: a projection has only the fields kind and sha256, found {sorted(record)}")
            weights, bias = layer_values(self.inner.layers[0])
            self.require(len(self.inner.layers) == 1 and weights == {(i, i): 1 for i in range(self.s)} and not any(bias),
                         f"network: G' is not the projection onto the first s = {self.s} seed coordinates")
            self.inner_class = (1, 0, 0, Fraction(1))
            return
        self.check_goldreich(record)

    def check_goldreich(self, record: dict) -> None:
        """Delegate the Goldreich part to the goldreich-generator checker, then re-derive the bias and the claims."""
        parts = {name: record[name] for name in ("predicate", "hypergraph", "coordinate_proof") if name in record}
        delegate = GeneratorVerifier(parts, None)
        delegate.network = self.inner
        try:
            delegate.check_predicate()
            delegate.check_hypergraph()
            delegate.check_coordinate_proof()
        except Failure as error:
            raise Failure(f"inner.{error}") from None
        except InputError as error:
            raise InputError(f"inner.{error}") from None
        finally:
            self.checked += delegate.checked

        predicate, hypergraph, proof = record["predicate"], record["hypergraph"], record["coordinate_proof"]
        read_text(get_field(predicate, "name", "inner.predicate"), "inner.predicate.name")
        for name, allowed in (("convention", CONVENTIONS), ("source", SOURCES)):
            value = get_field(predicate, name, "inner.predicate")
            self.require(value in allowed, f"inner.predicate.{name}: recorded {show_value(value)}, expected one of {', '.join(allowed)}")
        read_text(get_field(hypergraph, "draw_rule", "inner.hypergraph"), "inner.hypergraph.draw_rule")
        for name in ("method", "statement"):
            read_text(get_field(proof, name, "inner.coordinate_proof"), f"inner.coordinate_proof.{name}")
        self.expect("inner.hypergraph.format", hypergraph.get("format", MISSING), HYPERGRAPH_FORMAT)
        self.expect("inner.hypergraph.schema_version", hypergraph.get("schema_version", MISSING), 1)
        self.expect("inner.hypergraph.m", hypergraph.get("m"), self.m, " (parameters.m)")
        self.expect("inner.hypergraph.seed", hypergraph.get("seed", MISSING), self.data["parameters"]["seed"], " (parameters.seed)")
        self.require(delegate.d == self.s, f"inner.hypergraph.hyperedges: {delegate.d} hyperedges, expected s = {self.s}")

        # The largest bias E[prod_(l in T) G'(x)_l] over connected sets T of at most two outputs.
        largest = {size: None for size in range(1, INNER_BIAS_ORDER + 1)}
        for output_set in _connected_sets(delegate.hyperedges, INNER_BIAS_ORDER):
            value = _bias(delegate.hyperedges, delegate.terms, output_set)
            best = largest[len(output_set)]
            if best is None or abs(value) > abs(best[1]):
                largest[len(output_set)] = (output_set, value)
        candidates = [item for item in largest.values() if item is not None]
        overall = max(candidates, key=lambda item: (abs(item[1]), -len(item[0])), default=None)
        derived = None if overall is None else {"outputs": list(overall[0]), "bias": str(overall[1])}
        self.expect("inner.largest_bias", record.get("largest_bias", MISSING), derived)

        self.check_inner_claims(record, delegate)

    def check_inner_claims(self, record: dict, delegate: GeneratorVerifier) -> None:
        locals_ = [delegate.distinct[i] for i in delegate.local]
        k, d, m = delegate.k, delegate.d, delegate.m
        depth = max(len(n.layers) for n in locals_)
        size = max(sum(n.widths) for n in locals_)
        tau = max(n.tau() for n in locals_)
        terms = len(delegate.terms)
        proved = not delegate.failing
        stated_beta = 2 * (1 - Fraction(2) ** (m - d))
        distinct = f"{len(delegate.distinct)} distinct per-coordinate networks"

        claims = self.read_claims(get_field(record, "claims", "inner"), _INNER_CLAIMS, "inner.claims")
        # Corollary 3.4's measured Lipschitz bound is the largest of the local networks' proved bounds.
        lipschitz_path, lipschitz_claim = claims["corollary-3.4/lipschitz"]
        upper = read_exact(get_field(lipschitz_claim, "measured", lipschitz_path), f"{lipschitz_path}.measured")
        for position, local in enumerate(delegate.distinct):
            where = f"the local network of G' output {delegate.local.index(position)}"
            square = math.prod((self.layer_bound(layer, where) for layer in local.layers), start=Fraction(1))
            self.require(upper >= 0 and upper * upper >= square,
                         f"{lipschitz_path}.measured: recorded {upper}, but the product of the layer norms of a local "
                         f"network is only proved to be at most {math.sqrt(square)!r}")
        stated_lipschitz_squared = Fraction(36**k * terms)
        lipschitz_statuses = ("holds",) if upper * upper <= stated_lipschitz_squared else ("fails", "undecided")
        # NOTE: the certificate does not contain N_P, so whether the one distinct local network is N_P is not checked.
        item_1 = ([(distinct + ", equal to N_P", "holds"), (distinct, "fails")] if len(delegate.distinct) == 1
                  else [(distinct, "fails")])

        derived = {
            "goldreich/computes-generator": (f"0 failing outputs of {d}", f"{len(delegate.failing)} failing outputs of {d}",
                                             "holds" if proved else "fails"),
            "corollary-3.4/depth": (str(k), str(depth), "holds" if depth <= k else "fails"),
            "corollary-3.4/bit-complexity": (str(k), str(tau), "holds" if tau <= k else "fails"),
            "corollary-3.4/size": (str(4 * k * 2**k), str(size), "holds" if size <= 4 * k * 2**k else "fails"),
            "theorem-3.2/item-3": ("1", f"W_1 >= {stated_beta}" if proved else "no proved lower bound",
                                   "holds" if proved and stated_beta >= 1 else "undecided"),
        }
        for identifier, (path, claim) in claims.items():
            if identifier in derived:
                self.expect_claim(path, identifier, claim, *derived[identifier])
            elif identifier == "corollary-3.4/lipschitz":
                self.expect(f"{path}.stated ({identifier})", claim.get("stated", MISSING), f"6^{k} sqrt({terms})")
                self.require(claim.get("status") in lipschitz_statuses,
                             f"{path}.status ({identifier}): recorded {show_value(claim.get('status'))}, expected "
                             f"{' or '.join(lipschitz_statuses)} for the upper bound {upper} against 6^{k} sqrt({terms})")
            else:
                self.expect(f"{path}.stated ({identifier})", claim.get("stated", MISSING), f"all {d} per-coordinate networks equal N_P")
                pair = (claim.get("measured"), claim.get("status"))
                allowed = " or ".join(f"{show_value(measured)} with status {status}" for measured, status in item_1)
                self.require(pair in item_1, f"{path} ({identifier}): recorded measured {show_value(pair[0])} with status "
                                             f"{show_value(pair[1])}, expected {allowed}")

        self.inner_class = (depth, size, tau, upper)

    # H.

    def check_target(self) -> None:
        record = self.section("target")
        kind = get_field(record, "kind", "target")
        target = self.target
        for name, value in (("depth", len(target.layers)), ("size", sum(target.widths)), ("tau", target.tau())):
            self.expect(f"target.{name}", record.get(name, MISSING), value)
        if kind == FILE_TARGET:
            extra = sorted(set(record) & _LEAKY_ONLY)
            if extra:
                raise InputError(f"target: the fields {extra} belong to a drawn target, not to kind {FILE_TARGET!r}")
            read_text(get_field(record, "path", "target"), "target.path")
            return
        if kind != LEAKY_TARGET:
            raise InputError(f"target.kind: unknown target kind {kind!r}. This checker reads {LEAKY_TARGET!r} and {FILE_TARGET!r}")
        if "path" in record:
            raise InputError(f"target: the field 'path' belongs to kind {FILE_TARGET!r}")
        for name in ("draw_rule", "leaky_relu", "singular_value_method"):
            read_text(get_field(record, name, "target"), f"target.{name}")

        widths = [read_integer(w, "target.widths") for w in read_list(get_field(record, "widths", "target"), "target.widths")]
        self.require(len(widths) == len(target.layers) + 1 and widths[0] == self.r and widths[-1] == self.d,
                     f"target.widths: recorded {widths}, expected {len(target.layers) + 1} widths from r = {self.r} to d = {self.d}")
        slope = read_exact(get_field(record, "slope", "target"), "target.slope")
        self.require(0 < slope <= Fraction(1, 2), f"target.slope: recorded {slope}, expected lambda in (0, 1/2]")
        matrices = self.leaky_matrices(widths, slope)
        self.check_draw(record, widths, matrices)
        lowers = self.check_singular_values(record, matrices)
        self.check_diversity(record, widths, slope, lowers)

    def leaky_matrices(self, widths: list[int], slope: Fraction) -> list[tuple[list[list[int]], int]]:
        """Recover each W_i of H = W_L psi(... psi(W_1 x)) as (integer matrix M, scale t) with W_i = M / 2^t, t least.

        Hidden layer i contains (phi(z), phi(-z)) for z = W_i a, so layer i + 1 is
        W_(i+1) [(1 - lambda) I, -lambda I], and every layer but the last is doubled.
        With lambda = p / 2^q, the left block is W (2^q - p) / 2^q and the right
        block -W p / 2^q, so both are checked with integers at the layer's scale.
        """
        self.require(slope.denominator & (slope.denominator - 1) == 0, f"target.slope: {slope} is not a dyadic rational")
        keep = slope.denominator - slope.numerator  # 1 - lambda = keep / 2^q
        shift = slope.denominator.bit_length() - 1
        matrices = []
        last = len(self.target.layers) - 1
        for index, layer in enumerate(self.target.layers):
            where = f"{self.target_paths[index]} (layer {index + 1} of H)"
            rows, cols = widths[index + 1], widths[index]
            if index < last:
                layer = unpair_rows(layer, rows, where)
            columns = cols if index == 0 else 2 * cols
            self.require(layer.shape == (rows, columns) and not any(layer.bias),
                         f"{where}: expected a {rows}x{columns} layer with zero bias, found {layer.shape[0]}x{layer.shape[1]}")
            dense = [[0] * cols for _ in range(rows)]
            scale = layer.scale
            if index == 0:
                for r, c, value in layer.entries:
                    dense[r][c] = value
            else:
                left = {(r, c): value for r, c, value in layer.entries if c < cols}
                right = {(r, c - cols): value for r, c, value in layer.entries if c >= cols}
                exact = all((value << shift) % keep == 0 for value in left.values()) and right.keys() == left.keys()
                self.require(exact and all(right[key] * keep == -value * slope.numerator for key, value in left.items()),
                             f"{where}: the weights are not W [(1 - lambda) I, -lambda I] with lambda = {slope} and W dyadic")
                for (r, c), value in left.items():
                    dense[r][c] = (value << shift) // keep
            matrices.append(_least_scale(dense, scale))
        return matrices

    def check_draw(self, record: dict, widths: list[int], matrices) -> None:
        """Redraw H's weights from the seed: rng.standard_normal((k_i, k_(i-1))) / sqrt(k_i), rounded to 2^-tau.

        NOTE: the certificate does not record the rounding precision tau (its field tau
        is H's bit complexity), so the checker accepts the least tau that reproduces
        every layer. It tries each tau from the largest scale of the weights while the
        rounded draws stay below 2^52, where float64 represents every integer exactly.
        """
        seed = read_integer(get_field(record, "seed", "target"), "target.seed")
        rng = np.random.default_rng(seed)
        drawn = [rng.standard_normal((rows, cols)) / math.sqrt(rows) for cols, rows in zip(widths, widths[1:])]
        largest_draw = max(float(np.abs(draw).max()) for draw in drawn)
        tau = max(scale for _, scale in matrices)
        while largest_draw * 2.0**tau < 2.0**52:
            if all(_same_draw(dense, scale, draw, tau) for (dense, scale), draw in zip(matrices, drawn)):
                self.checked += 1
                return
            tau += 1
        raise Failure(f"target.seed: no rounding to multiples of 2^-tau of the weights drawn from seed {seed} "
                      f"gives H's weights (tried tau from {max(scale for _, scale in matrices)} to {tau - 1})")

    def check_singular_values(self, record: dict, matrices) -> list[Fraction]:
        """Prove each layer's recorded sigma_min^2 bounds and re-derive Lemma 2.19's stated value, status and step."""
        entries = read_list(get_field(record, "singular_values", "target"), "target.singular_values")
        self.expect("target.singular_values (number of entries)", len(entries), len(matrices))
        lowers = []
        for index, (entry, (dense, scale)) in enumerate(zip(entries, matrices)):
            path = f"target.singular_values[{index}]"
            rows, cols = len(dense), len(dense[0])
            lower = read_exact(get_field(entry, "sigma_min_squared_lower", path), f"{path}.sigma_min_squared_lower")
            upper = read_exact(get_field(entry, "sigma_min_squared_upper", path), f"{path}.sigma_min_squared_upper")
            self.require(lower <= 0 or sigma_min_squared_at_least(dense, scale, lower),
                         f"{path}.sigma_min_squared_lower: {lower} is not proved, because M^T M - l I is not shown "
                         f"positive semidefinite for W_{index + 1} = M / 2^{scale}")
            witness = rayleigh_quotient(dense, scale)
            self.require(witness <= upper,
                         f"{path}.sigma_min_squared_upper: recorded {upper} is not proved to be at least sigma_min^2; "
                         f"the checker's own witness vector gives only ||W v||^2 / ||v||^2 = {float(witness)!r}")
            gamma = Fraction(rows, cols) - 1
            stated = gamma / (2 * (1 + gamma))
            status = "undecided"
            if lower >= stated**2:
                status = "holds"
            elif upper < stated**2:
                status = "fails"
            holds = rows * (cols - 1) <= cols * cols
            derived = {"layer": index + 1, "shape": [rows, cols], "lemma_2_19_sigma_min": str(stated), "lemma_2_19_status": status,
                       "lemma_2_19_step": {"d": cols, "n": rows, "gamma": str(gamma), "step_holds": holds,
                                           "comparison": f"n (d - 1) = {rows * (cols - 1)} {'<=' if holds else '>'} d^2 = {cols * cols}"}}
            for name, value in derived.items():
                self.expect(f"{path}.{name}", entry.get(name, MISSING), value)
            lowers.append(lower)
        return lowers

    def check_diversity(self, record: dict, widths: list[int], slope: Fraction, lowers: list[Fraction]) -> None:
        """Re-derive Lemma 2.17's diversity from the proved sigma_min: log2 N and beta = r_L / 2.

        log2 N = (k_0/2) log2(k_0/2) - (k_1 + ... + k_(L-1)) - 1, and
        beta^2 = (1/4) (1/3)^2 lambda^(2(L-1)) prod_i sigma_i^2 with sigma_i^2 the
        proved lower bounds. The recorded sympy expressions are evaluated in floating point.
        """
        diversity = get_field(record, "diversity", "target")
        half, hidden = Fraction(widths[0], 2), sum(widths[1:-1])
        self.log2_n = float(half) * math.log2(half) - hidden - 1
        self.beta_squared = (DIVERSITY_RADIUS * slope ** (len(widths) - 2)) ** 2 * math.prod(lowers, start=Fraction(1)) / 4
        for name, value in (("radius_r", str(DIVERSITY_RADIUS)), ("log2_N_formula", LOG2_N_FORMULA), ("beta_formula", BETA_FORMULA)):
            self.expect(f"target.diversity.{name}", diversity.get(name, MISSING), value)
        log2_text = read_text(get_field(diversity, "log2_N", "target.diversity"), "target.diversity.log2_N")
        self.require(close(evaluate_expression(log2_text), self.log2_n),
                     f"target.diversity.log2_N: recorded {log2_text!r}, re-derived {self.log2_n!r}")
        self.beta_text = read_text(get_field(diversity, "beta", "target.diversity"), "target.diversity.beta")
        beta = evaluate_expression(self.beta_text)
        self.require(close(None if beta is None else beta * beta, float(self.beta_squared)),
                     f"target.diversity.beta: recorded {self.beta_text!r}, re-derived sqrt({float(self.beta_squared)!r})")
        # log2 N >= m exactly: (k_0/2)^(k_0/2) >= 2^(m + hidden + 1), squared to stay in integers.
        self.diversity_certified = widths[0] ** widths[0] >= 2 ** widths[0] * 4 ** (self.m + hidden + 1)

    # Samples.

    def check_sampling(self) -> None:
        """Check that the sampled counts add up. They are data: the checker does not redraw the samples."""
        record = self.section("sampling")
        read_integer(get_field(record, "gaussian_seed", "sampling"), "sampling.gaussian_seed")
        samples = read_integer(get_field(record, "samples", "sampling"), "sampling.samples")
        inside = read_integer(get_field(record, "inside_band", "sampling"), "sampling.inside_band")
        agreements = read_integer(get_field(record, "agreements_outside_band", "sampling"), "sampling.agreements_outside_band")
        first = get_field(record, "first_disagreement", "sampling")
        self.require(samples >= 1 and 0 <= inside <= samples and 0 <= agreements <= samples - inside,
                     f"sampling: {inside} seeds in the band and {agreements} agreements outside it do not fit in {samples} samples")
        if first is not None:
            first = read_integer(first, "sampling.first_disagreement")
        self.require((first is None) == (agreements == samples - inside) and (first is None or 0 <= first < samples),
                     f"sampling.first_disagreement: recorded {show_value(first)}, but {samples - inside - agreements} of the "
                     f"{samples - inside} seeds outside the band disagree")
        self.expect("sampling.band_probability_bound", record.get("band_probability_bound", MISSING),
                    f"m xi sqrt(2/pi) = {self.m} sqrt(2/pi) / {self.xi_inv}")

        composition = get_field(record, "composition", "sampling")
        read_text(get_field(composition, "statement", "sampling.composition"), "sampling.composition.statement")
        self.expect("sampling.composition.uniform_seed", get_field(composition, "uniform_seed", "sampling.composition"),
                    record["gaussian_seed"], " (the builder draws both sets of seeds from --sample-seed)")
        self.expect("sampling.composition.samples", get_field(composition, "samples", "sampling.composition"), samples)
        disagreements = read_integer(get_field(composition, "disagreements", "sampling.composition"), "sampling.composition.disagreements")
        self.require(0 <= disagreements <= samples,
                     f"sampling.composition.disagreements: recorded {disagreements}, expected 0..{samples}")
        self.samples = {"samples": samples, "inside": inside, "agreements": agreements, "first": first, "disagreements": disagreements}

    # Claims.

    def read_claims(self, claims, identifiers, path: str) -> dict[str, tuple[str, dict]]:
        """Return {id: (path, claim)}, requiring each of ``identifiers`` exactly once."""
        found = {}
        for index, claim in enumerate(read_list(claims, path)):
            where = f"{path}[{index}]"
            identifier = get_field(claim, "id", where)
            if identifier not in identifiers:
                raise InputError(f"{where}.id: unknown claim id {identifier!r}")
            self.require(identifier not in found, f"{where}.id: the claim {identifier} is listed twice")
            for name in ("source", "statement", "method"):
                read_text(get_field(claim, name, where), f"{where}.{name}")
            found[identifier] = (where, claim)
        for identifier in identifiers:
            self.require(identifier in found, f"{path}: the claim {identifier} is missing")
        return found

    def expect_claim(self, path: str, identifier: str, claim: dict, stated, measured, status) -> None:
        self.expect(f"{path}.stated ({identifier})", claim.get("stated", MISSING), str(stated))
        if measured is not None:
            self.expect(f"{path}.measured ({identifier})", claim.get("measured", MISSING), str(measured))
        self.expect(f"{path}.status ({identifier})", claim.get("status", MISSING), status)

    def check_claims(self) -> None:
        claims = self.read_claims(get_field(self.data, "claims", ""), _THEOREM_CLAIMS, "claims")
        m, n, r, s = self.m, self.n, self.r, self.s
        inner_depth, inner_size, inner_tau, inner_lipschitz = self.inner_class
        target, base, generator = self.parts["target"], self.parts["base"], self.parts["generator"]
        sampled, gadget = self.samples, self.gadget

        # Theorem 3.7 (G_0) with the proof's constants, Lemma 2.8 applied to H o J and then to J' o G'.
        tau_base = max(inner_tau, n + 1, target["tau"])
        lipschitz_base = inner_lipschitz**2 * self.j_norm_squared * target["lipschitz"] ** 2 * r * s
        depth_base = inner_depth + 1 + target["depth"]
        size_base = (inner_size + 1) * s + r + target["size"]
        # Theorem 3.1 (G) with the proof's constants (Lemma 3.13).
        tau_xi = value_tau(Fraction(self.xi_inv))
        tau_stated = max(tau_base, tau_xi)
        lipschitz_stated = base["lipschitz"] ** 2 * m * self.xi_inv**2
        j_tau = CheckedNetwork(s, [self.j]).tau()

        def at_most(measured, stated):
            return measured, stated, "holds" if measured <= stated else "fails"

        def squares(measured, stated_squared):
            return measured, f"sqrt({stated_squared})", "holds" if measured * measured <= stated_squared else "undecided"

        derived = {
            "theorem-3.7/tau": at_most(base["tau"], tau_base),
            "theorem-3.7/lipschitz": squares(base["lipschitz"], lipschitz_base),
            "theorem-3.7/depth": at_most(base["depth"], depth_base),
            "theorem-3.7/size": at_most(base["size"], size_base),
            "lemma-3.10/j-class": (f"tau {j_tau}, depth 1, size 0, ||w||^2 = {self.j_norm_squared}",
                                   f"tau {n + 1}, depth 1, size 0, ||w||^2 <= 1",
                                   "holds" if j_tau <= n + 1 and self.j_norm_squared <= 1 else "fails"),
            "fact-3.9/w1": (self.w1, Fraction(1, 1 << n), "holds" if self.w1 <= Fraction(1, 1 << n) else "fails"),
            "lemma-3.12/values": (f"{gadget['mismatches']} mismatches at {gadget['points']} points", "0 mismatches",
                                  "holds" if not gadget["mismatches"] else "fails"),
            "lemma-3.12/lipschitz": at_most(gadget["lipschitz"], self.xi_inv),
            "lemma-3.12/class": (f"depth {gadget['depth']}, size {gadget['size']}, tau {gadget['tau']}",
                                 f"depth 2, size 2, tau {tau_xi}",
                                 "holds" if (gadget["depth"], gadget["size"]) == (2, 2) and gadget["tau"] <= tau_xi else "fails"),
            "theorem-3.1/item-1/tau": at_most(generator["tau"], tau_stated),
            "theorem-3.1/item-1/lipschitz": squares(generator["lipschitz"], lipschitz_stated),
            "theorem-3.1/item-1/depth": at_most(generator["depth"], depth_base + 2),
            "theorem-3.1/item-1/size": at_most(generator["size"], 3 * m + size_base),
            "theorem-3.1/item-2": (f"proved parts: Fact 3.9 gives W_1 = {self.w1} per coordinate of J(U_s); Lemma 3.13's W_1 <= eps",
                                   "eps poly(m)", "undecided"),
            "lemma-3.13/sampled-identity": (f"{sampled['agreements']} agreements; {sampled['inside']} of {sampled['samples']} seeds in E^c",
                                            f"{sampled['samples'] - sampled['inside']} agreements",
                                            "holds" if sampled["first"] is None else "fails"),
            "theorem-3.7/sampled-composition": (f"{sampled['disagreements']} disagreements", "0 disagreements",
                                                "holds" if sampled["disagreements"] == 0 else "fails"),
        }
        methods = {
            "lemma-3.13/sampled-identity": f"sampled: {sampled['samples']} Gaussian seeds, each checked exactly",
            "theorem-3.7/sampled-composition": f"sampled: {sampled['samples']} uniform seeds, each checked exactly",
            "fact-3.9/w1": self.data["fact_3_9"].get("method"),
            "lemma-3.12/lipschitz": self.data["h_xi"].get("lipschitz_method"),
        }
        for identifier, (path, claim) in claims.items():
            method = claim["method"]
            if identifier in methods:
                self.expect(f"{path}.method ({identifier})", method, methods[identifier])
            else:
                self.require(method.startswith("exact"),
                             f"{path}.method ({identifier}): recorded {method!r}, expected a method starting with 'exact', "
                             f"because the claim is proved, not sampled")
            if identifier == "lemma-3.13/w1":
                self.check_lemma_3_13_claim(path, claim)
            elif identifier == "theorem-3.1/item-3":
                self.check_item_3_claim(path, claim)
            else:
                measured, stated, status = derived[identifier]
                self.expect_claim(path, identifier, claim, stated, measured, status)

        order = list(claims)  # read_claims keeps the recorded order
        self.expect("proved_claims", self.data.get("proved_claims", MISSING),
                    [i for i in order if claims[i][1]["method"].startswith("exact")])
        self.expect("sampled_claims", self.data.get("sampled_claims", MISSING),
                    [i for i in order if claims[i][1]["method"].startswith("sampled")])

    def check_lemma_3_13_claim(self, path: str, claim: dict) -> None:
        """Prove the measured bound q on Lambda''^2 xi^2 2 m^3 d / pi and re-derive the status from it.

        q is recorded as a / L with a = Lambda''^2 xi^2 2 m^3 d. It is an upper bound
        exactly when L = a / q is below pi, which the checker proves with its own bounds on pi.
        """
        identifier = "lemma-3.13/w1"
        band_squared = self.parts["base"]["lipschitz"] ** 2 * 2 * self.m**3 * self.d / Fraction(self.xi_inv) ** 2
        measured = claim.get("measured")
        match = _LEMMA_3_13_MEASURED.fullmatch(measured) if isinstance(measured, str) else None
        self.require(match is not None, f"{path}.measured ({identifier}): recorded {show_value(measured)}, expected "
                                        f"\"Lambda''^2 xi^2 2 m^3 d / pi < q\" with q an exact number")
        bound = read_exact(match.group("bound"), f"{path}.measured ({identifier})")
        self.require(bound > 0, f"{path}.measured ({identifier}): the bound {bound} is not positive")
        self.require(proves_below_pi(band_squared / bound),
                     f"{path}.measured ({identifier}): {bound} is not proved to exceed Lambda''^2 xi^2 2 m^3 d / pi, "
                     f"because {float(band_squared / bound)!r} is not proved to be below pi")
        self.expect_claim(path, identifier, claim, self.eps, None, "holds" if bound <= self.eps**2 else "undecided")

    def check_item_3_claim(self, path: str, claim: dict) -> None:
        """Re-derive Theorem 3.1, item 3: certified when Lemma 2.17's diversity reaches N >= 2^m."""
        identifier = "theorem-3.1/item-3"
        if self.data["target"].get("kind") == FILE_TARGET:
            self.expect_claim(path, identifier, claim, "diversity at N >= 2^m",
                              "no diversity certificate for a target given as a file", "undecided")
            return
        measured = claim.get("measured")
        match = _ITEM_3_MEASURED.fullmatch(measured) if isinstance(measured, str) else None
        self.require(match is not None and close(evaluate_expression(match.group("log2_n")), self.log2_n)
                     and match.group("m") == str(self.m) and match.group("beta") == self.beta_text,
                     f"{path}.measured ({identifier}): recorded {show_value(measured)}, expected log2 N = {self.log2_n!r} "
                     f"against m = {self.m} and beta = {self.beta_text}")
        self.expect_claim(path, identifier, claim, "diversity at N >= 2^m", None,
                          "holds" if self.diversity_certified else "undecided")


def _least_scale(dense: list[list[int]], scale: int) -> tuple[list[list[int]], int]:
    """Return (M / 2^j, scale - j) for the largest j <= scale such that 2^j divides every entry of M."""
    common = 0
    for row in dense:
        for value in row:
            common |= value
    drop = min(scale, (common & -common).bit_length() - 1) if common else scale
    return [[value >> drop for value in row] for row in dense], scale - drop


def _same_draw(dense: list[list[int]], scale: int, draw: np.ndarray, tau: int) -> bool:
    """Return whether rint(draw 2^tau) equals M 2^(tau - scale) for W = M / 2^scale, compared in int64.

    The caller keeps the rounded draw below 2^52. A recorded side at or above 2^52 cannot match it.
    """
    rounded = np.rint(np.ldexp(draw, tau)).astype(np.int64)
    largest = max((abs(v) for row in dense for v in row), default=0)
    if largest << (tau - scale) >= 1 << 52:
        return False
    return bool(np.array_equal(rounded, np.array(dense, dtype=np.int64) << (tau - scale)))


def _row_indices(matrix: scipy.sparse.csr_matrix, row: int) -> np.ndarray:
    return matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]]


def integer_gram(dense: list[list[int]]) -> np.ndarray:
    """Return M^T M exactly as an object array: in int64 when every partial sum is below 2^62, else in Python integers."""
    matrix = np.array(dense, dtype=object)
    largest = max((abs(v) for row in dense for v in row), default=0)
    if largest**2 * len(dense) < 1 << 62:
        matrix = matrix.astype(np.int64)
    return (matrix.T @ matrix).astype(object)


def sigma_min_squared_at_least(dense: list[list[int]], scale: int, lower: Fraction) -> bool:
    """Decide sigma_min(W)^2 >= lower for W = M / 2^scale with at least as many rows as columns.

    The bound is true when M^T M - 4^scale lower I is positive semidefinite, decided exactly by
    elimination up to SMALL_SIDE columns, by a rounded Cholesky factor (positive
    definite, so a little more) above.
    """
    gram = integer_gram(dense)
    shift = lower * 4**scale
    shifted = [[shift.denominator * int(gram[i, j]) - (shift.numerator if i == j else 0) for j in range(len(gram))]
               for i in range(len(gram))]
    if len(gram) <= SMALL_SIDE:
        return pivots_nonnegative(shifted, False)
    return positive_definite(shifted)


def rayleigh_quotient(dense: list[list[int]], scale: int) -> Fraction:
    """Return ||W v||^2 / ||v||^2 exactly, an upper bound on sigma_min^2, for v near the smallest right singular vector.

    v is the float eigenvector of M^T M for its smallest eigenvalue, read exactly as integers.
    """
    matrix = np.array(dense, dtype=np.float64)
    vector = np.linalg.eigh(matrix.T @ matrix)[1][:, 0]
    integers = [int(v) for v in np.rint(np.ldexp(vector, 52)).tolist()]
    image = [sum(m * v for m, v in zip(row, integers)) for row in dense]
    return Fraction(sum(x * x for x in image), 4**scale * sum(v * v for v in integers))


def verify(data: dict, network: dict | None = None) -> dict:
    """Re-derive a theorem-3.1-generator certificate; see verifier.checker.verify_certificate."""
    check_header(data, KIND, SCHEMA_VERSION, _CERTIFICATE_FIELDS)
    return Theorem31Verifier(data, network).outcome()
