r"""Figures of gradient flow and training, drawn from recorded numbers.

Every function reads arrays or a :class:`~vanishing.train.History` (it never touches a model's
internals), returns the :class:`matplotlib.figure.Figure` it drew on, and accepts ``ax`` where
a single panel makes sense. Figures come from :mod:`matplotlib.pyplot`, so in a notebook write
``fig = plot_...(...)`` (or end the line with ``;``) to show each figure once.

Colours: the Okabe–Ito palette (Okabe & Ito 2008) for distinct models, and the sequential,
colour-blind-safe ``viridis`` / ``cividis`` colour maps for ordered things (layer depth, heatmaps).
Nothing is changed globally (no ``rcParams``, no warning filters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
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


def _fig_ax(ax: Axes | None, figsize=(6.4, 4.0)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _histories(data) -> dict[str, object]:
    """Normalise one History / a list / a dict of them to ``{label: history}``."""
    if isinstance(data, Mapping):
        return dict(data)
    if isinstance(data, Sequence) and not isinstance(data, np.ndarray):
        return {(getattr(h, "label", "") or f"model {i + 1}"): h for i, h in enumerate(data)}
    return {getattr(data, "label", "") or "model": data}


def _positive(a: np.ndarray) -> np.ndarray:
    """Values for a log axis: non-positive entries become ``nan`` (left out of the line)."""
    a = np.asarray(a, dtype=np.float64)
    return np.where(a > 0, a, np.nan)


# ------------------------------------------------------------------------------------------
# Gradient norm against depth
# ------------------------------------------------------------------------------------------
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
    fig, ax = _fig_ax(ax)
    series = norms if isinstance(norms, Mapping) else {label or "": norms}
    for i, (name, item) in enumerate(series.items()):
        g = _norms_of(item, step)
        ax.plot(
            np.arange(1, len(g) + 1),
            _positive(g),
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
        ax.legend()
    return fig


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
        fig, ax = _fig_ax(ax)
        for c, i in zip(colours, keep, strict=True):
            dens, _ = np.histogram(arrays[i], bins=edges, density=True)
            ax.stairs(dens, edges, color=c, linewidth=1.5, label=_layer_label(i, names[i]))
        ax.set_xlabel("activation value")
        ax.set_ylabel("density")
        ax.set_title(title or "Activation values per layer")
        if log:
            ax.set_yscale("log")
            ax.set_ylabel("density (log scale)")
        ax.legend(fontsize="small", ncols=2 if len(keep) > 4 else 1)
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
# Over training: heatmap and update-to-weight ratio
# ------------------------------------------------------------------------------------------
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
    fig, ax = _fig_ax(ax, figsize=(7.0, 4.0))
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
        np.ma.masked_invalid(_positive(g.T)),
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


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or len(y) < window:
        return y
    kernel = np.ones(window) / window
    out = np.convolve(np.nan_to_num(y, nan=0.0), kernel, mode="same")
    counts = np.convolve(np.isfinite(y).astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, out / counts * 1.0, np.nan)


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
    fig, ax = _fig_ax(ax)
    L = r.shape[1]
    colours = depth_colours(L)
    for i in np.arange(L):
        lab = f"layer {i + 1}" + (f" ({names[i]})" if i < len(names) else "")
        ax.plot(
            steps,
            _positive(_smooth(r[:, i], smooth)),
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
        ax.legend(fontsize="small")
    else:
        ax.legend(fontsize="small", ncols=2 if L > 5 else 1)
    ax.grid(True, which="major", alpha=0.3)
    return fig


# ------------------------------------------------------------------------------------------
# Training curves of several models
# ------------------------------------------------------------------------------------------
LOSS_FLOOR = 1e-7  # smallest loss drawn on the log axis of the training curves


def plot_training_curves(histories, *, smooth: int = 10, title: str | None = None) -> Figure:
    """Loss (left, log y) and accuracy (right) against step for one or more runs.

    Parameters
    ----------
    histories : History, list of History, or dict ``{label: History}``
        One colour per run; on the right, training accuracy dashed, validation solid.
    smooth : int
        Moving-average window of the (noisy) mini-batch loss, in steps.
    """
    runs = _histories(histories)
    fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    starts = []
    floored = False
    for i, (name, h) in enumerate(runs.items()):
        c = model_colour(i)
        loss = np.asarray(h.loss, dtype=np.float64)
        head = loss[: max(1, min(10, len(loss)))]
        if np.any(np.isfinite(head)):
            starts.append(float(np.nanmax(np.where(np.isfinite(head), head, np.nan))))
        shown = _smooth(loss, smooth)
        if np.any(np.isfinite(shown) & (shown < LOSS_FLOOR)):
            floored = True  # a fitted batch gives a loss of exactly 0: no gap on a log axis
            shown = np.where(np.isfinite(shown), np.maximum(shown, LOSS_FLOOR), shown)
        ax_l.plot(np.arange(len(loss)), _positive(shown), color=c, label=name)
        if getattr(h, "nan_step", None) is not None:
            ax_l.axvline(h.nan_step, color=c, ls=":", lw=1)
        if len(h.eval_steps):
            ax_a.plot(h.eval_steps, h.train_acc, color=c, ls="--", label=f"{name} (train)")
            if np.any(np.isfinite(h.val_acc)):
                ax_a.plot(h.eval_steps, h.val_acc, color=c, ls="-", label=f"{name} (validation)")
    ax_l.set_yscale("log")
    if starts:  # a diverging run (loss 1e30 and more) must not squash the others
        bottom, top = ax_l.get_ylim()
        ax_l.set_ylim(bottom, min(top, 100 * max(starts)))
    ax_l.set_xlabel("training step")
    ax_l.set_ylabel("training loss (log scale" + (f", shown ≥ {LOSS_FLOOR:g})" if floored else ")"))
    ax_l.set_title("Loss")
    ax_l.legend(fontsize="small")
    ax_l.grid(True, which="major", alpha=0.3)
    ax_a.set_xlabel("training step")
    ax_a.set_ylabel("accuracy")
    ax_a.set_ylim(0, 1.02)
    ax_a.set_title("Accuracy")
    if ax_a.get_legend_handles_labels()[0]:
        ax_a.legend(fontsize="small", loc="best")
    ax_a.grid(True, alpha=0.3)
    fig.suptitle(title or "Training curves")
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
    fig, ax = _fig_ax(ax)
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
    ax.legend(h1 + h2, l1 + l2, fontsize="small")
    ax.set_title(title or "Activation statistics by depth")
    return fig


# ------------------------------------------------------------------------------------------
# Decision boundaries and activations over training (notebook 03)
# ------------------------------------------------------------------------------------------
def decision_boundary(
    predict,
    X,
    y,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    resolution: int = 200,
    margin: float = 0.5,
) -> Figure:
    r"""The classes a 2-D classifier assigns over the plane, with the data on top.

    Parameters
    ----------
    predict : callable
        ``predict(P) -> ndarray of shape (M,)``: the predicted class (an int) of every row of
        ``P``, an array of shape ``(M, 2)`` of points of the plane.
    X : ndarray of shape (N, 2)
        The data, drawn as markers (one marker shape and colour per class).
    y : ndarray of shape (N,)
        Integer labels of ``X``.
    resolution : int
        Grid points per axis; the grid spans the data's range plus ``margin`` on every side.

    The regions are filled in pale versions of the class colours
    (:data:`MODEL_COLOURS`), so the markers stay readable; a region covering the whole
    plane means the classifier predicts one class everywhere.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2), got {X.shape}")
    if y.shape != (len(X),):
        raise ValueError(f"y must have shape ({len(X)},), got {y.shape}")
    if int(resolution) < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution!r}")
    n = int(resolution)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    pred = np.asarray(predict(grid)).reshape(-1)
    if pred.shape != (n * n,):
        raise ValueError(f"predict must return one class per point: {n * n}, got {pred.shape}")
    classes = np.unique(np.concatenate([np.unique(y), np.unique(pred)])).astype(np.int64)
    from matplotlib.colors import ListedColormap, to_rgb

    pale = [
        tuple(0.25 * np.array(to_rgb(MODEL_COLOURS[i % len(MODEL_COLOURS)])) + 0.75)
        for i in range(int(classes.max()) + 1)
    ]
    fig, ax = _fig_ax(ax, figsize=(4.8, 3.8))
    ax.pcolormesh(
        g1,
        g2,
        pred.reshape(n, n),
        cmap=ListedColormap(pale),
        vmin=-0.5,
        vmax=len(pale) - 0.5,
        shading="auto",
        rasterized=True,
    )
    markers = "os^Dv<>p"
    for c in np.unique(y):
        ax.scatter(
            *X[y == c].T,
            s=9,
            marker=markers[int(c) % len(markers)],
            color=MODEL_COLOURS[int(c) % len(MODEL_COLOURS)],
            edgecolors="none",
            label=f"class {int(c)}",
        )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title or "Decision regions")
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
    fig, ax = _fig_ax(ax, figsize=(6.4, 4.2))
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
