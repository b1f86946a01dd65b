"""Test-loss curves of the trained discriminators, and their file curves.csv."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from verifier.errors import InputError
from verifier.experiment.statistics import format_estimate

CURVES_SCHEMA_VERSION = 1
CURVES_COLUMNS = ("schema_version", "depth", "seed", "step", "test_loss", "test_loss_standard_error", "train_loss")


@dataclass
class Curve:
    """Test loss after each evaluation step of one (depth, training seed) run."""

    depth: int
    seed: int
    steps: list[int] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_loss_standard_error: list[float] = field(default_factory=list)
    train_loss: list[float | None] = field(default_factory=list)  # mean training loss since the previous evaluation
    seconds: float = 0.0


def curves_csv(curves: list[Curve]) -> str:
    """Write the curves as CSV text: one row per depth, seed and evaluation step, numbers as decimal text.

    Both losses have 2 log 2 subtracted, so 0 is the loss of the constant D = 1/2. The
    train_loss cell is empty at step 0.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CURVES_COLUMNS)
    for curve in curves:
        for step, loss, error, train in zip(curve.steps, curve.test_loss, curve.test_loss_standard_error, curve.train_loss):
            writer.writerow([CURVES_SCHEMA_VERSION, curve.depth, curve.seed, step, format_estimate(loss), format_estimate(error),
                             "" if train is None else format_estimate(train)])
    return buffer.getvalue()


def read_curves_csv(path: str) -> list[Curve]:
    """Read curves.csv back into curves, raising InputError that names the file and the line."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    if not rows or tuple(rows[0]) != CURVES_COLUMNS:
        raise InputError(f"{path}: line 1 must be the header {','.join(CURVES_COLUMNS)}")

    curves: dict[tuple[int, int], Curve] = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(CURVES_COLUMNS):
            raise InputError(f"{path}: line {line} has {len(row)} cells, expected {len(CURVES_COLUMNS)}")
        try:
            version, depth, seed, step = (int(cell) for cell in row[:4])
            loss, error = float(row[4]), float(row[5])
            train = float(row[6]) if row[6] else None
        except ValueError:
            raise InputError(f"{path}: line {line} has a cell that is not a number: {row}") from None
        if version != CURVES_SCHEMA_VERSION:
            raise InputError(f"{path}: line {line} has schema_version {version}; this tool reads {CURVES_SCHEMA_VERSION}")
        curve = curves.setdefault((depth, seed), Curve(depth, seed))
        curve.steps.append(step)
        curve.test_loss.append(loss)
        curve.test_loss_standard_error.append(error)
        curve.train_loss.append(train)
    if not curves:
        raise InputError(f"{path}: no curves found")
    return list(curves.values())
