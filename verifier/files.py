"""Atomic file output and reading of evaluation points."""

from __future__ import annotations

import csv
import json
import os
import stat
import tempfile
from decimal import Decimal

import numpy as np

from verifier.dyadic import Dyadic, NotDyadicError, parse_exact
from verifier.errors import InputError
from verifier.network import canonical_dumps, load_json


def write_atomic(path: str, text: str | bytes) -> None:
    """Write ``text`` (str, or bytes for binary files) to ``path`` through a file beside it and a rename.

    A failure leaves no half file. An existing target that is not a regular file
    (such as /dev/null) is written in place instead, so it is never replaced.
    """
    check_output_paths(path)
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        with open(path, "wb" if isinstance(text, bytes) else "w") as stream:
            stream.write(text)
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    except OSError as error:
        raise InputError(f"{path}: cannot write ({error.strerror})") from None
    try:
        if isinstance(text, bytes):
            with os.fdopen(handle, "wb") as stream:
                stream.write(text)
        else:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
        os.chmod(temporary, 0o666 & ~_current_umask())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def check_output_paths(*paths: str | None) -> None:
    """Raise InputError for an output path that is a directory or lies below a file, before anything is written."""
    for path in paths:
        if path is None:
            continue
        if os.path.isdir(path):
            raise InputError(f"{path}: is a directory; expected the path of a file to write")
        blocking = _existing_parent(path)
        if os.path.isfile(blocking):
            raise InputError(f"{path}: cannot write ({blocking} is a file, not a directory)")
        if not os.path.isdir(blocking):
            raise InputError(f"{path}: cannot write ({blocking} is not a directory)")


def _existing_parent(path: str) -> str:
    """Return the nearest ancestor of ``path`` that exists, as spelled in ``path`` ('.' for the working directory)."""
    parent = os.path.dirname(path)
    while parent and not os.path.lexists(parent):
        above = os.path.dirname(parent)
        if above == parent:
            break
        parent = above
    return parent or "."


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: str, data) -> None:
    """Write JSON with sorted keys and indentation, atomically."""
    write_atomic(path, json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n")


def write_canonical_json(path: str, data) -> None:
    write_atomic(path, canonical_dumps(data) + "\n")


def read_points(path: str, dimension: int, rounding: str | None = None, precision: int = 64) -> list[list[Dyadic]]:
    """Read evaluation points, one per row, from .npy, .csv or .json, as exact dyadic numbers.

    Floats in .npy files are taken at their exact binary value. CSV and JSON cells
    are exact text ('-3/8', '0.375', '2^-4') or JSON integers; JSON floats are rejected.
    Text that is not dyadic ('0.1') is rejected unless ``rounding`` names a rule,
    which rounds it to a multiple of 2^-precision.
    """
    extension = os.path.splitext(path)[1].lower()
    if extension == ".npy":
        rows = _read_npy(path)
    elif extension == ".csv":
        rows = _read_csv(path, rounding, precision)
    elif extension == ".json":
        rows = _read_json_points(path, rounding, precision)
    else:
        raise InputError(f"{path}: unknown points format {extension or '(none)'}; expected .npy, .csv or .json")
    if not rows:
        raise InputError(f"{path}: no points found")
    for index, row in enumerate(rows):
        if len(row) != dimension:
            raise InputError(f"{path}: point {index + 1} has {len(row)} coordinates but the network takes {dimension}")
    return rows


def _read_npy(path: str) -> list[list[Dyadic]]:
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: not a readable .npy file ({error})") from None
    if array.dtype.kind not in "iuf":
        raise InputError(f"{path}: expected an integer or float array, found dtype {array.dtype}")
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise InputError(f"{path}: expected a 2-d array of points (one per row), found {array.ndim} dimensions")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        row, col = np.argwhere(~np.isfinite(array))[0]
        raise InputError(f"{path}: point {row + 1}, coordinate {col + 1} is {array[row, col]}, not a finite number")
    return [[Dyadic(value) for value in row.tolist()] for row in array]


def _read_csv(path: str, rounding: str | None, precision: int) -> list[list[Dyadic]]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            lines = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    rows = []
    for line_number, row in enumerate(lines, start=1):
        where = f"{path}: line {line_number}, column"
        rows.append([_exact_cell(cell, f"{where} {column}", rounding, precision) for column, cell in enumerate(row, start=1)])
    return rows


def _read_json_points(path: str, rounding: str | None, precision: int) -> list[list[Dyadic]]:
    data = load_json(path)
    if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
        raise InputError(f"{path}: expected a list of points, each a list of numbers")
    rows = []
    for index, row in enumerate(data):
        converted = []
        for column, value in enumerate(row):
            where = f"{path}: point {index + 1}, coordinate {column + 1}"
            if isinstance(value, Decimal):
                raise InputError(f"{where}: found the JSON float {value}; write exact numbers as strings such as \"-3/8\"")
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise InputError(f"{where}: expected an exact number written as a string such as \"-3/8\", found {json.dumps(value)}")
            converted.append(Dyadic(value) if isinstance(value, int) else _exact_cell(value, where, rounding, precision))
        rows.append(converted)
    return rows


def _exact_cell(text: str, where: str, rounding: str | None, precision: int) -> Dyadic:
    try:
        return parse_exact(text, rounding, precision)
    except NotDyadicError as error:
        raise InputError(f"{where}: {error}; pass --rounding to round such values") from None
    except InputError as error:
        raise InputError(f"{where}: {error}") from None
