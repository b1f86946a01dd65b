"""Checker for ``goldreich-generator`` certificates, written by ``generate goldreich``.

It trusts neither the builder nor the recorded proof. It redraws the hypergraph from
the recorded seed and then repeats the per-coordinate proof with its own evaluator.
For each output l it follows the non-zero weights back from l and requires every seed
column reached to lie in the recorded hyperedge S_l. It then evaluates the restricted
network on all 2^k assignments of x_(S_l) against the recorded truth table. The biases are
re-derived by a different method than the builder's, from the Fourier expansion:
E[prod_(l in T) P(x_(S_l))] is the sum, over one Fourier set A_l per output, of
prod_l hatP(A_l) over the choices whose seed sets S_l(A_l) cancel in pairs (their
symmetric difference is empty).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from verifier.checker.core import (
    DIFFERENCE,
    GRADIENT,
    MISSING,
    CheckedLayer,
    CheckedNetwork,
    Failure,
    Verifier,
    check_gram_sides,
    decide,
    evaluate_batch,
    evaluate_point,
    get_field,
    gradient_squares,
    hypercube,
    network_sha256,
    norm_squared_at_most,
    parse_network,
    read_exact,
    read_integer,
    read_list,
    read_point,
    read_text,
    split_blocks,
)
from verifier.checker.predicate import read_predicate, subset_indices
from verifier.errors import InputError

SCHEMA_VERSION = 1
KIND = "goldreich-generator"
SEED_LAW = "uniform on {-1,+1}^m"
MAX_ARITY = 12
MAX_BIAS_ORDER = 4
MAX_LISTED_BIASED_SETS = 1000


# Networks restricted to one output.


def _normalised(shape, entries, bias, scale) -> CheckedLayer:
    """Return the layer with the least scale that keeps every numerator an integer."""
    common = 0
    for value in [m for _, _, m in entries] + list(bias):
        common |= value
    drop = min(scale, (common & -common).bit_length() - 1) if common else scale
    return CheckedLayer(shape, [(r, c, m >> drop) for r, c, m in entries], [b >> drop for b in bias], scale - drop)


def _layer_key(layer: CheckedLayer) -> tuple:
    return (layer.shape, tuple(sorted(layer.entries)), tuple(layer.bias), layer.scale)


def _local_network(network: CheckedNetwork, sources: list[dict], output: int, hyperedge: list[int]) -> tuple[CheckedNetwork, set[int]]:
    """Return output ``output``'s sub-network on the inputs ``hyperedge`` (in that order) and the input columns it reads.

    ``sources[i]`` maps each row of layer i to the columns of its non-zero weights.
    """
    needed = [None] * (len(network.layers) + 1)
    needed[-1] = {output}
    for index in range(len(network.layers) - 1, -1, -1):
        needed[index] = set().union(*(sources[index].get(row, ()) for row in needed[index + 1]))
    read_columns = needed[0]

    layers = []
    previous = {column: position for position, column in enumerate(hyperedge)}
    for index, layer in enumerate(network.layers):
        rows = {row: position for position, row in enumerate(sorted(needed[index + 1]))}
        entries = [(rows[r], previous[c], m) for r, c, m in layer.entries if r in rows and c in previous]
        bias = [layer.bias[row] for row in sorted(rows)]
        layers.append(_normalised((len(rows), len(previous)), entries, bias, layer.scale))
        previous = rows
    return CheckedNetwork(len(hyperedge), layers), read_columns


def _same_network(left: CheckedNetwork, right: CheckedNetwork) -> bool:
    return left.input_dim == right.input_dim and [_layer_key(a) for a in left.layers] == [_layer_key(b) for b in right.layers]


# Hypergraphs and biases.


def _draw(m: int, d: int, k: int, seed: int, draws: int) -> list[list[int]]:
    """Return draw number ``draws`` of numpy.random.default_rng(seed), each hyperedge rng.choice(m, size=k, replace=False)."""
    rng = np.random.default_rng(seed)
    for _ in range(draws):
        hyperedges = [[int(i) for i in rng.choice(m, size=k, replace=False)] for _ in range(d)]
    return hyperedges


def _connected_sets(hyperedges: list[list[int]], order: int) -> list[tuple[int, ...]]:
    """Return every set of at most ``order`` outputs connected by shared seed coordinates, by growing sets one neighbour at a time."""
    neighbours = [set() for _ in hyperedges]
    for a in range(len(hyperedges)):
        for b in range(a + 1, len(hyperedges)):
            if set(hyperedges[a]) & set(hyperedges[b]):
                neighbours[a].add(b)
                neighbours[b].add(a)
    found = {frozenset([l]) for l in range(len(hyperedges))}
    frontier = set(found)
    for _ in range(order - 1):
        frontier = {group | {n} for group in frontier for member in group for n in neighbours[member] if n not in group}
        found |= frontier
    return sorted((tuple(sorted(group)) for group in found), key=lambda s: (len(s), s))


def _bias(hyperedges: list[list[int]], terms: dict[int, Fraction], output_set) -> Fraction:
    """Return E[prod_(l in T) P(x_(S_l))] from the Fourier expansion: mapped Fourier sets must cancel."""
    totals = {frozenset(): Fraction(1)}
    for output in output_set:
        edge = hyperedges[output]
        mapped = [(frozenset(edge[j] for j in range(len(edge)) if mask >> j & 1), value) for mask, value in terms.items()]
        combined = {}
        for seeds, weight in totals.items():
            for other, value in mapped:
                key = seeds ^ other
                combined[key] = combined.get(key, 0) + weight * value
        totals = {key: value for key, value in combined.items() if value}
    return totals.get(frozenset(), Fraction(0))


def _pattern(hyperedges: list[list[int]], output_set) -> tuple:
    numbering = {}
    return tuple(tuple(numbering.setdefault(c, len(numbering)) for c in hyperedges[l]) for l in output_set)


class GeneratorVerifier(Verifier):
    """Re-derive a goldreich-generator certificate."""

    def run(self) -> None:
        self.check_header_fields()
        self.check_network()
        self.check_generator_class()
        self.check_predicate()
        self.check_hypergraph()
        self.check_coordinate_proof()
        self.check_local_networks()
        self.check_coordinates()
        self.check_biases()
        self.check_wasserstein()
        self.check_claims()

    def check_header_fields(self) -> None:
        for section, fields in (("tool", ("name", "version")), ("construction", ("name", "predicate_network_sha256"))):
            for name in fields:
                read_text(get_field(self.section(section), name, section), f"{section}.{name}")
        self.expect("seed_distribution", self.data.get("seed_distribution", MISSING), SEED_LAW)

    def check_generator_class(self) -> None:
        network, recorded = self.network, self.section("network_class")
        derived = {"input_dim": network.input_dim, "output_dim": network.layers[-1].shape[0], "depth": len(network.layers),
                   "size": sum(network.widths), "widths": network.widths, "tau": network.tau()}
        for name, value in derived.items():
            self.expect(f"network_class.{name}", recorded.get(name, MISSING), value)

    def check_predicate(self) -> None:
        predicate = self.section("predicate")
        self.k, self.table, self.terms = read_predicate(predicate)
        ordered = sorted(self.terms.items(), key=lambda term: (bin(term[0]).count("1"), term[0]))
        derived = [{"set": subset_indices(mask), "value": str(value)} for mask, value in ordered]
        self.expect("predicate.fourier", predicate.get("fourier", MISSING), derived)

    def check_hypergraph(self) -> None:
        hypergraph = self.section("hypergraph")
        self.m = read_integer(get_field(hypergraph, "m", "hypergraph"), "hypergraph.m")
        self.expect("hypergraph.k", hypergraph.get("k", MISSING), self.k)
        self.expect("hypergraph.indexing", hypergraph.get("indexing", MISSING), "0-based")
        edges = read_list(get_field(hypergraph, "hyperedges", "hypergraph"), "hypergraph.hyperedges")
        self.hyperedges = []
        for index, edge in enumerate(edges):
            path = f"hypergraph.hyperedges[{index}]"
            values = [read_integer(v, path) for v in read_list(edge, path)]
            self.require(len(values) == self.k and len(set(values)) == self.k and all(0 <= v < self.m for v in values),
                         f"{path}: expected {self.k} distinct seed coordinates in 0..{self.m - 1}, found {values}")
            self.hyperedges.append(values)
        self.d = len(self.hyperedges)
        self.require(self.network.input_dim == self.m and self.network.layers[-1].shape[0] == self.d,
                     f"network: maps R^{self.network.input_dim} to R^{self.network.layers[-1].shape[0]}, but the hypergraph "
                     f"needs m = {self.m} inputs and d = {self.d} outputs")

        seed, draws = hypergraph.get("seed"), hypergraph.get("draws")
        if seed is None:
            self.expect("hypergraph.draws", draws, None)
            return
        seed = read_integer(seed, "hypergraph.seed")
        draws = read_integer(draws, "hypergraph.draws")
        if draws < 1:
            raise InputError(f"hypergraph.draws: expected a positive integer, found {draws}")
        redrawn = _draw(self.m, self.d, self.k, seed, draws)
        differing = next((l for l, (a, b) in enumerate(zip(redrawn, self.hyperedges)) if a != b), None)
        self.require(differing is None,
                     f"hypergraph.hyperedges[{differing}]: recorded {self.hyperedges[differing] if differing is not None else ''}, "
                     f"but draw {draws} of seed {seed} gives {redrawn[differing] if differing is not None else ''}")

    def check_coordinate_proof(self) -> None:
        """Repeat the per-coordinate proof: each output reads only its hyperedge and computes P there."""
        sources = []
        for layer in self.network.layers:
            by_row = {}
            for r, c, _ in layer.entries:
                by_row.setdefault(r, set()).add(c)
            sources.append(by_row)

        points = hypercube(self.k)
        self.local = []  # per output: index into self.distinct
        self.distinct: list[CheckedNetwork] = []
        keys, mismatches, outside, values = {}, {}, {}, {}
        for output, hyperedge in enumerate(self.hyperedges):
            local, read_columns = _local_network(self.network, sources, output, hyperedge)
            extra = sorted(read_columns - set(hyperedge))
            if extra:
                outside[output] = extra
            key = tuple(_layer_key(layer) for layer in local.layers)
            if key not in keys:
                keys[key] = len(self.distinct)
                self.distinct.append(local)
                outputs, stats = evaluate_batch(local, points)
                exponent = stats[-1][1]
                mismatches[keys[key]] = [i for i in range(1 << self.k) if int(outputs[0, i]) != self.table[i] << exponent]
                if mismatches[keys[key]]:
                    values[keys[key]] = [Fraction(int(v), 1 << exponent) for v in outputs[0].tolist()]
            self.local.append(keys[key])
        self.failing = sorted({l for l, index in enumerate(self.local) if mismatches[index]} | set(outside))

        first, note = None, ""
        if self.failing:
            output = self.failing[0]
            edge = f"hypergraph.hyperedges[{output}] = {self.hyperedges[output]}"
            if output in outside:
                first = {"output": output, "reason": "reads seed coordinates outside its hyperedge", "columns": outside[output]}
                note = f" (first failing output {output}: it reads seed coordinates {outside[output]} outside {edge})"
            else:
                i = mismatches[self.local[output]][0]
                first = {"output": output, "reason": "differs from the predicate", "local_input": [int(v) for v in points[:, i]],
                         "expected": str(self.table[i]), "network": str(values[self.local[output]][i])}
                note = (f" (first failing output {output}: at local input {first['local_input']} of {edge} the network gives "
                        f"{first['network']} where the predicate gives {first['expected']})")
        recorded = self.section("coordinate_proof")
        derived = {"status": "pass" if not self.failing else "fail", "failing_outputs": len(self.failing), "first_failure": first,
                   "outputs": self.d, "local_inputs": 1 << self.k, "distinct_local_networks": len(self.distinct)}
        for name, value in derived.items():
            self.expect(f"coordinate_proof.{name}", recorded.get(name, MISSING), value, note if name == "status" else "")

    def check_local_networks(self) -> None:
        """Match each recorded local network to a derived one, prove its layer norms and re-derive its Lipschitz bracket."""
        records = read_list(get_field(self.data, "local_networks", ""), "local_networks")
        self.expect("local_networks (number of entries)", len(records), len(self.distinct))
        self.local_hash = [None] * len(self.distinct)
        self.local_bounds = [None] * len(self.distinct)
        for position, record in enumerate(records):
            path = f"local_networks[{position}]"
            raw = get_field(record, "network", path)
            parsed = parse_network(raw, f"{path}.network")
            match = next((i for i, local in enumerate(self.distinct) if _same_network(local, parsed)), None)
            self.require(match is not None and self.local_hash[match] is None,
                         f"{path}.network: not the sub-network of any output, or listed twice")
            digest = network_sha256(raw)
            self.expect(f"{path}.sha256", get_field(record, "sha256", path), digest)
            self.local_hash[match] = digest
            self.expect(f"{path}.depth", record.get("depth", MISSING), len(parsed.layers))
            self.expect(f"{path}.size", record.get("size", MISSING), sum(parsed.widths))
            self.expect(f"{path}.tau", record.get("tau", MISSING), parsed.tau())
            self.local_bounds[match] = self._local_lipschitz(parsed, record, path)

    def _local_lipschitz(self, network: CheckedNetwork, record: dict, path: str) -> tuple[Fraction, Fraction]:
        norms = read_list(get_field(record, "operator_norms", path), f"{path}.operator_norms")
        self.expect(f"{path}.operator_norms (number of entries)", len(norms), len(network.layers))
        upper = Fraction(1)
        for index, (norm, layer) in enumerate(zip(norms, network.layers)):
            where = f"{path}.operator_norms[{index}]"
            self.expect(f"{where}.layer", get_field(norm, "layer", where), index + 1)
            read_text(get_field(norm, "method", where), f"{where}.method")
            bound = read_exact(get_field(norm, "upper", where), f"{where}.upper")
            blocks, _ = split_blocks(layer)
            check_gram_sides(blocks, where)
            self.require(bound >= 0 and norm_squared_at_most(layer, blocks, bound**2),
                         f"{where}.upper: {bound} is not an upper bound on the layer's operator norm")
            upper *= bound
        self.expect(f"{path}.lipschitz_upper", record.get("lipschitz_upper", MISSING), str(upper))

        method = get_field(record, "lipschitz_lower_method", path)
        witness = read_list(get_field(record, "lipschitz_lower_witness", path), f"{path}.lipschitz_lower_witness")
        recorded_squared = read_exact(get_field(record, "lipschitz_lower_squared", path), f"{path}.lipschitz_lower_squared")
        if method == GRADIENT:
            _, hidden = evaluate_point(network, read_point(witness, network.input_dim, f"{path}.lipschitz_lower_witness"))
            self.require(all(not (value == 0 and moves[unit]) for z, moves in hidden for unit, value in enumerate(z)),
                         f"{path}.lipschitz_lower_witness: the point lies on a kink, so the gradient bound does not apply")
            squares = gradient_squares(network, hidden)
            derived = recorded_squared if recorded_squared in squares else max(squares)
        elif method == DIFFERENCE:
            x, y = (read_point(witness[i], network.input_dim, f"{path}.lipschitz_lower_witness[{i}]") for i in (0, 1))
            self.require(x != y, f"{path}.lipschitz_lower_witness: the two points are equal")
            fx, fy = evaluate_point(network, x)[0], evaluate_point(network, y)[0]
            derived = sum((a - b) ** 2 for a, b in zip(fx, fy)) / sum((a - b) ** 2 for a, b in zip(x, y))
        else:
            raise Failure(f"{path}.lipschitz_lower_method: recorded {method!r}, expected {GRADIENT!r} or {DIFFERENCE!r}")
        self.expect(f"{path}.lipschitz_lower_squared", record["lipschitz_lower_squared"], str(derived))
        lower = read_exact(get_field(record, "lipschitz_lower", path), f"{path}.lipschitz_lower")
        self.require(lower >= 0 and lower**2 <= derived, f"{path}.lipschitz_lower: {lower} exceeds sqrt(lipschitz_lower_squared)")
        return upper, derived

    def check_coordinates(self) -> None:
        rows = read_list(get_field(self.data, "coordinates", ""), "coordinates")
        self.expect("coordinates (number of entries)", len(rows), self.d)
        for output, row in enumerate(rows):
            local = self.distinct[self.local[output]]
            derived = {"output": output, "local_network_sha256": self.local_hash[self.local[output]], "depth": len(local.layers),
                       "size": sum(local.widths), "tau": local.tau(), "lipschitz_upper": str(self.local_bounds[self.local[output]][0])}
            self.expect(f"coordinates[{output}]", row, derived)

    def check_biases(self) -> None:
        biases = self.section("biases")
        order = read_integer(get_field(biases, "order", "biases"), "biases.order")
        if not 1 <= order <= MAX_BIAS_ORDER:
            raise InputError(f"biases.order: {order} is outside 1..{MAX_BIAS_ORDER}")
        sets = _connected_sets(self.hyperedges, order)
        values = [_bias(self.hyperedges, self.terms, s) for s in sets]
        examined, largest, biased = {}, {size: None for size in range(1, order + 1)}, []
        for output_set, value in zip(sets, values):
            examined[str(len(output_set))] = examined.get(str(len(output_set)), 0) + 1
            if value:
                biased.append((output_set, value))
            best = largest[len(output_set)]
            if best is None or abs(value) > abs(best[1]):
                largest[len(output_set)] = (output_set, value)

        def entry(item):
            return None if item is None else {"outputs": list(item[0]), "bias": str(item[1])}

        overall = max((item for item in largest.values() if item is not None), key=lambda item: (abs(item[1]), -len(item[0])), default=None)
        listed = sorted(biased, key=lambda item: (-abs(item[1]), len(item[0]), item[0]))
        patterns = {_pattern(self.hyperedges, s) for s in sets}
        derived = {
            "order": order,
            "sets_examined": examined,
            "overlap_patterns": len(patterns),
            "seed_assignments_visited": sum(1 << (1 + max(max(edge) for edge in p)) for p in patterns),
            "biased_connected_sets": len(biased),
            "largest_by_size": {str(size): entry(item) for size, item in largest.items()},
            "largest": entry(overall),
            "biased_sets": [entry(item) for item in listed[:MAX_LISTED_BIASED_SETS]],
            "biased_sets_truncated": len(listed) > MAX_LISTED_BIASED_SETS,
        }
        for name, value in derived.items():
            self.expect(f"biases.{name}", biases.get(name, MISSING), value)
        read_text(get_field(biases, "method", "biases"), "biases.method")

        avoid = biases.get("avoid_bias", MISSING)
        if avoid is None:
            return
        if not isinstance(avoid, dict):
            raise InputError("biases.avoid_bias: expected null or an object with 'order' and 'draws'")
        avoid_order = read_integer(get_field(avoid, "order", "biases.avoid_bias"), "biases.avoid_bias.order")
        hypergraph = self.section("hypergraph")
        self.expect("biases.avoid_bias.draws", avoid.get("draws", MISSING), hypergraph.get("draws"))
        self.require(avoid_order <= order and not any(len(s) <= avoid_order for s, _ in biased),
                     f"biases.avoid_bias: a set of at most {avoid_order} outputs is biased in the recorded hypergraph")
        for draw in range(1, hypergraph["draws"]):
            earlier = _draw(self.m, self.d, self.k, hypergraph["seed"], draw)
            self.require(any(_bias(earlier, self.terms, s) for s in _connected_sets(earlier, avoid_order)),
                         f"biases.avoid_bias.draws: draw {draw} has no biased set of at most {avoid_order} outputs, so it should have been kept")

    def check_wasserstein(self) -> None:
        record = get_field(self.section("wasserstein"), "lemma_2_14", "wasserstein")
        m, d = self.m, self.d
        ratio = Fraction(2) ** (m - d)
        self.stated_beta = 2 * (1 - ratio)
        derived = {
            "source": "Lemma 2.14", "alpha": "2", "N": f"2^{m}", "N_prime": f"2^{d}",
            "stated_beta": str(self.stated_beta), "stated_beta_formula": f"2 (1 - 2^({m} - {d}))",
            "general_bound": str(1 - ratio), "general_bound_formula": f"(alpha/2)(1 - N/N') = 1 - 2^({m} - {d})",
        }
        for name, value in derived.items():
            self.expect(f"wasserstein.lemma_2_14.{name}", record.get(name, MISSING), value)
        counterexample = get_field(record, "counterexample", "wasserstein.lemma_2_14")
        # U_2 against the point mass at 0: each of the four points is at squared distance 1 + 1.
        squared = {sum(v * v for v in point) for point in hypercube(2).T.tolist()}
        status = "fails" if squared == {2} and Fraction(2) < Fraction(3, 2) ** 2 else "holds"
        for name, value in (("w1_squared", "2"), ("w1", "sqrt(2)"), ("stated_beta", "3/2"), ("status", status)):
            self.expect(f"wasserstein.lemma_2_14.counterexample.{name}", counterexample.get(name, MISSING), value)

    def check_claims(self) -> None:
        locals_ = [self.distinct[i] for i in self.local]
        bounds = [self.local_bounds[i] for i in self.local]
        k, d = self.k, self.d
        depth = max(len(n.layers) for n in locals_)
        size = max(sum(n.widths) for n in locals_)
        tau = max(n.tau() for n in locals_)
        upper = max(b[0] for b in bounds)
        lower_squared = max(b[1] for b in bounds)
        terms = len(self.terms)

        proved = not self.failing
        identical = len(self.distinct) == 1 and self.local_hash[0] == self.section("construction").get("predicate_network_sha256")
        item_3_status = "holds" if proved and self.stated_beta >= 1 else "undecided"

        derived = {
            "goldreich/computes-generator": (f"0 failing outputs of {d}", f"{len(self.failing)} failing outputs of {d}", "holds" if proved else "fails"),
            "corollary-3.4/depth": (str(k), str(depth), "holds" if depth <= k else "fails"),
            "corollary-3.4/bit-complexity": (str(k), str(tau), "holds" if tau <= k else "fails"),
            "corollary-3.4/size": (str(4 * k * 2**k), str(size), "holds" if size <= 4 * k * 2**k else "fails"),
            "corollary-3.4/lipschitz": (f"6^{k} sqrt({terms})", str(upper), decide(upper**2, lower_squared, Fraction(36**k * terms))),
            "theorem-3.2/item-1": (f"all {d} per-coordinate networks equal N_P",
                                   f"{len(self.distinct)} distinct per-coordinate networks" + (", equal to N_P" if identical else ""),
                                   "holds" if identical else "fails"),
            "theorem-3.2/item-3": ("1", f"W_1 >= {self.stated_beta}" if proved else "no proved lower bound", item_3_status),
        }
        claims = read_list(get_field(self.data, "claims", ""), "claims")
        seen = set()
        for index, claim in enumerate(claims):
            path = f"claims[{index}]"
            identifier = get_field(claim, "id", path)
            if identifier not in derived:
                raise InputError(f"{path}.id: unknown claim id {identifier!r}")
            self.require(identifier not in seen, f"{path}.id: the claim {identifier} is listed twice")
            seen.add(identifier)
            for name in ("source", "statement", "method"):
                read_text(get_field(claim, name, path), f"{path}.{name}")
            stated, measured, status = derived[identifier]
            self.expect(f"{path}.stated ({identifier})", claim.get("stated", MISSING), stated)
            self.expect(f"{path}.measured ({identifier})", claim.get("measured", MISSING), measured)
            self.expect(f"{path}.status ({identifier})", claim.get("status", MISSING), status)
        for identifier in derived:
            self.require(identifier in seen, f"claims: the claim {identifier} is missing")


def verify(data: dict, network: dict | None = None) -> dict:
    """Re-derive a goldreich-generator certificate; see verifier.checker.verify_certificate."""
    if data.get("schema_version") != SCHEMA_VERSION or isinstance(data.get("schema_version"), bool):
        raise InputError(f"schema_version: unsupported value {data.get('schema_version')!r}; this checker reads {SCHEMA_VERSION}")
    return GeneratorVerifier(data, network).outcome()
