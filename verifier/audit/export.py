"""Export of a model's function to ONNX or a torch state dict, with float64 weights that are exact.

Every weight and bias must be a float64 exactly, or the export is rejected with
the first entry that is not. For an NNet model the exported function includes the
clipping layer and the folded normalisation, whose entries are often not dyadic.
``weights_only`` exports the weight layers alone.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from verifier.audit.model import Model
from verifier.errors import InputError

EXPORT_FORMATS = ("onnx", "torch")


def float64_layers(model: Model, weights_only: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return each layer as dense float64 (weights, bias), or raise InputError naming an entry that is no float64."""
    layers = model.layers if weights_only or model.normalisation is None else model.function_layers()
    hint = ""
    if model.normalisation is not None and not weights_only:
        hint = " (layer 1 is the input clipping layer); export the weight layers alone with --weights-only"
    converted = []
    for index, layer in enumerate(layers, start=1):
        weights = np.zeros(layer.shape, dtype=np.float64)
        for row, column, value in layer.entries():
            weights[row, column] = _exact_float(value, f"layer {index}, weight ({row}, {column})", model.source, hint)
        bias = np.array([_exact_float(value, f"layer {index}, bias {row}", model.source, hint)
                         for row, value in enumerate(layer.bias_fractions())], dtype=np.float64)
        converted.append((weights, bias))
    return converted


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
