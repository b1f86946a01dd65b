"""Bit complexity, Lipschitz bracket, exact against float, budgets, export and comparison of small models.

The network relu(x1) - relu(-x1) + 2 relu(x2) - 2 relu(-x2) equals x1 + 2 x2, so
its l2 Lipschitz constant is sqrt 5 and its l-infinity one is |1| + |2| = 3. Its
layers have ||W1||_2 = sqrt 2 (W1^T W1 = 2 I), ||W2||_2 = sqrt 10, ||W1||_inf = 1
and ||W2||_inf = 6, so the products are sqrt 20 and 6.
"""

from fractions import Fraction

import numpy as np
import pytest

from verifier.audit.bits import bit_complexity_report
from verifier.audit.budgets import FAIL, PASS, difference_budget, integer_budget, lipschitz_budget, parse_limit, tau_budget
from verifier.audit.compare import compare_models
from verifier.audit.export import export_bytes, float64_layers
from verifier.audit.floats import compare_with_floats
from verifier.audit.lipschitz import METHOD_JACOBIAN, lipschitz_bracket
from verifier.audit.model import Model, Normalisation, RationalLayer, evaluate_layers
from verifier.dyadic import Dyadic
from verifier.errors import InputError
from verifier.files import check_output_paths, write_atomic
from verifier.network import Layer


def model_of(*layers, normalisation=None, dtype="float64"):
    rational = [RationalLayer(layer) for layer in layers]
    return Model("memory", "json", layers[0].shape[1], rational, normalisation, dtype, [])


def dyadic_points(points):
    return [[Dyadic(v) for v in point] for point in points]


LINEAR = model_of(Layer.from_dense([[1, 0], [-1, 0], [0, 1], [0, -1]]), Layer.from_dense([[1, -1, 2, -2]]))
BOX = [(-1.0, 1.0), (-1.0, 1.0)]


# Bit complexity.


def test_bits_per_layer_and_histogram():
    # 3/8 has exponent 3 and tau 3; 5 has exponent 0 and tau 3 (5 <= 2^3); 1/2 has exponent 1.
    model = model_of(Layer.from_dense([["3/8", 5]], ["1/2"]), Layer.from_dense([[1]]))
    report = bit_complexity_report(model)
    assert report["tau"] == 3
    assert [layer["tau"] for layer in report["layers"]] == [3, 0]
    assert report["exponent_histogram"] == {"0": 2, "1": 1, "3": 1}
    assert {driver["value"] for driver in report["drivers"]} == {"3/8", "5"}


def test_bits_of_non_dyadic_weights():
    layer = RationalLayer.from_fractions((1, 1), [(0, 0, Fraction(1, 10))], [Fraction(0)])
    model = Model("memory", "nnet", 1, [layer], None, "float64", [])
    report = bit_complexity_report(model)
    assert report["tau"] is None
    assert "layer 1, weight (0, 0) = 1/10" in report["reason"]


# Lipschitz bracket.


def test_lipschitz_l2_bracket_of_linear_network():
    bracket = lipschitz_bracket(LINEAR, "2", BOX)
    assert bracket.upper**2 >= 20
    assert bracket.upper**2 <= 20 * (1 + Fraction(1, 2**10))
    assert bracket.lower**2 <= 5
    assert bracket.lower**2 >= 5 * (1 - Fraction(1, 2**20))
    assert bracket.lower_method == METHOD_JACOBIAN


def test_lipschitz_inf_bracket_is_exact_row_sums():
    bracket = lipschitz_bracket(LINEAR, "inf", BOX)
    assert bracket.upper == 6
    assert bracket.lower == 3
    assert [entry.proved for entry in bracket.layers] == [1, 6]


def test_lipschitz_includes_folded_normalisation():
    # F(x) = 3 (x - 1) / 4 on one input: the range 4 and output range 3 give Lip = 3/4 in both norms.
    normalisation = Normalisation((Fraction(-10),), (Fraction(10),), (Fraction(1),), (Fraction(4),), Fraction(0), Fraction(3))
    model = model_of(Layer.from_dense([[1], [-1]]), Layer.from_dense([[1, -1]]), normalisation=normalisation)
    bracket = lipschitz_bracket(model, "inf", [(-10.0, 10.0)])
    assert bracket.lower == Fraction(3, 4)
    assert bracket.upper == Fraction(3, 4) * 2  # ||[1, -1]||_inf = 2 although the function is linear


