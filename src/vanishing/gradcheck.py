r"""Gradient checking: compare an analytic gradient with centred finite differences.

.. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}

The error is :math:`O(h^2)` from truncation plus :math:`O(\epsilon_{mach} |f| / h)` from
rounding; in float64, :math:`h = 10^{-5}` balances the two (about :math:`10^{-11}`).
Agreement is measured by the symmetric relative error with a floor,

.. math:: \text{rel}(a, b) = \max_i \frac{|a_i - b_i|}{\max(|a_i| + |b_i|, \text{floor})},

which is 0 for equal arrays, 1 for opposite signs, and does not blow up where both are 0.
A correct float64 gradient scores below about 1e-7 away from kinks.

The checks below set the floor from the rounding noise of the difference quotient,
:math:`\nu = 8\,\epsilon_{mach}(|f| + 1)/h`, as ``max(floor, ν / tol)``: an entry whose
true value is below the noise cannot be resolved to a relative ``tol``, so it is compared
on the absolute scale of the noise instead (a gradient that is exactly 0 analytically, such
as a bias before batch norm, then passes, while any error larger than ν still fails).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._checks import as_float_array, check_positive, check_rng

DEFAULT_EPS = 1e-5
DEFAULT_TOL = 1e-7


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = DEFAULT_EPS
) -> np.ndarray:
    """Centred-difference gradient of a scalar function ``f`` at ``x`` (any shape).

    ``x`` is perturbed in place one entry at a time and restored afterwards, so ``f`` may
    close over it (this is how parameters of a module are checked). Returns a float64 array
    of ``x``'s shape.
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(
            f"x must be a floating-point ndarray, got {type(x).__name__}"
            f"{'' if not isinstance(x, np.ndarray) else ' of dtype ' + str(x.dtype)}"
        )
    eps = check_positive(eps, "eps")
    grad = np.zeros(x.shape, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so it can be perturbed in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = _scalar(f(x))
        flat[i] = old - eps
        f_minus = _scalar(f(x))
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _scalar(v) -> float:
    arr = np.asarray(v)
    if arr.size != 1:
        raise ValueError(f"f must return a scalar, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def rel_error(a, b, floor: float = 1e-8) -> float:
    """Largest symmetric relative error between two arrays of the same shape (see above)."""
    a, b = as_float_array(a, "a"), as_float_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(_rel(a, b, floor)))


def _rel(a, b, floor):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    err = np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)
    return np.where(np.isnan(err), np.inf, err)


def noise_floor(
    f_value, eps: float = DEFAULT_EPS, tol: float = DEFAULT_TOL, floor: float = 1e-8
) -> np.ndarray | float:
    """The floor for ``rel_error`` given the size of ``f`` at the point (see module docs)."""
    noise = 8 * np.finfo(np.float64).eps * (np.abs(f_value) + 1) / eps
    return np.maximum(floor, noise / tol)


@dataclass
class Check:
    """The comparison for one array (the input ``x`` or one parameter)."""

    name: str
    analytic: np.ndarray
    numerical: np.ndarray
    floor: float | np.ndarray = 1e-8
    errors: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        if self.analytic.shape != self.numerical.shape:
            raise ValueError(
                f"{self.name}: analytic gradient has shape {self.analytic.shape}, "
                f"expected {self.numerical.shape}"
            )
        self.errors = _rel(self.analytic, self.numerical, self.floor)

    @property
    def max_error(self) -> float:
        return float(self.errors.max()) if self.errors.size else 0.0

    @property
    def worst_index(self) -> tuple[int, ...]:
        return tuple(int(i) for i in np.unravel_index(np.argmax(self.errors), self.errors.shape))


