"""ReLU networks with dyadic weights (Definition 1), stored sparsely and exactly.

A network of depth L computes

    F(x) = W_L phi(W_{L-1} phi( ... phi(W_1 x + b_1) ... ) + b_{L-1}) + b_L,

with phi the ReLU. Its size S is the number of hidden units k_1 + ... + k_{L-1},
and its bit complexity tau is the least tau with every weight and bias in R_tau.
Depth 1 is an affine map (size 0).

Each layer keeps integer numerators with one power-of-two scale: W = M / 2^s and
b = B / 2^s. M is held as sorted coordinate triplets, so the block-sparse
networks of the composition lemmas stay small in memory and on disk. Numerators
are int64 while they fit and Python integers after that.

The canonical serialisation is the JSON of ``to_json()`` with sorted keys and
separators ',' and ':', UTF-8 encoded; ``sha256()`` hashes exactly that text.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Sequence

import numpy as np

from verifier.dyadic import Dyadic, NotDyadicError, parse_exact
from verifier.errors import InputError

SCHEMA_VERSION = 1
NETWORK_FORMAT = "verifier-relu-network"

_INT64_SAFE_BITS = 62


def _as_integer_array(values: Iterable[int]) -> np.ndarray:
    """Return an int64 array when every value fits, otherwise an object array of Python ints."""
    values = [int(v) for v in values]
    if all(-(1 << _INT64_SAFE_BITS) < v < (1 << _INT64_SAFE_BITS) for v in values):
        return np.array(values, dtype=np.int64)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _max_abs(values: np.ndarray) -> int:
    if values.size == 0:
        return 0
    return int(max(abs(int(values.max())), abs(int(values.min()))))


def _trailing_zero_bits(value: int) -> int:
    return (value & -value).bit_length() - 1


class Layer:
    """One affine map z = W a + b, with W = weights / 2^scale and b = bias / 2^scale.

    ``rows``, ``cols`` and ``values`` list the non-zero entries of the integer matrix
    ``weights`` sorted by row, then column. The scale is the least one that makes
    every weight and bias an integer.
    """

    __slots__ = ("shape", "rows", "cols", "values", "bias", "scale", "_cache")

    def __init__(self, shape: tuple[int, int], rows, cols, values, bias, scale: int):
        out_dim, in_dim = int(shape[0]), int(shape[1])
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        cols = np.asarray(cols, dtype=np.int64).reshape(-1)
        values = list(values)
        bias = list(bias)
        if not (len(rows) == len(cols) == len(values)):
            raise ValueError("rows, cols and values must have the same length")
        if len(bias) != out_dim:
            raise ValueError(f"bias has {len(bias)} entries for {out_dim} rows")
        if len(rows) and (rows.min() < 0 or rows.max() >= out_dim or cols.min() < 0 or cols.max() >= in_dim):
            raise ValueError(f"an entry lies outside the {out_dim}x{in_dim} matrix")

        keep = [i for i, v in enumerate(values) if v != 0]
        rows, cols, values = rows[keep], cols[keep], [int(values[i]) for i in keep]
        order = np.lexsort((cols, rows))
        rows, cols = rows[order], cols[order]
        values = [values[i] for i in order]
        if len(rows) > 1 and np.any((np.diff(rows) == 0) & (np.diff(cols) == 0)):
            raise ValueError("a weight matrix entry is given twice")

        scale = int(scale)
        common = min((_trailing_zero_bits(v) for v in values + [int(b) for b in bias] if v != 0), default=scale)
        drop = min(common, max(scale, 0))
        if scale < 0:  # an integer scale below zero means the numerators carry extra factors of two
            values = [v << -scale for v in values]
            bias = [int(b) << -scale for b in bias]
            scale, drop = 0, 0

        self.shape = (out_dim, in_dim)
        self.rows, self.cols = rows, cols
        self.values = _as_integer_array(v >> drop for v in values)
        self.bias = _as_integer_array(int(b) >> drop for b in bias)
        self.scale = scale - drop
        self._cache = {}

    # Construction from exact values.

    @classmethod
    def from_entries(cls, shape, entries: Iterable[tuple[int, int, object]], bias: Sequence | None = None) -> Layer:
        """Build a layer from (row, column, value) triplets and a bias; values are anything Dyadic accepts."""
        entries = [(int(r), int(c), Dyadic(v)) for r, c, v in entries]
        bias = [Dyadic(b) for b in (bias if bias is not None else [0] * int(shape[0]))]
        scale = max((v.exponent for _, _, v in entries), default=0)
        scale = max([scale] + [b.exponent for b in bias])
        return cls(
            shape,
            [r for r, _, _ in entries],
            [c for _, c, _ in entries],
            [v.scaled(scale) for _, _, v in entries],
            [b.scaled(scale) for b in bias],
            scale,
        )

    @classmethod
    def from_dense(cls, matrix: Sequence[Sequence], bias: Sequence | None = None) -> Layer:
        """Build a layer from a dense matrix (a list of rows) of exact values."""
        out_dim = len(matrix)
        in_dim = len(matrix[0]) if out_dim else 0
        if any(len(row) != in_dim for row in matrix):
            raise ValueError("the rows of the matrix differ in length")
        entries = [(i, j, v) for i, row in enumerate(matrix) for j, v in enumerate(row) if Dyadic(v) != 0]
        return cls.from_entries((out_dim, in_dim), entries, bias)

    # Exact views.

    @property
    def nnz(self) -> int:
        return len(self.values)

    def weight(self, i: int, j: int) -> Dyadic:
        hits = np.nonzero((self.rows == i) & (self.cols == j))[0]
        return Dyadic(int(self.values[hits[0]]), self.scale) if len(hits) else Dyadic(0)

    def entries(self) -> list[tuple[int, int, Dyadic]]:
        return [(int(r), int(c), Dyadic(int(v), self.scale)) for r, c, v in zip(self.rows, self.cols, self.values)]

    def bias_values(self) -> list[Dyadic]:
        return [Dyadic(int(b), self.scale) for b in self.bias]

    def dense(self) -> list[list[Fraction]]:
        """Return the weight matrix as Fractions; only for small layers."""
        matrix = [[Fraction(0)] * self.shape[1] for _ in range(self.shape[0])]
        for r, c, v in zip(self.rows, self.cols, self.values):
            matrix[int(r)][int(c)] = Fraction(int(v), 1 << self.scale)
        return matrix

    def tau(self) -> int:
        """Return the least tau with every weight and bias of this layer in R_tau."""
        largest = max(_max_abs(self.values), _max_abs(self.bias))
        if largest == 0:
            return 0
        return max(0, self.scale, (largest - 1).bit_length() - self.scale)

    def max_abs_numerator(self) -> int:
        return _max_abs(self.values)

    def max_abs_bias(self) -> int:
        return _max_abs(self.bias)

    def row_abs_sums(self) -> list[int]:
        """Return the exact sum of |numerator| over each row of the weight matrix."""
        key = "row_abs_sums"
        if key not in self._cache:
            sums = [0] * self.shape[0]
            for r, v in zip(self.rows.tolist(), self.values.tolist()):
                sums[r] += abs(v)
            self._cache[key] = sums
        return self._cache[key]

    def fits_int64(self) -> bool:
        return self.values.dtype == np.int64 and self.bias.dtype == np.int64

    def scipy_matrix(self, dtype):
        """Return the numerator matrix as a scipy CSR matrix of float64 or int64.

        The caller must know that the numerators are exact in that type: every
        |numerator| below 2^53 for float64, below 2^62 for int64.
        """
        import scipy.sparse

        key = ("csr", np.dtype(dtype).str)
        if key not in self._cache:
            data = np.array([int(v) for v in self.values], dtype=dtype) if self.values.dtype == object else self.values.astype(dtype)
            self._cache[key] = scipy.sparse.csr_matrix((data, (self.rows, self.cols)), shape=self.shape)
        return self._cache[key]

    def restrict(self, row_index: Sequence[int], col_index: Sequence[int]) -> Layer:
        """Return the layer restricted to the given rows and columns, renumbered in that order."""
        row_index = np.asarray(row_index, dtype=np.int64)
        col_index = np.asarray(col_index, dtype=np.int64)
        row_position = np.full(self.shape[0], -1, dtype=np.int64)
        row_position[row_index] = np.arange(len(row_index))
        col_position = np.full(self.shape[1], -1, dtype=np.int64)
        col_position[col_index] = np.arange(len(col_index))
        keep = (row_position[self.rows] >= 0) & (col_position[self.cols] >= 0)
        return Layer(
            (len(row_index), len(col_index)),
            row_position[self.rows[keep]],
            col_position[self.cols[keep]],
            self.values[keep].tolist(),
            self.bias[row_index].tolist(),
            self.scale,
        )

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Layer)
            and self.shape == other.shape
            and self.scale == other.scale
            and np.array_equal(self.rows, other.rows)
            and np.array_equal(self.cols, other.cols)
            and self.values.tolist() == other.values.tolist()
            and self.bias.tolist() == other.bias.tolist()
        )

    def to_json(self) -> dict:
        return {
            "shape": list(self.shape),
            "weights": [[r, c, str(v)] for r, c, v in self.entries()],
            "bias": [str(b) for b in self.bias_values()],
        }


class Network:
    """A ReLU network F: R^input_dim -> R^output_dim in the form of Definition 1."""

    def __init__(self, input_dim: int, layers: Sequence[Layer]):
        if not layers:
            raise ValueError("a network needs at least one layer")
        expected = int(input_dim)
        for index, layer in enumerate(layers, start=1):
            if layer.shape[1] != expected:
                raise ValueError(f"layer {index} takes {layer.shape[1]} inputs but receives {expected}")
            expected = layer.shape[0]
        self.input_dim = int(input_dim)
        self.layers = list(layers)

    @property
    def depth(self) -> int:
        """L, the number of affine maps."""
        return len(self.layers)

    @property
    def widths(self) -> list[int]:
        """k_1, ..., k_{L-1}: the hidden layer widths."""
        return [layer.shape[0] for layer in self.layers[:-1]]

    @property
    def size(self) -> int:
        """S = k_1 + ... + k_{L-1}, the number of hidden units."""
        return sum(self.widths)

    @property
    def output_dim(self) -> int:
        return self.layers[-1].shape[0]

    def tau(self) -> int:
        return max(layer.tau() for layer in self.layers)

    def __eq__(self, other) -> bool:
        return isinstance(other, Network) and self.input_dim == other.input_dim and self.layers == other.layers

    # Per-coordinate classes (Remark 2.7: each output coordinate is its own network).

    def coordinate_support(self, output: int) -> list[np.ndarray]:
        """Return, for each layer, the indices of the rows that output coordinate ``output`` depends on."""
        needed = np.array([output], dtype=np.int64)
        support = [needed]
        for layer in reversed(self.layers[1:]):
            mask = np.isin(layer.rows, needed)
            needed = np.unique(layer.cols[mask])
            support.append(needed)
        return list(reversed(support))

    def coordinate_network(self, output: int) -> Network:
        """Return the sub-network computing output coordinate ``output`` alone, on all inputs."""
        support = self.coordinate_support(output)
        layers = []
        previous = np.arange(self.input_dim)
        for layer, rows in zip(self.layers, support):
            layers.append(layer.restrict(rows, previous))
            previous = rows
        return Network(self.input_dim, layers)

    # Serialisation.

    def to_json(self) -> dict:
        return {
            "format": NETWORK_FORMAT,
            "schema_version": SCHEMA_VERSION,
            "input_dim": self.input_dim,
            "layers": [layer.to_json() for layer in self.layers],
        }

    def canonical_json(self) -> str:
        return canonical_dumps(self.to_json())

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    @classmethod
    def from_json(cls, data, source: str = "network") -> Network:
        """Read a network from its JSON object, raising InputError that names ``source`` and the field."""
        return _read_network(data, source)


def canonical_dumps(data) -> str:
    """Serialise JSON with sorted keys and no white space, the form that hashes are taken of."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a finite number, and every number in these files must be exact")


