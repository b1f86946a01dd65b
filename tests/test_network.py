import json

import pytest

from verifier.combinators import compose, linear_combination, pad_depth, stack_parallel
from verifier.errors import InputError
from verifier.evaluator import evaluate, hypercube_points
from verifier.network import Layer, Network, load_network

PRODUCT = Network(2, [Layer.from_dense([[1, 1], [-1, -1], [0, 1], [0, -1]]), Layer.from_dense([[1, 1, -1, -1]])])


def outputs(network, dimension):
    return [[str(v) for v in row] for row in evaluate(network, hypercube_points(dimension)).outputs]


def test_product_gadget_computes_product():
    # Points in truth-table order: (1,1), (-1,1), (1,-1), (-1,-1).
    assert outputs(PRODUCT, 2) == [["1"], ["-1"], ["-1"], ["1"]]


def test_definition_one_parameters():
    assert PRODUCT.depth == 2
    assert PRODUCT.size == 4
    assert PRODUCT.tau() == 0
    assert PRODUCT.widths == [4]


def test_layer_scale_and_tau():
    layer = Layer.from_dense([["1/2", 3], [0, "-5/4"]], ["1/8", 0])
    assert layer.scale == 3
    assert layer.values.tolist() == [4, 24, -10]
    assert layer.bias.tolist() == [1, 0]
    assert layer.tau() == 3


def test_canonical_json_has_no_whitespace_and_sorted_keys():
    text = PRODUCT.canonical_json()
    assert " " not in text
    assert text.startswith('{"format":"verifier-relu-network","input_dim":2,"layers":')
    assert '"weights":[[0,0,"1"],[0,1,"1"],[1,0,"-1"]' in text


def test_hash_changes_with_one_weight():
    changed = Network(2, [Layer.from_dense([[1, 1], [-1, -1], [0, 1], [0, -1]]), Layer.from_dense([[1, 1, -1, "-1/2"]])])
    assert changed.sha256() != PRODUCT.sha256()
    assert len(PRODUCT.sha256()) == 64


def test_round_trip_through_file(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(PRODUCT.canonical_json())
    assert load_network(str(path)) == PRODUCT


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["layers"][0]["weights"][0].__setitem__(2, 0.5), "JSON float"),
        (lambda d: d["layers"][0]["weights"][0].__setitem__(2, "1/3"), "not a dyadic rational"),
        (lambda d: d["layers"][0]["weights"][0].__setitem__(0, 9), "out of range"),
        (lambda d: d["layers"][1].__setitem__("shape", [1, 3]), "takes 3 inputs"),
        (lambda d: d["layers"][0]["bias"].pop(), "expected a list of 4 numbers"),
        (lambda d: d.__setitem__("schema_version", 7), "unsupported schema_version"),
        (lambda d: d.__setitem__("extra", 1), "unknown field 'extra'"),
        (lambda d: d["layers"][0]["weights"].append([0, 0, "2"]), "given twice"),
    ],
)
def test_bad_network_files(tmp_path, mutate, message):
    data = json.loads(PRODUCT.canonical_json())
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=message) as error:
        load_network(str(path))
    assert str(path) in str(error.value)


def test_json_float_weight_shown_as_written(tmp_path):
    data = json.loads(PRODUCT.canonical_json())
    data["layers"][0]["weights"][0][2] = 0.5
    path = tmp_path / "float.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as error:
        load_network(str(path))
    assert "layers[0].weights[0][2]: found the JSON float 0.5;" in str(error.value)
    assert "write exact numbers as strings" in str(error.value)
    assert "Decimal" not in str(error.value)


def test_first_layer_width_names_input_dim(tmp_path):
    data = json.loads(PRODUCT.canonical_json())
    data["input_dim"] = 5
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as error:
        load_network(str(path))
    assert "layers[0].shape: the layer takes 2 inputs but the network's input_dim is 5" in str(error.value)


def test_later_layer_width_names_previous_layer(tmp_path):
    data = json.loads(PRODUCT.canonical_json())
    data["layers"][1]["shape"] = [1, 3]
    path = tmp_path / "narrow.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as error:
        load_network(str(path))
    assert "layers[1].shape: the layer takes 3 inputs but the previous layer gives 4" in str(error.value)


def test_nan_and_infinity_rejected(tmp_path):
    path = tmp_path / "nan.json"
    path.write_text(PRODUCT.canonical_json().replace('"bias":["0"]', '"bias":[NaN]'))
    with pytest.raises(InputError, match="NaN"):
        load_network(str(path))


def test_empty_and_truncated_files(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        load_network(str(empty))
    truncated = tmp_path / "truncated.json"
    truncated.write_text(PRODUCT.canonical_json()[:50])
    with pytest.raises(InputError, match="line 1"):
        load_network(str(truncated))


def test_pad_depth_keeps_function():
    padded = pad_depth(PRODUCT, 4)
    assert padded.depth == 4
    assert padded.size == 4 + 2 + 2
    assert outputs(padded, 2) == outputs(PRODUCT, 2)


def test_stack_parallel_outputs_each_network():
    identity = Network(2, [Layer.from_dense([[0, 1]])])
    stacked = stack_parallel([PRODUCT, identity])
    assert stacked.output_dim == 2
    assert outputs(stacked, 2) == [["1", "1"], ["-1", "1"], ["-1", "-1"], ["1", "-1"]]
    assert stacked.coordinate_network(0).size == 4
    assert stacked.coordinate_network(1).size == 2


def test_linear_combination_lemma_a1():
    identity = pad_depth(Network(2, [Layer.from_dense([[1, 0]])]), 2)
    combined, stated = linear_combination([PRODUCT, identity], ["1/2", "-3"], bias="1/4")
    # 1/2 x1 x2 - 3 x1 + 1/4 at (1,1), (-1,1), (1,-1), (-1,-1).
    assert outputs(combined, 2) == [["-9/4"], ["11/4"], ["-13/4"], ["15/4"]]
    comparison = stated.compare(combined)
    assert comparison["size"]["stated"] == 6
    assert comparison["size"]["measured"] == 6
    assert comparison["tau"]["holds"]


def test_compose_modes_lemma_2_8():
    identity = Network(2, [Layer.from_dense([[1, 0]])])
    inner = stack_parallel([PRODUCT, identity])
    outer = Network(2, [Layer.from_dense([[1, 1]], ["1/2"])])
    literal, stated = compose(inner, outer, "literal")
    pairs, _ = compose(inner, outer, "pairs")
    merged, _ = compose(inner, outer, "merge")
    # f(a, b) = a + b + 1/2 with (a, b) = (x1 x2, x1).
    assert outputs(pairs, 2) == [["5/2"], ["-3/2"], ["1/2"], ["1/2"]]
    assert outputs(merged, 2) == outputs(pairs, 2)
    # The literal proof applies a ReLU to J's outputs, which loses the -1 values.
    assert outputs(literal, 2) == [["5/2"], ["1/2"], ["3/2"], ["3/2"]]
    assert stated.depth == 3
    assert pairs.depth == 3
    assert merged.depth == 2
    assert pairs.size == literal.size + 2
