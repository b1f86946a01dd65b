"""Readers of the audit: NNet, ONNX, torch state dicts and the project's JSON, with their bad inputs.

The small NNet model below was evaluated by hand. It has inputs clipped to
[0, 4] x [-1, 1], means (2, 0), ranges (3, 2), output mean 1 and range 4, and
weights W1 = [[1, -1], [0.5, 2]], b1 = (0, -1), W2 = [[1, 1]], b2 = 0.25, so

    x = (5, 0.5):  clip (4, 0.5), u = (2/3, 1/4), z1 = (5/12, -1/6), N = 5/12 + 1/4 = 2/3, F = 4 * 2/3 + 1 = 11/3
    x = (2, -3):   clip (2, -1),  u = (0, -1/2),  z1 = (1/2, -2),    N = 1/2 + 1/4 = 3/4,  F = 4.
"""

from fractions import Fraction

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from verifier.audit.model import evaluate_layers
from verifier.audit.nnet import read_nnet
from verifier.audit.onnx_format import read_onnx
from verifier.audit.readers import read_model
from verifier.dyadic import Dyadic
from verifier.errors import InputError
from verifier.network import Layer, Network

SMALL_NNET = """// a small network for tests
// second comment line
2,2,1,2,
2,2,1,
This line extraneous
0.0,-1.0,
4.0,1.0,
2.0,0.0,1.0,
3.0,2.0,4.0,
1.0,-1.0,
0.5,2.0,
0.0,
-1.0,
1.0,1.0,
0.25,
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def exact_outputs(model, points, **options):
    outputs = evaluate_layers(model.function_layers(**options), [[Dyadic(v) for v in point] for point in points])
    return [[outputs.value(i, j) for j in range(model.output_dim)] for i in range(len(points))]


# NNet.


@pytest.mark.parametrize("decimal", ["float64", "exact"])
def test_nnet_function_matches_hand_values(tmp_path, decimal):
    model = read_nnet(write(tmp_path, "small.nnet", SMALL_NNET), decimal)
    assert exact_outputs(model, [[5, 0.5], [2, -3]]) == [[Fraction(11, 3)], [Fraction(4)]]


def test_nnet_clipping_is_a_relu_layer(tmp_path):
    model = read_nnet(write(tmp_path, "small.nnet", SMALL_NNET))
    layers = model.function_layers()
    assert [layer.shape for layer in layers] == [(4, 2), (2, 4), (1, 2)]
    assert layers[1].denominator == 3  # the range 3 of input 1 is folded into the first weight layer


def test_nnet_inputs_normalized_skips_clipping(tmp_path):
    # u = (1/2, 1/4): z1 = (1/4, -1/4), N = 1/4 + 1/4 = 1/2, F = 4 * 1/2 + 1 = 3.
    # u = (5, 0) lies outside the normalised box and is not clipped: z1 = (5, 3/2), N = 6.75, F = 28.
    model = read_nnet(write(tmp_path, "small.nnet", SMALL_NNET))
    assert exact_outputs(model, [["1/2", "1/4"], [5, 0]], inputs_normalized=True) == [[Fraction(3)], [Fraction(28)]]


def test_nnet_decimal_modes(tmp_path):
    text = SMALL_NNET.replace("0.5,2.0,", "0.1,2.0,")
    as_float = read_nnet(write(tmp_path, "tenth.nnet", text))
    exact = read_nnet(write(tmp_path, "tenth.nnet", text), "exact")
    assert as_float.layers[0].entries()[2][2] == Fraction(0.1)
    assert exact.layers[0].entries()[2][2] == Fraction(1, 10)
    assert as_float.is_dyadic and not exact.is_dyadic
    assert "nearest float64" in as_float.notes[-1]
    assert "exactly" in exact.notes[-1]


def test_nnet_extra_normalisation_values_noted(tmp_path):
    model = read_nnet(write(tmp_path, "extra.nnet", SMALL_NNET.replace("0.0,-1.0,\n", "0.0,-1.0,7.0,\n", 1)))
    assert model.normalisation.minimum == (Fraction(0), Fraction(-1))
    assert any("line 6 has 3 minimums where 2 are used" in note for note in model.notes)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t.replace("2,2,1,\n", "3,2,1,\n"), "line 4: the layer sizes start with 3 and end with 1, but the header gives 2 inputs"),
        (lambda t: t.replace("2,2,1,\n", "2,3,1,\n"), "line 12: layer 1, weight row 3 has 1 value but the header gives 2"),
        (lambda t: t.replace("1.0,-1.0,\n", "1.0,-1.0,3.0,\n"), "line 10: layer 1, weight row 1 has 3 values but the header gives 2"),
        (lambda t: t.replace("0.5,2.0,", "0.5,nan,"), "line 11: 'nan' is not a finite number"),
        (lambda t: t.replace("0.5,2.0,", "0.5,two,"), "line 11: 'two' is not a number"),
        (lambda t: t[: t.index("1.0,1.0,\n0.25")], "the file ends before row 1 of the weights of layer 2"),
        (lambda t: t + "0.5,\n", "line 16: 1 line follows the last layer"),
        (lambda t: t.replace("3.0,2.0,4.0,", "0.0,2.0,4.0,"), "line 9: range 1 is 0"),
        (lambda t: t + "0.5,\n0.5,\n", "line 16: 2 lines follow the last layer"),
        (lambda t: t.replace("4.0,1.0,\n", "4.0,\n"), "line 7: expected 2 maximums, found 1"),
        (lambda t: t.replace("2,2,1,2,", "2,2,"), "line 3: expected the header"),
    ],
)
def test_nnet_bad_input(tmp_path, edit, message):
    path = write(tmp_path, "bad.nnet", edit(SMALL_NNET))
    with pytest.raises(InputError) as error:
        read_nnet(path)
    assert path in str(error.value)
    assert message in str(error.value)


# ONNX. Every fixture computes relu(W1 x + b1) then W2 (.) + b2 with
# W1 = [[0.5, -1.25], [2, 0.75]], b1 = (0.125, -1), W2 = [[1, -2]], b2 = 0.5.

W1 = np.array([[0.5, -1.25], [2.0, 0.75]], dtype=np.float32)
B1 = np.array([0.125, -1.0], dtype=np.float32)
W2 = np.array([[1.0, -2.0]], dtype=np.float32)
B2 = np.array([0.5], dtype=np.float32)


def reference(x):
    hidden = np.maximum(W1.astype(np.float64) @ np.asarray(x, dtype=np.float64) + B1, 0)
    return W2.astype(np.float64) @ hidden + B2


def save_graph(tmp_path, nodes, initializers, input_shape, name="model.onnx"):
    graph = helper.make_graph(
        nodes,
        "test",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(array, name) for name, array in initializers.items()],
    )
    path = tmp_path / name
    path.write_bytes(helper.make_model(graph).SerializeToString())
    return str(path)


def column_graph(tmp_path):
    """MatMul(W, X) with a column vector, as the ACAS Xu export writes it."""
    nodes = [
        helper.make_node("MatMul", ["W1", "x"], ["m1"]),
        helper.make_node("Add", ["m1", "B1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["r1"]),
        helper.make_node("MatMul", ["W2", "r1"], ["m2"]),
        helper.make_node("Add", ["m2", "B2"], ["y"]),
    ]
    return save_graph(tmp_path, nodes, {"W1": W1, "B1": B1, "W2": W2, "B2": B2}, [2])


def gemm_graph(tmp_path):
    """Gemm with transB = 1 on a batch of rows; the second Gemm uses alpha = 0.5 and beta = 2."""
    nodes = [
        helper.make_node("Flatten", ["x"], ["f"]),
        helper.make_node("Gemm", ["f", "W1", "B1"], ["h1"], transB=1),
        helper.make_node("Relu", ["h1"], ["r1"]),
        helper.make_node("Gemm", ["r1", "W2", "B2"], ["g"], transB=1, alpha=0.5, beta=2.0),
        helper.make_node("Identity", ["g"], ["y"]),
    ]
    return save_graph(tmp_path, nodes, {"W1": W1, "B1": B1, "W2": 2 * W2, "B2": B2 / 2}, ["batch", 2], "gemm.onnx")


def transposed_gemm_graph(tmp_path):
    """Gemm(W1^T, X) with transA = 1 on a column vector [2, 1], with a column bias."""
    nodes = [
        helper.make_node("Gemm", ["W1T", "x", "B1"], ["h1"], transA=1),
        helper.make_node("Relu", ["h1"], ["r1"]),
        helper.make_node("MatMul", ["W2", "r1"], ["m2"]),
        helper.make_node("Add", ["m2", "B2"], ["y"]),
    ]
    constants = {"W1T": W1.T.copy(), "B1": B1.reshape(2, 1), "W2": W2, "B2": B2}
    return save_graph(tmp_path, nodes, constants, [2, 1], "transposed.onnx")


def row_graph(tmp_path):
    """MatMul(X, W) with a row vector and a Reshape that keeps the vector."""
    nodes = [
        helper.make_node("MatMul", ["x", "W1T"], ["m1"]),
        helper.make_node("Add", ["B1", "m1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["r1"]),
        helper.make_node("Reshape", ["r1", "shape"], ["s1"]),
        helper.make_node("MatMul", ["s1", "W2T"], ["m2"]),
        helper.make_node("Add", ["m2", "B2"], ["y"]),
    ]
    constants = {"W1T": W1.T.copy(), "B1": B1, "W2T": W2.T.copy(), "B2": B2, "shape": np.array([1, -1], dtype=np.int64)}
    return save_graph(tmp_path, nodes, constants, [1, 2], "row.onnx")


@pytest.mark.parametrize("build", [column_graph, gemm_graph, transposed_gemm_graph, row_graph])
def test_onnx_layouts_read_the_same_function(tmp_path, build):
    model = read_onnx(build(tmp_path))
    points = [[1, 2], [-0.5, 0.25], [3, -4]]
    expected = [[Fraction(v) for v in reference(point)] for point in points]
    assert exact_outputs(model, points) == expected
    assert model.float_dtype == "float32"


def test_onnx_ending_in_relu_keeps_it(tmp_path):
    nodes = [helper.make_node("MatMul", ["W1", "x"], ["m"]), helper.make_node("Relu", ["m"], ["y"])]
    model = read_onnx(save_graph(tmp_path, nodes, {"W1": W1}, [2]))
    # relu(W1 (1, 2)) = relu((-2, 3.5)) = (0, 3.5)
    assert exact_outputs(model, [[1, 2]]) == [[Fraction(0), Fraction(7, 2)]]


@pytest.mark.parametrize(
    "node, message",
    [
        (helper.make_node("Conv", ["x", "W1"], ["y"], name="conv0"), "node 0 (conv0, Conv): operator Conv is not supported"),
        (helper.make_node("Sigmoid", ["x"], ["y"], name="act"), "operator Sigmoid is not supported"),
        (helper.make_node("Loop", ["x"], ["y"], name="loop"), "operator Loop is not supported"),
        (helper.make_node("MatMul", ["W3", "x"], ["y"], name="wide"), "the weight matrix takes 3 inputs but the vector has 2 entries"),
        (helper.make_node("Add", ["x", "x"], ["y"], name="self"), "only chains are supported"),
    ],
)
def test_onnx_rejects_unsupported_graphs(tmp_path, node, message):
    path = save_graph(tmp_path, [node], {"W1": W1, "W3": np.ones((2, 3), dtype=np.float32)}, [2])
    with pytest.raises(InputError) as error:
        read_onnx(path)
    assert message in str(error.value)


def test_onnx_rejects_non_finite_weights(tmp_path):
    weights = W1.copy()
    weights[1, 0] = np.inf
    path = save_graph(tmp_path, [helper.make_node("MatMul", ["W1", "x"], ["y"])], {"W1": weights}, [2])
    with pytest.raises(InputError, match=r"initialiser 'W1' has the non-finite value inf at index \[1, 0\]"):
        read_onnx(path)


def test_onnx_rejects_truncated_file(tmp_path):
    path = column_graph(tmp_path)
    data = open(path, "rb").read()
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="not a valid ONNX file"):
        read_onnx(str(truncated))


# JSON and dispatch.


def test_project_json_network(tmp_path):
    network = Network(2, [Layer.from_dense([[1, -1]], ["1/4"])])
    path = write(tmp_path, "net.json", network.canonical_json())
    model = read_model(path)
    assert model.format == "json"
    assert model.weight_network() == network
    assert exact_outputs(model, [[3, 1]]) == [[Fraction(9, 4)]]


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="unknown model format .h5"):
        read_model(write(tmp_path, "model.h5", "x"))
    with pytest.raises(InputError, match="file not found"):
        read_model(str(tmp_path / "absent.onnx"))


# Torch state dicts.


def test_torch_state_dict_matches_torch_forward(tmp_path):
    torch = pytest.importorskip("torch", reason="needs the experiment extra: pip install -e '.[experiment]'")
    from verifier.audit.torch_format import read_state_dict

    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    path = tmp_path / "model.pt"
    torch.save(module.state_dict(), path)
    model = read_state_dict(str(path))

    points = [[0.5, -0.25, 1.0], [2.0, 1.0, -3.0]]
    # float32 weights times these short inputs are exact in float64, so the
    # float64 torch forward pass is the exact function here.
    with torch.no_grad():
        expected = module.double()(torch.tensor(points, dtype=torch.float64)).tolist()
    assert exact_outputs(model, points) == [[Fraction(v) for v in row] for row in expected]
    assert model.float_dtype == "float32"


@pytest.mark.parametrize(
    "state, message",
    [
        ({"0.weight": "W", "1.weight": "W2"}, "not separated by exactly one module"),
        ({"0.weight": "W", "0.running_mean": "b"}, "key '0.running_mean' is not a Linear weight or bias"),
    ],
)
def test_torch_state_dict_rejects_other_layouts(tmp_path, state, message):
    torch = pytest.importorskip("torch", reason="needs the experiment extra: pip install -e '.[experiment]'")
    from verifier.audit.torch_format import read_state_dict

    tensors = {"W": torch.ones(2, 2), "W2": torch.ones(2, 2), "b": torch.ones(2)}
    path = tmp_path / "bad.pt"
    torch.save({key: tensors[value] for key, value in state.items()}, path)
    with pytest.raises(InputError, match=message):
        read_state_dict(str(path))