# Exact against float.


def test_float32_rounding_changes_sign_and_class():
    # Output 0 is (1 + 2^-30) x1 - x2 and output 1 is 0. At (1, 1) the exact output 0
    # is 2^-30 > 0; float32 rounds 1 + 2^-30 to 1 and computes 0, a tie.
    weights = Layer.from_dense([[Fraction(2**30 + 1, 2**30), -1], [0, 0]])
    model = model_of(weights, dtype="float32")
    points = dyadic_points([[1, 1], [2, 0]])
    exact = evaluate_layers(model.function_layers(), points)
    result = compare_with_floats(model, points, exact)

    assert result["float64"]["max_abs_error"] == "0"
    assert result["float64"]["class_changes"] == []
    assert result["float32"]["max_abs_error"] == str(Fraction(2, 2**30))  # at (2, 0): 2 (1 + 2^-30) against 2
    assert result["float32"]["max_rel_error"] == "1"  # at (1, 1), where float32 gives 0 for 2^-30
    assert [(c["point"], c["output"]) for c in result["float32"]["sign_changes"]] == [(0, 0)]
    assert [(c["point"], c["exact_class"], c["float_class"]) for c in result["float32"]["class_changes"]] == []
    argmin = compare_with_floats(model, points, exact, class_rule="argmin")
    assert [(c["point"], c["exact_class"], c["float_class"]) for c in argmin["float32"]["class_changes"]] == [(0, [1], 0)]


# Budgets.


def test_parse_limit_forms():
    assert parse_limit("1e4", "--max-lipschitz") == 10000
    assert parse_limit("2^-3", "--max-lipschitz") == Fraction(1, 8)
    assert parse_limit("1/3", "--max-lipschitz") == Fraction(1, 3)
    with pytest.raises(InputError, match="--max-lipschitz: 'lots' is not an exact number"):
        parse_limit("lots", "--max-lipschitz")
    with pytest.raises(InputError, match="negative"):
        parse_limit("-1", "--max-lipschitz")


def test_lipschitz_budget_states_proved_or_not_excluded():
    assert lipschitz_budget(Fraction(10), Fraction(8), Fraction(2), "2").status == PASS
    proved = lipschitz_budget(Fraction(1), Fraction(8), Fraction(2), "2")
    assert proved.status == FAIL
    assert "excess proved" in proved.message
    open_case = lipschitz_budget(Fraction(5), Fraction(8), Fraction(2), "inf")
    assert open_case.status == FAIL
    assert "only not excluded" in open_case.message


def test_lipschitz_budget_records_excess_kind():
    assert lipschitz_budget(Fraction(10), Fraction(8), Fraction(2), "2").excess is None
    assert lipschitz_budget(Fraction(1), Fraction(8), Fraction(2), "2").excess == "proved"
    assert lipschitz_budget(Fraction(5), Fraction(8), Fraction(2), "2").excess == "not excluded"
    assert lipschitz_budget(Fraction(2), Fraction(8), Fraction(2), "2").excess == "not excluded"  # lower bound equal to the limit


def test_exact_budgets_record_proved_excess():
    assert integer_budget("max-depth", 3, 4, "depth").excess == "proved"
    assert integer_budget("max-depth", 4, 4, "depth").excess is None
    assert tau_budget(64, None, "not dyadic").excess == "proved"


def test_difference_budget_decided_exactly():
    # 1/3 + 2^-60 exceeds 1/3 although both print as 0.333333.
    over = difference_budget(Fraction(1, 3), Fraction(1, 3) + Fraction(1, 2**60))
    assert over.status == FAIL
    assert over.excess == "proved"
    assert over.message.startswith("max |F_a - F_b| = 0.333333 exceeds 0.333333 by ")
    equal = difference_budget(Fraction(1, 3), Fraction(1, 3))
    assert equal.status == PASS
    assert equal.excess is None


