"""Figures of test loss against training step, one line per discriminator depth.

They follow Figure 1 of Chen, Li, Li and Meka, "Minimax Optimality (Probably) Doesn't
Imply Distribution Learning for GANs" (2022), with a band over training seeds added.
"""

from __future__ import annotations

import io
from collections import defaultdict

import numpy as np

from verifier.experiment.curves import Curve
from verifier.files import write_atomic

Y_LABEL = "test loss: E[-log D(X)] + E[-log(1 - D(G(z)))] - 2 log 2"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def draw_panel(axes, curves: list[Curve], title: str, reference: tuple[float, str] | None = None) -> None:
    """Draw the mean test loss over seeds per depth, a band from the lowest to the highest seed, and the zero line.

    ``reference`` is an optional (loss, label) drawn as a dotted line.
    """
    by_depth: dict[int, list[Curve]] = defaultdict(list)
    for curve in curves:
        by_depth[curve.depth].append(curve)

    for depth, group in sorted(by_depth.items()):
        steps = np.asarray(group[0].steps)
        losses = np.asarray([curve.test_loss for curve in group])
        label = f"{depth} hidden layers" if depth > 1 else "1 hidden layer"
        if len(group) > 1:
            label += f" ({len(group)} seeds)"
        line, = axes.plot(steps, losses.mean(axis=0), label=label, linewidth=1.5)
        if len(group) > 1:
            axes.fill_between(steps, losses.min(axis=0), losses.max(axis=0), color=line.get_color(), alpha=0.2, linewidth=0)

    axes.axhline(0.0, color="black", linestyle="--", linewidth=1, label="0: the constant D = 1/2")
    if reference is not None:
        axes.axhline(reference[0], color="gray", linestyle=":", linewidth=1.5, label=reference[1])
    axes.set_xlabel("training step")
    axes.set_ylabel(Y_LABEL)
    axes.set_title(title, fontsize=9)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)


def plot_curves(curves: list[Curve], title: str, path: str, reference: tuple[float, str] | None = None) -> None:
    """Write a PNG of one run's curves to ``path``, atomically."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(7, 4.5))
    draw_panel(axes, curves, title, reference)
    _save(pyplot, figure, path)


def plot_panels(panels: list[tuple[list[Curve], str, tuple[float, str] | None]], path: str) -> None:
    """Write a PNG with one panel per run side by side, each with its own y axis, to ``path``, atomically.

    Each panel is (curves, title, reference) as ``draw_panel`` takes them.
    """
    pyplot = _pyplot()
    figure, axes_list = pyplot.subplots(1, len(panels), figsize=(6 * len(panels), 4.8), squeeze=False)
    for axes, (curves, title, reference) in zip(axes_list[0], panels):
        draw_panel(axes, curves, title, reference)
    _save(pyplot, figure, path)


def _save(pyplot, figure, path: str) -> None:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    pyplot.close(figure)
    write_atomic(path, buffer.getvalue())
