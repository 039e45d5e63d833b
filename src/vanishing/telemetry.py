r"""Per-layer statistics of a network, observed from outside the model.

Nothing here lives inside a layer: every number is read after the fact from what
:meth:`vanishing.nn.Module.forward` leaves behind (``module.output``), from ``grads`` after
``backward`` and from ``optimizer.updates`` after ``step`` (the fast.ai "hooks" idea, without
hooks).

What is measured
----------------
For every activation module ``a`` (output ``y`` of shape ``(N, D)``):

* ``act_mean``, ``act_std`` : mean and standard deviation over all :math:`N D` entries of ``y``.
* ``saturated`` : fraction of entries in the flat tails: :math:`|y| > 0.97` for tanh,
  :math:`y < 0.03` or :math:`y > 0.97` for sigmoid; ``nan`` for other activations.
* ``dead`` : fraction of the :math:`D` units that are never positive on the batch,
  :math:`\max_n y_{nd} \le 0` (for ReLU: output exactly 0 for every example, so no gradient
  flows through the unit); defined for the ReLU family (relu, leaky_relu, elu, gelu),
  ``nan`` for sigmoid and tanh.

For every :class:`~vanishing.nn.Linear` layer with weights ``W``:

* ``grad_norm`` : Frobenius norm :math:`\|\partial L / \partial W\|_F`.
* ``update_ratio`` : :math:`\|\Delta W\|_F / \|W\|_F`, with :math:`\Delta W` the update the
  optimiser actually applied at that step (``optimizer.updates``) and :math:`W` the weights
  *before* the step. For plain SGD this is :math:`\eta\|g\|/\|W\|`. A healthy value is around
  :math:`10^{-3}` (Karpathy, CS231n notes); much smaller means the layer is barely learning.

Layers are named by their dotted path in the model (``"0"``, ``"3.block.0"``), input side first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import losses
from .functional import norm
from .nn import Activation, BatchNorm1d, Linear, Module

#: Activations whose flat tails count as "saturated": name -> (low, high) output thresholds.
SATURATION_BOUNDS: dict[str, tuple[float, float]] = {
    "sigmoid": (0.03, 0.97),
    "tanh": (-0.97, 0.97),
}
#: Activations for which a "dead" (never positive) unit is reported.
RELU_FAMILY: frozenset[str] = frozenset({"relu", "leaky_relu", "elu", "gelu"})


# ------------------------------------------------------------------------------------------
# Finding layers
# ------------------------------------------------------------------------------------------
def activation_layers(model: Module) -> list[tuple[str, Activation]]:
    """``(name, module)`` for every activation module, input side first."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, Activation)]


