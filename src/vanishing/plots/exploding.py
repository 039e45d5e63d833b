r"""Figures of notebook 08: norms along a chain, the chain explorer, and the clipping runs.

The runs come from :mod:`vanishing.experiments.exploding`; these functions only draw them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..experiments.exploding import CLIP, RNN_CLIP, RNNRun, recurrent_comparison, total_grad_norm
from ..train import History
from .style import fig_ax, model_colour


def plot_norms(
    series: dict[str, np.ndarray],
    *,
    references: dict[str, np.ndarray] | None = None,
    title: str = "",
    ylabel: str = "norm (log scale)",
    xlabel: str = "step t",
    ax: Axes | None = None,
) -> Figure:
    """Lines of ``{label: norms}`` against the step on a log y axis (a different colour and
    line style each); ``references`` are drawn finely dotted in grey (e.g. ``{"λ^t": array}``).
    Returns the figure."""
    fig, ax = fig_ax(ax)
    styles = ["-", "--", "-.", ":"]
    for i, (label, v) in enumerate(series.items()):
        v = np.asarray(v, dtype=np.float64)
        ax.plot(
            np.arange(len(v)),
            np.where(v > 0, v, np.nan),
            color=model_colour(i),
            ls=styles[i % len(styles)],
            lw=2.2,
            label=label,
        )
    for label, v in (references or {}).items():
        ax.plot(np.arange(len(v)), v, color="0.35", ls=(0, (1, 1.5)), lw=1.2, label=label)
    ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small", loc="best")
    return fig


def chain_explorer(
    radius: float = 1.1,
    nonlinearity: str = "tanh",
    T: int = 50,
    h0_scale: float = 0.1,
    seed: int = 0,
) -> Figure:
    r"""Figure for the interactive demo: :math:`\|\partial h_t/\partial h_0\|` of the linear
    chain and of the ``nonlinearity`` chain at spectral radius ``radius``, with
    :math:`\lambda^t`."""
    runs = {"linear": recurrent_comparison((radius,), T=T, seed=seed)[radius]}
    if nonlinearity != "linear":  # the linear chain alone when "linear" is picked
        runs[nonlinearity] = recurrent_comparison(
            (radius,), T=T, seed=seed, nonlinearity=nonlinearity, h0_scale=h0_scale
        )[radius]
    return plot_norms(
        runs,
        references={rf"$\lambda^t$, $\lambda$ = {radius:g}": radius ** np.arange(T + 1)},
        title=rf"Gradient through a recurrent chain, $W = \lambda Q$, $\lambda$ = {radius:g}",
        ylabel=r"$\|\partial h_t / \partial h_0\|_2$ (log scale)",
    )


def plot_clipping(runs: dict[str, History], clip: float = CLIP) -> Figure:
    """Two panels for :func:`clipping_comparison`: training loss, and the total gradient norm
    before clipping, both against the step on log axes; the clip threshold dashed."""
    fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for i, (label, h) in enumerate(runs.items()):
        c = model_colour(i)
        loss = np.asarray(h.loss, dtype=np.float64)
        ax_l.plot(
            np.arange(len(loss)), np.where(np.isfinite(loss), loss, np.nan), color=c, label=label
        )
        if h.nan_step is not None:
            ax_l.axvline(
                h.nan_step,
                color=c,
                ls=":",
                lw=1.5,
                label=f"{label}: loss is nan from step {h.nan_step}",
            )
        g = total_grad_norm(h)
        ax_g.plot(
            h.telemetry_steps, np.where(np.isfinite(g) & (g > 0), g, np.nan), color=c, label=label
        )
    ax_g.axhline(clip, color="black", ls="--", lw=1, label=f"clip threshold {clip:g}")
    ax_l.set(yscale="log", xlabel="training step", ylabel="training loss (log scale)", title="Loss")
    ax_g.set(
        yscale="log",
        xlabel="training step",
        ylabel=r"global gradient norm $\|g\|$ before clipping (log scale)",
        title="Gradient norm",
    )
    # a diverging run reaches 1e300 before nan: keep the axes on the runs that train
    ax_l.set_ylim(1e-3, 1e3)
    ax_g.set_ylim(top=min(ax_g.get_ylim()[1], 1e6))
    for ax, what in ((ax_l, "loss"), (ax_g, "norm")):
        for i, h in enumerate(runs.values()):
            if h.nan_step is not None:
                ax.annotate(
                    f"{what} off the chart, then nan",
                    xy=(h.nan_step, 1),
                    xytext=(8, 0),
                    xycoords=("data", "axes fraction"),
                    textcoords="offset points",
                    va="top",
                    fontsize="small",
                    color=model_colour(i),
                )
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small", loc="upper right")  # above the clipped run, off the data
    fig.suptitle(
        f"SGD with momentum at lr = {runs[next(iter(runs))].lr:g}: "
        "without and with gradient clipping"
    )
    return fig


def plot_rnn_clipping(runs: dict[str, RNNRun], clip: float = RNN_CLIP) -> Figure:
    """Two panels for :func:`rnn_clipping_comparison`: the training loss, and the global
    gradient norm before clipping with the threshold dashed, against the step (log axes).
    The legend sits below the panels, off the data."""
    fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    styles = ["-", "--"]
    for i, (label, run) in enumerate(runs.items()):
        steps = np.arange(len(run.loss))
        kw = dict(color=model_colour(i), ls=styles[i % 2], lw=1.6, label=label)
        ax_l.plot(steps, np.where(run.loss > 0, run.loss, np.nan), **kw)
        ax_g.plot(steps, np.where(run.grad_norm > 0, run.grad_norm, np.nan), **kw)
    ax_l.axhline(np.log(2), color="0.35", ls=(0, (1, 1.5)), lw=1.2, label="chance, ln 2")
    ax_g.axhline(clip, color="black", ls=":", lw=1.2, label=f"clip threshold {clip:g}")
    ax_l.set(
        yscale="log",
        xlabel="training step",
        ylabel="training loss (log scale)",
        title="Loss (binary cross-entropy)",
    )
    ax_g.set(
        yscale="log",
        xlabel="training step",
        ylabel=r"global gradient norm $\|g\|$ before clipping (log scale)",
        title="Gradient norm",
    )
    for ax in (ax_l, ax_g):
        ax.grid(True, which="major", alpha=0.3)
    handles = {}
    for ax in (ax_l, ax_g):
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    fig.legend(
        handles.values(), handles.keys(), loc="outside lower center", ncol=4, fontsize="small"
    )
    fig.suptitle("A tanh RNN with $W_{rec} = 2Q$ on the memory task: SGD without and with clipping")
    return fig
