"""Combining networks: identity padding, parallel stacking, linear combination (Lemma A.1)
and composition (Lemma 2.8).

Each combinator builds the network its lemma describes and returns it with the
lemma's parameter formula evaluated on the inputs (``Parameters``), so a caller
can put the stated and the built values side by side.

Identity padding uses z = phi(z) - phi(-z): a layer that outputs z is replaced by
one that outputs (z, -z) through a ReLU, followed by [I, -I].

Lemma 2.8 as written feeds J's outputs through a ReLU before f, which is right
only when they are non-negative. ``compose`` builds that literal form on request
and, by default, passes each signed output of J as the pair (phi(z), phi(-z)),
which keeps depth L1 + L2 and bit complexity max(tau1, tau2) at the cost of r
more units than the lemma states.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from verifier.dyadic import Dyadic
from verifier.network import Layer, Network


@dataclass
class Parameters:
    """Depth, size and bit complexity that a lemma states for a built network."""

    lemma: str
    depth: int
    size: int
    tau: int
    notes: list[str] = field(default_factory=list)

    def compare(self, network: Network) -> dict:
        """Return stated against measured depth, size and tau, with whether each bound holds."""
        measured = {"depth": network.depth, "size": network.size, "tau": network.tau()}
        stated = {"depth": self.depth, "size": self.size, "tau": self.tau}
        return {
            name: {"stated": stated[name], "measured": measured[name], "holds": measured[name] <= stated[name]}
            for name in stated
        }


def assemble_layer(shape: tuple[int, int], blocks: Sequence[tuple[Layer, int, int]], bias: Sequence | None = None) -> Layer:
    """Place layers as blocks of one larger layer, each at its (row offset, column offset).

    Blocks may overlap in columns (vertical stacking) but not in entries. ``bias``
    replaces the blocks' biases when given; otherwise each block brings its own.
    """
    scale = max([layer.scale for layer, _, _ in blocks] + [0])
    if bias is not None:
        bias = [Dyadic(b) for b in bias]
        scale = max([scale] + [b.exponent for b in bias])
    rows, cols, values = [], [], []
    stacked_bias = [0] * shape[0]
    for layer, row_offset, col_offset in blocks:
        shift = scale - layer.scale
        rows.append(layer.rows + row_offset)
        cols.append(layer.cols + col_offset)
        values.extend(int(v) << shift for v in layer.values.tolist())
        for r, b in enumerate(layer.bias.tolist()):
            stacked_bias[row_offset + r] += int(b) << shift
    if bias is not None:
        stacked_bias = [b.scaled(scale) for b in bias]
    rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    cols = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    return Layer(shape, rows, cols, values, stacked_bias, scale)


def identity_pairs_layer(width: int) -> Layer:
    """Return the hidden layer that carries (phi(z), phi(-z)) pairs unchanged: the identity on 2*width units."""
    return Layer.from_entries((2 * width, 2 * width), [(i, i, 1) for i in range(2 * width)])


def pad_depth(network: Network, depth: int) -> Network:
    """Return a network of the given depth computing the same function, by identity padding.

    Each added layer adds 2 * output_dim hidden units.
    """
    extra = depth - network.depth
    if extra < 0:
        raise ValueError(f"cannot pad a depth-{network.depth} network down to depth {depth}")
    if extra == 0:
        return network
    last = network.layers[-1]
    width = last.shape[0]
    doubled = assemble_layer(
        (2 * width, last.shape[1]),
        [(last, 0, 0), (_negated(last), width, 0)],
    )
    layers = network.layers[:-1] + [doubled]
    layers += [identity_pairs_layer(width) for _ in range(extra - 1)]
    recombine = Layer.from_entries((width, 2 * width), [(i, i, 1) for i in range(width)] + [(i, width + i, -1) for i in range(width)])
    return Network(network.input_dim, layers + [recombine])


def _negated(layer: Layer) -> Layer:
    return Layer(layer.shape, layer.rows, layer.cols, [-int(v) for v in layer.values.tolist()], [-int(b) for b in layer.bias.tolist()], layer.scale)


def stack_parallel(networks: Sequence[Network]) -> Network:
    """Return the network x -> (F_1(x), ..., F_r(x)) on a shared input.

    Networks of smaller depth are padded to the largest depth first. The first layer
    is the vertical concatenation of the first layers and later layers are block
    diagonal, so every output coordinate keeps its own sub-network.
    """
    input_dim = networks[0].input_dim
    if any(n.input_dim != input_dim for n in networks):
        raise ValueError("networks stacked in parallel must share their input dimension")
    depth = max(n.depth for n in networks)
    networks = [pad_depth(n, depth) for n in networks]
    layers = []
    for index in range(depth):
        row_offset, col_offset, blocks = 0, 0, []
        for network in networks:
            layer = network.layers[index]
            blocks.append((layer, row_offset, col_offset if index > 0 else 0))
            row_offset += layer.shape[0]
            col_offset += layer.shape[1]
        columns = input_dim if index == 0 else col_offset
        layers.append(assemble_layer((row_offset, columns), blocks))
    return Network(input_dim, layers)


def linear_combination(networks: Sequence[Network], coefficients: Sequence, bias=0) -> tuple[Network, Parameters]:
    """Return sum_i lambda_i F_i (+ bias) as one network, as in Lemma A.1.

    The F_i share depth L, input dimension and have one output each. W_1 stacks their
    first layers, the middle layers are block diagonal, and W_L is
    lambda^T blockdiag(W_L^(1), ..., W_L^(r)). Lemma A.1 states depth L, size
    sum S_i, and entries in R_{O(tau + tau')}; the concrete bound used here is
    tau(lambda) + tau' since a product of an R_a and an R_b number lies in R_{a+b}.
    """
    coefficients = [Dyadic(c) for c in coefficients]
    if len(coefficients) != len(networks) or not networks:
        raise ValueError("give one coefficient per network, and at least one network")
    depths = {n.depth for n in networks}
    if len(depths) != 1:
        raise ValueError(f"Lemma A.1 combines networks of one depth; found depths {sorted(depths)}")
    if any(n.output_dim != 1 for n in networks):
        raise ValueError("Lemma A.1 combines networks with one output each")

    if networks[0].depth == 1:
        last = assemble_layer((len(networks), networks[0].input_dim), [(n.layers[0], i, 0) for i, n in enumerate(networks)])
        network = Network(networks[0].input_dim, [_weighted_rows(last, coefficients, bias)])
    else:
        stacked = stack_parallel(networks)
        network = Network(stacked.input_dim, stacked.layers[:-1] + [_weighted_rows(stacked.layers[-1], coefficients, bias)])

    stated = Parameters(
        lemma="Lemma A.1",
        depth=networks[0].depth,
        size=sum(n.size for n in networks),
        tau=max(c.tau() for c in coefficients) + max(n.tau() for n in networks),
    )
    return network, stated


def _weighted_rows(layer: Layer, coefficients: Sequence[Dyadic], bias) -> Layer:
    """Return the one-row layer sum_i c_i * (row i of ``layer``), plus ``bias``."""
    total: dict[int, Dyadic] = {}
    for row, col, value in layer.entries():
        total[col] = total.get(col, Dyadic(0)) + coefficients[row] * value
    constant = Dyadic(bias)
    for coefficient, row_bias in zip(coefficients, layer.bias_values()):
        constant = constant + coefficient * row_bias
    return Layer.from_entries((1, layer.shape[1]), [(0, col, value) for col, value in sorted(total.items())], [constant])


def compose(inner: Sequence[Network] | Network, outer: Network, mode: str = "pairs") -> tuple[Network, Parameters]:
    """Return f o J, with J given by r one-output networks of one depth (or one r-output network).

    Modes:
      * ``"literal"``: Lemma 2.8's proof as written; J's outputs pass through a ReLU
        before f, so the result is f(phi(J(y))), equal to f o J only where J >= 0.
        Size (S1 + 1) r + S2, depth L1 + L2.
      * ``"pairs"`` (default): J's output layer is doubled to (z, -z) and f's first
        layer reads phi(z) - phi(-z). Depth L1 + L2, size (S1 + 2) r + S2, tau unchanged.
      * ``"merge"``: J's last affine map is multiplied into f's first. Depth
        L1 + L2 - 1, size S1 r + S2; the merged entries are products, so tau can grow.

    The returned Parameters are the lemma's stated formula, whatever the mode.
    """
    if isinstance(inner, Network):
        inner_network = inner
        parts = [inner.coordinate_network(i) for i in range(inner.output_dim)]
    else:
        parts = list(inner)
        inner_network = stack_parallel(parts)
    r = inner_network.output_dim
    if outer.input_dim != r:
        raise ValueError(f"f takes {outer.input_dim} inputs but J has {r} outputs")
    stated = Parameters(
        lemma="Lemma 2.8",
        depth=max(p.depth for p in parts) + outer.depth,
        size=(max(p.size for p in parts) + 1) * r + outer.size,
        tau=max(max(p.tau() for p in parts), outer.tau()),
        notes=["S_1 is taken as the largest size among J's coordinate networks"],
    )

    j_layers, j_last = inner_network.layers[:-1], inner_network.layers[-1]
    f_first, f_rest = outer.layers[0], outer.layers[1:]
    if mode == "literal":
        layers = j_layers + [j_last, f_first] + f_rest
    elif mode == "pairs":
        doubled = assemble_layer((2 * r, j_last.shape[1]), [(j_last, 0, 0), (_negated(j_last), r, 0)])
        reads_pairs = assemble_layer((f_first.shape[0], 2 * r), [(f_first, 0, 0), (_negated_weights(f_first), 0, r)], bias=f_first.bias_values())
        layers = j_layers + [doubled, reads_pairs] + f_rest
    elif mode == "merge":
        layers = j_layers + [_multiply(f_first, j_last)] + f_rest
    else:
        raise ValueError(f"unknown composition mode {mode!r}; expected 'literal', 'pairs' or 'merge'")
    return Network(inner_network.input_dim, layers), stated


def _negated_weights(layer: Layer) -> Layer:
    return Layer(layer.shape, layer.rows, layer.cols, [-int(v) for v in layer.values.tolist()], [0] * layer.shape[0], layer.scale)


def _multiply(outer: Layer, inner: Layer) -> Layer:
    """Return the affine map a -> outer(inner(a)) as one layer, exactly."""
    import flint

    def dense(layer):
        matrix = [[0] * layer.shape[1] for _ in range(layer.shape[0])]
        for r, c, v in zip(layer.rows.tolist(), layer.cols.tolist(), layer.values.tolist()):
            matrix[r][c] = int(v)
        return flint.fmpz_mat(matrix) if layer.shape[0] and layer.shape[1] else None

    product = dense(outer) * dense(inner)
    inner_bias = flint.fmpz_mat([[int(b)] for b in inner.bias.tolist()])
    shifted_bias = dense(outer) * inner_bias
    scale = outer.scale + inner.scale
    entries = [
        (i, j, Dyadic(int(product[i, j]), scale))
        for i in range(product.nrows())
        for j in range(product.ncols())
        if product[i, j] != 0
    ]
    bias = [Dyadic(int(shifted_bias[i, 0]), scale) + Dyadic(int(b), outer.scale) for i, b in enumerate(outer.bias.tolist())]
    return Layer.from_entries((outer.shape[0], inner.shape[1]), entries, bias)
