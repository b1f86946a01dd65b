"""Lemma 3.3: a predicate P: {+-1}^k -> {+-1} as a bias-free ReLU network.

The proof (Appendix A.2) writes P in its Fourier expansion

    P(x) = sum_S hatP(S) chi_S(x),    chi_S(x) = prod_{i in S} x_i,

builds each chi_S from the product gadget (15), valid for a, b in {+-1},

    a * b = phi(a + b) + phi(-a - b) - phi(b) - phi(-b),

and adds the terms with Lemma A.1. Three ways of building chi_S:

* ``appendix``: the induction as printed. chi of m + 1 variables extends the
  network for m variables by one unit per hidden layer that carries x_{m+1} (the
  text says "the m-th standard basis vector"; the induction needs the (m+1)-th, and
  that is what is built). The carried unit passes through ReLUs with zero bias, so
  from m = 2 on it holds phi(x_{m+1}), not x_{m+1}, and the network is wrong
  wherever x_{m+1} = -1. Sizes 4, 9, 15, 22, 30 for |S| = 2..6, against the
  proof's 4|S|.
* ``sequential``: the same induction carrying x_{m+1} as the pair
  (phi(x_{m+1}), phi(-x_{m+1})), recombined by (1, -1) where the gadget reads it.
  Correct, two units per hidden layer instead of one.
* ``tree`` (default): the gadget applied to pairs in a balanced binary tree, one
  hidden layer per level, so chi_S has depth ceil(log2 |S|) + 1 and 4(|S| - 1)
  units plus two for each value carried past a level with an odd count.

Rules the text leaves open, used by all three and recorded in the certificate:
the constant term hatP(empty set) is computed as hatP(empty) * |x_1| with
|x_1| = phi(x_1) + phi(-x_1), which keeps the network bias-free; a degree-one term
x_i is the affine map x -> x_i; every term is padded to the largest depth by
identity padding at its output (z = phi(z) - phi(-z)) before Lemma A.1 adds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from verifier.combinators import Parameters, linear_combination, pad_depth
from verifier.dyadic import Dyadic
from verifier.network import Layer, Network

CONSTRUCTIONS = ("tree", "sequential", "appendix")

RULES = (
    "The constant Fourier term is built as hatP(empty) * |x_1| = hatP(empty) * (phi(x_1) + phi(-x_1)), keeping every bias zero.",
    "A degree-one term x_i is the affine map x -> x_i (depth 1, no hidden unit).",
    "Terms of smaller depth are padded at their output by z = phi(z) - phi(-z), two units per added layer, before Lemma A.1 combines them.",
    "The appendix construction carries the (m+1)-th standard basis vector where the text says the m-th.",
)


@dataclass
class PredicateNetwork:
    """The network of Lemma 3.3 for one predicate, with the parts it was built from."""

    network: Network
    construction: str
    terms: dict[int, Fraction]
    product_networks: dict[int, Network]
    combination: Parameters


def build_predicate_network(predicate, construction: str = "tree") -> PredicateNetwork:
    """Build the Lemma 3.3 network of ``predicate`` (a verifier.predicates.Predicate)."""
    if construction not in CONSTRUCTIONS:
        raise ValueError(f"unknown construction {construction!r}; expected one of {', '.join(CONSTRUCTIONS)}")
    k = predicate.arity
    terms = predicate.fourier()

    # Step 1: one network per Fourier basis function chi_S with hatP(S) != 0.
    term_networks = []
    for subset in sorted(terms, key=lambda s: (bin(s).count("1"), s)):
        variables = [j for j in range(k) if subset >> j & 1]
        term_networks.append(build_character(variables, k, construction))

    # Step 2: pad to a common depth and add them with the Fourier coefficients (Lemma A.1).
    depth = max(n.depth for n in term_networks)
    padded = [pad_depth(n, depth) for n in term_networks]
    coefficients = [Dyadic.from_fraction(terms[s]) for s in sorted(terms, key=lambda s: (bin(s).count("1"), s))]
    network, combination = linear_combination(padded, coefficients)

    sizes = sorted({bin(s).count("1") for s in terms})
    products = {size: build_character(list(range(size)), max(size, 1), construction) for size in sizes}
    return PredicateNetwork(network, construction, dict(terms), products, combination)


def build_character(variables: Sequence[int], input_dim: int, construction: str) -> Network:
    """Return a network computing chi_S(x) = prod_{i in S} x_i on {+-1}^input_dim (the constant 1 for S empty)."""
    if not variables:
        return _absolute_value(0, input_dim)
    if len(variables) == 1:
        return Network(input_dim, [Layer.from_entries((1, input_dim), [(0, variables[0], 1)])])
    if construction == "tree":
        return _tree_product(variables, input_dim)
    return _inductive_product(variables, input_dim, carry_sign=construction == "sequential")


def _absolute_value(variable: int, input_dim: int) -> Network:
    hidden = Layer.from_entries((2, input_dim), [(0, variable, 1), (1, variable, -1)])
    return Network(input_dim, [hidden, Layer.from_dense([[1, 1]])])


def _gadget_rows(a: dict[int, int], b: dict[int, int]) -> list[dict[int, int]]:
    """Return the four pre-activations a + b, -a - b, b, -b of the product gadget (15)."""
    total = {i: a.get(i, 0) + b.get(i, 0) for i in set(a) | set(b)}
    return [total, _scaled(total, -1), dict(b), _scaled(b, -1)]


def _scaled(row: dict[int, int], factor: int) -> dict[int, int]:
    return {i: factor * v for i, v in row.items()}


def _to_layer(rows: list[dict[int, int]], in_dim: int) -> Layer:
    entries = [(r, c, v) for r, row in enumerate(rows) for c, v in sorted(row.items()) if v != 0]
    return Layer.from_entries((len(rows), in_dim), entries)


def _tree_product(variables: Sequence[int], input_dim: int) -> Network:
    """Build prod x_i by the gadget on pairs, one hidden layer per level of a balanced tree."""
    # Each value is a linear form over the previous layer's outputs: {column: weight}.
    values = [{v: 1} for v in variables]
    in_dim = input_dim
    layers = []
    while len(values) > 1:
        rows, next_values = [], []
        for position in range(0, len(values) - 1, 2):
            start = len(rows)
            rows += _gadget_rows(values[position], values[position + 1])
            next_values.append({start: 1, start + 1: 1, start + 2: -1, start + 3: -1})
        if len(values) % 2:
            start = len(rows)
            rows += [dict(values[-1]), _scaled(values[-1], -1)]
            next_values.append({start: 1, start + 1: -1})
        layers.append(_to_layer(rows, in_dim))
        in_dim = len(rows)
        values = next_values
    layers.append(_to_layer(values, in_dim))
    return Network(input_dim, layers)


def _inductive_product(variables: Sequence[int], input_dim: int, carry_sign: bool) -> Network:
    """Build prod x_i by the induction of Appendix A.2.

    The network for the first m variables is a list of weight matrices W_1..W_m
    (dense rows as {column: weight}). Step m -> m + 1 appends the carried variable
    to every layer, then replaces the output layer by the four gadget rows
    v^T W''_m, -v^T W''_m, e^T W''_m, -e^T W''_m and adds the output (1, 1, -1, -1).
    """
    first, second = variables[0], variables[1]
    layers: list[list[dict[int, int]]] = [_gadget_rows({first: 1}, {second: 1}), [{0: 1, 1: 1, 2: -1, 3: -1}]]
    widths = [input_dim, 4, 1]

    for carried in variables[2:]:
        # W''_1: the first layer also reads x_{m+1} (as a pair when the sign is carried).
        carry_rows = [{carried: 1}, {carried: -1}] if carry_sign else [{carried: 1}]
        carry_width = len(carry_rows)
        extended = [layers[0] + carry_rows]

        # W''_i, 1 < i < m: an identity block passes the carried units on.
        for index in range(1, len(layers) - 1):
            previous = widths[index]
            block = [{previous + j: 1} for j in range(carry_width)]
            extended.append(layers[index] + block)

        # W''_m: the output layer gains a row that reads the carried value back.
        previous = widths[len(layers) - 1]
        readout = {previous: 1, previous + 1: -1} if carry_sign else {previous: 1}
        product_row, carried_row = layers[-1][0], readout

        # W'''_m: the gadget rows v^T W''_m, -v^T W''_m, e^T W''_m, -e^T W''_m.
        extended.append(_gadget_rows(product_row, carried_row))
        extended.append([{0: 1, 1: 1, 2: -1, 3: -1}])

        layers = extended
        widths = [input_dim] + [len(rows) for rows in layers]

    built = [_to_layer(rows, widths[index]) for index, rows in enumerate(layers)]
    return Network(input_dim, built)
