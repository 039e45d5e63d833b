r"""Notebook 01: saturating activations, and the gradient norms along a chain of layers.

Everything here runs on plain weight lists and returns numbers, so the notebook plots exactly
what ``tests/test_science_causes.py`` asserts. Notebook 02 (:mod:`.weight_scale`) and notebook
05 (:mod:`.init_scaling`) reuse the chain.

The *chain* is a bias-free stack of ``L`` layers

.. math:: z_l = h_{l-1} W_l,\qquad h_l = f(z_l),\qquad l = 1, \dots, L,\qquad h_0 = x,

with ``x`` of shape ``(N, n_0)``, ``W_l`` of shape ``(n_{l-1}, n_l)`` and an upstream
gradient ``dout`` :math:`= \partial L/\partial h_L` given from outside (so no loss function
gets in the way). Backward:

.. math:: \frac{\partial L}{\partial z_l} = \frac{\partial L}{\partial h_l}\odot f'(z_l),
          \qquad \frac{\partial L}{\partial h_{l-1}} = \frac{\partial L}{\partial z_l} W_l^\top .

Since :math:`|f'| \le c_f` (:data:`MAX_DERIVATIVE`: 1/4 for the sigmoid),
:math:`\|\partial L/\partial h_{l-1}\|_F \le c_f\,\|W_l\|_2\,\|\partial L/\partial h_l\|_F`:
each layer can shrink the gradient by its own factor, and the factors multiply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import functional as F
from .._checks import check_dtype, check_positive, check_rng
from .protocol import frobenius

__all__ = [
    "MAX_DERIVATIVE",
    "activation_fn",
    "chain_forward_backward",
    "chain_gradient_norms",
    "chain_layer_bounds",
    "chain_weight_gradient_norms",
    "chain_weight_gradients",
    "factor_per_layer",
    "gradient_norms_by_activation",
    "random_chain",
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


def chain_gradient_norms(Ws, x, dout, activation: str = "sigmoid") -> np.ndarray:
    r""":math:`\|\partial L/\partial h_l\|_F` for ``l = 0 .. L-1``: entry ``l`` is the
    gradient reaching the *input* of layer ``l + 1`` (entry 0 is the network's input).
    Shape ``(L,)``, float64, input side first."""
    *_, dhs = chain_forward_backward(Ws, x, dout, activation)
    return np.array([frobenius(g) for g in dhs[:-1]])


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
    return np.array([frobenius(g) for g in chain_weight_gradients(Ws, x, dout, activation)])


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
