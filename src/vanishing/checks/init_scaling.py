r"""Statistical checks of a learner's weight initialiser (notebook 05's test cells and the
test suite): shape, dtype, use of the ``rng`` argument, mean, variance, range and kurtosis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .. import grading

__all__ = ["KURTOSIS", "Z_MAX", "check_initialiser", "variance_z"]

#: Kurtosis :math:`\mu_4/\sigma^4` of each distribution an initialiser may draw from.
KURTOSIS = {"normal": 3.0, "uniform": 1.8}
#: Checks fail beyond this many standard errors. For a statistic that is (close to) normal, a
#: correct initialiser fails one check with probability :math:`2\Phi(-6) \approx 2 \times 10^{-9}`.
Z_MAX = 6.0


def variance_z(W: np.ndarray, variance: float, distribution: str = "normal") -> float:
    r"""How many standard errors the mean square of ``W`` lies from ``variance``.

    For :math:`n` independent draws with mean 0, variance :math:`\sigma^2` and kurtosis
    :math:`\kappa`, the mean square :math:`m = \frac1n\sum w_i^2` has mean :math:`\sigma^2` and
    standard error :math:`\sigma^2\sqrt{(\kappa - 1)/n}` (:data:`KURTOSIS`: 3 for a normal,
    1.8 for a uniform distribution). Returns :math:`(m - \sigma^2)/\text{SE}`.
    """
    w = np.asarray(W, dtype=np.float64).ravel()
    se = variance * np.sqrt((KURTOSIS[distribution] - 1) / w.size)
    return float((np.mean(w * w) - variance) / se)


def check_initialiser(
    exercise: str,
    fn: Callable[..., Any],
    shape: tuple[int, int],
    *,
    variance: float,
    distribution: str,
    mistakes: Sequence[tuple[float, str]] = (),
    seed: int = 0,
    forbid: Iterable[Any] = (),
) -> np.ndarray:
    r"""Statistical test of a learner's initialiser ``fn(shape, rng=seed)``; returns one draw.

    ``rng`` is passed as an int seed (plain data, so that the call can cross to the learner's
    kernel); the initialiser turns it into a generator with ``np.random.default_rng(rng)``.
    Checks, in order: an ndarray of floats of exactly ``shape``; the same seed gives the same
    array and another seed a different one (so ``rng`` is used); the mean within
    :data:`Z_MAX` standard errors of 0; the mean square within :data:`Z_MAX` standard errors
    of ``variance`` (:func:`variance_z`); for ``"uniform"`` every entry within
    :math:`\pm a`, :math:`a = \sqrt{3\,\text{variance}}`, and the largest within
    :math:`a(1 - 30/n)` of it (a correct draw misses that with probability
    :math:`e^{-30}`); for ``"normal"`` the sample kurtosis within :data:`Z_MAX` standard
    errors (:math:`\sqrt{24/n}`) of 3. ``mistakes`` lists ``(wrong_variance, hint)``: when the
    variance is off and matches a wrong one, the hint is shown.
    """
    try:
        W = grading.call(exercise, fn, shape, rng=seed, forbid=forbid)
    except AssertionError as err:
        if "'int' object has no attribute" not in str(err):
            raise
        raise AssertionError(
            f"{err}\nHint: the tests pass rng as a seed (an int): start with "
            "rng = np.random.default_rng(rng), which turns a seed into a generator"
        ) from None
    grading.assert_true(
        exercise, isinstance(W, np.ndarray), f"return a numpy array, got {type(W).__name__}"
    )
    if W.shape == tuple(shape)[::-1] and W.shape != tuple(shape):
        raise AssertionError(
            f"{exercise}: shape {W.shape} is transposed; W has shape (fan_in, fan_out) = {shape}"
        )
    grading.assert_shape(exercise, W, shape)
    grading.assert_true(
        exercise, W.dtype.kind == "f", f"return floating-point numbers, got dtype {W.dtype}"
    )
    again = grading.call(exercise, fn, shape, rng=seed, forbid=forbid)
    grading.assert_true(
        exercise,
        np.array_equal(W, again),
        "two calls with the same seed gave different weights: draw every number from "
        "the `rng` argument (rng = np.random.default_rng(rng), then rng.normal or rng.uniform), "
        "not from np.random",
    )
    other = grading.call(exercise, fn, shape, rng=seed + 1, forbid=forbid)
    grading.assert_true(
        exercise,
        not np.array_equal(W, other),
        "different seeds gave the same weights: draw from the `rng` argument",
    )
    w = W.astype(np.float64).ravel()
    n = w.size
    # the standard error from the sample's own second moment, so that a centred but too wide
    # draw fails on its variance below, not here with a message about its centre
    z_mean = float(np.mean(w) / np.sqrt(max(float(np.mean(w * w)), 1e-300) / n))
    grading.assert_true(
        exercise,
        abs(z_mean) <= Z_MAX,
        f"the weights' mean is {np.mean(w):.3g}, {abs(z_mean):.0f} standard "
        "errors from 0: centre the distribution at 0",
    )
    z = variance_z(w, variance, distribution)
    if abs(z) > Z_MAX:
        lines = [
            f"{exercise}: the weights' variance is {np.mean(w * w):.5g}, expected "
            f"{variance:.5g} for shape {shape} ({abs(z):.0f} standard errors away; a correct "
            f"initialiser fails this check with probability about 2e-9)"
        ]
        for wrong, hint in mistakes:
            if abs(variance_z(w, wrong, distribution)) <= Z_MAX:
                lines.append(f"Hint: {hint}")
                break
        raise AssertionError("\n".join(lines))
    if distribution == "uniform":
        a = np.sqrt(3 * variance)
        top = float(np.max(np.abs(w)))
        grading.assert_true(
            exercise,
            top <= a * (1 + 1e-12),
            f"a weight of size {top:.4g} lies outside [-a, a] with a = {a:.4g}: "
            "draw from a uniform distribution (rng.uniform), not a normal one",
        )
        grading.assert_true(
            exercise,
            top >= a * (1 - 30 / n),
            f"the largest weight is {top:.4g}, well inside [-a, a], a = {a:.4g}: "
            "use the full interval",
        )
    else:
        kurt = float(np.mean(w**4) / np.mean(w * w) ** 2)
        grading.assert_true(
            exercise,
            abs(kurt - 3.0) <= Z_MAX * np.sqrt(24 / n),
            f"the weights' kurtosis is {kurt:.3f}, a normal distribution has 3 "
            "(a uniform one 1.8): draw from rng.normal",
        )
    return W
