"""``generate goldreich``: prove Goldreich's generator correct for every seed, measure its biases, certify it.

The steps:

1. Per-coordinate proof. Output l of the network depends on the seed only through
   the input columns its sub-network reads. When those lie in the hyperedge S_l, the
   output is a function of x_{S_l} alone, and evaluating that sub-network exactly on
   all 2^k assignments of x_{S_l} (in drawn order) and comparing with P's truth table
   proves G(x)_l = P(x_{S_l}) for all 2^m seeds x.
2. Per-coordinate classes (Remark 2.7): depth, size, tau and a proved Lipschitz upper
   bound of each output's sub-network, against Corollary 3.4 and Theorem 3.2, item 1.
3. Exact low-order biases E[prod_{l in T} G(x)_l] over uniform seeds for every set T of
   at most t outputs, by enumerating the seed bits the outputs in T read.
4. Exact Wasserstein facts: Lemma 2.14 at N = 2^m points of {+-1}^d, and Fact 3.9.

A claim is "holds" when exact arithmetic proves it, "fails" when exact arithmetic
refutes it and "undecided" when the proved bounds straddle the stated value.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np
import scipy.sparse

from verifier import __version__
from verifier.claims import decide, make_claim
from verifier.constructions.goldreich import GoldreichGenerator, Hypergraph
from verifier.constructions.lemma33 import RULES
from verifier.dyadic import Dyadic
from verifier.evaluator import evaluate, hypercube_points
from verifier.network import Network
from verifier.norms import lipschitz_lower_bound, prove_operator_norm
from verifier.predicate_check import subset_to_list

CERTIFICATE_SCHEMA_VERSION = 1
CERTIFICATE_KIND = "goldreich-generator"
SEED_LAW = "uniform on {-1,+1}^m"

MAX_BIAS_ORDER = 4
# Upper limit on the seed assignments that the bias enumeration visits (sum of 2^|union|
# over the distinct overlap patterns). At m = 50, d = 200, k = 5 and t = 2 it is about 2^18.
BIAS_WORK_LIMIT = 1 << 30
_BIAS_CHUNK = 1 << 22  # int64 entries per vectorised chunk, about 32 MiB
MAX_LISTED_BIASED_SETS = 1000
_FACT_3_9_FULL_SUM_MAX_N = 16

GENERATOR_RULES = (
    "Output l is the Lemma 3.3 network N_P with its first layer's column c moved to the seed coordinate S_l[c] "
    "(the c-th drawn coordinate); the copies share no hidden unit.",
    "Seed coordinates and outputs are numbered from 0.",
)


# Per-coordinate proof.


@dataclass
class LocalNetworkRecord:
    """One distinct per-coordinate sub-network, on the k inputs of its hyperedge in drawn order."""

    network: Network
    mismatches: list[int]  # truth-table indices where the network differs from P
    values: list[Dyadic]
    norm_proofs: list = field(default_factory=list)
    lipschitz_upper: Dyadic = Dyadic(0)
    lipschitz_lower: object = None


@dataclass
class CoordinateProof:
    """The outcome of the per-coordinate proof for all outputs."""

    local_hashes: list[str]  # per output
    records: dict[str, LocalNetworkRecord]  # by sha256 of the local network
    outside_reads: dict[int, list[int]]  # output -> seed columns read outside its hyperedge
    failing_outputs: list[int]

    @property
    def proves_generator(self) -> bool:
        return not self.failing_outputs


def coordinate_supports(network: Network) -> list[scipy.sparse.csr_matrix]:
    """Return, per layer, a boolean outputs-by-units matrix: which units each output coordinate depends on.

    Entry [l, j] of matrix i is true when unit j of layer i (the inputs for i = 0)
    reaches output l through non-zero weights. The last matrix is the identity.
    """
    reach = scipy.sparse.identity(network.output_dim, dtype=np.int64, format="csr")
    supports = [reach]
    for layer in reversed(network.layers):
        pattern = scipy.sparse.csr_matrix((np.ones(layer.nnz, dtype=np.int64), (layer.rows, layer.cols)), shape=layer.shape)
        reach = reach @ pattern
        reach.data[:] = 1
        supports.append(reach.tocsr())
    return list(reversed(supports))


def local_network(network: Network, supports, output: int, hyperedge: Sequence[int]) -> Network:
    """Return output ``output``'s sub-network with its inputs restricted to ``hyperedge``, in that order."""
    layers = []
    previous = np.asarray(hyperedge, dtype=np.int64)
    for index, layer in enumerate(network.layers):
        rows = supports[index + 1][output].indices
        layers.append(layer.restrict(np.sort(rows), previous))
        previous = np.sort(rows)
    return Network(len(hyperedge), layers)


