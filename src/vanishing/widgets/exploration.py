r"""The computation behind the gradient-flow explorer: one pass through a fresh deep net.

:func:`explore` runs a forward and backward pass and returns an :class:`Exploration`: the
per-layer weight-gradient norms and activations. An ``int`` seed reuses the weights drawn for
it, so that a slider move is fast. Nothing here plots.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .. import functional as F
from .. import init as initialisers
from .. import losses, nn
from .._checks import check_dtype, check_positive, check_rng
from ..experiments.protocol import DATA_STREAM, rng_stream
from ..telemetry import mean_std

__all__ = [
    "INPUT_STREAM",
    "MAX_COMPUTE_DEPTH",
    "MAX_DEPTH",
    "OUTPUT_LAYER_STREAM",
    "WIDTHS",
    "Exploration",
    "explore",
]

MAX_DEPTH = 50  # the slider's range
MAX_COMPUTE_DEPTH = 200  # what explore() accepts (benchmarks go to 100)
WIDTHS = (16, 32, 64, 128, 256)

#: Stream ids of the explorer's net for an ``int`` seed (``default_rng([seed, stream])``, see
#: :func:`vanishing.experiments.protocol.rng_stream`): hidden layer ``i`` draws from stream
#: ``i``; the inputs and labels from the protocol's data stream, far above any depth; the
#: output layer from the stream after it.
INPUT_STREAM = DATA_STREAM
OUTPUT_LAYER_STREAM = DATA_STREAM + 1


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

    Hidden layer ``i`` (0-based) is drawn from stream ``i`` (``default_rng([seed, i])``), so a
    deeper net shares its first layers with a shallower one and a depth change draws only the
    new layers; the inputs and labels from :data:`INPUT_STREAM`, the output layer from
    :data:`OUTPUT_LAYER_STREAM`. Moving the gain rescales the weights in place; nothing is
    allocated.
    """

    def __init__(self, seed, init, width, n_classes, batch, dtype) -> None:
        self.seed, self.fn, self.width, self.dtype = seed, initialisers.get(init), width, dtype
        data_rng = rng_stream(seed, INPUT_STREAM)
        self.x = data_rng.standard_normal((batch, width)).astype(dtype)
        self.y = data_rng.integers(0, n_classes, batch)
        self.unit: list[np.ndarray] = []
        self.lins: list[nn.Linear] = []
        self.gains: list[float] = []
        self.out = self._layer((width, n_classes), rng_stream(seed, OUTPUT_LAYER_STREAM))

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
            hidden = len(self.lins) - 1  # the 0-based index of the new hidden layer
            self._layer((self.width, self.width), rng_stream(self.seed, hidden))
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
