"""Export of a model's function to ONNX or a torch state dict, with float64 weights that are exact.

Every weight and bias must be a float64 exactly, or the export is rejected with
the first entry that is not. For an NNet model the exported function includes the
clipping layer and the folded normalisation, whose entries are often not dyadic
(a range of 3 folds in as 1/3). ``weights_only`` exports the weight layers alone.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from verifier.audit.model import Model
from verifier.errors import InputError

EXPORT_FORMATS = ("onnx", "torch")


def float64_layers(model: Model, weights_only: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return each layer as dense float64 (weights, bias), or raise InputError naming an entry that is no float64.

    Layers are numbered as the audit numbers them: layer k is weight layer k of the
    file, and an NNet model's clipping layer is layer 0.
    """
    with_normalisation = model.normalisation is not None and not weights_only
    layers = model.function_layers() if with_normalisation else model.layers
    hint = ""
    if with_normalisation:
        hint = (". The export includes the NNet clipping and normalisation only when every folded entry is a float64; "
                "pass --weights-only to export the weight layers without them (that model takes normalised inputs and returns unscaled outputs)")
    first_number = model.first_layer_number() if with_normalisation else 1
    last_number = first_number + len(layers) - 1
    converted = []
    for number, layer in enumerate(layers, start=first_number):
        name = _layer_name(number, last_number, with_normalisation)
        weights = np.zeros(layer.shape, dtype=np.float64)
        for row, column, value in layer.entries():
            # The first weight layer after clipping reads [W, -W] from the clipping units; name W's column.
            input_column = column % model.input_dim if with_normalisation and number == 1 else column
            weights[row, column] = _exact_float(value, f"{name}, weight ({row}, {input_column})", model.source, hint)
        bias = np.array([_exact_float(value, f"{name}, bias {row}", model.source, hint)
                         for row, value in enumerate(layer.bias_fractions())], dtype=np.float64)
        converted.append((weights, bias))
    return converted


def _layer_name(number: int, last_number: int, with_normalisation: bool) -> str:
    if not with_normalisation:
        return f"layer {number}"
    if number == 0:
        return "the clipping layer (layer 0)"
    folded = [part for part, applies in (("input normalisation", number == 1), ("output scaling", number == last_number)) if applies]
    return f"layer {number} (with the {' and '.join(folded)} folded in)" if folded else f"layer {number}"


def _exact_float(value: Fraction, where: str, source: str, hint: str) -> float:
    try:
        converted = float(value)
    except OverflowError:
        converted = float("inf")
    if math.isfinite(converted) and Fraction(converted) == value:
        return converted
    if value.denominator & (value.denominator - 1):
        reason = "is not dyadic, so it is no float64"
    else:
        reason = f"is not a float64 (the nearest is {converted!r})"
    raise InputError(f"{source}: {where} = {value} {reason}{hint}")


def export_bytes(model: Model, target: str, weights_only: bool = False) -> bytes:
    """Return the exported model as ONNX (opset 13, Gemm and Relu) or as torch.save of a state dict."""
    layers = float64_layers(model, weights_only)
    if target == "onnx":
        from verifier.audit.onnx_format import write_onnx

        return write_onnx(layers)
    if target == "torch":
        from verifier.audit.torch_format import write_state_dict

        return write_state_dict(layers)
    raise InputError(f"unknown export format {target!r}; expected one of {', '.join(EXPORT_FORMATS)}")