def prove_coordinates(network: Network, hypergraph: Hypergraph, table: Sequence[int], progress: Callable[[str], None] = lambda _: None) -> CoordinateProof:
    """Prove, output by output, that the network computes P(x_{S_l}) for every seed, or find where it does not."""
    if network.input_dim != hypergraph.m or network.output_dim != hypergraph.d:
        raise ValueError(f"the network maps R^{network.input_dim} to R^{network.output_dim}, the hypergraph needs m = {hypergraph.m}, d = {hypergraph.d}")
    supports = coordinate_supports(network)

    # Step 1: the seed columns each output reads must lie in its hyperedge.
    outside_reads = {}
    for output, hyperedge in enumerate(hypergraph.hyperedges):
        read = set(supports[0][output].indices.tolist())
        extra = sorted(read - set(hyperedge))
        if extra:
            outside_reads[output] = extra

    # Step 2: the sub-network of each output on the k coordinates of its hyperedge.
    progress(f"extracting {hypergraph.d} per-coordinate sub-networks ...")
    local_hashes, records = [], {}
    for output, hyperedge in enumerate(hypergraph.hyperedges):
        local = local_network(network, supports, output, hyperedge)
        digest = local.sha256()
        local_hashes.append(digest)
        if digest not in records:
            records[digest] = LocalNetworkRecord(local, [], [])

    # Step 3: each distinct sub-network evaluated exactly on all 2^k local inputs.
    points = hypercube_points(hypergraph.k)
    expected = [Dyadic(v) for v in table]
    for record in records.values():
        values = [row[0] for row in evaluate(record.network, points, 0, 0).outputs]
        record.values = values
        record.mismatches = [i for i, (got, want) in enumerate(zip(values, expected)) if got != want]

    failing = sorted({l for l, digest in enumerate(local_hashes) if records[digest].mismatches} | set(outside_reads))
    return CoordinateProof(local_hashes, records, outside_reads, failing)


def prove_local_lipschitz(proof: CoordinateProof, seed: int) -> None:
    """Prove layer norms, a Lipschitz upper bound and a lower bound for each distinct sub-network.

    W_1 E_l has the norm of W_1 because E_l has orthonormal rows, so the bounds of the
    sub-network on k inputs are those of output l on all m seed coordinates.
    """
    for record in proof.records.values():
        record.norm_proofs = [prove_operator_norm(layer) for layer in record.network.layers]
        upper = Dyadic(1)
        for norm in record.norm_proofs:
            upper = upper * norm.upper
        record.lipschitz_upper = upper
        record.lipschitz_lower = lipschitz_lower_bound(record.network, seed=seed)


@dataclass
class CoordinateClass:
    """The class C^{tau,Lambda}_{L,S} of one output coordinate's sub-network (Remark 2.7)."""

    output: int
    depth: int
    size: int
    tau: int
    lipschitz_upper: Dyadic

    def to_json(self) -> dict:
        return {"output": self.output, "depth": self.depth, "size": self.size, "tau": self.tau, "lipschitz_upper": str(self.lipschitz_upper)}


