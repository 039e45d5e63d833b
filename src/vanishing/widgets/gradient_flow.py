"""The gradient-flow explorer: sliders over :func:`~vanishing.widgets.exploration.explore`.

Display: with ``%matplotlib widget`` (ipympl) the figure's own canvas is the widget and is
redrawn with ``draw_idle``; with any other backend (inline, or plain ``nbconvert`` execution
without a browser) the figure is rendered off-screen to PNG and shown in an
``ipywidgets.Image``. Either way the same :class:`~matplotlib.figure.Figure` and the same
artists are updated (``set_data``), never rebuilt. When displayed, a PNG snapshot travels with
the widget so that static renderings of the notebook still show the figure.
"""

from __future__ import annotations

import base64
import io

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .. import functional as F
from .. import init as initialisers
from ..plots import depth_colours, histogram_range
from .exploration import MAX_DEPTH, WIDTHS, Exploration, explore

__all__ = ["GradientFlowExplorer", "gradient_flow_explorer"]


def _ipympl_active() -> bool:
    backend = matplotlib.get_backend().lower()
    return "ipympl" in backend or backend == "widget"


_ACT_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


class GradientFlowExplorer:
    """Sliders for depth, width, activation, initialiser and gain over a two-panel figure.

    Left: per-layer weight-gradient norm against depth (log y). Right: activation histograms
    of up to ``n_hist`` layers spread through the depth (Glorot & Bengio 2010, fig. 6).
    Every change recomputes :func:`explore` and updates the artists of the same figure.

    Attributes
    ----------
    fig : Figure
    grad_line : Line2D
        The gradient-norm curve; ``grad_line.get_ydata()`` is the plotted data.
    hist_patches : list of StepPatch
    depth, width, activation, init, gain : ipywidgets controls
    widget : ipywidgets.VBox
        The controls and the figure, ready to display.
    result : Exploration
        The last computation.
    """

    def __init__(
        self,
        depth: int = 20,
        width: int = 128,
        activation: str = "sigmoid",
        init: str = "normal",
        gain: float = 0.05,
        batch: int = 128,
        seed: int = 0,
        n_hist: int = 5,
        bins: int = 40,
    ) -> None:
        import ipywidgets as W

        self.seed, self.batch, self.bins = int(seed), int(batch), int(bins)
        self._ipympl = _ipympl_active()
        cont = self._ipympl  # continuous slider updates only where redraws are cheap
        style = {"description_width": "initial"}
        self.depth = W.IntSlider(
            value=depth,
            min=1,
            max=MAX_DEPTH,
            description="depth",
            continuous_update=cont,
            style=style,
        )
        self.width = W.Dropdown(options=list(WIDTHS), value=width, description="width", style=style)
        self.activation = W.Dropdown(
            options=list(F.ACTIVATIONS), value=activation, description="activation", style=style
        )
        self.init = W.Dropdown(
            options=list(initialisers.INITIALISERS),
            value=init,
            description="initialiser",
            style=style,
        )
        self.gain = W.FloatLogSlider(
            value=gain,
            base=10,
            min=-3,
            max=1,
            step=0.05,
            description="weight scale (gain)",
            readout_format=".3g",
            continuous_update=cont,
            style=style,
        )
        self.resample = W.Button(description="new random weights")
        self.status = W.HTML()
        self._build_figure(n_hist)
        controls = W.VBox(
            [
                W.HBox([self.depth, self.width]),
                W.HBox([self.activation, self.init]),
                W.HBox([self.gain, self.resample]),
                self.status,
            ]
        )
        if self._ipympl:
            self.fig.canvas.header_visible = False
            self.image = None
            view = self.fig.canvas
        else:
            self.image = W.Image(format="png")
            view = self.image
        self.widget = W.VBox([controls, view])
        for c in (self.depth, self.width, self.activation, self.init, self.gain):
            c.observe(self._on_change, names="value")
        self.resample.on_click(self._on_resample)
        self.update()

    # --- figure ------------------------------------------------------------------------
    def _build_figure(self, n_hist: int) -> None:
        if self._ipympl:
            import matplotlib.pyplot as plt

            with plt.ioff():
                self.fig = plt.figure(figsize=(11, 4))
        else:
            self.fig = Figure(figsize=(11, 4))
        # a fixed layout (no layout engine) and no mathtext keep each redraw cheap
        self.ax_grad, self.ax_hist = self.fig.subplots(1, 2)
        self.fig.subplots_adjust(left=0.07, right=0.82, bottom=0.13, top=0.84, wspace=0.25)
        (self.grad_line,) = self.ax_grad.plot([], [], marker="o", ms=3, color="#0072B2")
        self.ax_grad.set_yscale("log")
        self.ax_grad.set_xlabel("Linear layer (1 = input side, last = output layer)")
        self.ax_grad.set_ylabel("‖∂ℒ/∂W‖ (log scale)")
        self.ax_grad.set_title("Weight-gradient norm by depth")
        self.ax_grad.grid(True, which="major", alpha=0.3)
        edges = np.linspace(0, 1, self.bins + 1)
        self.hist_patches = [
            self.ax_hist.stairs(np.zeros(self.bins), edges, color=c, lw=1.5)
            for c in depth_colours(n_hist)
        ]
        self.ax_hist.set_xlabel("activation value")
        self.ax_hist.set_ylabel("density")
        self.ax_hist.set_title("Activation values per layer")
        self.fig.suptitle("Gradient flow explorer")

    def _on_change(self, _change=None) -> None:
        self.update()

    def _on_resample(self, _button=None) -> None:
        self.seed += 1
        self.update()

    def compute(self) -> Exploration:
        """:func:`explore` in float32; in float64 where float32 loses the signal.

        When the activations of some layer shrink below float32's flush level (``1e-30``)
        they become exactly 0, and every weight gradient with them; float64 (down to
        ``1e-290``) still measures them, at two to three times the cost.
        """
        args = (
            self.depth.value,
            self.width.value,
            self.activation.value,
            self.init.value,
            self.gain.value,
            self.batch,
        )
        r = explore(*args, rng=self.seed)
        if r.zero_from is not None or not np.all(r.grad_norms > 0):
            r = explore(*args, rng=self.seed, dtype=np.float64)
        return r

    def update(self) -> None:
        """Recompute and redraw the same artists."""
        r = self.result = self.compute()
        g = np.where(r.grad_norms > 0, r.grad_norms, np.nan)
        L = len(g)
        self.grad_line.set_data(np.arange(1, L + 1), g)
        self.ax_grad.set_xlim(0.5, L + 0.5)
        self.ax_grad.xaxis.set_major_locator(MaxNLocator(integer=True))
        finite = g[np.isfinite(g)]
        if finite.size:
            lo, hi = finite.min(), finite.max()
            self.ax_grad.set_ylim(min(lo, hi / 100) / 3, hi * 3)  # at least two decades
        # histograms of evenly spaced hidden layers
        acts = r.activations
        rng_ = _ACT_RANGES.get(self.activation.value) or histogram_range(acts)
        edges = np.linspace(*rng_, self.bins + 1)
        n = len(self.hist_patches)
        picks = sorted({int(round(i)) for i in np.linspace(0, len(acts) - 1, min(n, len(acts)))})
        top = 0.0
        for k, patch in enumerate(self.hist_patches):
            if k < len(picks):
                i = picks[k]
                a = acts[i]
                a = a[np.isfinite(a)]
                dens = (
                    np.histogram(a, bins=edges, density=True)[0] if a.size else np.zeros(self.bins)
                )
                patch.set_data(dens, edges)
                patch.set_label(f"layer {i + 1} (std {r.act_std[i]:.2g})")
                patch.set_visible(True)
                top = max(top, float(dens.max()) if dens.size else 0.0)
            else:
                patch.set_visible(False)
                patch.set_label("_hidden")
        self.ax_hist.set_xlim(edges[0], edges[-1])
        self.ax_hist.set_ylim(0, top * 1.05 if top > 0 else 1.0)
        self.ax_hist.legend(  # beside the axes, never over a histogram
            handles=[p for p in self.hist_patches if p.get_visible()],
            fontsize="small",
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
        )
        first, last = r.grad_norms[0], r.grad_norms[-1]
        ok = bool(np.isfinite(first) and np.isfinite(last) and first > 0 and last > 0)
        ratio, ratio_1 = (f"{first / last:.2g}", f"{first / last:.1e}") if ok else ("—", "—")
        notes = []
        last_h = r.activations[-1]
        if np.all(np.isfinite(last_h)):
            # one std per unit over the batch, averaged: 0 when every example gives the same
            # vector, however wide the histogram of all entries looks
            across = float(np.mean(np.std(last_h, axis=0, dtype=np.float64)))
            notes.append(
                f"layer {len(r.activations)}: std across examples {across:.2g} "
                f"(of all entries {r.act_std[-1]:.2g})"
            )
        if r.dtype == np.float64:
            notes.append("computed in float64: in float32 the signal underflows to 0 here")
        if r.zero_from is not None:
            notes.append(f"activations are all 0 from layer {r.zero_from}")
        if not np.all(np.isfinite(r.grad_norms)):
            notes.append("inf/nan: the signal overflows")
        self.status.value = (
            f"loss {r.loss:.3g} &nbsp; | &nbsp; first / last (output) layer gradient "
            f"norm: <b>{ratio}</b>" + "".join(f" &nbsp; | &nbsp; {n}" for n in notes)
        )
        self.ax_grad.set_title(
            f"Weight-gradient norm by depth (first/last = {ratio_1})", fontsize="medium"
        )
        self.redraw()

    def redraw(self) -> None:
        if self._ipympl:
            self.fig.canvas.draw_idle()
        else:
            self.image.value = self.png()

    def png(self, dpi: int = 80) -> bytes:
        """The current figure as PNG bytes."""
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()

    # --- display -----------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        data = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
        data["image/png"] = base64.b64encode(self.png()).decode("ascii")
        return data


def gradient_flow_explorer(**kwargs) -> GradientFlowExplorer:
    """Build a :class:`GradientFlowExplorer` (display it by leaving it last in a cell)."""
    return GradientFlowExplorer(**kwargs)
