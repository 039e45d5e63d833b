"""Comparing a value with the expected one, and the failure message when they differ.

:func:`compare` returns the lines of a failure message (or None); :func:`assert_close`
raises them, with the hint of a known mistake when the value matches one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["MAX_SHOWN", "assert_close", "compare", "fail", "fmt", "summarize"]

#: How many differing entries a failure message lists.
MAX_SHOWN = 5


_KIND_NAMES = {
    "b": "booleans",
    "i": "integers",
    "u": "integers",
    "f": "floating-point numbers",
    "c": "complex numbers",
}


def summarize(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}, dtype {value.dtype}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of length {len(value)}"
    if isinstance(value, (bool, int, float, complex, np.generic)):
        return f"{type(value).__name__} {value!r}"
    return f"{type(value).__name__} {value!r}"[:120]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, complex, np.number, np.bool_)) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    )


def fmt(v: Any, digits: int = 8) -> str:
    """A value for a failure table: 8 significant digits, so 1e-12 does not print as 0
    (``digits=0``: the shortest string that reads back as the same float)."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    try:
        if not np.isreal(v):
            return repr(v)
        return repr(float(v)) if digits == 0 else f"{float(v):.{digits}g}"
    except (TypeError, ValueError):
        return repr(v)


def _fmt_tol(t: Any) -> str:
    """A tolerance for a message: a number, or the range of an element-wise one."""
    a = np.asarray(t, dtype=np.float64)
    if a.ndim == 0:
        return f"{float(a):g}"
    return f"element-wise {a.min():g}..{a.max():g}" if a.size else "element-wise"


def _numeric(a: np.ndarray) -> np.ndarray:
    """Booleans as 0/1 so that they can be subtracted and compared with a tolerance."""
    return a.astype(np.int8) if a.dtype.kind == "b" else a


def _matches(got: Any, wrong: Any, rtol: float, atol: float) -> bool:
    """Does ``got`` equal a known wrong answer (same structure, values within tolerance)?"""
    try:
        if isinstance(wrong, (tuple, list)):
            return (
                isinstance(got, (tuple, list))
                and len(got) == len(wrong)
                and all(_matches(g, w, rtol, atol) for g, w in zip(got, wrong, strict=True))
            )
        g, w = np.asarray(got), np.asarray(wrong)
        if g.shape != w.shape or g.dtype.kind not in "biufc" or w.dtype.kind not in "biufc":
            return False
        g, w = _numeric(g), _numeric(w)
        return bool(np.allclose(g, w, rtol=max(rtol, 1e-7), atol=atol, equal_nan=True))
    except Exception:
        return False


def fail(
    exercise: str,
    lines: list[str],
    got: Any,
    mistakes: Sequence[tuple[Any, str]],
    rtol: float,
    atol: float,
) -> None:
    for wrong, hint in mistakes:
        if _matches(got, wrong, rtol, atol):
            lines.append(f"Hint: {hint}")
            break
    raise AssertionError("\n".join(lines))


