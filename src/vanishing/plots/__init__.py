r"""Figures of gradient flow and training, drawn from recorded numbers.

Every function reads arrays, a :class:`~vanishing.train.History` or the results of
:mod:`vanishing.experiments` (it never touches a model's internals), returns the
:class:`matplotlib.figure.Figure` it drew on, and accepts ``ax`` where a single panel makes
sense. Figures come from :mod:`matplotlib.pyplot`, so in a notebook write
``fig = plot_...(...)`` (or end the line with ``;``) to show each figure once.

Colours: the Okabe–Ito palette (Okabe & Ito 2008) for distinct models, and the sequential,
colour-blind-safe ``viridis`` / ``cividis`` colour maps for ordered things (layer depth, heatmaps).
Nothing is changed globally (no ``rcParams``, no warning filters).

Modules: :mod:`.style` (palette and shared helpers), :mod:`.gradients`, :mod:`.activations`,
:mod:`.training`, and the figures of one notebook each, :mod:`.exploding` (08) and
:mod:`.capstone` (09). The notebook modules import the experiments they draw, so they are
loaded on first use (``plots.plot_norms`` or ``from vanishing.plots import exploding``), not
with this package.
"""

from __future__ import annotations

from typing import Any

from .activations import (
    histogram_range,
    plot_activation_histograms,
    plot_activation_over_training,
    plot_activation_stats,
)
from .gradients import plot_gradient_heatmap, plot_gradient_norms, plot_update_ratios
from .style import (
    DEPTH_CMAP,
    HEATMAP_CMAP,
    MODEL_COLOURS,
    OKABE_ITO,
    depth_colours,
    fig_ax,
    model_colour,
    moving_average,
    positive,
)
from .training import LOSS_FLOOR, decision_boundary, plot_training_curves

#: figure functions of one notebook, loaded with their experiments on first use
_LAZY = {
    "plot_norms": "exploding",
    "chain_explorer": "exploding",
    "plot_clipping": "exploding",
    "plot_rnn_clipping": "exploding",
    "plot_patient": "capstone",
}

__all__ = [
    "DEPTH_CMAP",
    "HEATMAP_CMAP",
    "LOSS_FLOOR",
    "MODEL_COLOURS",
    "OKABE_ITO",
    "decision_boundary",
    "depth_colours",
    "fig_ax",
    "histogram_range",
    "model_colour",
    "moving_average",
    "plot_activation_histograms",
    "plot_activation_over_training",
    "plot_activation_stats",
    "plot_gradient_heatmap",
    "plot_gradient_norms",
    "plot_training_curves",
    "plot_update_ratios",
    "positive",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
