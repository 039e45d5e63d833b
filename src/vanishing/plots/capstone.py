"""Figure of notebook 09: a patient's History in three panels."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..train import History
from .style import OKABE_ITO, model_colour


def plot_patient(history: History, title: str | None = None) -> Figure:
    """Three panels from a patient's training History: the loss, the weight-gradient norm by
    depth at the first and the last recorded step, and the dead / saturated fraction of each
    activation layer at the first record (step 0)."""
    fig, (ax_l, ax_g, ax_a) = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    loss = np.asarray(history.loss, dtype=np.float64)
    shown = np.where(np.isfinite(loss) & (loss > 0) & (loss < 1e6), loss, np.nan)
    ax_l.plot(np.arange(len(loss)), shown, color=model_colour(0))
    if np.any(np.isfinite(loss) & (loss >= 1e6)):
        ax_l.annotate(
            "loss shoots off the chart",
            xy=(0.3, 0.97),
            xycoords="axes fraction",
            va="top",
            fontsize="small",
            color=model_colour(0),
        )
    if history.nan_step is not None:
        ax_l.axvline(history.nan_step, color=OKABE_ITO[6], ls=":", label="loss turns nan")
        ax_l.legend(fontsize="small", loc="best")
    ax_l.set(yscale="log", xlabel="training step", ylabel="training loss (log scale)", title="Loss")
    G = np.asarray(history.grad_norm, dtype=np.float64)
    layers = np.arange(1, G.shape[1] + 1)
    rows = [(0, "first record")] + ([(len(G) - 1, "last record")] if len(G) > 1 else [])
    for k, (r, lab) in enumerate(rows):
        g = G[r]
        shown = np.where(np.isfinite(g) & (g > 0) & (g < 1e100), g, np.nan)
        zero = " - all exactly 0" if np.all(g == 0) else ""
        ax_g.plot(
            layers,
            shown,
            marker="o",
            ms=3,
            color=model_colour(k),
            ls=("-", "--")[k],
            label=f"{lab} (step {int(history.telemetry_steps[r])}){zero}",
        )
    ax_g.set_xlim(0.5, len(layers) + 0.5)
    if not np.any(np.isfinite(G) & (G > 0)):
        ax_g.set_yscale("log")
        ax_g.set_ylim(1e-3, 1.0)  # nothing to draw on a log axis: give it a range
    ax_g.set(
        yscale="log",
        xlabel="Linear layer (1 = input side)",
        ylabel=r"$\|\partial L/\partial W\|_F$ (log scale)",
        title="Gradient norm by depth",
    )
    ax_g.legend(fontsize="small", loc="best")
    A = np.arange(1, len(history.act_names) + 1)
    dead, sat = np.asarray(history.dead)[0], np.asarray(history.saturated)[0]
    if np.any(np.isfinite(dead)):
        ax_a.bar(A, dead, color=OKABE_ITO[3], label="dead units")
    if np.any(np.isfinite(sat)):
        ax_a.bar(A, sat, color=OKABE_ITO[6], label="saturated outputs")
    ax_a.set(
        ylim=(0, 1.02),
        xlabel="activation layer (1 = input side)",
        ylabel="fraction",
        title="Dead / saturated at step 0",
    )
    if np.any(np.isfinite(dead)) or np.any(np.isfinite(sat)):
        ax_a.legend(fontsize="small", loc="best")
    for ax in (ax_l, ax_g, ax_a):
        ax.grid(True, which="major", alpha=0.3)
    fig.suptitle(title or history.label or "patient")
    return fig