def test_tau_budget_without_tau():
    budget = tau_budget(64, None, "the weights lie in no R_tau")
    assert budget.status == FAIL
    assert "tau is undefined: the weights lie in no R_tau" in budget.message


# Export.


def test_export_rejects_weight_that_is_no_float64():
    model = model_of(Layer.from_dense([[Fraction(2**60 + 1, 2**60)]]))
    with pytest.raises(InputError, match=r"layer 1, weight \(0, 0\) = 1152921504606846977/1152921504606846976 is not a float64"):
        float64_layers(model)


def test_export_onnx_runs_in_onnx_reference(tmp_path):
    from onnx.reference import ReferenceEvaluator

    from verifier.audit.onnx_format import read_onnx

    data = export_bytes(LINEAR, "onnx")
    path = tmp_path / "linear.onnx"
    path.write_bytes(data)
    points = np.array([[0.5, -0.25], [-3.0, 2.0]])
    (outputs,) = ReferenceEvaluator(str(path)).run(None, {"input": points})
    assert outputs.ravel().tolist() == [0.0, 1.0]  # x1 + 2 x2
    assert read_onnx(str(path)).weight_network() == LINEAR.weight_network()


def test_export_torch_round_trip(tmp_path):
    torch = pytest.importorskip("torch", reason="needs the experiment extra: pip install -e '.[experiment]'")
    from verifier.audit.torch_format import read_state_dict

    path = tmp_path / "linear.pt"
    path.write_bytes(export_bytes(LINEAR, "torch"))
    state = torch.load(path, weights_only=True)
    assert state["2.weight"].dtype == torch.float64
    assert read_state_dict(str(path)).weight_network() == LINEAR.weight_network()


# Comparison.


def test_compare_weights_and_outputs_exactly():
    # b differs from a in the weight of relu(x2) by 2^-10, so the outputs differ by
    # 2^-10 relu(x2): 3/1024 at x2 = 3 and 0 at x2 = -3.
    changed = Layer.from_dense([[1, -1, Fraction(2049, 1024), -2]])
    a = LINEAR
    b = model_of(LINEAR.layers[0].layer, changed)
    result = compare_models(a, b, dyadic_points([[1, 3], [1, -3]]), "test points")
    assert result["weights"]["comparable"] is True
    assert result["weights"]["max_weight_difference"] == "1/1024"
    assert result["weights"]["layers"][1]["at"] == {"row": 0, "column": 2, "values": ["2", "2049/1024"]}
    assert result["outputs"]["max_output_difference"] == "3/1024"
    assert result["outputs"]["at"]["point"] == 0


def test_compare_reports_different_shapes():
    other = model_of(Layer.from_dense([[1, 2]]))
    result = compare_models(LINEAR, other, dyadic_points([[1, 1]]), "test points")
    assert result["weights"]["comparable"] is False
    assert "[[4, 2], [1, 4]] against [[1, 2]]" in result["weights"]["reason"]
    assert result["outputs"]["max_output_difference"] == "0"


# Output paths.


def test_output_below_a_file_is_named(tmp_path):
    blocking = tmp_path / "tiny.pt"
    blocking.write_text("x")
    target = str(blocking / "sub" / "r.json")
    with pytest.raises(InputError) as error:
        check_output_paths(target)
    assert str(error.value) == f"{target}: cannot write ({blocking} is a file, not a directory)"


def test_write_atomic_below_file_message(tmp_path):
    blocking = tmp_path / "tiny.pt"
    blocking.write_text("x")
    target = str(blocking / "r.json")
    with pytest.raises(InputError) as error:
        write_atomic(target, "{}")
    assert str(error.value).startswith(f"{target}: cannot write (")
    assert "is a file, not a directory" in str(error.value)
    assert blocking.read_text() == "x"


def test_output_in_a_new_directory_is_accepted(tmp_path):
    check_output_paths(str(tmp_path / "new" / "deeper" / "r.json"), None)
