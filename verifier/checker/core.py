"""Exact primitives of the certificate checker, shared by every kind of certificate.

Like a proof checker, the checker trusts none of the code that built a
certificate. This package imports nothing from verifier but InputError; it parses
networks itself and re-derives every recorded value with Python integers and
fractions.Fraction. numpy and scipy only multiply integer matrices whose partial
sums are first bounded below 2^53 (float64) or 2^62 (int64), and propose norms as
floats. Every accepted bound is then proved exactly.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import re
from fractions import Fraction

import numpy as np
import scipy.sparse

from verifier.errors import InputError

NETWORK_FORMAT = "verifier-relu-network"
# The exact elimination of a dense 300 x 300 Gram matrix of a {-1, 0, 1} matrix took
# 28 s on one AMD EPYC core (Python 3.11), and its cost grows faster than n^3.
MAX_GRAM_SIDE = 300
FLOAT_ESTIMATE_TOLERANCE = 1e-6  # relative
NORM_REFINEMENTS = 80  # bisections of each squared layer norm, from a width of about 2^-52 relative
GRADIENT = "exact: gradient in the interior of a linear region"
DIFFERENCE = "exact: difference quotient of two points"
BACKENDS = ("float64", "int64", "flint", "limbs")  # the names the builder writes, which are not re-derived
_INT64_SAFE = 1 << 62
MISSING = object()
# Allowed fields of each object. A dict describes an object, a one-item list a
# list of such objects and None any value.
NETWORK_FIELDS = {"format": None, "schema_version": None, "input_dim": None,
                   "layers": [{"shape": None, "weights": None, "bias": None}]}
_EXACT_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(/[1-9][0-9]*)?")


class Failure(Exception):
    """A recorded value that does not hold, named by its JSON path in the message."""


# Reading JSON values.


def _reject_constant(name):
    raise ValueError(f"{name} is not allowed, because every number must be exact")


def _reject_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def load_json(path: str):
    """Read a JSON file, rejecting NaN, Infinity and repeated keys, with InputError on any problem."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot be read ({error})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    except ValueError as error:
        raise InputError(f"{path}: invalid JSON: {error}") from None


def check_fields(value, fields, path: str) -> None:
    """Raise InputError for the first field that the fixed structure does not allow."""
    if isinstance(fields, dict) and isinstance(value, dict):
        for key, item in value.items():
            if key not in fields:
                raise InputError(f"{path or 'certificate'}: unknown field {'.'.join(filter(None, [path, key]))!r}")
            check_fields(item, fields[key], f"{path}.{key}" if path else key)
    elif isinstance(fields, list) and isinstance(value, list):
        for index, item in enumerate(value):
            check_fields(item, fields[0], f"{path}[{index}]")


def get_field(obj, key: str, path: str):
    """Return obj[key]. A missing field is a failure, and a parent that is not an object an input error."""
    if not isinstance(obj, dict):
        raise InputError(f"{path}: expected a JSON object, found {type(obj).__name__}")
    if key not in obj:
        raise Failure(f"{path}.{key}: missing" if path else f"{key}: missing")
    return obj[key]