def read_text_file(path: str) -> str:
    """Read a UTF-8 text file, raising InputError that names the file when it is missing, unreadable or empty.

    A byte that is not UTF-8 is reported with its line number. Windows and old Mac
    line endings become newlines, as in text mode.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(f"{path}: line {line}: byte 0x{data[error.start]:02x} is not valid UTF-8 ({error.reason}); "
                         "save the file as UTF-8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(f"{path}: the file is empty")
    return text


def load_json(path: str):
    """Read a JSON file, rejecting NaN and Infinity, with errors that name the file and line.

    JSON floats are read as decimal.Decimal, so that readers can reject them by name.
    """
    text = read_text_file(path)
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    except ValueError as error:
        raise InputError(f"{path}: {error}") from None


def load_network(path: str) -> Network:
    """Read a network file, or the network embedded in a certificate."""
    data = load_json(path)
    if isinstance(data, dict) and "network" in data and "layers" not in data:
        return _read_network(data["network"], f"{path}: network")
    return _read_network(data, path)


def read_exact_number(value, where: str, requirement: str = "network weights and biases must be dyadic, so that they lie in some R_tau") -> Dyadic:
    """Read an exact number from JSON: a string such as "-3/8" or a JSON integer, never a JSON float.

    ``where`` names the place for error messages, and ``requirement`` says why a
    non-dyadic value is rejected.
    """
    if isinstance(value, Decimal):
        raise InputError(f"{where}: found the JSON float {value}; write exact numbers as strings such as \"-3/8\"")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(f"{where}: expected an exact number written as a string such as \"-3/8\", found {type(value).__name__} {value!r}")
    if isinstance(value, int):
        return Dyadic(value)
    try:
        return parse_exact(value)
    except NotDyadicError as error:
        raise InputError(f"{where}: {error}; {requirement}") from None
    except InputError as error:
        raise InputError(f"{where}: {error}") from None


def _read_index(value, bound: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{where}: expected an integer index, found {value!r}")
    if not 0 <= value < bound:
        raise InputError(f"{where}: index {value} is out of range 0..{bound - 1}")
    return value


def _read_network(data, source: str) -> Network:
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a JSON object describing a network")
    known = {"format", "schema_version", "input_dim", "layers"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"{source}: unknown field {unknown[0]!r} (a network has {', '.join(sorted(known))})")
    if data.get("format") != NETWORK_FORMAT:
        raise InputError(f"{source}: field 'format' must be {NETWORK_FORMAT!r}, found {data.get('format')!r}")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(f"{source}: unsupported schema_version {data.get('schema_version')!r} (this tool reads {SCHEMA_VERSION})")
    input_dim = data.get("input_dim")
    if isinstance(input_dim, bool) or not isinstance(input_dim, int) or input_dim < 1:
        raise InputError(f"{source}: field 'input_dim' must be a positive integer, found {input_dim!r}")
    raw_layers = data.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise InputError(f"{source}: field 'layers' must be a non-empty list")

    layers = []
    for index, raw in enumerate(raw_layers):
        where = f"{source}: layers[{index}]"
        if index == 0:
            input_count, input_source = input_dim, f"the network's input_dim is {input_dim}"
        else:
            input_count = layers[-1].shape[0]
            input_source = f"the previous layer gives {input_count}"
        layers.append(_read_layer(raw, input_count, input_source, where))
    return Network(input_dim, layers)


def _read_layer(raw, input_count: int, input_source: str, where: str) -> Layer:
    """Read one layer that must take ``input_count`` inputs; ``input_source`` names where that count comes from."""
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object with 'shape', 'weights' and 'bias'")
    unknown = sorted(set(raw) - {"shape", "weights", "bias"})
    if unknown:
        raise InputError(f"{where}: unknown field {unknown[0]!r}")
    shape = raw.get("shape")
    if not (isinstance(shape, list) and len(shape) == 2 and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in shape)):
        raise InputError(f"{where}.shape: expected [rows, columns] with positive integers, found {shape!r}")
    if shape[1] != input_count:
        raise InputError(f"{where}.shape: the layer takes {shape[1]} inputs but {input_source}")
    weights, bias = raw.get("weights"), raw.get("bias")
    if not isinstance(weights, list):
        raise InputError(f"{where}.weights: expected a list of [row, column, \"value\"] entries")
    if not isinstance(bias, list) or len(bias) != shape[0]:
        found = len(bias) if isinstance(bias, list) else type(bias).__name__
        raise InputError(f"{where}.bias: expected a list of {shape[0]} numbers, found {found}")

    entries = []
    seen = set()
    for position, entry in enumerate(weights):
        place = f"{where}.weights[{position}]"
        if not (isinstance(entry, list) and len(entry) == 3):
            raise InputError(f"{place}: expected [row, column, \"value\"], found {entry!r}")
        row = _read_index(entry[0], shape[0], place + "[0]")
        col = _read_index(entry[1], shape[1], place + "[1]")
        if (row, col) in seen:
            raise InputError(f"{place}: entry ({row}, {col}) is given twice")
        seen.add((row, col))
        entries.append((row, col, read_exact_number(entry[2], place + "[2]")))
    bias_values = [read_exact_number(b, f"{where}.bias[{i}]") for i, b in enumerate(bias)]
    return Layer.from_entries(tuple(shape), entries, bias_values)
