"""Activation values by layer: histograms, statistics by depth, and over training."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import DEPTH_CMAP, OKABE_ITO, depth_colours, fig_ax


# ------------------------------------------------------------------------------------------
# Activation histograms (Glorot & Bengio 2010, figures 3 and 6)
# ------------------------------------------------------------------------------------------
def _as_named(acts, names) -> tuple[list[str], list[np.ndarray]]:
    if isinstance(acts, Mapping):
        names = list(acts) if names is None else list(names)
        arrays = list(acts.values())
    else:
        arrays = list(acts)
        names = [f"layer {i + 1}" for i in range(len(arrays))] if names is None else list(names)
    if len(names) != len(arrays):
        raise ValueError(f"got {len(names)} names for {len(arrays)} activation arrays")
    return names, [np.asarray(a) for a in arrays]


def histogram_range(arrays: Sequence[np.ndarray]) -> tuple[float, float]:
    """A common x range for activation histograms: the 0.5–99.5 percentiles of all values."""
    finite = [a[np.isfinite(a)].ravel() for a in arrays]
    finite = [a for a in finite if a.size]
    if not finite:
        return -1.0, 1.0
    allv = np.concatenate(finite)
    lo, hi = np.percentile(allv, [0.5, 99.5])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return float(lo), float(hi)


def _layer_label(i: int, name: str) -> str:
    """``"layer 3"`` for a dotted module path such as ``"4"`` or ``"2.block.1"``, else the name."""
    if all(part.isdigit() or part == "block" for part in str(name).split(".")):
        return f"layer {i + 1}"
    return str(name)


def _pick_layers(n: int, max_layers: int) -> list[int]:
    if n <= max_layers:
        return list(range(n))
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, max_layers)})


def plot_activation_histograms(
    acts,
    *,
    names: Sequence[str] | None = None,
    bins: int = 50,
    range: tuple[float, float] | None = None,
    overlay: bool = True,
    max_layers: int = 8,
    log: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Histograms of each layer's activation values (Glorot & Bengio 2010 style).

    Parameters
    ----------
    acts : dict ``{name: array}`` or list of arrays
        Activation outputs per layer, e.g. from :func:`vanishing.telemetry.activations`.
    bins : int
    range : (float, float), optional
        Common x range; default :func:`histogram_range`.
    overlay : bool
        ``True``: all layers on one axis as density outlines, coloured from dark (input side)
        to light (output side). ``False``: one panel per layer, sharing the x axis.
    max_layers : int
        At most this many layers, evenly spaced through the depth (first and last included).
    log : bool
        Log-scale density axis (useful for ReLU, whose spike at 0 hides the rest).
    ax : Axes, optional
        Only with ``overlay=True``.
    """
    names, arrays = _as_named(acts, names)
    if not arrays:
        raise ValueError("no activations to plot")
    keep = _pick_layers(len(arrays), max_layers)
    lo, hi = range if range is not None else histogram_range(arrays)
    edges = np.linspace(lo, hi, bins + 1)
    colours = depth_colours(len(keep))
    if overlay:
        fig, ax = fig_ax(ax)
        for c, i in zip(colours, keep, strict=True):
            dens, _ = np.histogram(arrays[i], bins=edges, density=True)
            ax.stairs(dens, edges, color=c, linewidth=1.5, label=_layer_label(i, names[i]))
        ax.set_xlabel("activation value")
        ax.set_ylabel("density")
        ax.set_title(title or "Activation values per layer")
        if log:
            ax.set_yscale("log")
            ax.set_ylabel("density (log scale)")
        ax.legend(fontsize="small", ncols=2 if len(keep) > 4 else 1, loc="best")
        return fig
    if ax is not None:
        raise ValueError("ax is only accepted with overlay=True (panels make their own axes)")
    ncols = min(4, len(keep))
    nrows = -(-len(keep) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(2.6 * ncols, 2.0 * nrows + 0.6),
        sharex=True,
        squeeze=False,
        layout="constrained",
    )
    for k, (c, i) in enumerate(zip(colours, keep, strict=True)):
        a = axes.flat[k]
        dens, _ = np.histogram(arrays[i], bins=edges, density=True)
        a.stairs(dens, edges, color=c, fill=True, alpha=0.8)
        a.set_title(
            f"{_layer_label(i, names[i])}  (std {np.nanstd(arrays[i]):.2g})", fontsize="small"
        )
        a.set_xlabel("activation value")
        a.set_ylabel("density (log scale)" if log else "density")
        if log:
            a.set_yscale("log")
    for a in axes.flat[len(keep) :]:
        a.set_visible(False)
    fig.suptitle(title or "Activation values per layer")
    return fig


