r"""Notebook 02: weight initialisation, and the statistics of a signal through depth.

:func:`propagate` pushes a batch through fresh random layers and records, layer by layer, the
spread of the pre-activations and activations (and where float32 first overflows);
:func:`layer_statistics` measures the activations and gradients of a given chain (the chain
of :mod:`.saturating`); :func:`standard_uniform` is the "standard" initialisation Glorot &
Bengio (2010) compare their normalised one with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._checks import check_dtype, check_positive, check_rng
from .saturating import activation_fn, chain_forward_backward

__all__ = [
    "Propagation",
    "first_nonfinite_layer",
    "layer_statistics",
    "propagate",
    "standard_uniform",
]


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
