r"""Notebooks 01–03: the causes of vanishing gradients and what they do to training.

Everything here runs on plain weight lists or :mod:`vanishing.nn` models and returns numbers,
so the notebooks plot exactly what ``tests/test_science_causes.py`` asserts.

The *chain* used in notebooks 01 and 02 is a bias-free stack of ``L`` layers

.. math:: z_l = h_{l-1} W_l,\qquad h_l = f(z_l),\qquad l = 1, \dots, L,\qquad h_0 = x,

with ``x`` of shape ``(N, n_0)``, ``W_l`` of shape ``(n_{l-1}, n_l)`` and an upstream
gradient ``dout`` :math:`= \partial L/\partial h_L` given from outside (so no loss function
gets in the way). Backward:

.. math:: \frac{\partial L}{\partial z_l} = \frac{\partial L}{\partial h_l}\odot f'(z_l),
          \qquad \frac{\partial L}{\partial h_{l-1}} = \frac{\partial L}{\partial z_l} W_l^\top .

Since :math:`|f'| \le c_f` (:data:`MAX_DERIVATIVE`: 1/4 for the sigmoid),
:math:`\|\partial L/\partial h_{l-1}\|_F \le c_f\,\|W_l\|_2\,\|\partial L/\partial h_l\|_F`:
each layer can shrink the gradient by its own factor, and the factors multiply.

Notebook 03 trains a shallow and a deep sigmoid network on the same data with
:func:`vanishing.train.fit` and compares how much each layer moved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import functional as F
from .. import nn, train
from .._checks import check_dtype, check_positive, check_rng
from .protocol import depth_data, depth_weights_rng, train_on_depth_data

__all__ = [
    "MAX_DERIVATIVE",
    "DepthRun",
    "Propagation",
    "activation_fn",
    "chain_forward_backward",
    "chain_gradient_norms",
    "chain_layer_bounds",
    "chain_weight_gradient_norms",
    "chain_weight_gradients",
    "depth_data",
    "factor_per_layer",
    "first_nonfinite_layer",
    "gradient_norms_by_activation",
    "layer_statistics",
    "propagate",
    "random_chain",
    "relative_weight_change",
    "standard_uniform",
    "train_depths",
]

#: :math:`\max_x |f'(x)|` of each activation used in the chain.
MAX_DERIVATIVE: dict[str, float] = {
    "sigmoid": 0.25,
    "tanh": 1.0,
    "linear": 1.0,
    "relu": 1.0,
    "leaky_relu": 1.0,
    "elu": 1.0,
}


def _identity(x):
    return np.asarray(x)


def _ones(x):
    x = np.asarray(x)
    return np.ones_like(x)


def activation_fn(name: str) -> tuple[Callable, Callable]:
    """``(f, f')`` for ``"linear"`` (the identity) or any name in ``vanishing.functional``."""
    if name == "linear":
        return _identity, _ones
    return F.get(name)


# ------------------------------------------------------------------------------------------
# 01 · saturating activations: gradient norms along a chain
# ------------------------------------------------------------------------------------------
def random_chain(
    depth: int,
    width: int,
    *,
    scale: float = 1.0,
    rng=None,
    widths: Sequence[int] | None = None,
    dtype=np.float64,
) -> list[np.ndarray]:
    r"""``depth`` weight matrices with entries :math:`\mathcal N(0, \text{scale}^2/n_\text{in})`.

    ``scale = 1`` keeps :math:`\operatorname{std}(hW) \approx \operatorname{std}(h)` (LeCun's
    :math:`1/\sqrt{n}`); ``widths = [n_0, ..., n_L]`` overrides the square ``width x width``
    layers. Returns a list of arrays of shape ``(n_{l-1}, n_l)``.
    """
    rng = check_rng(rng)
    scale = check_positive(scale, "scale", allow_zero=True)
    dtype = check_dtype(dtype)
    sizes = [int(width)] * (int(depth) + 1) if widths is None else [int(w) for w in widths]
    return [
        (rng.standard_normal((a, b)) * (scale / np.sqrt(a))).astype(dtype)
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def chain_forward_backward(Ws, x, dout, activation: str = "sigmoid"):
    r"""Forward and backward through the chain of the module docstring.

    Returns ``(zs, hs, dzs, dhs)``: pre-activations ``z_1..z_L``, activations ``h_0..h_L``
    (``h_0 = x``), gradients ``∂L/∂z_1..∂L/∂z_L`` and ``∂L/∂h_0..∂L/∂h_L`` (the last is
    ``dout``). Overflow is not an error here: it shows as ``inf``/``nan`` entries.
    """
    f, f_grad = activation_fn(activation)
    h = np.asarray(x)
    zs, hs = [], [h]
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for W in Ws:
            z = h @ W
            h = f(z)
            zs.append(z)
            hs.append(h)
        dh = np.asarray(dout, dtype=h.dtype)
        if dh.shape != h.shape:
            raise ValueError(f"dout has shape {dh.shape}, the chain's output has {h.shape}")
        dzs, dhs = [None] * len(Ws), [None] * len(Ws) + [dh]
        for l in range(len(Ws) - 1, -1, -1):
            dz = dh * f_grad(zs[l])
            dh = dz @ Ws[l].T
            dzs[l], dhs[l] = dz, dh
    return zs, hs, dzs, dhs


def _fro(a: np.ndarray) -> float:
    return float(np.sqrt(np.sum(np.square(a, dtype=np.float64))))


def chain_gradient_norms(Ws, x, dout, activation: str = "sigmoid") -> np.ndarray:
    r""":math:`\|\partial L/\partial h_l\|_F` for ``l = 0 .. L-1``: entry ``l`` is the
    gradient reaching the *input* of layer ``l + 1`` (entry 0 is the network's input).
    Shape ``(L,)``, float64, input side first."""
    *_, dhs = chain_forward_backward(Ws, x, dout, activation)
    return np.array([_fro(g) for g in dhs[:-1]])


def chain_weight_gradients(Ws, x, dout, activation: str = "sigmoid") -> list[np.ndarray]:
    r"""The weight gradients :math:`\partial L/\partial W_l = h_{l-1}^\top\,\partial L/\partial z_l`
    of the chain, for ``l = 1 .. L``: a list of arrays shaped like ``Ws`` (input side first).

    ``L`` is any loss whose gradient with respect to the output is ``dout`` (for example
    :math:`\sum \texttt{dout} \odot h_L`). Reference for the weight-gradient exercises of
    notebooks 01 and 02.
    """
    _, hs, dzs, _ = chain_forward_backward(Ws, x, dout, activation)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        return [hs[l].T @ dzs[l] for l in range(len(Ws))]


def chain_weight_gradient_norms(Ws, x, dout, activation: str = "sigmoid") -> np.ndarray:
    r""":math:`\|\partial L/\partial W_l\|_F` for ``l = 1 .. L`` (entry ``l - 1`` for layer ``l``,
    input side first), shape ``(L,)``, float64."""
    return np.array([_fro(g) for g in chain_weight_gradients(Ws, x, dout, activation)])


def chain_layer_bounds(Ws, activation: str = "sigmoid") -> np.ndarray:
    r"""Per-layer bound :math:`c_f\,\|W_l\|_2` on the factor
    :math:`\|\partial L/\partial h_{l-1}\| / \|\partial L/\partial h_l\|`, shape ``(L,)``."""
    c = MAX_DERIVATIVE[activation]
    return np.array([c * np.linalg.norm(np.asarray(W, np.float64), 2) for W in Ws])


def factor_per_layer(norms) -> float:
    r"""Geometric factor by which ``norms`` (input side first) shrink per layer going down.

    A least-squares line through :math:`\log_{10}` of the norms against layer index has slope
    ``s``; the factor is :math:`10^{-s}` (``0.1`` means ten times smaller one layer closer to
    the input; above 1 means growing)."""
    y = np.log10(np.asarray(norms, dtype=np.float64))
    s = np.polyfit(np.arange(len(y)), y, 1)[0]
    return float(10.0 ** (-s))


def gradient_norms_by_activation(
    activations: Sequence[str] = ("sigmoid", "tanh", "linear"),
    *,
    depth: int = 20,
    width: int = 64,
    scale: float = 1.0,
    batch: int = 32,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    r"""Gradient norms along the same random chain for several activations.

    Weights from :func:`random_chain` (``scale/√n``), inputs :math:`x\sim\mathcal N(0,1)`,
    ``dout`` all ones; the draws depend only on ``seed``, so activations are compared on
    identical weights. Returns ``{activation: norms of shape (depth,)}``.
    """
    rng = np.random.default_rng(seed)
    Ws = random_chain(depth, width, scale=scale, rng=rng)
    x = rng.standard_normal((batch, width))
    dout = np.ones((batch, width))
    return {a: chain_gradient_norms(Ws, x, dout, a) for a in activations}


# ------------------------------------------------------------------------------------------
# 02 · weight initialisation: statistics through depth
# ------------------------------------------------------------------------------------------
def standard_uniform(shape, gain: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    r"""The "standard" heuristic of Glorot & Bengio (2010), eq. (1):
    :math:`U(-1/\sqrt{n}, 1/\sqrt{n})` (times ``gain``), :math:`n` = fan-in, variance
    :math:`1/(3n)`. Same signature as the initialisers in :mod:`vanishing.init`."""
    fan_in, fan_out = (int(s) for s in shape)
    a = check_positive(gain, "gain") / np.sqrt(fan_in)
    return check_rng(rng).uniform(-a, a, (fan_in, fan_out)).astype(check_dtype(dtype))


def _std(a: np.ndarray) -> float:
    """Population std over all entries, in float64; ``inf`` if any entry is not finite."""
    a = np.asarray(a)
    if not np.all(np.isfinite(a)):
        return float("inf")
    return float(np.std(a, dtype=np.float64))


def layer_statistics(Ws, x, dout, activation: str = "tanh") -> dict[str, np.ndarray]:
    r"""Per-layer statistics of the chain, each an array of shape ``(L,)``:

    ``act_mean[l-1]``, ``act_std[l-1]``: mean and std of all entries of :math:`h_l`;
    ``grad_std[l-1]``: std of all entries of :math:`\partial L/\partial z_l`.
    (Reference for notebook 02's ``layer_stats``; non-finite layers give ``nan``/``inf``.)
    """
    _, hs, dzs, _ = chain_forward_backward(Ws, x, dout, activation)
    with np.errstate(all="ignore"):
        mean = np.array([float(np.mean(h, dtype=np.float64)) for h in hs[1:]])
        std = np.array([float(np.std(h, dtype=np.float64)) for h in hs[1:]])
        gstd = np.array([float(np.std(g, dtype=np.float64)) for g in dzs])
    return {"act_mean": mean, "act_std": std, "grad_std": gstd}


@dataclass
class Propagation:
    r"""What :func:`propagate` measured, one entry per layer (index ``l-1`` for layer ``l``).

    z_std : std of the pre-activations :math:`z_l = h_{l-1}W_l` (``inf`` once anything overflowed)
    h_std, h_mean : std and mean of the activations :math:`h_l`
    first_nonfinite : the first layer ``l`` (1-based) whose :math:`z_l` holds an ``inf`` or
        ``nan``, or ``None``; the layers after it are not computed (``z_std`` is ``inf`` there)
    activations : the arrays :math:`h_1..h_l` when ``keep=True`` (up to ``first_nonfinite``),
        else an empty list
    """

    z_std: np.ndarray
    h_std: np.ndarray
    h_mean: np.ndarray
    first_nonfinite: int | None
    activations: list[np.ndarray]


def propagate(
    depth: int,
    width: int,
    sigma_w: float,
    *,
    activation: str = "linear",
    init: Callable | None = None,
    batch: int = 128,
    std_x: float = 1.0,
    rng=None,
    dtype=np.float32,
    keep: bool = False,
) -> Propagation:
    r"""Push :math:`x \sim \mathcal N(0, \text{std\_x}^2)` through ``depth`` fresh layers.

    Each ``W_l`` of shape ``(width, width)`` has entries :math:`\mathcal N(0, \sigma_w^2)`,
    or comes from ``init(shape, gain=1, rng=rng, dtype=dtype)`` times ``sigma_w`` if given.
    Default float32, as GPUs train: :math:`\mathcal N(0, 1)` weights at width 256 overflow
    (``3.4e38``) after a few tens of layers.
    """
    rng = check_rng(rng)
    dtype = check_dtype(dtype)
    f, _ = activation_fn(activation)
    h = (rng.standard_normal((batch, width)) * std_x).astype(dtype)
    z_std, h_std, h_mean, kept = [], [], [], []
    first = None
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for l in range(1, int(depth) + 1):
            if init is None:
                W = (rng.standard_normal((width, width)) * sigma_w).astype(dtype)
            else:
                W = (init((width, width), gain=1.0, rng=rng, dtype=dtype) * sigma_w).astype(dtype)
            z = h @ W
            h = f(z)
            finite = bool(np.all(np.isfinite(z)))
            if not finite and first is None:
                first = l
            z_std.append(_std(z))
            h_std.append(_std(h))
            h_mean.append(float(np.mean(h, dtype=np.float64)) if finite else float("nan"))
            if keep:
                kept.append(h)
            if first is not None:  # nothing finite comes back from inf and nan: stop here
                break
    pad = int(depth) - len(z_std)
    z_std += [float("inf")] * pad
    h_std += [float("inf")] * pad
    h_mean += [float("nan")] * pad
    return Propagation(np.array(z_std), np.array(h_std), np.array(h_mean), first, kept)


def first_nonfinite_layer(stds) -> int | None:
    """1-based index of the first non-finite entry of a per-layer array, or ``None``."""
    bad = np.flatnonzero(~np.isfinite(np.asarray(stds, dtype=np.float64)))
    return int(bad[0]) + 1 if bad.size else None


# ------------------------------------------------------------------------------------------
# 03 · consequences: training a shallow and a deep sigmoid net
# ------------------------------------------------------------------------------------------
@dataclass
class DepthRun:
    """One training run of :func:`train_depths`.

    history : the :class:`~vanishing.train.History` of :func:`vanishing.train.fit`
    rel_change : :math:`\\|W_\\text{end} - W_0\\|_F / \\|W_0\\|_F` per Linear layer, shape
        ``(n_linear,)``, input side first
    model : the trained network
    """

    history: train.History
    rel_change: np.ndarray
    model: nn.Sequential


def relative_weight_change(before: Sequence[np.ndarray], after: Sequence[np.ndarray]) -> np.ndarray:
    r""":math:`\|W^\text{after}_l - W^\text{before}_l\|_F / \|W^\text{before}_l\|_F` per layer."""
    return np.array(
        [_fro(a - b) / _fro(b) for b, a in zip(before, after, strict=True)], dtype=np.float64
    )


def train_depths(
    depths: Sequence[int] = (1, 4, 8),
    *,
    dataset: str = "moons",
    width: int = 32,
    activation: str = "sigmoid",
    init: str = "xavier_normal",
    steps: int = 2000,
    lr: float = 1.0,
    momentum: float = 0.0,
    batch_size: int = 64,
    n: int = 600,
    seed: int = 0,
    telemetry_every: int = 5,
    progress: bool = True,
) -> dict[str, DepthRun]:
    r"""Train one ``activation`` MLP per entry of ``depths`` (hidden layers of ``width``).

    All runs see the same data (``dataset`` with ``n`` points, 25 % held out), the same batch
    order and the same optimiser: SGD with ``lr`` and ``momentum`` for ``steps`` steps.
    Returns ``{"<d> hidden layer(s)": DepthRun}`` in the order of ``depths``.
    """
    X_tr, y_tr, X_val, y_val = depth_data(dataset, n, seed)
    runs: dict[str, DepthRun] = {}
    for d in depths:
        label = f"{d} hidden layer{'s' if d != 1 else ''}"
        sizes = [X_tr.shape[1]] + [width] * int(d) + [int(y_tr.max()) + 1]
        model = nn.mlp(sizes, activation, init=init, rng=depth_weights_rng(seed, d))
        before = [m.params["W"].copy() for m in nn.linear_layers(model)]
        hist = train_on_depth_data(
            model,
            lr=lr,
            steps=steps,
            momentum=momentum,
            dataset=dataset,
            n=n,
            batch_size=batch_size,
            seed=seed,
            telemetry_every=telemetry_every,
            progress=progress,
            label=label,
        )
        after = [m.params["W"] for m in nn.linear_layers(model)]
        runs[label] = DepthRun(hist, relative_weight_change(before, after), model)
    return runs