def named_linear_layers(model: Module) -> list[tuple[str, Linear]]:
    """``(name, module)`` for every :class:`~vanishing.nn.Linear`, input side first."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, Linear)]


def _param_key(name: str, param: str) -> str:
    return f"{name}.{param}" if name else param


# ------------------------------------------------------------------------------------------
# The statistics, one array at a time
# ------------------------------------------------------------------------------------------
def saturated_fraction(y: np.ndarray, activation: str) -> float:
    """Fraction of entries of ``y`` beyond :data:`SATURATION_BOUNDS`; ``nan`` if undefined."""
    bounds = SATURATION_BOUNDS.get(activation)
    if bounds is None:
        return float("nan")
    lo, hi = bounds
    n_out = np.count_nonzero(y > hi) + np.count_nonzero(y < lo)
    return n_out / y.size


def dead_fraction(y: np.ndarray, activation: str = "relu") -> float:
    r"""Fraction of units (columns of ``y``, shape ``(N, D)``) with :math:`\max_n y_{nd} \le 0`.

    ``nan`` for activations outside :data:`RELU_FAMILY`.
    """
    if activation not in RELU_FAMILY:
        return float("nan")
    y2 = y.reshape(len(y), -1)
    return np.count_nonzero(y2.max(axis=0) <= 0) / y2.shape[1]


def mean_std(y: np.ndarray) -> tuple[float, float]:
    r"""Mean and (population) standard deviation of all entries of ``y``.

    Two passes, :math:`\mu = \frac1n\sum y` (accumulated in float64),
    :math:`\sigma = \lVert y-\mu \rVert / \sqrt n` with the overflow-safe
    :func:`vanishing.functional.norm`.
    """
    if y.size == 0:
        return float("nan"), float("nan")
    mu = float(y.mean(dtype=np.float64))
    with np.errstate(over="ignore", invalid="ignore"):
        c = y - y.dtype.type(mu) if np.isfinite(mu) else y.astype(np.float64) - mu
    return mu, norm(c) / float(np.sqrt(c.size))


# ------------------------------------------------------------------------------------------
# Recording while training
# ------------------------------------------------------------------------------------------
class Telemetry:
    """Records per-layer statistics of ``model`` at every ``every``-th step.

    Call :meth:`observe_backward` after ``loss`` and ``model.backward`` (and before any
    gradient clipping, so the raw gradient is seen), then :meth:`observe_update` after
    ``optimizer.step()``. :func:`vanishing.train.fit` does both. When ``enabled`` is false or
    the step is not a multiple of ``every`` both calls return at once and record nothing.

    Parameters
    ----------
    model : Module
    every : int
        Record steps ``0, every, 2*every, ...``.
    enabled : bool
        ``False`` records nothing at all.

    Attributes
    ----------
    act_names, linear_names : list of str
        Dotted names of the activation modules and Linear layers, input side first.
    act_kinds : list of str
        Activation name of each activation module (``"relu"``, ``"sigmoid"``, ...).
    """

    def __init__(self, model: Module, *, every: int = 1, enabled: bool = True) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"model must be a vanishing.nn.Module, got {type(model).__name__}")
        if not isinstance(every, (int, np.integer)) or isinstance(every, bool) or every < 1:
            raise ValueError(f"every must be a positive int, got {every!r}")
        self.model, self.every, self.enabled = model, int(every), bool(enabled)
        self._acts = activation_layers(model)
        self._linears = named_linear_layers(model)
        self.act_names = [n for n, _ in self._acts]
        self.act_kinds = [m.name for _, m in self._acts]
        self.linear_names = [n for n, _ in self._linears]
        self._w_keys = [_param_key(n, "W") for n in self.linear_names]
        self.steps: list[int] = []
        self._rows: dict[str, list[np.ndarray]] = {k: [] for k in self.FIELDS}
        self._w_norm: np.ndarray | None = None

    #: The recorded arrays: activation stats have one column per activation module, the
    #: rest one per Linear layer.
    FIELDS = ("act_mean", "act_std", "saturated", "dead", "grad_norm", "update_ratio")

    def due(self, step: int) -> bool:
        """Whether ``step`` is recorded."""
        return self.enabled and step % self.every == 0

    def observe_backward(self, step: int) -> None:
        """Read activations (``.output``) and weight gradients of the last forward/backward."""
        if not self.due(step):
            return
        n_act = len(self._acts)
        mean, std = np.empty(n_act), np.empty(n_act)
        sat, dead = np.empty(n_act), np.empty(n_act)
        for i, (_, m) in enumerate(self._acts):
            y = m.output
            if y is None:
                mean[i] = std[i] = sat[i] = dead[i] = np.nan
                continue
            mean[i], std[i] = mean_std(y)
            sat[i] = saturated_fraction(y, m.name)
            dead[i] = dead_fraction(y, m.name)
        grad = np.array([norm(m.grads["W"]) for _, m in self._linears])
        self._w_norm = np.array([norm(m.params["W"]) for _, m in self._linears])
        ratio = np.full(len(self._linears), np.nan)
        self.steps.append(int(step))
        for k, v in zip(self.FIELDS, (mean, std, sat, dead, grad, ratio), strict=True):
            self._rows[k].append(v)

    def observe_update(self, optimizer) -> None:
        """Fill this step's ``update_ratio`` from ``optimizer.updates`` (after ``step()``)."""
        if self._w_norm is None:
            return
        updates = getattr(optimizer, "updates", {})
        ratio = self._rows["update_ratio"][-1]
        for i, key in enumerate(self._w_keys):
            delta = updates.get(key)
            if delta is not None:
                w = self._w_norm[i]
                ratio[i] = norm(delta) / w if w > 0 else np.inf
        self._w_norm = None

    def __len__(self) -> int:
        return len(self.steps)

    def arrays(self) -> dict[str, np.ndarray]:
        """The record as arrays: ``"steps"`` of shape ``(R,)`` and each of :attr:`FIELDS` of
        shape ``(R, n_act)`` or ``(R, n_linear)``, ``R`` the number of recorded steps."""
        out = {"steps": np.asarray(self.steps, dtype=np.int64)}
        widths = {"grad_norm": len(self._linears), "update_ratio": len(self._linears)}
        for k in self.FIELDS:
            rows = self._rows[k]
            out[k] = np.vstack(rows) if rows else np.empty((0, widths.get(k, len(self._acts))))
        return out


