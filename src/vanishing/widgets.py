r"""Interactive explorers for the notebooks.

:func:`explore` is the pure computation (a forward and backward pass through a fresh deep
net); :class:`GradientFlowExplorer` puts sliders on it and redraws one figure in place.

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
from collections import OrderedDict
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from . import functional as F
from . import init as initialisers
from . import losses, nn
from ._checks import check_dtype, check_positive, check_rng
from .plots import depth_colours, histogram_range
from .telemetry import mean_std

MAX_DEPTH = 50  # the slider's range
MAX_COMPUTE_DEPTH = 200  # what explore() accepts (benchmarks go to 100)
WIDTHS = (16, 32, 64, 128, 256)


# ------------------------------------------------------------------------------------------
# The computation
# ------------------------------------------------------------------------------------------
@dataclass
class Exploration:
    r"""Result of :func:`explore` for a net with ``depth`` hidden layers.

    Attributes
    ----------
    grad_norms : ndarray of shape (depth + 1,)
        :math:`\|\partial L / \partial W_l\|_F` of every Linear layer, input side first (the
        last is the output layer).
    activations : list of ``depth`` ndarrays of shape (batch, width)
        Output of each hidden layer's activation.
    act_mean, act_std : ndarray of shape (depth,)
    loss : float
        Cross-entropy of the (random) labels, about :math:`\log 10` at a sensible init.
    zero_from : int or None
        The first hidden layer (1-based) whose activations are all exactly 0, or ``None``.
        In float32 a signal that shrinks below ``1e-30`` is flushed to 0 there, and every
        weight gradient then reads 0; :class:`GradientFlowExplorer` recomputes in float64.
    dtype : numpy dtype
        The precision the pass ran in.
    """

    grad_norms: np.ndarray
    activations: list[np.ndarray]
    act_mean: np.ndarray
    act_std: np.ndarray
    loss: float
    zero_from: int | None = None
    dtype: np.dtype = np.dtype(np.float32)


class _Net:
    """Gain-1 weights, their Linear modules (weights scaled in place), inputs and labels.

    Hidden layer ``i`` is drawn from ``default_rng([seed, i])``, so a deeper net shares its
    first layers with a shallower one and a depth change draws only the new layers. Moving
    the gain rescales the weights in place; nothing is allocated.
    """

    def __init__(self, seed, init, width, n_classes, batch, dtype) -> None:
        self.seed, self.fn, self.width, self.dtype = seed, initialisers.get(init), width, dtype
        data_rng = np.random.default_rng([seed, 10**6])
        self.x = data_rng.standard_normal((batch, width)).astype(dtype)
        self.y = data_rng.integers(0, n_classes, batch)
        self.unit: list[np.ndarray] = []
        self.lins: list[nn.Linear] = []
        self.gains: list[float] = []
        self.out = self._layer((width, n_classes), np.random.default_rng([seed, 10**6 + 1]))

    def _layer(self, shape, rng) -> nn.Linear:
        W = self.fn(shape, rng=rng, dtype=self.dtype)
        lin = nn.Linear(shape[0], shape[1], init="zeros", dtype=self.dtype)
        lin.params["W"][...] = W
        self.unit.append(W)
        self.lins.append(lin)
        self.gains.append(1.0)
        return lin

    def layers(self, depth: int, gain: float) -> list[nn.Linear]:
        """The ``depth`` hidden Linear layers and the output layer, with weights ``gain * W``."""
        while len(self.lins) < depth + 1:  # index 0 is the output layer
            self._layer(
                (self.width, self.width), np.random.default_rng([self.seed, len(self.lins) - 1])
            )
        wanted = [*range(1, depth + 1), 0]
        for i in wanted:
            if self.gains[i] != gain:
                np.multiply(self.unit[i], self.dtype.type(gain), out=self.lins[i].params["W"])
                self.gains[i] = gain
        return [self.lins[i] for i in wanted]


_CACHE: OrderedDict[tuple, _Net] = OrderedDict()
_CACHE_SIZE = 4


def _cached_net(seed, init, width, n_classes, batch, dtype) -> _Net:
    key = (seed, init, width, n_classes, batch, dtype.str)
    net = _CACHE.get(key)
    if net is None:
        net = _CACHE[key] = _Net(seed, init, width, n_classes, batch, dtype)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return net


def _check_int(value, name: str, lo: int, hi: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an int in [{lo}, {hi}], got {value!r}")
    return int(value)


def explore(
    depth: int = 10,
    width: int = 128,
    activation: str = "tanh",
    init: str = "xavier_normal",
    gain: float = 1.0,
    batch: int = 128,
    rng: np.random.Generator | int | None = 0,
    dtype=np.float32,
    n_classes: int = 10,
) -> Exploration:
    r"""One forward and backward pass through a fresh deep net; per-layer gradients and activations.

    The net is ``depth`` hidden layers ``Linear(width, width) -> activation`` and a
    ``Linear(width, n_classes)`` output, all initialised with ``init`` and ``gain`` (for
    ``init="normal"`` the gain is the standard deviation, so ``gain=0.01`` is
    :math:`\mathcal N(0, 0.01^2)`). Inputs :math:`x \sim \mathcal N(0, 1)` of shape
    ``(batch, width)``, random labels, softmax cross-entropy.

    Parameters
    ----------
    depth : int in [1, 50]
    width : int
    activation : str
        A name in :data:`vanishing.functional.ACTIVATIONS`.
    init : str
        A name in :data:`vanishing.init.INITIALISERS`.
    gain : float > 0
    batch : int
    rng : int, numpy.random.Generator or None
        An ``int`` seed makes the result a deterministic function of the arguments and reuses
        the weights drawn for it (the last few seeds are kept), which is what makes slider
        moves fast; a Generator (or ``None``) draws everything afresh.
    dtype : float32 (default, fast) or float64
        Gradient norms far below float32's smallest number are still measured (see
        :func:`_forward_backward`); activations below ``1e-30`` are flushed to 0 and
        overflowing ones become ``inf``/``nan`` (their gradient norms are ``nan``).

    Returns
    -------
    Exploration
    """
    depth = _check_int(depth, "depth", 1, MAX_COMPUTE_DEPTH)
    width = _check_int(width, "width", 1, 4096)
    batch = _check_int(batch, "batch", 1, 1 << 16)
    F.get(activation)
    initialisers.get(init)
    gain = check_positive(gain, "gain")
    dtype = check_dtype(dtype)
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        net = _cached_net(int(rng), init, width, n_classes, batch, dtype)
        lins, x, y = net.layers(depth, gain), net.x, net.y
    else:
        g = check_rng(rng)
        lins = [
            nn.Linear(width, width, init=init, gain=gain, rng=g, dtype=dtype) for _ in range(depth)
        ]
        lins.append(nn.Linear(width, n_classes, init=init, gain=gain, rng=g, dtype=dtype))
        x = g.standard_normal((batch, width)).astype(dtype)
        y = g.integers(0, n_classes, batch)
    acts_m = [nn.make_activation(activation) for _ in range(depth)]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        loss, g_norms, acts = _forward_backward(lins, acts_m, x, y)
        ms = np.array([mean_std(a) for a in acts], dtype=np.float64)
    zero = [i + 1 for i, a in enumerate(acts) if not np.any(a)]
    return Exploration(
        g_norms, acts, ms[:, 0], ms[:, 1], float(loss), zero[0] if zero else None, dtype
    )


#: Magnitudes below this are set to 0 (float32 subnormals make matrix products ~250x slower).
_FLUSH = {np.dtype(np.float32): 1e-30, np.dtype(np.float64): 1e-290}


def _flush(a: np.ndarray) -> np.ndarray:
    np.copyto(a, 0, where=np.abs(a) < _FLUSH[a.dtype])
    return a


def _norm64(a: np.ndarray) -> float:
    r"""Frobenius norm :math:`\sqrt{\sum_{ij} a_{ij}^2}` summed in float64.

    In float32 the squares of entries below about ``1e-19`` underflow to 0 (a weight gradient
    of ``1e-26`` would read as exactly 0); float64 squares stay exact down to ``1e-154``.
    """
    return F.norm(np.asarray(a, dtype=np.float64))


def _forward_backward(lins, acts_m, x, y):
    r"""Forward and backward through alternating Linear / activation modules.

    The backward pass is linear in the upstream gradient, so it runs on the unit-norm
    direction :math:`u_l = \delta_l / \|\delta_l\|` and keeps :math:`\log\|\delta_l\|`
    aside in float64: :math:`\|\partial L/\partial W_l\| = \|\delta_l\|\,\|x_l^\top u_l\|`.
    Gradients far below float32's range (:math:`10^{-38}`) are then still measured exactly,
    and no subnormal numbers slow the products down. The norms are summed in float64
    (:func:`_norm64`): the float32 squares of a weight gradient of :math:`10^{-26}` underflow.
    The modules' own ``forward`` and ``backward`` do the work; this loop only rescales
    between them.
    """
    h = x
    outs = []
    for lin, act in zip(lins, acts_m, strict=False):
        h = _flush(act(lin(h)))
        outs.append(h)
    logits = lins[-1](h)
    loss, dout = losses.softmax_cross_entropy(logits, y)
    g_norms = np.zeros(len(lins))
    log_scale = 0.0
    for i in range(len(lins) - 1, -1, -1):
        n = _norm64(dout)
        if not (np.isfinite(n) and n > 0):
            g_norms[: i + 1] = 0.0 if n == 0 else np.nan
            break
        log_scale += np.log(n)
        dx = lins[i].backward(dout / dout.dtype.type(n))
        g_norms[i] = np.exp(log_scale) * _norm64(lins[i].grads["W"])
        if i > 0:
            dout = _flush(acts_m[i - 1].backward(dx))
    return loss, g_norms, outs


# ------------------------------------------------------------------------------------------
# The widget
# ------------------------------------------------------------------------------------------
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
