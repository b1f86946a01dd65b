"""PyTorch state dicts of ``nn.Sequential`` models of Linear and ReLU modules: reading and writing.

A state dict names only parameters, so the reader expects the layout
``Sequential(Linear, ReLU, Linear, ReLU, ..., Linear)``: keys ``i.weight`` and
``i.bias`` whose module indices i grow by 2 from one Linear to the next (the ReLU
in between has no parameters). A common prefix such as ``model.`` is allowed.
Needs torch, from the ``experiment`` extra.
"""

from __future__ import annotations

import io
import re
from fractions import Fraction

import numpy as np

from verifier.audit.model import Model, RationalLayer
from verifier.errors import InputError

TORCH_MISSING = "reading or writing torch state dicts needs torch: pip install -e '.[experiment]'"
_KEY = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<index>\d+)\.(?P<name>weight|bias)$")


def import_torch():
    try:
        import torch
    except ImportError:
        raise InputError(TORCH_MISSING) from None
    return torch


def read_state_dict(path: str) -> Model:
    """Read a state dict of a Sequential Linear/ReLU model into a Model."""
    torch = import_torch()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except Exception as error:  # torch raises pickle, zip and runtime errors for damaged files
        raise InputError(f"{path}: not a readable torch file ({type(error).__name__}: {error})") from None
    if not isinstance(state, dict) or not state:
        raise InputError(f"{path}: expected a state dict (a mapping of parameter names to tensors), found {type(state).__name__}")

    modules = _group_by_module(path, state)
    indices = sorted(modules)
    for before, after in zip(indices, indices[1:]):
        if after - before != 2:
            raise InputError(
                f"{path}: Linear modules {before} and {after} are not separated by exactly one module; "
                "expected Sequential(Linear, ReLU, Linear, ...)"
            )

    layers = []
    dtypes = set()
    for position, index in enumerate(indices):
        weight, bias = modules[index].get("weight"), modules[index].get("bias")
        if weight is None:
            raise InputError(f"{path}: module {index} has a bias but no weight")
        dtypes.add(str(getattr(weight, "dtype", "")).replace("torch.", ""))
        weight = _as_array(path, f"{index}.weight", weight, torch)
        if weight.ndim != 2:
            raise InputError(f"{path}: {index}.weight has shape {list(weight.shape)}; a Linear weight is 2-d")
        bias = np.zeros(weight.shape[0]) if bias is None else _as_array(path, f"{index}.bias", bias, torch)
        if bias.shape != (weight.shape[0],):
            raise InputError(f"{path}: {index}.bias has shape {list(bias.shape)} but {index}.weight has {weight.shape[0]} rows")
        if layers and layers[-1].shape[0] != weight.shape[1]:
            raise InputError(f"{path}: {index}.weight takes {weight.shape[1]} inputs but the previous Linear gives {layers[-1].shape[0]}")
        entries = [(r, c, Fraction(v)) for r, row in enumerate(weight.tolist()) for c, v in enumerate(row) if v]
        layers.append(RationalLayer.from_fractions(weight.shape, entries, [Fraction(v) for v in bias.tolist()]))

    notes = ["a ReLU was assumed between consecutive Linear modules (a state dict does not name activations)"]
    float_dtype = "float32" if dtypes <= {"float32", "float16", "bfloat16"} else "float64"
    return Model(path, "torch", layers[0].shape[1], layers, None, float_dtype, notes)


def _group_by_module(path: str, state: dict) -> dict[int, dict]:
    modules: dict[int, dict] = {}
    prefixes = set()
    for key, value in state.items():
        match = _KEY.match(str(key))
        if match is None:
            raise InputError(f"{path}: key {key!r} is not a Linear weight or bias; only Sequential Linear/ReLU models are supported")
        prefixes.add(match["prefix"])
        modules.setdefault(int(match["index"]), {})[match["name"]] = value
    if len(prefixes) > 1:
        raise InputError(f"{path}: the keys have different prefixes {sorted(prefixes)}; expected one Sequential model")
    return modules


def _as_array(path: str, key: str, tensor, torch) -> np.ndarray:
    """Return the tensor as float64, which represents every float16, bfloat16 and float32 value exactly."""
    if not isinstance(tensor, torch.Tensor) or not tensor.is_floating_point():
        raise InputError(f"{path}: {key} is not a floating-point tensor")
    array = tensor.detach().to(torch.float64).numpy()
    if not np.all(np.isfinite(array)):
        position = [int(i) for i in np.argwhere(~np.isfinite(array))[0]]
        raise InputError(f"{path}: {key} has the non-finite value {array[tuple(position)]} at index {position}")
    return array


def write_state_dict(layers: list[tuple[np.ndarray, np.ndarray]]) -> bytes:
    """Return the bytes of ``torch.save`` of a Sequential(Linear, ReLU, ..., Linear) state dict in float64."""
    torch = import_torch()
    state = {}
    for position, (weights, bias) in enumerate(layers):
        state[f"{2 * position}.weight"] = torch.tensor(np.asarray(weights, dtype=np.float64))
        state[f"{2 * position}.bias"] = torch.tensor(np.asarray(bias, dtype=np.float64))
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()