# ------------------------------------------------------------------------------------------
# One-shot measurements, no training
# ------------------------------------------------------------------------------------------
def _bn_buffers(model: Module) -> list[tuple[BatchNorm1d, np.ndarray, np.ndarray]]:
    return [
        (m, m.running_mean.copy(), m.running_var.copy())
        for m in model.modules()
        if isinstance(m, BatchNorm1d)
    ]


def _restore(saved) -> None:
    for m, mean, var in saved:
        m.running_mean, m.running_var = mean, var


def forward_backward(model: Module, X, y, loss: str = "cross_entropy") -> float:
    """One forward and backward pass on ``(X, y)``: fills ``model.grads``, returns the loss.

    ``loss`` is ``"cross_entropy"`` (integer labels) or ``"mse"`` (targets of the output's
    shape). BatchNorm running statistics are left as they were.
    """
    saved = _bn_buffers(model)
    try:
        out = model(np.asarray(X))
        value, dout = losses.get(loss)(out, losses.as_targets(y, out, loss))
        model.backward(dout)
    finally:
        _restore(saved)
    return value


def layer_gradient_norms(model: Module, X, y, loss: str = "cross_entropy") -> np.ndarray:
    r"""Per-Linear-layer :math:`\|\partial L/\partial W\|_F` after one forward+backward pass.

    Parameters
    ----------
    model : Module
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Integer labels (or regression targets with ``loss="mse"``).

    Returns
    -------
    ndarray of shape (L,)
        One norm per :class:`~vanishing.nn.Linear` in ``model``, input side first.
    """
    forward_backward(model, X, y, loss)
    return np.array([norm(m.grads["W"]) for _, m in named_linear_layers(model)])


def activations(model: Module, X) -> dict[str, np.ndarray]:
    """Run ``model`` on ``X`` and return every activation module's output by dotted name.

    The model runs in its current mode; BatchNorm running statistics are left as they were.
    Arrays have shape ``(N, D_layer)``.
    """
    saved = _bn_buffers(model)
    try:
        model(np.asarray(X))
    finally:
        _restore(saved)
    return {n: m.output for n, m in activation_layers(model)}


@dataclass
class ActivationStats:
    """Per activation layer statistics, each an array of shape ``(n_act,)``."""

    names: list[str]
    kinds: list[str]
    mean: np.ndarray
    std: np.ndarray
    saturated: np.ndarray
    dead: np.ndarray


def activation_stats(model: Module, X) -> ActivationStats:
    """Mean, std, saturated and dead fractions of every activation layer on ``X``.

    The definitions are those at the top of this module.
    """
    acts = activations(model, X)
    kinds = [m.name for _, m in activation_layers(model)]
    ys = list(acts.values())
    ms = np.array([mean_std(y) for y in ys], dtype=np.float64).reshape(-1, 2)
    return ActivationStats(
        names=list(acts),
        kinds=kinds,
        mean=ms[:, 0],
        std=ms[:, 1],
        saturated=np.array([saturated_fraction(y, k) for y, k in zip(ys, kinds, strict=True)]),
        dead=np.array([dead_fraction(y, k) for y, k in zip(ys, kinds, strict=True)]),
    )
