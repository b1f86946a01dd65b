"""ONNX models of chained affine maps and ReLUs: reading them exactly and writing them with float64 weights.

The reader follows the graph from its one input through MatMul (either operand
order), Gemm (alpha, beta, transA, transB), Add, Relu, and Flatten, Reshape or
Identity where they keep a vector a vector. Every other operator is rejected with
its name and node. Affine nodes between two ReLUs compose exactly into one layer.
Each float initialiser is taken at its exact binary value.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from verifier.audit.model import Model, RationalLayer
from verifier.errors import InputError

SUPPORTED_OPERATORS = ("MatMul", "Gemm", "Add", "Relu", "Flatten", "Reshape", "Identity")
EXPORT_OPSET = 13
_FLOAT_TYPES = {"float16", "float32", "float64"}


class _Affine:
    """The affine map from the last ReLU output (or the graph input) to the current tensor, exact."""

    def __init__(self, dimension: int):
        self.dimension = dimension  # length of the current vector
        self.matrix: list[list[Fraction]] | None = None  # None: the identity
        self.bias: list[Fraction] = [Fraction(0)] * dimension

    def apply_matrix(self, weights: np.ndarray) -> None:
        """Compose with x -> weights @ x, weights of shape (m, self.dimension)."""
        exact = [[Fraction(v) for v in row] for row in weights.tolist()]
        if self.matrix is None:
            self.matrix = exact
        else:
            self.matrix = [[sum((row[k] * self.matrix[k][j] for k in range(len(row))), Fraction(0)) for j in range(len(self.matrix[0]))] for row in exact]
        self.bias = [sum((v * b for v, b in zip(row, self.bias)), Fraction(0)) for row in exact]
        self.dimension = weights.shape[0]

    def add(self, vector: np.ndarray) -> None:
        self.bias = [b + Fraction(v) for b, v in zip(self.bias, vector.tolist())]

    def scale(self, factor: Fraction) -> None:
        if self.matrix is None:
            self.matrix = [[Fraction(int(i == j)) for j in range(self.dimension)] for i in range(self.dimension)]
        self.matrix = [[v * factor for v in row] for row in self.matrix]
        self.bias = [b * factor for b in self.bias]

    def to_layer(self, inputs: int) -> RationalLayer:
        matrix = self.matrix if self.matrix is not None else [[Fraction(int(i == j)) for j in range(inputs)] for i in range(inputs)]
        entries = [(r, c, v) for r, row in enumerate(matrix) for c, v in enumerate(row) if v]
        return RationalLayer.from_fractions((len(matrix), inputs), entries, self.bias)


def read_onnx(path: str) -> Model:
    """Read an ONNX graph of affine nodes and ReLUs into a Model."""
    import onnx
    from onnx import numpy_helper

    model = _load(path, onnx)
    graph = model.graph
    constants = {}
    dtypes = set()
    for initializer in graph.initializer:
        array = numpy_helper.to_array(initializer)
        constants[initializer.name] = _checked_constant(path, initializer.name, array)
        if array.dtype.name in _FLOAT_TYPES:
            dtypes.add(array.dtype.name)

    inputs = [value for value in graph.input if value.name not in constants]
    if len(inputs) != 1:
        raise InputError(f"{path}: the graph has {len(inputs)} inputs that are not initialisers; expected exactly one")
    input_dim = _vector_length(path, inputs[0])
    if len(graph.output) != 1:
        raise InputError(f"{path}: the graph has {len(graph.output)} outputs; expected exactly one")

    current = inputs[0].name
    affine = _Affine(input_dim)
    layer_inputs = input_dim
    layers = []
    for index, node in enumerate(graph.node):
        where = f"{path}: node {index} ({node.name or 'unnamed'}, {node.op_type})"
        if node.op_type not in SUPPORTED_OPERATORS:
            raise InputError(f"{where}: operator {node.op_type} is not supported; supported: {', '.join(SUPPORTED_OPERATORS)}")
        variable = [name for name in node.input if name and name not in constants]
        if variable != [current]:
            raise InputError(f"{where}: expected one input computed from the graph input ({current!r}), found {variable}; only chains are supported")
        if node.op_type == "Relu":
            layers.append(affine.to_layer(layer_inputs))
            layer_inputs = affine.dimension
            affine = _Affine(layer_inputs)
        else:
            _apply(where, node, current, constants, affine, onnx)
        current = node.output[0]
    if current != graph.output[0].name:
        raise InputError(f"{path}: the graph output {graph.output[0].name!r} is not the end of the chain of nodes ({current!r})")
    # A graph that ends in a Relu gets an identity output layer, so the last ReLU stays part of the function.
    layers.append(affine.to_layer(layer_inputs))
    notes = [f"initialisers of type {', '.join(sorted(dtypes))} were read at their exact binary value"] if dtypes else []
    float_dtype = "float32" if dtypes <= {"float32", "float16"} and dtypes else "float64"
    return Model(path, "onnx", input_dim, layers, None, float_dtype, notes)


def _load(path: str, onnx):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        model = onnx.load_from_string(data)
    except Exception as error:  # the protobuf parser raises its own DecodeError types
        raise InputError(f"{path}: not a valid ONNX file, perhaps truncated ({type(error).__name__}: {error})") from None
    if not model.graph.node:
        raise InputError(f"{path}: not a valid ONNX file: the graph has no nodes")
    return model


def _checked_constant(path: str, name: str, array: np.ndarray) -> np.ndarray:
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise InputError(f"{path}: initialiser {name!r} has the non-finite value {array[position]} at index {list(position)}")
    if array.dtype.kind not in "fiu":
        raise InputError(f"{path}: initialiser {name!r} has type {array.dtype}; expected numbers")
    return array


def _vector_length(path: str, value) -> int:
    """Return n for an input of shape [n], [1, n], [batch, n] or [n, 1]."""
    dims = value.type.tensor_type.shape.dim
    sizes = [dim.dim_value if dim.HasField("dim_value") else None for dim in dims]
    if len(sizes) == 1 and sizes[0]:
        return sizes[0]
    if len(sizes) == 2 and sizes[0] in (None, 1) and sizes[1]:
        return sizes[1]
    if len(sizes) == 2 and sizes[1] == 1 and sizes[0]:
        return sizes[0]
    raise InputError(f"{path}: input {value.name!r} has shape {sizes}; expected a vector [n], [1, n], [batch, n] or [n, 1]")


def _apply(where: str, node, current: str, constants: dict, affine: _Affine, onnx) -> None:
    """Compose one affine or shape node into ``affine``."""
    attributes = {attribute.name: onnx.helper.get_attribute_value(attribute) for attribute in node.attribute}
    if node.op_type in ("Identity", "Flatten", "Reshape"):
        if node.op_type == "Reshape":
            shape = constants.get(node.input[1]) if len(node.input) > 1 else None
            other_sizes = [] if shape is None else [int(v) for v in shape.reshape(-1) if int(v) != 1]
            if shape is None or other_sizes not in ([affine.dimension], [-1], [] if affine.dimension == 1 else None):
                raise InputError(f"{where}: only a Reshape that keeps a vector of length {affine.dimension} is supported")
        return
    if node.op_type == "Add":
        other = _constant_operand(where, node, current, constants)
        affine.add(_as_vector(where, other, affine.dimension))
        return
    if node.op_type == "MatMul":
        left, right = node.input[0], node.input[1]
        if left == current:
            weights = _matrix(where, constants[right]).T  # x W with a row vector x
        else:
            weights = _matrix(where, constants[left])  # W x with a column vector x
        _check_inputs(where, weights, affine.dimension)
        affine.apply_matrix(weights)
        return
    _apply_gemm(where, node, current, constants, affine, attributes)


def _apply_gemm(where: str, node, current: str, constants: dict, affine: _Affine, attributes: dict) -> None:
    """Y = alpha A' B' + beta C with A' = A^T under transA and B' = B^T under transB."""
    alpha = Fraction(attributes.get("alpha", 1.0))
    beta = Fraction(attributes.get("beta", 1.0))
    trans_a, trans_b = attributes.get("transA", 0), attributes.get("transB", 0)
    if node.input[0] == current:
        other = _matrix(where, constants[node.input[1]])
        weights = (other if trans_b else other.T)  # x B' as B'^T x
    else:
        other = _matrix(where, constants[node.input[0]])
        weights = (other.T if trans_a else other)  # A' x
    _check_inputs(where, weights, affine.dimension)
    affine.apply_matrix(weights)
    if alpha != 1:
        affine.scale(alpha)
    if len(node.input) > 2 and node.input[2]:
        bias = _as_vector(where, constants[node.input[2]], weights.shape[0])
        affine.add(np.array([Fraction(v) * beta for v in bias.tolist()], dtype=object))


def _constant_operand(where: str, node, current: str, constants: dict) -> np.ndarray:
    others = [name for name in node.input if name != current]
    if len(others) != 1 or others[0] not in constants:
        raise InputError(f"{where}: expected one constant operand")
    return constants[others[0]]


def _matrix(where: str, array: np.ndarray) -> np.ndarray:
    if array.ndim != 2:
        raise InputError(f"{where}: expected a 2-d weight matrix, found shape {list(array.shape)}")
    return array


def _check_inputs(where: str, weights: np.ndarray, dimension: int) -> None:
    if weights.shape[1] != dimension:
        raise InputError(f"{where}: the weight matrix takes {weights.shape[1]} inputs but the vector has {dimension} entries")


def _as_vector(where: str, array: np.ndarray, length: int) -> np.ndarray:
    flat = array.reshape(-1)
    if flat.size == 1:
        return np.repeat(flat, length)
    if flat.size != length or sum(1 for size in array.shape if size != 1) > 1:
        raise InputError(f"{where}: the added constant has shape {list(array.shape)} but the vector has {length} entries")
    return flat


def write_onnx(layers: list[tuple[np.ndarray, np.ndarray]]) -> bytes:
    """Return an ONNX model (opset 13) computing Gemm, Relu, ..., Gemm on float64 row vectors [batch, n]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers = [], []
    current = "input"
    for index, (weights, bias) in enumerate(layers):
        initializers.append(numpy_helper.from_array(np.asarray(weights, dtype=np.float64), f"W{index}"))
        initializers.append(numpy_helper.from_array(np.asarray(bias, dtype=np.float64), f"B{index}"))
        output = "output" if index == len(layers) - 1 else f"Z{index}"
        nodes.append(helper.make_node("Gemm", [current, f"W{index}", f"B{index}"], [output], name=f"gemm{index}", transB=1))
        if index < len(layers) - 1:
            nodes.append(helper.make_node("Relu", [output], [f"A{index}"], name=f"relu{index}"))
            current = f"A{index}"
    graph = helper.make_graph(
        nodes,
        "relu_network",
        [helper.make_tensor_value_info("input", TensorProto.DOUBLE, ["batch", layers[0][0].shape[1]])],
        [helper.make_tensor_value_info("output", TensorProto.DOUBLE, ["batch", layers[-1][0].shape[0]])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", EXPORT_OPSET)], producer_name="verifier")
    onnx.checker.check_model(model)
    return model.SerializeToString()