def compare(
    exercise: str, got: Any, expected: Any, rtol: float, atol: float, what: str
) -> list[str] | None:
    """None when ``got`` is close to ``expected``, else the lines of a failure message."""
    head = f"{exercise}: "
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return [
                f"{head}{what} should be a {type(expected).__name__} of "
                f"{len(expected)} items, got {summarize(got)}"
            ]
        if len(got) != len(expected):
            return [
                f"{head}{what} should have {len(expected)} items, got {len(got)}",
                f"  expected: {summarize(expected)}",
                f"  received: {summarize(got)}",
            ]
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            problem = compare(exercise, g, e, rtol, atol, f"{what}[{i}]")
            if problem:
                return problem
        return None

    if got is None:
        return [f"{head}{what} is None; did you forget a `return` statement?"]
    exp_is_array = isinstance(expected, np.ndarray)
    if exp_is_array and not isinstance(got, np.ndarray):
        return [
            f"{head}{what} should be a numpy array, got {summarize(got)}",
            f"  expected: {summarize(expected)}",
        ]
    if not exp_is_array and _is_number(expected) and not _is_number(got):
        return [
            f"{head}{what} should be a single number, got {summarize(got)}",
            f"  expected: {summarize(expected)}",
        ]
    try:
        g = np.asarray(got)
    except Exception:
        return [f"{head}{what} should be numeric, got {summarize(got)}"]
    e = np.asarray(expected)
    if g.dtype.kind not in "biufc":
        return [f"{head}{what} should hold numbers, got {summarize(got)}"]
    described = [f"  expected: {summarize(expected)}", f"  received: {summarize(got)}"]
    if g.shape != e.shape:
        return [f"{head}{what} has shape {g.shape}, expected shape {e.shape}", *described]
    if exp_is_array:
        if g.dtype != e.dtype:
            return [f"{head}{what} has dtype {g.dtype}, expected {e.dtype}", *described]
    else:
        kg = "i" if g.dtype.kind == "u" else g.dtype.kind
        ke = "i" if e.dtype.kind == "u" else e.dtype.kind
        int_for_float = ke == "f" and kg == "i" and g.ndim == 0
        if kg != ke and not int_for_float:
            return [
                f"{head}{what} should hold {_KIND_NAMES[ke]}, got {_KIND_NAMES[kg]}",
                *described,
            ]

    g_shown, e_shown = g, e
    g, e = _numeric(g), _numeric(e)
    g_fin, e_fin = np.isfinite(g), np.isfinite(e)
    bad = ~g_fin & e_fin
    if bad.any():
        idx = [tuple(int(j) for j in i) for i in np.argwhere(bad)[:MAX_SHOWN]]
        where = "" if g.ndim == 0 else f" at {', '.join(map(str, idx))}"
        return [
            f"{head}{what} has {int(bad.sum())} non-finite value(s) (nan or inf){where}; "
            "the expected value is finite",
            *described,
        ]

    close = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    with np.errstate(all="ignore"):
        diff = np.abs(
            g.astype(np.complex128 if "c" in g.dtype.kind + e.dtype.kind else np.float64) - e
        )
    tol = f"rtol={_fmt_tol(rtol)}, atol={_fmt_tol(atol)}"
    if g.ndim == 0:
        shown_g, shown_e = fmt(g_shown[()]), fmt(e_shown[()])
        if shown_g == shown_e:  # they differ beyond 8 digits: show every digit
            shown_g, shown_e = fmt(g_shown[()], 0), fmt(e_shown[()], 0)
        return [f"{head}{what} is {shown_g}, expected {shown_e} ({tol})", *described]
    wrong = np.argwhere(~close)
    lines = [
        f"{head}{what} differs from the expected value at {len(wrong)} of {g.size} entries ({tol})",
        *described,
        f"  {'index':<14}{'expected':>16}{'received':>16}",
    ]
    for i in wrong[:MAX_SHOWN]:
        key = tuple(int(j) for j in i)
        lines.append(f"  {str(key):<14}{fmt(e_shown[key]):>16}{fmt(g_shown[key]):>16}")
    if len(wrong) > MAX_SHOWN:
        lines.append(f"  ... and {len(wrong) - MAX_SHOWN} more")
    finite = np.where(np.isfinite(diff), diff, 0)
    worst = tuple(int(j) for j in np.unravel_index(np.argmax(finite), diff.shape))
    lines.append(f"  largest absolute difference {fmt(finite[worst])} at {worst}")
    return lines


def assert_close(
    exercise: str,
    got: Any,
    expected: Any,
    rtol: float = 1e-7,
    atol: float = 0.0,
    what: str = "return value",
    mistakes: Sequence[tuple[Any, str]] = (),
    case: str = "",
) -> None:
    """Fail unless ``|got - expected| <= atol + rtol * |expected|`` everywhere, and more.

    Checked in this order: type (a numpy array when ``expected`` is one, a single number when
    it is a number; tuples and lists item by item), shape, dtype (exact when ``expected`` is an
    ndarray, the kind otherwise: float, integer, bool, complex), finiteness, values. A failure
    names the exercise and shows both values, with the first differing entries and their
    indices. ``mistakes`` lists ``(wrong_value, hint)`` pairs: if ``got`` matches a wrong value,
    its hint is the message's last line. ``case`` (e.g. from :func:`describe_call`) names the
    inputs in the failure.
    """
    lines = compare(exercise, got, expected, rtol, atol, what)
    if lines:
        if case:
            lines.insert(1, f"  case: {case}")
        fail(exercise, lines, got, mistakes, rtol, atol)
