r"""Interactive explorers for the notebooks.

:func:`explore` is the pure computation (a forward and backward pass through a fresh deep
net, :mod:`~vanishing.widgets.exploration`); :class:`GradientFlowExplorer` puts sliders on it
and redraws one figure in place (:mod:`~vanishing.widgets.gradient_flow`).

Display: with ``%matplotlib widget`` (ipympl) the figure's own canvas is the widget and is
redrawn with ``draw_idle``; with any other backend (inline, or plain ``nbconvert`` execution
without a browser) the figure is rendered off-screen to PNG and shown in an
``ipywidgets.Image``. Either way the same :class:`~matplotlib.figure.Figure` and the same
artists are updated (``set_data``), never rebuilt. When displayed, a PNG snapshot travels with
the widget so that static renderings of the notebook still show the figure.
"""

from .exploration import (
    INPUT_STREAM,
    MAX_COMPUTE_DEPTH,
    MAX_DEPTH,
    OUTPUT_LAYER_STREAM,
    WIDTHS,
    Exploration,
    explore,
)
from .gradient_flow import GradientFlowExplorer, gradient_flow_explorer

__all__ = [
    "INPUT_STREAM",
    "MAX_COMPUTE_DEPTH",
    "MAX_DEPTH",
    "OUTPUT_LAYER_STREAM",
    "WIDTHS",
    "Exploration",
    "GradientFlowExplorer",
    "explore",
    "gradient_flow_explorer",
]