def coordinate_classes(network: Network, progress: Callable[[str], None] = lambda _: None) -> list[CoordinateClass]:
    """Measure depth, size, tau and a proved Lipschitz upper bound (product of layer norms) of every output's sub-network.

    Output l's sub-network keeps, in each layer, the units that reach l. Its weight
    matrices are submatrices of the network's, and a submatrix has at most the norm of
    the matrix, so each layer's norm is proved once for the whole layer. A restriction
    to one row or one column gets its own exact Euclidean norm, which is never larger.
    """
    supports = coordinate_supports(network)
    layer_norms = [prove_operator_norm(layer).upper for layer in network.layers]
    entry_taus = [np.array([Dyadic(int(v), layer.scale).tau() for v in layer.values.tolist()], dtype=np.int64) for layer in network.layers]
    bias_taus = [np.array([Dyadic(int(b), layer.scale).tau() for b in layer.bias.tolist()], dtype=np.int64) for layer in network.layers]

    classes = []
    for output in range(network.output_dim):
        if output % 50 == 0:
            progress(f"per-coordinate classes: output {output + 1} of {network.output_dim} ...")
        previous = np.sort(supports[0][output].indices)
        upper, size, tau = Dyadic(1), 0, 0
        for index, layer in enumerate(network.layers):
            rows = np.sort(supports[index + 1][output].indices)
            row_kept = np.zeros(layer.shape[0], dtype=bool)
            row_kept[rows] = True
            column_kept = np.zeros(layer.shape[1], dtype=bool)
            column_kept[previous] = True
            kept = row_kept[layer.rows] & column_kept[layer.cols]

            if len(rows) == 1 or len(previous) == 1:
                norm = prove_operator_norm(layer.restrict(rows, previous)).upper
            else:
                norm = layer_norms[index]
            upper = upper * norm
            tau = max(tau, int(entry_taus[index][kept].max(initial=0)), int(bias_taus[index][rows].max(initial=0)))
            if index < network.depth - 1:
                size += len(rows)
            previous = rows
        classes.append(CoordinateClass(output, network.depth, size, tau, upper))
    return classes


# Low-order biases.


@dataclass
class BiasReport:
    """Exact biases E[prod_{l in T} y_l] of the connected output sets T of size at most ``order``."""

    order: int
    sets_examined: dict[int, int]  # size -> number of connected sets
    biased: list[tuple[tuple[int, ...], Fraction]]  # connected sets with a non-zero bias
    largest: dict[int, tuple[tuple[int, ...], Fraction] | None]  # size -> set with the largest |bias|
    patterns: int  # distinct overlap patterns, each enumerated once
    points_visited: int

    def overall_largest(self) -> tuple[tuple[int, ...], Fraction] | None:
        candidates = [entry for entry in self.largest.values() if entry is not None]
        return max(candidates, key=lambda entry: (abs(entry[1]), -len(entry[0])), default=None)


def overlap_neighbours(hypergraph: Hypergraph) -> list[set[int]]:
    """Return, per output, the other outputs whose hyperedges share a seed coordinate with it."""
    outputs_by_coordinate = defaultdict(list)
    for output, hyperedge in enumerate(hypergraph.hyperedges):
        for coordinate in hyperedge:
            outputs_by_coordinate[coordinate].append(output)
    neighbours = [set() for _ in range(hypergraph.d)]
    for outputs in outputs_by_coordinate.values():
        for output in outputs:
            neighbours[output].update(outputs)
    for output, others in enumerate(neighbours):
        others.discard(output)
    return neighbours


def connected_output_sets(neighbours: list[set[int]], order: int) -> list[tuple[int, ...]]:
    """Return every set of at most ``order`` outputs that is connected in the overlap graph, each once.

    The enumeration is Wernicke's ESU algorithm: a set grows from its smallest output
    v only by outputs above v in the exclusive neighbourhood of the last one added.
    """
    found = []

    def extend(current: list[int], extension: list[int], root: int) -> None:
        found.append(tuple(sorted(current)))
        if len(current) == order:
            return
        pending = list(extension)
        while pending:
            chosen = pending.pop()
            covered = set(current)
            for member in current:
                covered |= neighbours[member]
            exclusive = [u for u in neighbours[chosen] if u > root and u not in covered]
            extend(current + [chosen], pending + exclusive, root)

    for root in range(len(neighbours)):
        extend([root], sorted(u for u in neighbours[root] if u > root), root)
    return sorted(found, key=lambda s: (len(s), s))


