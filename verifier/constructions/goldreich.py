"""Definitions 7 and 8 with Corollary 3.4: Goldreich's generator G_{P,H} as a ReLU network.

Output l of G_{P,H}: {+-1}^m -> {+-1}^d reads the seed coordinates of the hyperedge
S_l = (s_1, ..., s_k) in the order they were drawn, which is P's argument order:

    G(x)_l = P(x_{s_1}, ..., x_{s_k}) = N_P(E_l x),

where N_P is the Lemma 3.3 network of P on k inputs and E_l is the k x m matrix with
a single 1 in row c, column s_c. So the generator is d copies of N_P side by side:
copy l's first layer is W_1 E_l (the columns of W_1 moved to S_l) and its later
layers sit on the block diagonal. E_l has orthonormal rows, so ||W_1 E_l|| = ||W_1||
and every output coordinate has exactly the depth, size, bit complexity and layer
norms of N_P.

Seed coordinates and outputs are numbered from 0, as numpy draws them and as the
network's input and output indices run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from verifier.combinators import assemble_layer
from verifier.constructions.lemma33 import PredicateNetwork, build_predicate_network
from verifier.errors import InputError
from verifier.network import Layer, Network, load_json

HYPERGRAPH_FORMAT = "verifier-hypergraph"
HYPERGRAPH_SCHEMA_VERSION = 1

DRAW_RULE = (
    "numpy.random.default_rng(seed); for output l = 0, ..., d-1 in turn rng.choice(m, size=k, replace=False), "
    "kept in drawn order as the predicate's argument order; a redraw continues the same generator"
)


@dataclass(frozen=True)
class Hypergraph:
    """The d hyperedges S_1, ..., S_d of Definition 8, each k distinct seed coordinates in argument order.

    ``seed`` and ``draws`` say how it was drawn (draw number ``draws`` of DRAW_RULE),
    and are None for a hypergraph read from a file.
    """

    m: int
    k: int
    hyperedges: tuple[tuple[int, ...], ...]
    seed: int | None = None
    draws: int | None = None

    @property
    def d(self) -> int:
        return len(self.hyperedges)

    def to_json(self) -> dict:
        return {
            "format": HYPERGRAPH_FORMAT,
            "schema_version": HYPERGRAPH_SCHEMA_VERSION,
            "m": self.m,
            "k": self.k,
            "indexing": "0-based",
            "seed": self.seed,
            "draws": self.draws,
            "draw_rule": DRAW_RULE if self.seed is not None else None,
            "hyperedges": [list(edge) for edge in self.hyperedges],
        }


@dataclass
class GoldreichGenerator:
    """The network of G_{P,H} with the parts it was built from."""

    network: Network
    predicate: object  # verifier.predicates.Predicate
    predicate_network: PredicateNetwork
    hypergraph: Hypergraph


def check_parameters(m, d, k) -> None:
    """Raise InputError unless m and d are positive integers and 1 <= k <= m."""
    for name, value in (("m", m), ("d", d)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name} must be a positive integer, found {value!r}")
    if k < 1:
        raise InputError(f"the predicate has arity {k}; a generator needs k >= 1")
    if k > m:
        raise InputError(f"the predicate has arity k = {k}, more than the m = {m} seed coordinates; a hyperedge needs k distinct ones")


def hypergraph_draws(m: int, d: int, k: int, seed: int) -> Iterator[Hypergraph]:
    """Yield successive random hypergraphs from one numpy generator, as DRAW_RULE describes."""
    check_parameters(m, d, k)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"the seed must be a non-negative integer, found {seed!r}")
    rng = np.random.default_rng(seed)
    draws = 0
    while True:
        draws += 1
        hyperedges = tuple(tuple(int(i) for i in rng.choice(m, size=k, replace=False)) for _ in range(d))
        yield Hypergraph(m, k, hyperedges, seed, draws)


def draw_hypergraph(m: int, d: int, k: int, seed: int) -> Hypergraph:
    """Return the first hypergraph of ``hypergraph_draws``."""
    return next(hypergraph_draws(m, d, k, seed))


def read_hypergraph(path: str, k: int | None = None) -> Hypergraph:
    """Read a hypergraph file, raising InputError that names the file and the field.

    The file is the JSON of ``Hypergraph.to_json``; only format, schema_version, m and
    hyperedges are required. ``k``, when given, is the arity every hyperedge must have.
    """
    data = load_json(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object with 'm' and 'hyperedges'")
    if data.get("format") != HYPERGRAPH_FORMAT:
        raise InputError(f"{path}: field 'format' must be {HYPERGRAPH_FORMAT!r}, found {data.get('format')!r}")
    if data.get("schema_version") != HYPERGRAPH_SCHEMA_VERSION:
        raise InputError(f"{path}: unsupported schema_version {data.get('schema_version')!r} (this tool reads {HYPERGRAPH_SCHEMA_VERSION})")
    if data.get("indexing", "0-based") != "0-based":
        raise InputError(f"{path}: field 'indexing' must be '0-based', found {data.get('indexing')!r}")

    m = data.get("m")
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise InputError(f"{path}: field 'm' must be a positive integer, found {m!r}")
    hyperedges = data.get("hyperedges")
    if not isinstance(hyperedges, list) or not hyperedges:
        raise InputError(f"{path}: field 'hyperedges' must be a non-empty list of lists of seed coordinates")
    arity = k
    if arity is None and isinstance(hyperedges[0], list):
        arity = len(hyperedges[0])

    edges = []
    for position, edge in enumerate(hyperedges):
        where = f"{path}: hyperedges[{position}]"
        if not isinstance(edge, list):
            raise InputError(f"{where}: expected a list of seed coordinates, found {edge!r}")
        if len(edge) != arity:
            raise InputError(f"{where}: has {len(edge)} coordinates but the predicate has arity {arity}")
        for index in edge:
            if isinstance(index, bool) or not isinstance(index, int):
                raise InputError(f"{where}: expected integer seed coordinates, found {index!r}")
            if not 0 <= index < m:
                raise InputError(f"{where}: seed coordinate {index} is out of range 0..{m - 1}")
        if len(set(edge)) != len(edge):
            repeated = next(i for i in edge if edge.count(i) > 1)
            raise InputError(f"{where}: seed coordinate {repeated} appears twice; a hyperedge has k distinct coordinates")
        edges.append(tuple(edge))

    if "k" in data and data["k"] != arity:
        raise InputError(f"{path}: field 'k' is {data['k']!r} but the hyperedges have {arity} coordinates")
    check_parameters(m, len(edges), arity)
    return Hypergraph(m, arity, tuple(edges))


def build_goldreich(predicate, hypergraph: Hypergraph, construction: str = "tree") -> GoldreichGenerator:
    """Build the Corollary 3.4 network of G_{P,H}: one Lemma 3.3 network per output, placed at its hyperedge."""
    if predicate.arity != hypergraph.k:
        raise InputError(f"the predicate {predicate.name} has arity {predicate.arity} but the hyperedges have {hypergraph.k} coordinates")

    # Step 1: the Lemma 3.3 network N_P of the predicate, built once.
    predicate_network = build_predicate_network(predicate, construction)

    # Step 2: d copies of N_P, copy l reading the seed coordinates S_l.
    network = place_copies(predicate_network.network, hypergraph)
    return GoldreichGenerator(network, predicate, predicate_network, hypergraph)


def place_copies(local: Network, hypergraph: Hypergraph) -> Network:
    """Return the network x -> (N(E_1 x), ..., N(E_d x)) for a network N on k inputs."""
    first, rest = local.layers[0], local.layers[1:]
    copies = hypergraph.d

    # Step 1: copy l of the first layer is W_1 E_l, its columns moved to the seed coordinates S_l.
    moved = [_move_columns(first, hyperedge, hypergraph.m) for hyperedge in hypergraph.hyperedges]
    rows = first.shape[0]
    layers = [assemble_layer((copies * rows, hypergraph.m), [(layer, l * rows, 0) for l, layer in enumerate(moved)])]

    # Step 2: the later layers of the copies on the block diagonal.
    for layer in rest:
        out_rows, in_cols = layer.shape
        blocks = [(layer, l * out_rows, l * in_cols) for l in range(copies)]
        layers.append(assemble_layer((copies * out_rows, copies * in_cols), blocks))
    return Network(hypergraph.m, layers)


def _move_columns(layer: Layer, columns: Sequence[int], width: int) -> Layer:
    """Return the layer with input c moved to column columns[c] of a ``width``-column matrix."""
    target = np.asarray(columns, dtype=np.int64)
    return Layer((layer.shape[0], width), layer.rows, target[layer.cols], layer.values.tolist(), layer.bias.tolist(), layer.scale)
