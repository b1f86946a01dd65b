"""Reader for the NNet text format of ReLU networks.

Layout after the '//' comment lines, one comma-separated record per line:

    L, n_in, n_out, max width        number of weight layers and sizes
    k_0, k_1, ..., k_L               layer sizes, k_0 = n_in and k_L = n_out
    flag                             unused; writers put 0 or free text here
    minimums (n_in values)           input clipping
    maximums (n_in values)
    means (n_in + 1 values)          the last one is the output mean
    ranges (n_in + 1 values)         the last one is the output range
    then per layer k_l rows of k_{l-1} weights, then k_l biases one per line.

Some writers put more normalisation values on a line than the format needs; the
extra ones are ignored and noted in the model. Decimal text is read as the nearest
float64 (what NNet readers compute with), or exactly with ``decimal="exact"``.
"""

from __future__ import annotations

import math
from fractions import Fraction

from verifier.audit import counted
from verifier.audit.model import Model, Normalisation, RationalLayer
from verifier.errors import InputError

DECIMAL_MODES = ("float64", "exact")


class _Lines:
    """The data lines of an NNet file with their line numbers, read one record at a time."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.records = []
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if stripped and not stripped.startswith("//"):
                self.records.append((number, stripped))
        self.position = 0

    def next(self, what: str) -> tuple[int, list[str]]:
        if self.position >= len(self.records):
            raise InputError(f"{self.path}: the file ends before {what} (truncated, or the header promises more than the body has)")
        number, line = self.records[self.position]
        self.position += 1
        return number, [field.strip() for field in line.split(",") if field.strip()]

    def remaining(self) -> list[tuple[int, str]]:
        return self.records[self.position:]


def read_nnet(path: str, decimal: str = "float64") -> Model:
    """Read an NNet file into a Model; raise InputError naming the line on anything malformed."""
    if decimal not in DECIMAL_MODES:
        raise InputError(f"unknown decimal mode {decimal!r}; expected one of {', '.join(DECIMAL_MODES)}")
    lines = _Lines(path, _read_text(path))
    parse = _parser(path, decimal)

    number, fields = lines.next("the header line 'layers, inputs, outputs, max width'")
    header = _integers(path, number, fields, 4, "the header 'layers, inputs, outputs, max width'")
    layer_count, input_dim, output_dim, _ = header
    number, fields = lines.next("the layer sizes")
    sizes = _integers(path, number, fields, layer_count + 1, f"{layer_count + 1} layer sizes")
    if sizes[0] != input_dim or sizes[-1] != output_dim:
        raise InputError(
            f"{path}: line {number}: the layer sizes start with {sizes[0]} and end with {sizes[-1]}, "
            f"but the header gives {input_dim} inputs and {output_dim} outputs"
        )
    lines.next("the unused flag line")

    notes = []
    _, minimum = _values(lines, parse, input_dim, "minimum", notes)
    _, maximum = _values(lines, parse, input_dim, "maximum", notes)
    _, mean = _values(lines, parse, input_dim + 1, "mean", notes)
    number, spread = _values(lines, parse, input_dim + 1, "range", notes)
    for index, value in enumerate(spread):
        if value == 0:
            raise InputError(f"{path}: line {number}: range {index + 1} is 0, so the normalisation divides by zero")
    normalisation = Normalisation(tuple(minimum), tuple(maximum), tuple(mean[:-1]), tuple(spread[:-1]), mean[-1], spread[-1])

    layers = [_read_layer(lines, parse, index + 1, sizes[index], sizes[index + 1]) for index in range(layer_count)]
    extra = lines.remaining()
    if extra:
        follow = "1 line follows" if len(extra) == 1 else f"{len(extra)} lines follow"
        raise InputError(f"{path}: line {extra[0][0]}: {follow} the last layer; the header's layer sizes account for fewer")

    if decimal == "float64":
        notes.append("decimal weights were read as the nearest float64, the value NNet readers compute with")
    else:
        notes.append("decimal weights were read exactly; decimals are not dyadic, so the weights lie in no R_tau")
    return Model(path, "nnet", input_dim, layers, normalisation, "float64", notes)


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot be read ({error})") from None


def _parser(path: str, decimal: str):
    """Return a function (text, line number) -> exact Fraction for the chosen decimal mode."""

    def parse(text: str, number: int) -> Fraction:
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"{path}: line {number}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise InputError(f"{path}: line {number}: {text!r} is not a finite number")
        if decimal == "float64":
            return Fraction(value)
        return Fraction(text)

    return parse


def _integers(path: str, number: int, fields: list[str], count: int, what: str) -> list[int]:
    if len(fields) < count:
        raise InputError(f"{path}: line {number}: expected {what}, found {counted(len(fields), 'value')}")
    try:
        values = [int(field) for field in fields[:count]]
    except ValueError:
        raise InputError(f"{path}: line {number}: expected {what} as integers, found {', '.join(fields[:count])}") from None
    if any(value < 1 for value in values):
        raise InputError(f"{path}: line {number}: {what} must be positive, found {', '.join(fields[:count])}")
    return values


def _values(lines: _Lines, parse, count: int, noun: str, notes: list[str]) -> tuple[int, list[Fraction]]:
    """Return the line number and the first ``count`` values of the next record; ``noun`` names one value, such as "minimum"."""
    number, fields = lines.next(f"the {noun}s")
    if len(fields) < count:
        raise InputError(f"{lines.path}: line {number}: expected {counted(count, noun)}, found {len(fields)}")
    if len(fields) > count:
        used = "1 is used" if count == 1 else f"{count} are used"
        notes.append(f"line {number} has {counted(len(fields), noun)} where {used}; the extra values were ignored")
    return number, [parse(field, number) for field in fields[:count]]


def _read_layer(lines: _Lines, parse, index: int, inputs: int, outputs: int) -> RationalLayer:
    entries = []
    for row in range(outputs):
        number, fields = lines.next(f"row {row + 1} of the weights of layer {index}")
        if len(fields) != inputs:
            raise InputError(f"{lines.path}: line {number}: layer {index}, weight row {row + 1} has {counted(len(fields), 'value')} but the header gives {inputs}")
        entries.extend((row, column, parse(field, number)) for column, field in enumerate(fields))
    bias = []
    for row in range(outputs):
        number, fields = lines.next(f"bias {row + 1} of layer {index}")
        if len(fields) != 1:
            raise InputError(f"{lines.path}: line {number}: layer {index}, bias {row + 1} should be one value, found {len(fields)}")
        bias.append(parse(fields[0], number))
    return RationalLayer.from_fractions((outputs, inputs), [(r, c, v) for r, c, v in entries if v != 0], bias)
