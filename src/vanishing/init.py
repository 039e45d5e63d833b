r"""Weight initialisers as pure functions of a shape, a gain and a random generator.

Every initialiser has the signature ``f(shape, gain=1.0, rng=None, dtype=np.float64)``
with ``shape = (fan_in, fan_out)`` (the layout of ``W`` in ``y = x @ W + b``) and returns
a new array. ``rng`` is a :class:`numpy.random.Generator`; ``None`` draws from a fresh,
unseeded one. Nothing seeds numpy globally.

=================  =====================================================  =========================
name               distribution                                           variance
=================  =====================================================  =========================
``zeros``          all zeros                                              0
``normal``         :math:`\mathcal N(0, (\text{gain}\cdot\text{std})^2)`  ``(gain * std)**2``
``xavier_uniform`` :math:`U(-a, a)`, :math:`a = g\sqrt{6/(n_i + n_o)}`   :math:`2g^2/(n_i + n_o)`
``xavier_normal``  :math:`\mathcal N(0, 2g^2/(n_i + n_o))`                :math:`2g^2/(n_i + n_o)`
``he_uniform``     :math:`U(-a, a)`, :math:`a = g\sqrt{6/n_i}`            :math:`2g^2/n_i`
``he_normal``      :math:`\mathcal N(0, 2g^2/n_i)`                        :math:`2g^2/n_i`
``orthogonal``     :math:`g\,Q` with :math:`Q` orthonormal columns/rows   :math:`g^2/n_i` (square)
=================  =====================================================  =========================

Xavier (Glorot & Bengio 2010) keeps the variance of activations and gradients constant for
a linear (or tanh near 0) layer by averaging fan-in and fan-out. He (He et al. 2015) has the
factor 2 built in because a ReLU zeroes half of its inputs: ``gain=1`` already means the
ReLU setting. Orthogonal (Saxe et al. 2014) gives :math:`W^\top W = g^2 I` when
``fan_in >= fan_out`` and :math:`W W^\top = g^2 I` otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._checks import check_dtype, check_positive, check_rng, unknown_name

Initialiser = Callable[..., np.ndarray]


def _fans(shape) -> tuple[int, int]:
    try:
        dims = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise TypeError(f"shape must be a tuple (fan_in, fan_out), got {shape!r}") from None
    if len(dims) != 2 or min(dims) < 1 or dims != tuple(shape):
        raise ValueError(f"shape must be (fan_in, fan_out) with two positive ints, got {shape!r}")
    return dims


def _prepare(shape, gain, rng, dtype):
    fan_in, fan_out = _fans(shape)
    return fan_in, fan_out, check_positive(gain, "gain"), check_rng(rng), check_dtype(dtype)


def zeros(shape, gain: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    """All zeros. ``shape`` may be any tuple here (biases are 1-D); gain and rng are ignored."""
    return np.zeros(shape, dtype=check_dtype(dtype))


def normal(shape, gain: float = 1.0, rng=None, dtype=np.float64, *, std: float = 1.0) -> np.ndarray:
    r"""Draws from :math:`\mathcal N(0, (\text{gain}\cdot\text{std})^2)`.

    The common initialiser signature, plus a keyword-only ``std``: through :func:`get` (and
    so in :class:`~vanishing.nn.Linear`) ``gain`` alone sets the standard deviation.
    """
    std = check_positive(std, "std", allow_zero=True)
    _, _, gain, rng, dtype = _prepare(shape, gain, rng, dtype)
    return (rng.standard_normal(tuple(shape)) * (std * gain)).astype(dtype)


def xavier_uniform(shape, gain: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    r""":math:`U(-a, a)` with :math:`a = g\sqrt{6 / (\text{fan\_in} + \text{fan\_out})}`."""
    fan_in, fan_out, gain, rng, dtype = _prepare(shape, gain, rng, dtype)
    a = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out)).astype(dtype)


def xavier_normal(shape, gain: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    r"""Normal, :math:`\sigma = g\sqrt{2/(\text{fan\_in}+\text{fan\_out})}`."""
    fan_in, fan_out, gain, rng, dtype = _prepare(shape, gain, rng, dtype)
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    return (rng.standard_normal((fan_in, fan_out)) * std).astype(dtype)


def he_uniform(shape, gain: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    r""":math:`U(-a, a)`, :math:`a = g\sqrt{6 / \text{fan\_in}}` (variance :math:`2g^2/n`)."""
    fan_in, fan_out, gain, rng, dtype = _prepare(shape, gain, rng, dtype)
    a = gain * np.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a, size=(fan_in, fan_out)).astype(dtype)


def he_normal(shape, gain: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    r""":math:`\mathcal N(0, \sigma^2)` with :math:`\sigma = \text{gain}\sqrt{2/\text{fan\_in}}`."""
    fan_in, fan_out, gain, rng, dtype = _prepare(shape, gain, rng, dtype)
    std = gain * np.sqrt(2.0 / fan_in)
    return (rng.standard_normal((fan_in, fan_out)) * std).astype(dtype)


def orthogonal(shape, gain: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    r"""``gain`` times a random matrix with orthonormal columns (or rows, if wider than tall).

    QR of a Gaussian matrix with the signs of ``R``'s diagonal folded into ``Q`` so that
    the result is uniformly (Haar) distributed (Mezzadri 2007; Saxe et al. 2014).
    """
    fan_in, fan_out, gain, rng, dtype = _prepare(shape, gain, rng, dtype)
    big, small = max(fan_in, fan_out), min(fan_in, fan_out)
    q, r = np.linalg.qr(rng.standard_normal((big, small)))
    q = q * np.sign(np.diag(r))
    if fan_in < fan_out:
        q = q.T
    return (gain * q).astype(dtype)


INITIALISERS: dict[str, Initialiser] = {
    "zeros": zeros,
    "normal": normal,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "orthogonal": orthogonal,
}


def get(name: str) -> Initialiser:
    """Return the initialiser called ``name``; an unknown name lists the valid ones."""
    key = name.lower() if isinstance(name, str) else name
    if key not in INITIALISERS:
        raise unknown_name("initialiser", name, list(INITIALISERS))
    return INITIALISERS[key]


def variance(name: str, shape, gain: float = 1.0, std: float = 1.0) -> float:
    """The variance each entry of ``get(name)(shape, gain)`` is drawn with (the formula above)."""
    fan_in, fan_out = _fans(shape)
    return {
        "zeros": 0.0,
        "normal": (gain * std) ** 2,
        "xavier_uniform": 2 * gain**2 / (fan_in + fan_out),
        "xavier_normal": 2 * gain**2 / (fan_in + fan_out),
        "he_uniform": 2 * gain**2 / fan_in,
        "he_normal": 2 * gain**2 / fan_in,
        "orthogonal": gain**2 / max(fan_in, fan_out),
    }[get(name).__name__]
