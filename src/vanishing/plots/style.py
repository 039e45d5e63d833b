"""Colours and the small helpers every figure module shares.

Colours: the Okabe–Ito palette (Okabe & Ito 2008) for distinct models, and the sequential,
colour-blind-safe ``viridis`` / ``cividis`` colour maps for ordered things (layer depth, heatmaps).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

#: Okabe & Ito (2008) colour-blind-safe palette, black first.
OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"]
#: The order used for successive models (yellow last: it is faint on white).
MODEL_COLOURS = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
]
DEPTH_CMAP = "viridis"
HEATMAP_CMAP = "cividis"


def model_colour(i: int) -> str:
    """Colour of the ``i``-th model in a comparison (Okabe–Ito)."""
    return MODEL_COLOURS[i % len(MODEL_COLOURS)]


def depth_colours(n: int, cmap: str = DEPTH_CMAP) -> np.ndarray:
    """``n`` colours from dark (input side) to light (output side), shape ``(n, 4)`` RGBA."""
    return plt.get_cmap(cmap)(np.linspace(0.0, 0.9, max(n, 1)))[:n]


def fig_ax(ax: Axes | None, figsize: tuple[float, float] = (6.4, 4.0)) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new figure of ``figsize`` with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def positive(a: np.ndarray) -> np.ndarray:
    """Values for a log axis: non-positive entries become ``nan`` (left out of the line)."""
    a = np.asarray(a, dtype=np.float64)
    return np.where(a > 0, a, np.nan)


def moving_average(y: np.ndarray, window: int) -> np.ndarray:
    """Moving average of ``y`` over ``window`` points, ``nan`` left out (``y`` itself if
    ``window`` <= 1 or ``y`` is shorter than ``window``)."""
    if window <= 1 or len(y) < window:
        return y
    kernel = np.ones(window) / window
    out = np.convolve(np.nan_to_num(y, nan=0.0), kernel, mode="same")
    counts = np.convolve(np.isfinite(y).astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, out / counts * 1.0, np.nan)