# ------------------------------------------------------------------------------------------
# Activation statistics by depth
# ------------------------------------------------------------------------------------------
def plot_activation_stats(stats, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Activation mean ± std by layer, with saturated and dead fractions on a second axis.

    Parameters
    ----------
    stats : ActivationStats or History
        From :func:`vanishing.telemetry.activation_stats`; for a History the first recorded
        step is shown.
    """
    if hasattr(stats, "act_mean"):
        mean, std = stats.act_mean[0], stats.act_std[0]
        sat, dead = stats.saturated[0], stats.dead[0]
    else:
        mean, std, sat, dead = stats.mean, stats.std, stats.saturated, stats.dead
    fig, ax = fig_ax(ax)
    x = np.arange(1, len(mean) + 1)
    ax.errorbar(
        x, mean, yerr=std, color=OKABE_ITO[5], marker="o", ms=3, capsize=2, label="mean ± std"
    )
    ax.set_xlabel("activation layer (1 = input side)")
    ax.set_ylabel("activation value")
    ax2 = ax.twinx()
    if np.any(np.isfinite(sat)):
        ax2.plot(x, sat, color=OKABE_ITO[6], ls="--", marker="s", ms=3, label="saturated")
    if np.any(np.isfinite(dead)):
        ax2.plot(x, dead, color=OKABE_ITO[3], ls=":", marker="^", ms=3, label="dead units")
    ax2.set_ylim(-0.02, 1.02)
    ax2.set_ylabel("fraction")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    # below the axes: loc="best" on either axis sees only that axis's lines, not the twin's
    ax.legend(
        h1 + h2,
        l1 + l2,
        fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        ncols=len(h1 + h2),
        frameon=False,
    )
    ax.set_title(title or "Activation statistics by depth")
    return fig


def plot_activation_over_training(
    history,
    *,
    field: str = "act_mean",
    title: str | None = None,
    ax: Axes | None = None,
    legend: bool = True,
) -> Figure:
    """One line per activation layer: ``history.<field>`` (``act_mean``, ``act_std``,
    ``saturated`` or ``dead``, shape ``(R, n_act)``) against the recorded step.

    Layers are coloured by depth (:data:`DEPTH_CMAP` without its palest end, input side
    dark); with ``legend`` the legend sits below the axes so that it never covers a line (for
    two panels side by side, draw it on one only, or with ``fig.legend``).
    """
    if field not in ("act_mean", "act_std", "saturated", "dead"):
        raise ValueError(
            f"field must be 'act_mean', 'act_std', 'saturated' or 'dead', got {field!r}"
        )
    values = np.asarray(getattr(history, field), dtype=np.float64)
    steps = np.asarray(history.telemetry_steps)
    if values.ndim != 2 or values.shape[0] != len(steps) or values.shape[1] == 0:
        raise ValueError(
            f"history.{field} must have shape (recorded steps, layers) = ({len(steps)}, L), "
            f"got {values.shape}"
        )
    names = list(getattr(history, "act_names", [])) or [
        f"layer {i + 1}" for i in range(values.shape[1])
    ]
    fig, ax = fig_ax(ax, figsize=(6.4, 4.2))
    colours = plt.get_cmap(DEPTH_CMAP)(np.linspace(0.0, 0.85, values.shape[1]))
    for i in range(values.shape[1]):
        ax.plot(steps, values[:, i], color=colours[i], label=names[i])
    ylabel = {
        "act_mean": "mean activation",
        "act_std": "activation std",
        "saturated": "fraction of outputs saturated",
        "dead": "fraction of dead units",
    }[field]
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    if field in ("saturated", "dead"):
        ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.3)
    if legend:
        ax.legend(
            fontsize="small",
            loc="upper center",
            bbox_to_anchor=(0.5, -0.18),
            ncols=min(values.shape[1], 8),
            frameon=False,
        )
    ax.set_title(title or f"{ylabel} by layer during training")
    return fig
