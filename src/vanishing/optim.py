r"""Optimisers that update a module's parameters in place, and gradient clipping.

An optimiser holds the model and reads ``model.params`` / ``model.grads`` (same names) at
every ``step()``. It keeps the update it applied to each parameter in ``updates`` so that
telemetry can report the update-to-weight ratio :math:`\|\Delta W\| / \|W\|`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ._checks import check_positive
from .nn import Module


class Optimizer:
    def __init__(self, model: Module, lr: float) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"model must be a vanishing.nn.Module, got {type(model).__name__}")
        self.model = model
        self.lr = check_positive(lr, "lr")
        self.updates: dict[str, np.ndarray] = {}
        self.t = 0

    def _pairs(self):
        params, grads = self.model.params, self.model.grads
        for name, p in params.items():
            g = grads.get(name)
            if g is None or g.shape != p.shape:
                raise ValueError(
                    f"no gradient of shape {p.shape} for parameter {name!r}: "
                    "call backward before step"
                )
            yield name, p, g

    def step(self) -> None:
        self.t += 1
        for name, p, g in self._pairs():
            delta = self._update(name, p, g).astype(p.dtype, copy=False)
            p += delta
            self.updates[name] = delta

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class SGD(Optimizer):
    r"""Stochastic gradient descent with (heavy-ball) momentum and L2 weight decay.

    .. math:: v \leftarrow \mu v - \eta (g + \lambda W),\qquad W \leftarrow W + v
    """

    def __init__(
        self, model: Module, lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(model, lr)
        self.momentum = check_positive(momentum, "momentum", allow_zero=True)
        if self.momentum >= 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)
        self.velocity: dict[str, np.ndarray] = {}

    def _update(self, name, p, g):
        if self.weight_decay:
            g = g + self.weight_decay * p
        step = -self.lr * g
        if self.momentum:
            v = self.velocity.get(name)
            step = step if v is None else self.momentum * v + step
            self.velocity[name] = step
        return step


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015) with bias correction.

    .. math:: m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,
              \quad W \leftarrow W - \eta\,\hat m / (\sqrt{\hat v} + \epsilon)
    """

    def __init__(
        self, model: Module, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8
    ) -> None:
        super().__init__(model, lr)
        b1, b2 = (float(b) for b in betas)
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        self.betas, self.eps = (b1, b2), check_positive(eps, "eps")
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def _update(self, name, p, g):
        b1, b2 = self.betas
        m = self.m[name] = b1 * self.m.get(name, 0.0) + (1 - b1) * g
        v = self.v[name] = b2 * self.v.get(name, 0.0) + (1 - b2) * g * g
        m_hat = m / (1 - b1**self.t)
        v_hat = v / (1 - b2**self.t)
        return -self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def _grad_arrays(grads) -> list[np.ndarray]:
    if isinstance(grads, Module):
        grads = grads.grads
    if isinstance(grads, Mapping):
        return list(grads.values())
    if isinstance(grads, Iterable):
        return list(grads)
    raise TypeError(f"expected a Module, a dict of gradients or a list of arrays, got {grads!r}")


def global_norm(grads) -> float:
    r""":math:`\sqrt{\sum_i \|g_i\|^2}` over all gradient arrays.

    Squares summed in float64 (where a float32 gradient's squares neither underflow nor
    overflow), not :func:`vanishing.functional.norm`: :func:`clip_grad_norm` scales every
    clipped training run by this value, so its rounding is part of the seeded results of
    notebook 08, and it is the sum notebook 08's ``clip_by_global_norm`` exercise computes.
    """
    return float(
        np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in _grad_arrays(grads)))
    )


def clip_grad_norm(grads, max_norm: float) -> float:
    r"""Rescale gradients in place so their global norm is at most ``max_norm``.

    If :math:`\|g\| > c` every gradient is multiplied by :math:`c / \|g\|` (Pascanu et al.
    2013), keeping its direction. Accepts a :class:`Module`, a dict or a list of arrays and
    returns the global norm *before* clipping (``inf``/``nan`` are left untouched).
    """
    max_norm = check_positive(max_norm, "max_norm")
    arrays = _grad_arrays(grads)
    total = global_norm(arrays)
    if np.isfinite(total) and total > max_norm:
        scale = max_norm / total
        for g in arrays:
            g *= g.dtype.type(scale)
    return total
