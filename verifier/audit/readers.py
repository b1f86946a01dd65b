"""Read a model file by its extension: .onnx, .nnet, .json (network or certificate), .pt or .pth (torch state dict)."""

from __future__ import annotations

import os

from verifier.audit.model import Model, RationalLayer
from verifier.errors import InputError

MODEL_EXTENSIONS = (".onnx", ".nnet", ".json", ".pt", ".pth")


def read_model(path: str, decimal: str = "float64") -> Model:
    """Read a model; ``decimal`` ('float64' or 'exact') applies to NNet decimal text only."""
    extension = os.path.splitext(path)[1].lower()
    if not os.path.exists(path):
        raise InputError(f"{path}: file not found")
    if extension == ".onnx":
        from verifier.audit.onnx_format import read_onnx

        return read_onnx(path)
    if extension == ".nnet":
        from verifier.audit.nnet import read_nnet

        return read_nnet(path, decimal)
    if extension == ".json":
        return _read_project_network(path)
    if extension in (".pt", ".pth"):
        from verifier.audit.torch_format import read_state_dict

        return read_state_dict(path)
    raise InputError(f"{path}: unknown model format {extension or '(none)'}; expected one of {', '.join(MODEL_EXTENSIONS)}")


def _read_project_network(path: str) -> Model:
    from verifier.network import load_network

    network = load_network(path)
    layers = [RationalLayer(layer) for layer in network.layers]
    return Model(path, "json", network.input_dim, layers, None, "float64", [])
