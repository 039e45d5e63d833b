"""Training curves of several runs, and the decision regions of a 2-D classifier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import MODEL_COLOURS, fig_ax, model_colour, moving_average, positive


def _histories(data) -> dict[str, object]:
    """Normalise one History / a list / a dict of them to ``{label: history}``."""
    if isinstance(data, Mapping):
        return dict(data)
    if isinstance(data, Sequence) and not isinstance(data, np.ndarray):
        return {(getattr(h, "label", "") or f"model {i + 1}"): h for i, h in enumerate(data)}
    return {getattr(data, "label", "") or "model": data}


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
        shown = moving_average(loss, smooth)
        if np.any(np.isfinite(shown) & (shown < LOSS_FLOOR)):
            floored = True  # a fitted batch gives a loss of exactly 0: no gap on a log axis
            shown = np.where(np.isfinite(shown), np.maximum(shown, LOSS_FLOOR), shown)
        ax_l.plot(np.arange(len(loss)), positive(shown), color=c, label=name)
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
    ax_l.legend(fontsize="small", loc="best")
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
# Decision regions of a 2-D classifier
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
    fig, ax = fig_ax(ax, figsize=(4.8, 3.8))
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
