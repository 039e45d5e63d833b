r"""Gradient norms and update sizes by layer: at one step and over training."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from .style import (
    DEPTH_CMAP,
    HEATMAP_CMAP,
    depth_colours,
    fig_ax,
    model_colour,
    moving_average,
    positive,
)


def _norms_of(item, step: int) -> np.ndarray:
    if hasattr(item, "grad_norm"):  # a History: the row of the chosen recorded step
        g = np.asarray(item.grad_norm)
        if g.shape[0] == 0:
            raise ValueError("this History has no telemetry; train with telemetry=True")
        return g[step]
    return np.asarray(item, dtype=np.float64).ravel()


def plot_gradient_norms(
    norms,
    *,
    step: int = 0,
    ax: Axes | None = None,
    title: str | None = None,
    label: str | None = None,
) -> Figure:
    r"""Per-layer weight-gradient norm :math:`\|\partial L/\partial W_l\|` against depth, log y.

    Parameters
    ----------
    norms : array of shape (L,), History, or dict ``{label: array or History}``
        Several entries are drawn as one line each (one colour per model). For a History the
        row ``step`` of ``grad_norm`` is used (index into the recorded steps; 0 = first step,
        -1 = last).
    step : int
        Which recorded step of a History to show.
    ax : Axes, optional
    label : str, optional
        Legend label of a single array.
    """
    fig, ax = fig_ax(ax)
    series = norms if isinstance(norms, Mapping) else {label or "": norms}
    for i, (name, item) in enumerate(series.items()):
        g = _norms_of(item, step)
        ax.plot(
            np.arange(1, len(g) + 1),
            positive(g),
            marker="o",
            ms=3,
            color=model_colour(i),
            label=name or None,
        )
    ax.set_yscale("log")
    ax.set_xlabel("Linear layer (1 = input side)")
    ax.set_ylabel(r"gradient norm $\|\partial L / \partial W\|_F$ (log scale)")
    ax.set_title(title or "Weight-gradient norm by depth")
    ax.grid(True, which="major", alpha=0.3)
    if any(series):
        ax.legend(loc="best")
    return fig


def _edges(centres: np.ndarray) -> np.ndarray:
    c = np.asarray(centres, dtype=np.float64)
    if len(c) == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = (c[:-1] + c[1:]) / 2
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


def _steps_and_values(data, field: str, steps):
    if hasattr(data, field):
        values = np.asarray(getattr(data, field), dtype=np.float64)
        steps = np.asarray(data.telemetry_steps) if steps is None else np.asarray(steps)
    else:
        values = np.asarray(data, dtype=np.float64)
        steps = np.arange(len(values)) if steps is None else np.asarray(steps)
    if values.ndim != 2 or values.shape[0] == 0:
        raise ValueError(
            f"expected a (steps, layers) array with at least one row, got shape "
            f"{values.shape}; was the model trained with telemetry=True?"
        )
    if len(steps) != values.shape[0]:
        raise ValueError(f"{len(steps)} steps for {values.shape[0]} rows of {field}")
    return steps, values


def plot_gradient_heatmap(
    data, *, steps=None, ax: Axes | None = None, title: str | None = None
) -> Figure:
    r"""Heatmap of per-layer gradient norm over training: layers up, steps across, log colour.

    Parameters
    ----------
    data : History or array of shape (R, L)
        ``History.grad_norm`` (recorded at ``History.telemetry_steps``) or a raw array.
    steps : array of shape (R,), optional
        Step of each row (default: the History's, or ``0..R-1``).
    """
    steps, g = _steps_and_values(data, "grad_norm", steps)
    fig, ax = fig_ax(ax, figsize=(7.0, 4.0))
    pos = g[np.isfinite(g) & (g > 0)]
    if pos.size:
        # a batch fitted exactly gives norms near 1e-280: they must not wash out the picture
        vmax = float(pos.max())
        vmin = max(float(np.percentile(pos, 1)), vmax * 1e-16)
        norm = LogNorm(vmin=vmin, vmax=vmax if vmax > vmin else vmin * 10)
    else:
        norm = LogNorm(vmin=1e-8, vmax=1.0)
    cmap = plt.get_cmap(HEATMAP_CMAP).with_extremes(bad="#bbbbbb")
    layers = np.arange(1, g.shape[1] + 1)
    mesh = ax.pcolormesh(
        _edges(steps),
        _edges(layers),
        np.ma.masked_invalid(positive(g.T)),
        norm=norm,
        cmap=cmap,
        shading="flat",
    )
    cb = fig.colorbar(mesh, ax=ax)
    cb.set_label(r"$\|\partial L / \partial W\|_F$ (log scale)")
    ax.set_xlabel("training step")
    ax.set_ylabel("Linear layer (1 = input side)")
    ax.set_title(title or "Gradient norm per layer during training")
    return fig


def plot_update_ratios(
    data,
    *,
    steps=None,
    reference: float = 1e-3,
    smooth: int = 1,
    names: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Update-to-weight ratio :math:`\|\Delta W\|/\|W\|` of each layer over training, log y.

    A dashed line marks ``reference`` (:math:`10^{-3}`, the usual rule of thumb): layers far
    below it barely move.

    Parameters
    ----------
    data : History or array of shape (R, L)
    smooth : int
        Moving-average window in recorded steps (1 = raw).
    names : list of str, optional
        Layer names for the legend (default: the History's ``linear_names``).
    """
    steps, r = _steps_and_values(data, "update_ratio", steps)
    names = list(names) if names is not None else list(getattr(data, "linear_names", []) or [])
    fig, ax = fig_ax(ax)
    L = r.shape[1]
    colours = depth_colours(L)
    for i in np.arange(L):
        lab = f"layer {i + 1}" + (f" ({names[i]})" if i < len(names) else "")
        ax.plot(
            steps,
            positive(moving_average(r[:, i], smooth)),
            color=colours[i],
            lw=1.2,
            label=lab if L <= 10 else None,
        )
    ax.axhline(reference, color="black", ls="--", lw=1, label=f"reference {reference:g}")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(r"update / weight  $\|\Delta W\|_F / \|W\|_F$ (log scale)")
    ax.set_title(title or "Update-to-weight ratio per layer")
    if L > 10:
        sm = plt.cm.ScalarMappable(norm=Normalize(1, L), cmap=DEPTH_CMAP)
        fig.colorbar(sm, ax=ax, label="Linear layer (1 = input side)")
        ax.legend(fontsize="small", loc="best")
    else:
        ax.legend(fontsize="small", ncols=2 if L > 5 else 1, loc="best")
    ax.grid(True, which="major", alpha=0.3)
    return fig