def read_integer(value, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{path}: expected an integer, found {value!r}")
    return value


def read_text(value, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"{path}: expected a non-empty string, found {value!r}")
    return value


def read_list(value, path: str) -> list:
    if not isinstance(value, list):
        raise InputError(f"{path}: expected a list, found {type(value).__name__}")
    return value


@functools.lru_cache(maxsize=1 << 12)
def parse_exact_text(text: str) -> Fraction | None:
    """Return the value of a reduced fraction string such as "-3/8" or "5", or None for any other text."""
    if not _EXACT_NUMBER.fullmatch(text):
        return None
    value = Fraction(text)
    return value if str(value) == text else None


def read_exact(value, path: str) -> Fraction:
    number = parse_exact_text(value) if isinstance(value, str) else None
    if number is None:
        raise InputError(f"{path}: expected an exact number as a reduced fraction string such as \"-3/8\", found {value!r}")
    return number


def read_count(value, path: str) -> int:
    """Parse a non-negative integer written as a string, such as "12"."""
    if not isinstance(value, str) or not re.fullmatch(r"0|[1-9][0-9]*", value):
        raise InputError(f"{path}: expected a non-negative integer as a string such as \"12\", found {value!r}")
    return int(value)


def read_dyadic(value, path: str) -> Fraction:
    number = read_exact(value, path)
    if number.denominator & (number.denominator - 1):
        raise Failure(f"{path}: {value} is not a dyadic rational (its denominator is not a power of two)")
    return number


def same_value(recorded, derived) -> bool:
    """Compare JSON values exactly, so that true differs from 1 and "1/2" from "2/4"."""
    return recorded is not MISSING and json.dumps(recorded, sort_keys=True) == json.dumps(derived, sort_keys=True)


def show_value(value) -> str:
    return "nothing (the field is missing)" if value is MISSING else json.dumps(value, sort_keys=True)


def network_sha256(network) -> str:
    text = json.dumps(network, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Networks.


@dataclasses.dataclass
class CheckedLayer:
    """The affine map z = W a + b with W = M / 2^scale and b = B / 2^scale, M as (row, column, numerator)."""

    shape: tuple[int, int]
    entries: list[tuple[int, int, int]]
    bias: list[int]
    scale: int
    matrices: dict = dataclasses.field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.row_abs_sums = [0] * self.shape[0]
        for r, _, m in self.entries:
            self.row_abs_sums[r] += abs(m)

    def matrix(self, dtype) -> scipy.sparse.csr_matrix:
        """Return M in CSR form. The caller ensures that every numerator is exact in ``dtype``."""
        if dtype not in self.matrices:
            rows, cols, values = zip(*self.entries) if self.entries else ((), (), ())
            self.matrices[dtype] = scipy.sparse.csr_matrix((np.array(values, dtype=dtype), (rows, cols)), shape=self.shape)
        return self.matrices[dtype]


@dataclasses.dataclass
class CheckedNetwork:
    input_dim: int
    layers: list[CheckedLayer]

    @property
    def widths(self) -> list[int]:
        return [layer.shape[0] for layer in self.layers[:-1]]

    def tau(self) -> int:
        """Return the least t >= 0 with every weight and bias a multiple of 2^-t of magnitude at most 2^t."""
        tau = 0
        for layer in self.layers:
            largest = max([abs(m) for _, _, m in layer.entries] + [abs(b) for b in layer.bias])
            if largest:
                tau = max(tau, layer.scale, (largest - 1).bit_length() - layer.scale)
        return tau


def parse_network(data, path: str) -> CheckedNetwork:
    """Parse a network object strictly, with InputError naming the field."""
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a network object")
    check_fields(data, NETWORK_FIELDS, path)
    if data.get("format") != NETWORK_FORMAT or data.get("schema_version") != 1:
        raise InputError(f"{path}: expected format {NETWORK_FORMAT!r} with schema_version 1")
    input_dim = read_integer(data.get("input_dim"), f"{path}.input_dim")
    raw_layers = read_list(data.get("layers"), f"{path}.layers")
    if input_dim < 1 or not raw_layers:
        raise InputError(f"{path}: invalid network: it needs input_dim >= 1 and at least one layer")
    layers, columns = [], input_dim
    for index, raw in enumerate(raw_layers):
        where = f"{path}.layers[{index}]"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: expected an object with shape, weights and bias")
        shape = read_list(raw.get("shape"), f"{where}.shape")
        if len(shape) != 2 or read_integer(shape[0], f"{where}.shape") < 1 or read_integer(shape[1], f"{where}.shape") != columns:
            raise InputError(f"{where}.shape: expected [rows, {columns}] with rows >= 1, found {shape}")
        bias = [read_dyadic(b, f"{where}.bias[{i}]") for i, b in enumerate(read_list(raw.get("bias"), f"{where}.bias"))]
        if len(bias) != shape[0]:
            raise InputError(f"{where}.bias: expected {shape[0]} entries, found {len(bias)}")
        weights, seen = [], set()
        for position, entry in enumerate(read_list(raw.get("weights"), f"{where}.weights")):
            place = f"{where}.weights[{position}]"
            if not (isinstance(entry, list) and len(entry) == 3):
                raise InputError(f"{place}: expected [row, column, \"value\"], found {entry!r}")
            row, column = read_integer(entry[0], place), read_integer(entry[1], place)
            if not (0 <= row < shape[0] and 0 <= column < shape[1]) or (row, column) in seen:
                raise InputError(f"{place}: entry ({row}, {column}) is outside the {shape[0]}x{shape[1]} matrix or repeated")
            seen.add((row, column))
            weights.append((row, column, read_dyadic(entry[2], place)))
        scale = max([v.denominator.bit_length() - 1 for _, _, v in weights] + [b.denominator.bit_length() - 1 for b in bias])
        entries = [(r, c, int(v * 2**scale)) for r, c, v in weights if v]
        layers.append(CheckedLayer((shape[0], shape[1]), entries, [int(b * 2**scale) for b in bias], scale))
        columns = shape[0]
    return CheckedNetwork(input_dim, layers)


def read_point(values, dimension: int, path: str) -> list[Fraction]:
    if len(read_list(values, path)) != dimension:
        raise InputError(f"{path}: expected {dimension} coordinates, found {len(values)}")
    return [read_exact(value, f"{path}[{i}]") for i, value in enumerate(values)]


def hypercube(dimension: int) -> np.ndarray:
    """Return {+-1}^d as a d x 2^d matrix whose column i has x_j = -1 exactly when bit j-1 of i is 1."""
    index = np.arange(1 << dimension, dtype=np.int64)
    return 1 - 2 * ((index[None, :] >> np.arange(dimension, dtype=np.int64)[:, None]) & 1)


def affine(layer: CheckedLayer, activation: np.ndarray, bias_factor: int) -> np.ndarray:
    """Return M A + B bias_factor exactly for an integer matrix A.

    float64 (below 2^53) and int64 (below 2^62) are used only when a bound on every
    partial sum shows that no rounding or overflow can occur; Python integers otherwise.
    """
    bias = [b * bias_factor for b in layer.bias]
    largest = max(int(np.abs(activation).max()) if activation.size else 0, 1)
    # The factor is at least 1 so that the bound also covers A itself, which is converted too.
    bound = max(max(layer.row_abs_sums), 1) * largest + max(abs(b) for b in bias)
    for dtype, limit in ((np.float64, 1 << 53), (np.int64, _INT64_SAFE)):
        if bound < limit:
            product = layer.matrix(dtype) @ activation.astype(dtype) + np.array(bias, dtype=dtype)[:, None]
            return np.asarray(product).astype(np.int64)
    result = np.empty((layer.shape[0], activation.shape[1]), dtype=object)
    for r, b in enumerate(bias):
        result[r] = np.full(activation.shape[1], b, dtype=object)
    for r, c, m in layer.entries:
        result[r] = result[r] + m * activation[c].astype(object)
    return result


def evaluate_batch(network: CheckedNetwork, points: np.ndarray):
    """Evaluate at the columns of an integer matrix, returning output numerators and (max |Z_l|, E_l) per layer.

    Layer l's pre-activations are Z_l / 2^E_l with E_l the sum of the first l scales.
    Points go through in chunks of about 2^24 pre-activations, to bound memory.
    """
    chunk = max(1, (1 << 24) // max(layer.shape[0] for layer in network.layers))
    outputs, largest = [], [0] * len(network.layers)
    for start in range(0, points.shape[1], chunk):
        activation, exponent, exponents = points[:, start:start + chunk], 0, []
        for index, layer in enumerate(network.layers):
            z = affine(layer, activation, 1 << exponent)
            exponent += layer.scale
            exponents.append(exponent)
            largest[index] = max(largest[index], int(np.abs(z).max()))
            activation = z if index == len(network.layers) - 1 else np.maximum(z, 0)
        outputs.append(activation)
    return np.concatenate(outputs, axis=1), list(zip(largest, exponents))


def evaluate_point(network: CheckedNetwork, point: list[Fraction]):
    """Evaluate exactly at one point, returning the outputs and, per hidden layer, (z numerators, varying).

    Python integers over a common denominator keep this independent of affine. A unit
    is varying when some non-zero weight reaches it from a varying unit (inputs vary),
    and a unit that is not varying is constant near the point.
    """
    denominator = math.lcm(*(x.denominator for x in point))
    activation, varying, exponent, hidden = [int(x * denominator) for x in point], [True] * len(point), 0, []
    for index, layer in enumerate(network.layers):
        z = [b * denominator << exponent for b in layer.bias]
        moves = [False] * layer.shape[0]
        for r, c, m in layer.entries:
            z[r] += m * activation[c]
            moves[r] = moves[r] or varying[c]
        exponent += layer.scale
        if index == len(network.layers) - 1:
            return [Fraction(value, denominator << exponent) for value in z], hidden
        hidden.append((z, moves))
        activation = [max(value, 0) for value in z]
        varying = [moves[r] and z[r] > 0 for r in range(len(z))]


def gradient_squares(network: CheckedNetwork, hidden) -> list[Fraction]:
    """Return ||row j of J||^2 per output j, for J = W_L D_{L-1} W_{L-1} ... D_1 W_1 with D the active units."""
    squares, scale = [], sum(layer.scale for layer in network.layers)
    for output in range(network.layers[-1].shape[0]):
        gradient = {}
        for _, c, m in (entry for entry in network.layers[-1].entries if entry[0] == output):
            gradient[c] = m
        for layer, (z, _) in zip(reversed(network.layers[:-1]), reversed(hidden)):
            previous = {}
            for r, c, m in layer.entries:
                if z[r] > 0 and gradient.get(r):
                    previous[c] = previous.get(c, 0) + gradient[r] * m
            gradient = previous
        squares.append(Fraction(sum(g * g for g in gradient.values()), 4**scale))
    return squares


# Operator norms.


def split_blocks(layer: CheckedLayer) -> tuple[list[tuple], int]:
    """Split the non-zero pattern into connected blocks, returning the distinct blocks and the block count.

    A block is (rows, columns, entries) renumbered in increasing row and column order,
    so identical blocks compare equal. Rows and columns with no non-zero entry belong to no block.
    """
    parent = list(range(layer.shape[0] + layer.shape[1]))

    def root(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for r, c, _ in layer.entries:
        parent[root(r)] = root(layer.shape[0] + c)
    groups = {}
    for entry in layer.entries:
        groups.setdefault(root(entry[0]), []).append(entry)
    distinct = {}
    for entries in groups.values():
        rows = {r: i for i, r in enumerate(sorted({r for r, _, _ in entries}))}
        cols = {c: i for i, c in enumerate(sorted({c for _, c, _ in entries}))}
        block = (len(rows), len(cols), tuple(sorted((rows[r], cols[c], m) for r, c, m in entries)))
        distinct[block] = True
    return list(distinct), len(groups)


def gram_matrix(block) -> np.ndarray:
    """Return the integer Gram matrix M^T M or M M^T, whichever is smaller, as an object array."""
    rows, cols, entries = block
    matrix = np.zeros((rows, cols), dtype=object)
    for r, c, m in entries:
        matrix[r, c] = m
    if rows < cols:
        matrix = matrix.T
    if max(abs(m) for _, _, m in entries) ** 2 * matrix.shape[0] < _INT64_SAFE:
        matrix = matrix.astype(np.int64)  # every partial sum of the product is below 2^62
    return (matrix.T @ matrix).astype(object)


def check_gram_sides(blocks, path: str) -> None:
    """Fail on a block too large for the exact elimination, before any dense matrix is built."""
    for rows, cols, _ in blocks:
        if min(rows, cols) > MAX_GRAM_SIDE:
            raise Failure(f"{path}: a {rows}x{cols} block has a Gram matrix of side {min(rows, cols)}, above the limit "
                           f"{MAX_GRAM_SIDE} of the exact elimination, so the checker cannot prove its norm")


def pivots_nonnegative(matrix, strict: bool) -> bool:
    """Decide whether a symmetric integer matrix is positive semidefinite, or positive definite if strict.

    This is symmetric Gaussian elimination in fraction-free (Bareiss) form: after each
    pivot p, every remaining entry becomes (p a_ij - a_ik a_kj) / p_previous, and the
    division is exact (Sylvester's identity). Entries stay positive multiples of the
    Schur complement, so pivot signs are those of LDL^T. A negative pivot means not
    PSD. A zero pivot is allowed only when the rest of its row is zero, so that the
    index drops out, and never when strict.
    """
    a = [[int(x) for x in row] for row in matrix]
    n, previous = len(a), 1
    for k in range(n):
        pivot = a[k][k]
        if pivot < 0 or (pivot == 0 and (strict or any(a[k][k + 1:]))):
            return False
        if pivot == 0:
            continue
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                a[i][j] = (pivot * a[i][j] - a[i][k] * a[k][j]) // previous
        previous = pivot
    return True


def shifted_gram(gram: np.ndarray, square: Fraction) -> list[list[int]]:
    """Return d (square I - G) as integers, with d > 0 the denominator of square."""
    numerator, denominator = square.numerator, square.denominator
    return [[(numerator if i == j else 0) - denominator * int(gram[i, j]) for j in range(len(gram))] for i in range(len(gram))]


def norm_squared_at_most(layer: CheckedLayer, blocks, square: Fraction) -> bool:
    """Decide whether ||W||_2^2 <= square, that is, whether square 4^s I - G is PSD for every distinct block.

    G is a block's integer Gram matrix and s the layer scale, so W = M / 2^s.
    """
    return all(pivots_nonnegative(shifted_gram(gram_matrix(b), square * 4**layer.scale), False) for b in blocks)


def norm_squared_at_least(layer: CheckedLayer, blocks, square: Fraction) -> bool:
    """Decide whether ||W||_2^2 >= square, that is, whether square 4^s I - G is not positive definite for some block."""
    return square <= 0 or any(not pivots_nonnegative(shifted_gram(gram_matrix(b), square * 4**layer.scale), True) for b in blocks)


def float_norm_squared(layer: CheckedLayer, blocks) -> float:
    """Estimate ||W||_2^2 in floating point from the largest eigenvalue of each block's Gram matrix."""
    largest = max((float(np.linalg.eigvalsh(gram_matrix(b).astype(float))[-1]) for b in blocks), default=0.0)
    return math.ldexp(max(largest, 0.0), -2 * layer.scale)


def norm_squared_interval(layer: CheckedLayer, blocks, where: str) -> list[Fraction]:
    """Return [C, U] with C <= ||W||_2^2 <= U both proved, from float proposals.

    The proposals are the float estimate of ||W||_2^2, the estimate rounded to a
    multiple of 2^-30 (exact for squared norms such as 2 or 4), and the estimate
    widened by relative margins 2^-52 to 2^-20. The tightest proved proposals win.
    """
    estimate = Fraction(float_norm_squared(layer, blocks))
    margins = [Fraction(1, 2**bits) for bits in (52, 46, 40, 30, 20)]
    near = [estimate, Fraction(round(estimate * 2**30), 2**30)]
    uppers = sorted(near + [estimate * (1 + e) for e in margins])
    lowers = sorted(near + [estimate * (1 - e) for e in margins], reverse=True)
    upper = next((u for u in uppers if norm_squared_at_most(layer, blocks, u)), None)
    lower = next((c for c in lowers if norm_squared_at_least(layer, blocks, c)), None)
    if upper is None or lower is None:
        raise Failure(f"{where}: no proposal near the float estimate {float(estimate)!r} of the squared norm could be proved")
    return [lower, upper]


def bisect_interval(layer: CheckedLayer, blocks, interval: list[Fraction]) -> None:
    """Halve a proved interval [C, U] around ||W||_2^2 in place, keeping both ends proved."""
    middle = (interval[0] + interval[1]) / 2
    interval[0 if norm_squared_at_least(layer, blocks, middle) else 1] = middle


def decide(upper_squared: Fraction, lower_squared: Fraction, stated_squared: Fraction) -> str:
    """Return the status of 'value <= stated' from proved bounds on the square of the value."""
    if upper_squared <= stated_squared:
        return "holds"
    return "fails" if lower_squared > stated_squared else "undecided"


def check_header(data, kind: str, schema_version: int, fields: dict) -> None:
    """Raise InputError unless ``data`` is a ``kind`` certificate of ``schema_version`` with only known fields."""
    if not isinstance(data, dict) or "kind" not in data or "schema_version" not in data:
        raise InputError("not a certificate: expected a JSON object with the fields 'kind' and 'schema_version'")
    if data["schema_version"] != schema_version or isinstance(data["schema_version"], bool):
        raise InputError(f"schema_version: unsupported value {data['schema_version']!r}. This checker reads {schema_version}")
    if data["kind"] != kind:
        raise InputError(f"kind: unknown certificate kind {show_value(data['kind'])}. This checker reads {kind!r}")
    check_fields(data, fields, "")


class Verifier:
    """One pass over a certificate. ``checked`` counts the recorded values re-derived so far.

    Each kind subclasses it and defines ``run``. The checks here serve every certificate
    that embeds a network with its operator norms and Lipschitz bracket.
    """

    def __init__(self, data: dict, network_data):
        self.data = data
        self.network_data = network_data
        self.checked = 0

    def expect(self, path: str, recorded, derived, note: str = "") -> None:
        self.checked += 1
        if not same_value(recorded, derived):
            raise Failure(f"{path}: recorded {show_value(recorded)}, re-derived {show_value(derived)}{note}")

    def require(self, condition: bool, message: str) -> None:
        self.checked += 1
        if not condition:
            raise Failure(message)

    def section(self, name: str) -> dict:
        value = get_field(self.data, name, "")
        if not isinstance(value, dict):
            raise InputError(f"{name}: expected a JSON object, found {type(value).__name__}")
        return value

    def check_network(self) -> None:
        """Parse and hash the embedded network and the --network file's network. Both must match the recorded hash."""
        recorded = get_field(self.data, "network_sha256", "")
        sources = [("network", self.data["network"])] if "network" in self.data else []
        if self.network_data is not None:
            sources.append(("the --network file", self.network_data))
        if not sources:
            raise Failure("network: missing, and no network file was given")
        for where, raw in sources:
            self.network = parse_network(raw, where)
            self.expect("network_sha256", recorded, network_sha256(raw), f" (SHA-256 of {where})")

    def check_class(self) -> None:
        network, recorded = self.network, self.section("network_class")
        derived = {"input_dim": network.input_dim, "depth": len(network.layers), "size": sum(network.widths),
                   "widths": network.widths, "tau": network.tau()}
        for field, value in derived.items():
            self.expect(f"network_class.{field}", recorded.get(field, MISSING), value)

    def check_norms(self) -> None:
        """Prove every recorded layer bound and re-derive the block counts and the float estimate."""
        records = read_list(get_field(self.data, "operator_norms", ""), "operator_norms")
        self.expect("operator_norms (number of entries)", len(records), len(self.network.layers))
        self.layer_uppers = []
        for index, (record, layer) in enumerate(zip(records, self.network.layers)):
            path = f"operator_norms[{index}]"
            blocks, count = split_blocks(layer)
            self.expect(f"{path}.layer", get_field(record, "layer", path), index + 1)
            self.expect(f"{path}.blocks", record.get("blocks", MISSING), count)
            self.expect(f"{path}.distinct_blocks", record.get("distinct_blocks", MISSING), len(blocks))
            read_text(get_field(record, "method", path), f"{path}.method")
            check_gram_sides(blocks, path)
            upper = read_exact(get_field(record, "upper", path), f"{path}.upper")
            self.require(upper >= 0 and norm_squared_at_most(layer, blocks, upper**2),
                         f"{path}.upper: {upper} is not an upper bound on ||W_{index + 1}||_2, because "
                         f"u^2 I - B^T B is not positive semidefinite for some block B of the matrix")
            self.layer_uppers.append(upper)
            text = read_text(get_field(record, "float_estimate", path), f"{path}.float_estimate")
            try:
                recorded = float(text)
            except ValueError:
                raise InputError(f"{path}.float_estimate: expected a decimal number, found {text!r}") from None
            estimate = math.sqrt(float_norm_squared(layer, blocks))
            self.require(abs(recorded - estimate) <= FLOAT_ESTIMATE_TOLERANCE * estimate,
                         f"{path}.float_estimate: recorded {text}, re-estimated {estimate!r}, "
                         f"more than {FLOAT_ESTIMATE_TOLERANCE} apart (relative)")

    def check_lipschitz(self) -> None:
        lipschitz, network = self.section("lipschitz"), self.network
        self.upper = math.prod(self.layer_uppers, start=Fraction(1))
        self.expect("lipschitz.upper", get_field(lipschitz, "upper", "lipschitz"), str(self.upper),
                    " (the product of the recorded operator_norms upper bounds)")
        read_text(get_field(lipschitz, "upper_method", "lipschitz"), "lipschitz.upper_method")
        read_integer(get_field(lipschitz, "seed", "lipschitz"), "lipschitz.seed")

        method = get_field(lipschitz, "lower_method", "lipschitz")
        witness = read_list(get_field(lipschitz, "witness", "lipschitz"), "lipschitz.witness")
        recorded_squared = get_field(lipschitz, "lower_squared", "lipschitz")
        self.lower_squared = read_exact(recorded_squared, "lipschitz.lower_squared")

        if method == GRADIENT:
            _, hidden = evaluate_point(network, read_point(witness, network.input_dim, "lipschitz.witness"))
            for layer, (z, moves) in enumerate(hidden, start=1):
                kink = next((unit for unit, value in enumerate(z) if value == 0 and moves[unit]), None)
                self.require(kink is None,
                             f"lipschitz.witness: unit {kink} (counting from 0) of hidden layer {layer} has pre-activation 0 "
                             f"and is not constant near the point, so the point is not inside one linear region")
            # Every row of the Jacobian gives a lower bound, and the certificate does not record which row it used.
            squares = gradient_squares(network, hidden)
            derived = self.lower_squared if self.lower_squared in squares else max(squares)
        elif method == DIFFERENCE:
            if len(witness) != 2:
                raise InputError(f"lipschitz.witness: the difference quotient needs two points, found {len(witness)}")
            x, y = (read_point(witness[i], network.input_dim, f"lipschitz.witness[{i}]") for i in (0, 1))
            self.require(x != y, "lipschitz.witness: the two points are equal")
            fx, fy = evaluate_point(network, x)[0], evaluate_point(network, y)[0]
            derived = sum((a - b) ** 2 for a, b in zip(fx, fy)) / sum((a - b) ** 2 for a, b in zip(x, y))
        else:
            raise Failure(f"lipschitz.lower_method: recorded {show_value(method)}, expected {GRADIENT!r} or {DIFFERENCE!r}")
        self.expect("lipschitz.lower_squared", recorded_squared, str(derived))

        # lower must be sqrt(lower_squared) rounded down to the precision that its own denominator shows.
        lower = read_dyadic(get_field(lipschitz, "lower", "lipschitz"), "lipschitz.lower")
        scale = 4 ** (lower.denominator.bit_length() - 1)
        rounded = Fraction(math.isqrt(math.floor(self.lower_squared * scale)), lower.denominator)
        self.expect("lipschitz.lower", lipschitz["lower"], str(rounded),
                    f" (sqrt(lower_squared) rounded down to a multiple of 2^-{lower.denominator.bit_length() - 1})")
        self.require(lower <= self.upper, f"lipschitz.lower: {lower} exceeds lipschitz.upper {self.upper}")

    def check_norm_product(self, network: CheckedNetwork, path: str, upper: Fraction, lower: Fraction) -> None:
        """Prove prod ||W_l||_2 <= upper and prod ||W_l||_2^2 >= lower, or find either false.

        Each layer keeps a proved interval [C_l, U_l] around ||W_l||_2^2. The intervals
        are bisected until both recorded values are decided or NORM_REFINEMENTS rounds pass.
        """
        layers = [(layer, split_blocks(layer)[0]) for layer in network.layers]
        intervals = []
        for index, (layer, blocks) in enumerate(layers):
            check_gram_sides(blocks, f"{path}.network.layers[{index}]")
            intervals.append(norm_squared_interval(layer, blocks, f"{path}.network.layers[{index}]"))
        for refinement in range(NORM_REFINEMENTS + 1):
            low = math.prod((c for c, _ in intervals), start=Fraction(1))
            high = math.prod((u for _, u in intervals), start=Fraction(1))
            decided = (high <= upper**2 or low > upper**2) and (low >= lower or high < lower)
            if decided or refinement == NORM_REFINEMENTS:
                break
            for (layer, blocks), interval in zip(layers, intervals):
                bisect_interval(layer, blocks, interval)
        self.require(upper >= 0 and high <= upper**2,
                     f"{path}.norm_product_upper: recorded {upper}, but the product of the layer norms is only proved "
                     f"to lie in [{math.sqrt(low)!r}, {math.sqrt(high)!r}]")
        self.require(lower <= low,
                     f"{path}.norm_product_lower_squared: recorded {lower}, but the squared product of the layer norms "
                     f"is only proved to lie in [{float(low)!r}, {float(high)!r}]")

    def outcome(self) -> dict:
        """Run the checks and return the result dictionary of verify_certificate."""
        failure = None
        try:
            self.run()
        except Failure as error:
            failure = str(error)
        return {"valid": failure is None, "checked": self.checked, "failure": failure,
                "kind": self.data["kind"], "network_sha256": self.data.get("network_sha256")}