def set_biases(hypergraph: Hypergraph, table: Sequence[int], sets: Sequence[tuple[int, ...]],
               work_limit: int = BIAS_WORK_LIMIT) -> tuple[list[Fraction], int, int]:
    """Return E[prod_{l in T} P(x_{S_l})] over uniform seeds for each set T, by exact enumeration.

    The product depends only on the seed coordinates U in the union of the hyperedges
    of T, so the mean over the 2^|U| assignments of x_U is the exact bias. Renaming the
    coordinates of U does not change it, so U is numbered in order of first appearance
    in T's hyperedges and sets with the same numbered pattern are enumerated once.
    Coordinate q of U is -1 exactly when bit q of the assignment's index is 1.

    Returns the biases, the number of distinct patterns and the number of assignments
    visited; raises ValueError when that number would exceed ``work_limit``.
    """
    patterns: dict[tuple, list[int]] = defaultdict(list)
    for position, output_set in enumerate(sets):
        patterns[_overlap_pattern([hypergraph.hyperedges[l] for l in output_set])].append(position)
    work = sum(1 << (1 + max(max(edge) for edge in pattern)) for pattern in patterns)
    if work > work_limit:
        raise ValueError(f"the exact biases need {work} seed assignments, above the limit {work_limit}")

    biases = [Fraction(0)] * len(sets)
    for pattern, value in zip(patterns, _pattern_biases(list(patterns), table, hypergraph.k)):
        for position in patterns[pattern]:
            biases[position] = value
    return biases, len(patterns), work


