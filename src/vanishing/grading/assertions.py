"""Tolerances, gradient checks and the small assertions of the test cells."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from . import comparing, running

__all__ = [
    "assert_dtype",
    "assert_gradient",
    "assert_in",
    "assert_shape",
    "assert_true",
    "passed",
    "tolerance",
]


def tolerance(dtype: Any = np.float64, condition: float = 1.0, roundings: int = 64) -> float:
    """A relative tolerance from the float type and the problem's conditioning.

    ``roundings · condition · ε(dtype)``: every valid way of computing the answer rounds a
    few dozen times at most (each rounding is off by ≤ ε/2), and a problem with condition
    number κ amplifies the relative error of its inputs by κ. ``condition`` is that κ (for
    example ``|x f'(x) / f(x)|`` for a function of one variable, or the cancellation factor
    ``Σ|terms| / |Σ terms|`` of a sum); ``roundings`` covers the evaluation order. The value
    never depends on the reference implementation's own digits.

    ``tolerance(np.float32)`` is 7.6e-6; ``tolerance(np.float64)`` is 1.4e-14.
    """
    eps = float(np.finfo(np.dtype(dtype)).eps)
    if not (condition >= 1.0 and roundings >= 1):
        raise ValueError(
            f"tolerance: condition must be >= 1 and roundings >= 1, got {condition}, {roundings}"
        )
    return roundings * condition * eps


def assert_gradient(
    exercise: str,
    got: Any,
    f: Callable[[np.ndarray], Any],
    x: np.ndarray,
    *,
    what: str = "gradient",
    tol: float = 1e-7,
    h: float = 1e-5,
    case: str = "",
) -> None:
    """Fail unless ``got`` agrees with centred differences of the scalar function ``f`` at
    ``x`` to a relative error of ``tol`` (float64; entries below the difference quotient's
    rounding noise are compared on the scale of that noise, see :mod:`vanishing.gradcheck`).

    ``f`` is usually the learner's own forward or the course's; ``x`` is perturbed one entry at
    a time and restored. The failure names the exercise, ``what`` was checked, the case and the
    worst entry.
    """
    from .. import gradcheck

    # type, shape, dtype and finiteness first (values are compared below)
    structure = np.zeros(np.shape(x), dtype=np.asarray(x).dtype)
    loose = float(np.finfo(np.float64).max)
    problem = comparing.compare(exercise, got, structure, 0.0, loose, what)
    if problem:
        raise AssertionError("\n".join(problem + ([f"  case: {case}"] if case else [])))
    with running.silenced():
        report = gradcheck.check_gradient(
            f, np.asarray(got, np.float64), x, eps=h, tol=tol, name=what, subject=exercise
        )
    if not report.ok():
        c = report.worst
        idx = c.worst_index
        lines = [
            f"{exercise}: {what} does not match centred differences of the forward pass "
            f"(relative error {c.max_error:.2e}, tolerance {tol:.0e})",
        ]
        if case:
            lines.append(f"  case: {case}")
        lines.append(
            f"  worst entry {list(idx)}: yours {comparing.fmt(c.analytic[idx])}, "
            f"numerical {comparing.fmt(c.numerical[idx])}"
        )
        raise AssertionError("\n".join(lines))


def assert_shape(exercise: str, got: Any, shape: tuple, what: str = "return value") -> None:
    """Fail unless ``got`` has ``shape``."""
    if got is None:
        raise AssertionError(f"{exercise}: {what} is None; did you forget a `return` statement?")
    try:
        actual = np.shape(got)
    except Exception:
        raise AssertionError(
            f"{exercise}: {what} should be an array, got {comparing.summarize(got)}"
        ) from None
    if tuple(actual) != tuple(shape):
        raise AssertionError(
            f"{exercise}: {what} has shape {tuple(actual)}, expected shape {tuple(shape)}"
        )


def assert_dtype(exercise: str, got: Any, dtype: Any, what: str = "return value") -> None:
    """Fail unless ``got`` is an array (or numpy scalar) of exactly ``dtype``."""
    want = np.dtype(dtype)
    actual = getattr(got, "dtype", None)
    if actual is None:
        raise AssertionError(
            f"{exercise}: {what} should be a numpy array of dtype {want}, "
            f"got {comparing.summarize(got)}"
        )
    if np.dtype(actual) != want:
        raise AssertionError(f"{exercise}: {what} has dtype {actual}, expected {want}")


def passed(exercise: str) -> None:
    """Print that the tests of ``exercise`` passed: the last line of every test cell.

    A test cell must not end with a bare expression such as ``grading.check(...)``: nbgrader
    would read a displayed number as a partial score. Ending with ``passed`` avoids that and
    tells the learner the cell got through.
    """
    print(f"✔ {exercise}: all tests in this cell passed")


def assert_true(exercise: str, condition: Any, message: str) -> None:
    """Fail with ``"<exercise>: <message>"`` unless ``condition`` is true."""
    if not bool(condition):
        raise AssertionError(f"{exercise}: {message}")


def assert_in(exercise: str, got: Any, allowed: Iterable[Any], what: str = "answer") -> None:
    """Fail unless ``got`` is one of ``allowed`` (e.g. a multiple-choice answer)."""
    allowed = list(allowed)
    try:
        ok = any(got == a for a in allowed)
    except Exception:
        ok = False
    if not ok:
        choices = ", ".join(repr(a) for a in allowed)
        raise AssertionError(f"{exercise}: {what} should be one of {choices}; got {got!r}")
