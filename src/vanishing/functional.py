r"""Activations and their derivatives, each derivative right under its function.

Every function takes an array ``x`` of any shape (or a scalar) and returns an array of the
same shape and floating dtype (float32 stays float32; integers become float64). Each
``*_grad`` is the derivative with respect to the input, evaluated at ``x``, with the same
extra arguments as its function.

``ACTIVATIONS`` maps each name to its ``(function, derivative)`` pair; :func:`get` looks a
name up and lists the valid ones when it is unknown.

:func:`norm` is the package's one Euclidean (Frobenius) norm of an array, safe against the
overflow and underflow of squares in float32.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._checks import as_float_array, unknown_name

ArrayFn = Callable[..., np.ndarray]


def sigmoid(x) -> np.ndarray:
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`.

    Computed as :math:`e^{-|x|}`-based branches so it neither overflows nor warns, even
    for :math:`|x| = 10^4` in float32.
    """
    x = as_float_array(x)
    with np.errstate(under="ignore"):  # e^{-|x|} rounding to 0 is the right answer
        e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def sigmoid_grad(x) -> np.ndarray:
    r""":math:`\sigma'(x) = \sigma(x)(1 - \sigma(x)) \le 1/4`, with equality at 0."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x) -> np.ndarray:
    r"""Hyperbolic tangent :math:`\tanh x = 2\sigma(2x) - 1`."""
    return np.tanh(as_float_array(x))


def tanh_grad(x) -> np.ndarray:
    r""":math:`\tanh'(x) = 1 - \tanh^2 x \le 1`, with equality at 0."""
    t = tanh(x)
    return 1 - t * t


def relu(x) -> np.ndarray:
    r"""Rectified linear unit :math:`\max(0, x)` (Nair & Hinton 2010)."""
    x = as_float_array(x)
    return np.maximum(x, 0, dtype=x.dtype)


def relu_grad(x) -> np.ndarray:
    r""":math:`\mathbb{1}[x > 0]`; the derivative at 0 is taken to be 0."""
    x = as_float_array(x)
    return (x > 0).astype(x.dtype)


def leaky_relu(x, alpha: float = 0.01) -> np.ndarray:
    r""":math:`x` for :math:`x > 0`, :math:`\alpha x` otherwise (Maas et al. 2013)."""
    x = as_float_array(x)
    return np.where(x > 0, x, x * x.dtype.type(alpha))


def leaky_relu_grad(x, alpha: float = 0.01) -> np.ndarray:
    r""":math:`1` for :math:`x > 0`, :math:`\alpha` otherwise."""
    x = as_float_array(x)
    a = x.dtype.type(alpha)
    return (x > 0) * (1 - a) + a


def elu(x, alpha: float = 1.0) -> np.ndarray:
    r""":math:`x` for :math:`x > 0`, :math:`\alpha(e^x - 1)` otherwise (Clevert et al. 2016)."""
    x = as_float_array(x)
    with np.errstate(under="ignore"):
        neg = x.dtype.type(alpha) * np.expm1(np.minimum(x, 0))  # 0 where x > 0
    return np.maximum(x, 0) + neg


def elu_grad(x, alpha: float = 1.0) -> np.ndarray:
    r""":math:`1` for :math:`x > 0`, :math:`\alpha e^x` otherwise."""
    x = as_float_array(x)
    with np.errstate(under="ignore"):
        e = np.exp(np.minimum(x, 0))
    return np.where(x > 0, x.dtype.type(1), x.dtype.type(alpha) * e)


_GELU_C = np.sqrt(2.0 / np.pi)
_GELU_K = 0.044715


def gelu(x) -> np.ndarray:
    r"""GELU, tanh approximation (Hendrycks & Gimpel 2016):

    .. math:: \tfrac12 x \left(1 + \tanh\!\left(\sqrt{2/\pi}\,(x + 0.044715 x^3)\right)\right)
    """
    x = as_float_array(x)
    c, k = x.dtype.type(_GELU_C), x.dtype.type(_GELU_K)
    return x.dtype.type(0.5) * x * (1 + np.tanh(c * (x + k * x * x * x)))


def gelu_grad(x) -> np.ndarray:
    r"""With :math:`u = \sqrt{2/\pi}(x + 0.044715x^3)` and :math:`t = \tanh u`:

    .. math:: \tfrac12(1 + t) + \tfrac12 x (1 - t^2) \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715 x^2)
    """
    x = as_float_array(x)
    c, k = x.dtype.type(_GELU_C), x.dtype.type(_GELU_K)
    t = np.tanh(c * (x + k * x * x * x))
    half = x.dtype.type(0.5)
    return half * (1 + t) + half * x * (1 - t * t) * c * (1 + 3 * k * x * x)


ACTIVATIONS: dict[str, tuple[ArrayFn, ArrayFn]] = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "gelu": (gelu, gelu_grad),
}

#: Points where a derivative is not defined; gradient checks keep away from them.
KINKS: dict[str, tuple[float, ...]] = {"relu": (0.0,), "leaky_relu": (0.0,), "elu": (0.0,)}


def get(name: str) -> tuple[ArrayFn, ArrayFn]:
    """Return ``(function, derivative)`` for an activation name such as ``"relu"``."""
    key = name.lower() if isinstance(name, str) else name
    if key not in ACTIVATIONS:
        raise unknown_name("activation", name, list(ACTIVATIONS))
    return ACTIVATIONS[key]


def norm(a) -> float:
    r"""Euclidean norm :math:`\sqrt{\sum_i a_i^2}` of all entries of ``a`` (Frobenius for a matrix).

    One BLAS dot product in the array's own dtype, redone on the array rescaled by its largest
    magnitude when the sum of squares would overflow or underflow there (float32 gradients of a
    vanishing network reach 1e-25, whose square is 0 in float32). Non-float input is read as
    float64; ``0.0`` for an empty array, ``inf``/``nan`` when an entry is.
    """
    flat = np.asarray(a).ravel()
    if flat.dtype.kind != "f":
        flat = flat.astype(np.float64)
    if flat.size == 0:
        return 0.0
    fi = np.finfo(flat.dtype)
    with np.errstate(over="ignore", under="ignore"):
        s = float(np.dot(flat, flat))
    if fi.tiny * 1e6 < s < fi.max / 1e6:
        return float(np.sqrt(s))
    m = float(np.max(np.abs(flat)))
    if m == 0.0 or not np.isfinite(m):
        return m
    scaled = flat.astype(np.float64) / m
    return m * float(np.sqrt(np.dot(scaled, scaled)))