@dataclass
class GradcheckReport:
    """Per-array results of a gradient check; ``str(report)`` is a readable table."""

    subject: str
    checks: list[Check]
    tol: float = DEFAULT_TOL

    @property
    def max_error(self) -> float:
        return max((c.max_error for c in self.checks), default=0.0)

    @property
    def worst(self) -> Check:
        return max(self.checks, key=lambda c: c.max_error)

    def ok(self, tol: float | None = None) -> bool:
        return self.max_error <= (self.tol if tol is None else tol)

    def assert_ok(self, tol: float | None = None) -> None:
        if not self.ok(tol):
            raise AssertionError(str(self))

    def __getitem__(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check named {name!r}; have {[c.name for c in self.checks]}")

    def __str__(self) -> str:
        lines = [
            f"gradient check of {self.subject} (tolerance {self.tol:.0e})",
            f"  {'array':<16}{'shape':<14}{'max rel. error':>15}  worst entry",
        ]
        for c in self.checks:
            idx = c.worst_index if c.errors.size else ()
            where = (
                (f"{list(idx)}: analytic {c.analytic[idx]:.6g}, numerical {c.numerical[idx]:.6g}")
                if c.errors.size
                else "-"
            )
            flag = "" if c.max_error <= self.tol else "  <-- FAIL"
            lines.append(
                f"  {c.name:<16}{str(c.analytic.shape):<14}{c.max_error:>15.2e}  {where}{flag}"
            )
        verdict = "PASS" if self.ok() else "FAIL"
        lines.append(
            f"  {verdict}: worst is {self.worst.name} with {self.max_error:.2e}"
            if self.checks
            else "  nothing to check"
        )
        return "\n".join(lines)

    __repr__ = __str__


def check_gradient(
    f: Callable[[np.ndarray], float],
    grad,
    x: np.ndarray,
    *,
    eps: float = DEFAULT_EPS,
    tol: float = DEFAULT_TOL,
    name: str = "x",
    subject: str = "f",
) -> GradcheckReport:
    """Check an analytic gradient ``grad`` (an array at ``x``) of a scalar function ``f``."""
    floor = noise_floor(_scalar(f(x)), eps, tol)
    numerical = numerical_gradient(f, x, eps)
    check = Check(name, np.asarray(grad, np.float64), numerical, floor)
    return GradcheckReport(subject, [check], tol)


def check_elementwise(
    f: Callable,
    f_grad: Callable,
    x,
    *,
    eps: float = DEFAULT_EPS,
    tol: float = DEFAULT_TOL,
    subject: str | None = None,
    **kwargs,
) -> GradcheckReport:
    """Check the derivative of an elementwise function, e.g. an activation, at points ``x``.

    Because ``f`` acts entrywise, all entries are perturbed at once:
    :math:`f'(x) \\approx (f(x+h) - f(x-h)) / 2h`.
    """
    x = np.asarray(x, dtype=np.float64)
    numerical = (f(x + eps, **kwargs) - f(x - eps, **kwargs)) / (2 * eps)
    analytic = np.asarray(f_grad(x, **kwargs), np.float64)
    floor = noise_floor(np.asarray(f(x, **kwargs), np.float64), eps, tol)
    name = subject or getattr(f, "__name__", "f")
    check = Check("x", analytic, np.asarray(numerical, np.float64), floor)
    return GradcheckReport(name, [check], tol)


def check_loss(
    loss_fn: Callable, pred, target, *, eps: float = DEFAULT_EPS, tol: float = DEFAULT_TOL
) -> GradcheckReport:
    """Check that ``loss_fn(pred, target) -> (loss, dpred)`` returns the gradient of ``loss``."""
    pred = np.array(pred, dtype=np.float64)
    _, dpred = loss_fn(pred, target)
    subject = getattr(loss_fn, "__name__", "loss")
    return check_gradient(
        lambda p: loss_fn(p, target)[0], dpred, pred, eps=eps, tol=tol, name="pred", subject=subject
    )


def check_module(
    module, x, *, eps: float = DEFAULT_EPS, tol: float = DEFAULT_TOL, rng=None, params: bool = True
) -> GradcheckReport:
    """Check ``module.backward`` w.r.t. its input and every parameter.

    The scalar checked is :math:`f = \\sum y \\odot R` for a fixed random ``R`` of the output's
    shape, so ``backward(R)`` must return :math:`\\partial f/\\partial x` and fill ``grads``.
    Buffers such as running statistics are restored afterwards. Use float64.
    """
    rng = check_rng(rng if rng is not None else 0)
    x = np.array(x, dtype=np.float64 if np.asarray(x).dtype.kind != "f" else None)
    saved = _save_buffers(module)
    try:
        y = module(x)
        R = rng.standard_normal(y.shape).astype(y.dtype)
        dx = module.backward(R)
        analytic = {"x": np.array(dx, np.float64)}
        if params:
            analytic.update({k: np.array(v, np.float64) for k, v in module.grads.items()})

        def f(_):
            return float(np.sum(module(x) * R, dtype=np.float64))

        floor = noise_floor(f(x), eps, tol)
        checks = [Check("x", analytic["x"], numerical_gradient(f, x, eps), floor)]
        if params:
            for name, p in module.params.items():
                if name not in analytic:
                    raise AssertionError(f"{module!r}: backward did not fill grads[{name!r}]")
                checks.append(Check(name, analytic[name], numerical_gradient(f, p, eps), floor))
    finally:
        _restore_buffers(saved)
    return GradcheckReport(repr(module).replace("\n", " "), checks, tol)


def _save_buffers(module):
    mods = list(module.modules()) if hasattr(module, "modules") else []
    return [(m, {k: v.copy() for k, v in m.buffers.items()}) for m in mods if hasattr(m, "buffers")]


def _restore_buffers(saved):
    for m, bufs in saved:
        for k, v in bufs.items():
            setattr(m, k, v)


def check_params(
    f: Callable[[dict], float],
    params: dict,
    grads: dict,
    *,
    eps: float = DEFAULT_EPS,
    tol: float = DEFAULT_TOL,
    subject: str = "f",
) -> GradcheckReport:
    """Check analytic gradients given as plain data: ``grads[name]`` against centred
    differences of the scalar ``f(params)``, for every array of the dict ``params``.

    This is the form a hand-written backward takes, e.g. ``loss, grads = mlp(params, x, y)``
    with ``params = {"W1": ..., "b1": ..., ...}``: pass ``f = lambda p: mlp(p, x, y)[0]``.
    ``f`` is called with a new dict in which one array is a perturbed float64 copy, so the
    caller's arrays are never changed. The floor is set from the rounding noise of ``f`` (see
    the module docs), so a deep network's vanished entries are compared on the scale of that
    noise. A key of ``params`` missing from ``grads`` fails with a ``KeyError``.
    """
    missing = [name for name in params if name not in grads]
    if missing:
        raise KeyError(f"grads has no entry for {missing}; have {sorted(grads)}")
    floor = noise_floor(_scalar(f(dict(params))), eps, tol)
    checks = []
    for name, value in params.items():
        x = np.array(value, dtype=np.float64)  # a copy, perturbed in place below
        numerical = numerical_gradient(lambda v, name=name: f({**params, name: v}), x, eps)
        checks.append(Check(name, np.asarray(grads[name], np.float64), numerical, floor))
    return GradcheckReport(subject, checks, tol)