def _overlap_pattern(hyperedges: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    """Return the hyperedges with their seed coordinates renumbered 0, 1, ... in order of first appearance."""
    numbering: dict[int, int] = {}
    return tuple(tuple(numbering.setdefault(c, len(numbering)) for c in edge) for edge in hyperedges)


def _pattern_biases(patterns: list[tuple[tuple[int, ...], ...]], table: Sequence[int], k: int) -> list[Fraction]:
    """Return the mean over all assignments of prod_j P(assignment restricted to pattern j), per pattern."""
    lookup = np.asarray(table, dtype=np.int64)
    weights = np.left_shift(1, np.arange(k, dtype=np.int64))[None, None, :, None]
    groups = defaultdict(list)  # (number of hyperedges, union size) -> pattern positions
    for position, pattern in enumerate(patterns):
        groups[(len(pattern), 1 + max(max(edge) for edge in pattern))].append(position)

    biases = [Fraction(0)] * len(patterns)
    for (size, union_size), members in groups.items():
        assignments = np.arange(1 << union_size, dtype=np.int64)
        chunk = max(1, _BIAS_CHUNK // (size * k * (1 << union_size)))
        for start in range(0, len(members), chunk):
            part = members[start:start + chunk]
            places = np.array([patterns[p] for p in part], dtype=np.int64)  # (patterns, size, k)
            bits = (assignments[None, None, None, :] >> places[..., None]) & 1
            indices = (bits * weights).sum(axis=2)  # (patterns, size, assignments)
            totals = lookup[indices].prod(axis=1).sum(axis=1)
            for position, total in zip(part, totals.tolist()):
                biases[position] = Fraction(int(total), 1 << union_size)
    return biases


def low_order_biases(hypergraph: Hypergraph, table: Sequence[int], order: int) -> BiasReport:
    """Compute the exact bias of every connected set of at most ``order`` outputs.

    Outputs in different components of a set read disjoint seed bits, so a set's bias
    is the product of its components' biases. The largest |bias| over all sets of at
    most ``order`` outputs is therefore attained by a connected set, and a set is
    biased only when each of its components is.
    """
    sets = connected_output_sets(overlap_neighbours(hypergraph), order)
    biases, patterns, work = set_biases(hypergraph, table, sets)

    examined = defaultdict(int)
    largest: dict[int, tuple | None] = {size: None for size in range(1, order + 1)}
    biased = []
    for output_set, bias in zip(sets, biases):
        size = len(output_set)
        examined[size] += 1
        if bias != 0:
            biased.append((output_set, bias))
        best = largest[size]
        if best is None or abs(bias) > abs(best[1]):
            largest[size] = (output_set, bias)
    return BiasReport(order, dict(examined), biased, largest, patterns, work)


def has_biased_parity(report: BiasReport) -> bool:
    return bool(report.biased)


# Exact Wasserstein facts.


def lemma_2_14_facts(m: int, d: int) -> dict:
    """Return Lemma 2.14 at alpha = 2, N = 2^m, N' = 2^d (U_d against laws on at most 2^m points), exactly.

    The stated beta = alpha (1 - N/N') holds when nu is supported in Omega = {+-1}^d: at
    least N' - N points of U_d carry no mass of nu and lie at distance >= alpha from every
    support point. For a general nu only (alpha/2)(1 - N/N') follows, because a ball of
    radius alpha/2 around a support point contains at most one point of Omega. The literal
    statement fails for U_2 against a point mass at 0.
    """
    alpha = Fraction(2)
    ratio = Fraction(2) ** (m - d)
    stated = alpha * (1 - ratio)
    general = alpha / 2 * (1 - ratio)

    # The counterexample: every point of {+-1}^2 is at distance sqrt(2) from 0, so any
    # coupling with the point mass moves all the mass by sqrt(2): W_1 = sqrt(2).
    corners = hypercube_points(2).T
    squared_distances = sorted({int((corner * corner).sum()) for corner in corners})
    counter_stated = alpha * (1 - Fraction(1, 4))
    counter_squared = Fraction(squared_distances[0])
    counter_status = "fails" if len(squared_distances) == 1 and counter_squared < counter_stated**2 else "holds"
    return {
        "source": "Lemma 2.14",
        "alpha": str(alpha),
        "N": f"2^{m}",
        "N_prime": f"2^{d}",
        "stated_beta": str(stated),
        "stated_beta_formula": f"2 (1 - 2^({m} - {d}))",
        "holds_when": "nu is supported in Omega = {-1,+1}^d, as G(U_m) is",
        "general_bound": str(general),
        "general_bound_formula": f"(alpha/2)(1 - N/N') = 1 - 2^({m} - {d})",
        "counterexample": {
            "mu": "U_2",
            "nu": "the point mass at 0",
            "w1": f"sqrt({counter_squared})",
            "w1_squared": str(counter_squared),
            "stated_beta": str(counter_stated),
            "status": counter_status,
            "method": "exact: every point of {-1,+1}^2 has squared distance 2 from 0, and 2 < (3/2)^2",
        },
    }


def grid_wasserstein(n: int) -> Fraction:
    """Return W_1 between the uniform law on {j / 2^n : 0 <= j < 2^n} and I_1, exactly.

    In one dimension W_1 is the integral of |F_grid - F_uniform|. On the cell
    [j/2^n, (j+1)/2^n) F_grid = (j+1)/2^n and F_uniform(x) = x, so the cell contributes
    the integral of (j+1)/2^n - x, which is 1/(2 * 4^n). Up to n = 16 the cells are summed
    one by one; beyond, every cell contributes the same by translation, and the sum is
    2^n times the first cell.
    """
    cells = 1 << n
    width = Fraction(1, cells)

    def cell_integral(j: int) -> Fraction:
        left, right, level = j * width, (j + 1) * width, (j + 1) * width
        return (level - left) ** 2 / 2 - (level - right) ** 2 / 2

    if n <= _FACT_3_9_FULL_SUM_MAX_N:
        return sum((cell_integral(j) for j in range(cells)), Fraction(0))
    return cells * cell_integral(0)


def fact_3_9_facts(n: int, eps: Fraction | None = None) -> dict:
    """Return Fact 3.9 for h(x) = <w, x + 1>, w = (1/4, ..., 2^-(n+1)): the exact W_1(h(U_n), I_1) against 2^-n."""
    measured = grid_wasserstein(n)
    stated = Fraction(1, 1 << n)
    record = {
        "source": "Fact 3.9",
        "n": n,
        "w1": str(measured),
        "stated_bound": str(stated),
        "stated_bound_formula": "2^-n (the proof's bound)",
        "status": "holds" if measured <= stated else "fails",
        "method": "exact: integral of |F_grid - F_uniform| cell by cell" if n <= _FACT_3_9_FULL_SUM_MAX_N
        else "exact: one cell's integral times 2^n (the cells are translates)",
    }
    if eps is not None:
        record["eps"] = str(eps)
        record["eps_status"] = "holds" if measured <= eps else "fails"
    return record


# The certificate.


@dataclass
class GeneratorCheck:
    certificate: dict
    proves_generator: bool
    findings: list[dict]



def check_goldreich(generator: GoldreichGenerator, bias_order: int = 2, seed: int = 0, avoid_bias: int | None = None,
                    biases: BiasReport | None = None, progress: Callable[[str], None] = lambda _: None) -> GeneratorCheck:
    """Prove, measure and certify a built Goldreich generator.

    ``biases`` may be passed when the caller has computed them already (as the
    redrawing loop of --avoid-bias does); ``avoid_bias`` is recorded with it.
    """
    network, predicate, hypergraph = generator.network, generator.predicate, generator.hypergraph

    # Step 1: the per-coordinate proof for all 2^m seeds.
    progress(f"proving {hypergraph.d} output coordinates on their 2^{hypergraph.k} local inputs ...")
    proof = prove_coordinates(network, hypergraph, predicate.table, progress)

    # Step 2: per-coordinate classes and Lipschitz bounds.
    progress("proving operator norms of the per-coordinate networks ...")
    prove_local_lipschitz(proof, seed)

    # Step 3: exact low-order biases.
    if biases is None:
        progress(f"computing exact biases of up to {bias_order} outputs ...")
        biases = low_order_biases(hypergraph, predicate.table, bias_order)

    # Step 4: exact Wasserstein facts for these m and d.
    wasserstein = lemma_2_14_facts(hypergraph.m, hypergraph.d)

    claims = _claims(generator, proof, wasserstein)
    findings = [c for c in claims if c["status"] != "holds"]
    certificate = {
        "schema_version": CERTIFICATE_SCHEMA_VERSION,
        "kind": CERTIFICATE_KIND,
        "tool": {"name": "verifier", "version": __version__, "numpy": np.__version__},
        "seed_distribution": SEED_LAW,
        "network_sha256": network.sha256(),
        "network": network.to_json(),
        "network_class": {"input_dim": network.input_dim, "output_dim": network.output_dim, "depth": network.depth,
                          "size": network.size, "widths": network.widths, "tau": network.tau()},
        "predicate": {
            "name": predicate.name,
            "arity": predicate.arity,
            "truth_table": predicate.truth_table_hex(),
            "convention": predicate.convention,
            "source": predicate.source,
            "fourier": [{"set": subset_to_list(s), "value": str(v)} for s, v in sorted(predicate.fourier().items(), key=lambda t: (bin(t[0]).count("1"), t[0]))],
        },
        "construction": {
            "name": generator.predicate_network.construction,
            "predicate_network_sha256": generator.predicate_network.network.sha256(),
            "rules": list(RULES) + list(GENERATOR_RULES),
        },
        "hypergraph": hypergraph.to_json(),
        "coordinate_proof": _proof_record(proof, hypergraph, predicate),
        "local_networks": [_local_record(digest, record) for digest, record in sorted(proof.records.items())],
        "coordinates": [
            {"output": l, "local_network_sha256": digest, "depth": proof.records[digest].network.depth,
             "size": proof.records[digest].network.size, "tau": proof.records[digest].network.tau(),
             "lipschitz_upper": str(proof.records[digest].lipschitz_upper)}
            for l, digest in enumerate(proof.local_hashes)
        ],
        "biases": _bias_record(biases, avoid_bias, hypergraph),
        "wasserstein": {"lemma_2_14": wasserstein},
        "claims": claims,
    }
    return GeneratorCheck(certificate, proof.proves_generator, findings)


def _proof_record(proof: CoordinateProof, hypergraph: Hypergraph, predicate) -> dict:
    first = None
    if proof.failing_outputs:
        output = proof.failing_outputs[0]
        record = proof.records[proof.local_hashes[output]]
        if output in proof.outside_reads:
            first = {"output": output, "reason": "reads seed coordinates outside its hyperedge", "columns": proof.outside_reads[output]}
        else:
            index = record.mismatches[0]
            local_input = [int(v) for v in hypercube_points(hypergraph.k)[:, index]]
            first = {"output": output, "reason": "differs from the predicate", "local_input": local_input,
                     "expected": str(predicate.table[index]), "network": str(record.values[index])}
    return {
        "method": "exact: each output's sub-network reads only its hyperedge and is evaluated on all 2^k inputs of it",
        "statement": f"G(x)_l = P(x_(S_l)) for every output l and every x in {{-1,+1}}^{hypergraph.m}",
        "outputs": hypergraph.d,
        "local_inputs": 1 << hypergraph.k,
        "distinct_local_networks": len(proof.records),
        "failing_outputs": len(proof.failing_outputs),
        "status": "pass" if proof.proves_generator else "fail",
        "first_failure": first,
    }


def _local_record(digest: str, record: LocalNetworkRecord) -> dict:
    lower = record.lipschitz_lower
    return {
        "sha256": digest,
        "network": record.network.to_json(),
        "depth": record.network.depth,
        "size": record.network.size,
        "tau": record.network.tau(),
        "mismatches": len(record.mismatches),
        "operator_norms": [{"layer": i, "upper": str(p.upper), "method": p.method} for i, p in enumerate(record.norm_proofs, start=1)],
        "lipschitz_upper": str(record.lipschitz_upper),
        "lipschitz_lower": str(lower.value),
        "lipschitz_lower_squared": str(lower.squared),
        "lipschitz_lower_method": lower.method,
        "lipschitz_lower_witness": _witness_json(lower.witness),
    }


def _witness_json(witness) -> list:
    if witness and isinstance(witness[0], tuple):
        return [[str(v) for v in point] for point in witness]
    return [str(v) for v in witness]


def _bias_record(biases: BiasReport, avoid_bias: int | None, hypergraph: Hypergraph) -> dict:
    def entry(item):
        if item is None:
            return None
        output_set, bias = item
        return {"outputs": list(output_set), "bias": str(bias)}

    listed = sorted(biases.biased, key=lambda item: (-abs(item[1]), len(item[0]), item[0]))
    return {
        "order": biases.order,
        "method": "exact: enumeration of the seed bits each connected set of outputs reads, once per overlap pattern; "
                  "a set whose outputs split into groups reading disjoint seed bits has the product of the groups' biases",
        "sets_examined": {str(size): count for size, count in sorted(biases.sets_examined.items())},
        "overlap_patterns": biases.patterns,
        "seed_assignments_visited": biases.points_visited,
        "biased_connected_sets": len(biases.biased),
        "largest_by_size": {str(size): entry(item) for size, item in sorted(biases.largest.items())},
        "largest": entry(biases.overall_largest()),
        "biased_sets": [entry(item) for item in listed[:MAX_LISTED_BIASED_SETS]],
        "biased_sets_truncated": len(listed) > MAX_LISTED_BIASED_SETS,
        "avoid_bias": None if avoid_bias is None else {"order": avoid_bias, "draws": hypergraph.draws},
    }


def _claims(generator: GoldreichGenerator, proof: CoordinateProof, wasserstein: dict) -> list[dict]:
    predicate, hypergraph = generator.predicate, generator.hypergraph
    k, m, d = predicate.arity, hypergraph.m, hypergraph.d
    records = [proof.records[digest] for digest in proof.local_hashes]
    depth = max(r.network.depth for r in records)
    size = max(r.network.size for r in records)
    tau = max(r.network.tau() for r in records)
    upper = max((r.lipschitz_upper for r in records), key=lambda v: v.to_fraction())
    lower_squared = max(r.lipschitz_lower.squared for r in records)
    terms = len(predicate.fourier())
    claims = []

    claims.append(make_claim(
        "goldreich/computes-generator", "Definitions 7 and 8, Corollary 3.4",
        f"G(x)_l = P(x_(S_l)) for all d = {d} outputs and all 2^{m} seeds",
        f"0 failing outputs of {d}", f"{len(proof.failing_outputs)} failing outputs of {d}",
        "holds" if proof.proves_generator else "fails", "exact: per-coordinate evaluation on all 2^k local inputs",
    ))
    claims.append(make_claim(
        "corollary-3.4/depth", "Corollary 3.4", "L = k: every output coordinate has depth at most k",
        k, depth, "holds" if depth <= k else "fails", "exact: count of layers, maximum over outputs",
    ))
    claims.append(make_claim(
        "corollary-3.4/bit-complexity", "Corollary 3.4",
        "tau = O(k); the proof's concrete count: Fourier coefficients are multiples of 2^-k in [-1, 1] and the other weights are 0 or +-1, so tau <= k",
        k, tau, "holds" if tau <= k else "fails", "exact: bit complexity of every weight and bias, maximum over outputs",
    ))
    claims.append(make_claim(
        "corollary-3.4/size", "Corollary 3.4", "S = O(2^k k); concrete form 4 k 2^k",
        4 * k * 2**k, size, "holds" if size <= 4 * k * 2**k else "fails", "exact: count of hidden units per output, maximum over outputs",
    ))
    claims.append(make_claim(
        "corollary-3.4/lipschitz", "Corollary 3.4",
        "Lambda = exp(O(k)); concrete form 6^k sqrt(r), r = number of non-zero Fourier terms",
        f"6^{k} sqrt({terms})", str(upper), decide(upper.to_fraction() ** 2, lower_squared, Fraction(36**k * terms)),
        "exact: product of proved layer norms compared as squares; refuted only by a proved lower bound",
    ))

    identical = len(proof.records) == 1 and proof.local_hashes[0] == generator.predicate_network.network.sha256()
    claims.append(make_claim(
        "theorem-3.2/item-1", "Theorem 3.2, item 1",
        "tau, Lambda, L, S = O(1): every output coordinate is the predicate network N_P reading its hyperedge, "
        "so its class does not depend on m or d",
        f"all {d} per-coordinate networks equal N_P", f"{len(proof.records)} distinct per-coordinate networks"
        + (", equal to N_P" if identical else ""),
        "holds" if identical else "fails", "exact: comparison of the per-coordinate networks' canonical JSON hashes",
    ))

    stated_beta = Fraction(wasserstein["stated_beta"])
    proved = proof.proves_generator and all(v in (1, -1) for v in predicate.table)
    if not proved:
        status = "undecided"
    else:
        status = "holds" if stated_beta >= 1 else "undecided"
    claims.append(make_claim(
        "theorem-3.2/item-3", "Theorem 3.2, item 3, with Lemma 2.14",
        "W_1(G(U_m), U_d) >= 1; the proof's bound is Lemma 2.14 with alpha = 2, N = 2^m, N' = 2^d, valid because "
        "G(U_m) lies on at most 2^m points of {-1,+1}^d",
        1, f"W_1 >= {stated_beta}" if proved else "no proved lower bound", status,
        "exact: the per-coordinate proof shows G(U_m) is supported in {-1,+1}^d; Lemma 2.14 then gives 2 (1 - 2^(m-d))",
    ))
    return claims
