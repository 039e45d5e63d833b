r"""Assertions for the notebooks' test cells.

Every helper names the exercise it checks, so a failing test says *which* function is wrong,
what was expected, what came back and, when the answer matches a known mistake, a hint::

    from vanishing import grading
    import vanishing.functional as F

    grading.check("sigmoid_grad", sigmoid_grad, 0.0, expected=0.25,
                  forbid=[F.sigmoid_grad],
                  mistakes=[(0.5, "did you return σ(x) instead of σ(x)(1-σ(x))?")])

The pieces:

* :func:`call` runs a student's function with warnings silenced (so a ``RuntimeWarning`` on
  stderr does not zero a correct answer under nbgrader), with the package's own
  implementations named in ``forbid`` switched off, and turns ``NotImplementedError`` into
  "not implemented yet".
* :func:`assert_close` compares a value with the expected one: type, shape, dtype,
  finiteness, then values within ``rtol``/``atol``; tuples and lists are compared item by item.
* :func:`check` is :func:`call` followed by :func:`assert_close`.
* :func:`forbid` is a context manager that makes functions raise :class:`ForbiddenCall`,
  including references a student imported earlier (it swaps the function's ``__code__``).
* :func:`under_autograding` and :func:`budget` let heavy demonstrations run small while
  nbgrader executes the notebook.

Every failure is an :class:`AssertionError` whose first line is
``"<exercise>: <what is wrong>"``; a hint for a known mistake, when there is one, is the
last line.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
import types
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from . import _env

__all__ = [
    "ForbiddenCall",
    "assert_close",
    "assert_dtype",
    "assert_gradient",
    "assert_in",
    "assert_shape",
    "assert_true",
    "budget",
    "call",
    "check",
    "describe",
    "describe_call",
    "forbid",
    "passed",
    "silenced",
    "tolerance",
    "under_autograding",
]

#: How many differing entries a failure message lists.
MAX_SHOWN = 5


class ForbiddenCall(AssertionError):
    """Raised when an exercise calls an implementation it has to write itself."""


# ------------------------------------------------------------------------------------------
# Autograding
# ------------------------------------------------------------------------------------------
def under_autograding() -> bool:
    """True while nbgrader executes the notebook (``NBGRADER_EXECUTION`` is set)."""
    return _env.autograding()


def budget(full: Any, grading: Any) -> Any:
    """``grading`` under autograding, ``full`` otherwise: ``epochs = budget(200, 5)``."""
    return grading if under_autograding() else full


# ------------------------------------------------------------------------------------------
# forbid: switch implementations off, even where they were imported by name
# ------------------------------------------------------------------------------------------
_active_hits: list[list[str]] = []


def _forbidden_hit(name: str) -> None:
    """Called by a forbidden function's replacement code: record the attempt, then raise."""
    for hits in _active_hits:
        hits.append(name)
    raise ForbiddenCall(f"write this yourself; {name} is off limits in this exercise")


def _resolve(target: Any) -> tuple[str, Any]:
    """``(dotted name, object)`` for a function, method or dotted-name string."""
    if isinstance(target, str):
        parts = target.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            try:
                for attr in parts[i:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                break
            return target, obj
        raise ValueError(f"forbid: cannot find {target!r} (expected 'package.module.name')")
    obj = target
    if isinstance(obj, (types.MethodType, staticmethod, classmethod)):
        obj = obj.__func__
    module = getattr(obj, "__module__", None) or "?"
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
    return f"{module}.{qualname}", obj


def _stub_code(func: types.FunctionType, name: str) -> types.CodeType:
    """A code object with ``func``'s free variables that reports the call and raises."""
    freevars = func.__code__.co_freevars
    touch = "".join(f"        {v}\n" for v in freevars)
    src = (
        "def _outer():\n"
        + "".join(f"    {v} = None\n" for v in freevars)
        + "    def _forbidden(*args, **kwargs):\n"
        + touch
        + "        __import__('vanishing.grading', fromlist=['_forbidden_hit'])"
        + f"._forbidden_hit({name!r})\n"
        + "    return _forbidden\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(src, f"<forbidden {name}>", "exec"), namespace)
    code = namespace["_outer"]().__code__
    return code.replace(co_freevars=freevars) if code.co_freevars != freevars else code


@contextlib.contextmanager
def forbid(*targets: Any) -> Iterator[list[str]]:
    """Make every target raise :class:`ForbiddenCall` while the block runs.

    ``targets`` are functions, methods (``vanishing.nn.Linear.backward``) or dotted names
    (``"vanishing.gradcheck.rel_error"``). Python functions have their ``__code__`` swapped,
    so a reference imported earlier (``from vanishing.functional import sigmoid_grad``) is
    caught too, and so is a call made inside another package function. Objects without
    Python code (builtins, numpy's dispatchers) can only be forbidden by dotted name: that
    attribute is replaced in its module. Everything is restored on exit, also after errors.

    Yields the list of forbidden names called inside the block (filled even when the
    student's code catches the :class:`ForbiddenCall`).
    """
    hits: list[str] = []
    swapped: list[tuple[types.FunctionType, types.CodeType]] = []
    replaced: list[tuple[Any, str, Any]] = []
    try:
        for target in targets:
            name, obj = _resolve(target)
            if isinstance(obj, types.FunctionType):
                swapped.append((obj, obj.__code__))
                obj.__code__ = _stub_code(obj, name)
            elif isinstance(target, str) and "." in target:
                module_name, attr = target.rsplit(".", 1)
                owner = _resolve(module_name)[1]

                def blocked(*args, _name=name, **kwargs):
                    _forbidden_hit(_name)

                replaced.append((owner, attr, getattr(owner, attr)))
                setattr(owner, attr, blocked)
            else:
                raise TypeError(
                    f"forbid: cannot switch off {name} ({type(obj).__name__}); "
                    "pass it as a dotted-name string instead"
                )
        _active_hits.append(hits)
        yield hits
    finally:
        if _active_hits and _active_hits[-1] is hits:
            _active_hits.pop()
        for func, code in reversed(swapped):
            func.__code__ = code
        for owner, attr, original in reversed(replaced):
            setattr(owner, attr, original)


# ------------------------------------------------------------------------------------------
# Running student code
# ------------------------------------------------------------------------------------------
@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Ignore Python warnings, numpy floating-point warnings and logged warnings."""
    previous = logging.root.manager.disable
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            yield
        finally:
            logging.disable(previous)


def describe(value: Any, limit: int = 6) -> str:
    """A short description of a test input, for failure messages.

    Arrays show their shape and dtype and, when small, their values (else their range);
    tuples, lists and dicts are described item by item; callables by name.
    """
    if isinstance(value, np.ndarray):
        head = f"array{value.shape} {value.dtype}"
        if value.dtype.kind not in "biufc" or value.size == 0:
            return head
        if value.size <= limit:
            vals = ", ".join(_fmt(v) for v in value.ravel())
            return f"{head} [{vals}]"
        with np.errstate(all="ignore"):
            finite = value[np.isfinite(value)] if value.dtype.kind in "fc" else value
            rng = (
                f" in [{_fmt(np.min(finite.real))}, {_fmt(np.max(finite.real))}]"
                if finite.size
                else ""
            )
        special = ""
        if value.dtype.kind in "fc":
            n_nan, n_inf = int(np.isnan(value).sum()), int(np.isinf(value).sum())
            special = "".join(
                [f", {n_nan} nan" if n_nan else "", f", {n_inf} inf" if n_inf else ""]
            )
        return f"{head}{rng}{special}"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(describe(v, limit) for v in value[:limit])
        more = ", ..." if len(value) > limit else ""
        return f"({inner}{more})" if isinstance(value, tuple) else f"[{inner}{more}]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k!r}: {describe(v, limit)}" for k, v in list(value.items())[:limit])
        return "{" + inner + (", ..." if len(value) > limit else "") + "}"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.number)):
        return _fmt(value) if not isinstance(value, (int, np.integer)) else str(value)
    if callable(value):
        return getattr(value, "__name__", type(value).__name__)
    return repr(value)[:60]


def describe_call(exercise: str, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    """``"name(array(3,) float32 [...], alpha=0.1)"``: the case a test ran."""
    parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return f"{exercise}({', '.join(parts)})"


def _arrays_in(value: Any, path: str, out: list[tuple[str, np.ndarray]], depth: int = 0) -> None:
    """Every ndarray in ``value`` (nested tuples, lists and dicts up to two levels)."""
    if isinstance(value, np.ndarray):
        out.append((path, value))
    elif depth < 2 and isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            _arrays_in(v, f"{path}[{i}]", out, depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for k, v in value.items():
            _arrays_in(v, f"{path}[{k!r}]", out, depth + 1)


def _argument_names(fn: Callable, args: Sequence[Any], kwargs: dict[str, Any]) -> list[str]:
    """The parameter name of each positional argument (``arg 1`` where it has none)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(len(args)):
        p = params[i] if i < len(params) else None
        ok = p is not None and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        names.append(p.name if ok else f"argument {i + 1}")
    return names + list(kwargs)


def call(
    exercise: str,
    fn: Callable,
    *args: Any,
    forbid: Iterable[Any] = (),
    silence_warnings: bool = True,
    inputs_may_change: bool = False,
    **kwargs: Any,
) -> Any:
    """Return ``fn(*args, **kwargs)``, run the way a test cell should run student code.

    Warnings are silenced unless ``silence_warnings=False``; everything in ``forbid`` raises
    :class:`ForbiddenCall` meanwhile (see :func:`forbid`). ``NotImplementedError`` becomes
    "<exercise>: not implemented yet"; any other exception becomes an ``AssertionError``
    that names the exercise, the exception and the case (the inputs), chained to the
    original so that its traceback is kept.

    Every array passed in (also inside tuples, lists and dicts) must come back unchanged:
    the course's rule is that functions never change their inputs in place. Tests of a
    function whose job is to change an input pass ``inputs_may_change=True``.
    """
    if not callable(fn):
        raise AssertionError(f"{exercise}: expected a function, got {type(fn).__name__} {fn!r}")
    case = describe_call(exercise, args, kwargs)
    inputs: list[tuple[str, np.ndarray]] = []
    if not inputs_may_change:
        names = _argument_names(fn, args, kwargs)
        for name, value in zip(names, [*args, *kwargs.values()], strict=True):
            _arrays_in(value, name, inputs)
        inputs = [(name, a, a.copy()) for name, a in inputs]
    quiet = silenced() if silence_warnings else contextlib.nullcontext()
    from vanishing import _remote  # a learner's function in the student kernel (autograding)

    remote = isinstance(fn, _remote.StudentFunction)
    local_forbid = () if remote else tuple(forbid)
    with quiet, _forbid_cm(*local_forbid) as hits:
        try:
            if remote:  # forbid and silence apply where the learner's code runs
                names = [_resolve(target)[0] for target in forbid]
                result, remote_hits = fn.invoke(args, kwargs, names, silence_warnings)
                hits.extend(remote_hits)
            else:
                result = fn(*args, **kwargs)
        except ForbiddenCall as err:
            raise ForbiddenCall(f"{exercise}: {err}") from None
        except NotImplementedError:
            raise AssertionError(
                f"{exercise}: not implemented yet (replace `raise NotImplementedError()` "
                "with your code)"
            ) from None
        except AssertionError:
            raise
        except Exception as err:
            text = str(getattr(err, "message", err)).strip()
            detail = text.splitlines()[0][:300] if text else ""
            raise AssertionError(
                f"{exercise}: your function raised {getattr(err, 'type_name', type(err).__name__)}"
                + (f": {detail}" if detail else "")
                + f"\n  case: {case}\n(raised while testing {exercise}; "
                "the traceback above shows the line)"
            ) from err
    if hits:
        raise ForbiddenCall(
            f"{exercise}: write this yourself; {hits[0]} is off limits in this exercise"
        )
    for name, array, before in inputs:
        same = array.shape == before.shape and array.dtype == before.dtype
        if same:
            same = bool(np.array_equal(array, before, equal_nan=before.dtype.kind in "fc"))
        if not same:
            if "[" in name:  # an array inside a list, tuple or dict: copying the container
                advice = "build new arrays (e.g. `g * scale` or `g.copy()`) instead"
            else:
                advice = f"work on a copy (e.g. `{name} = {name}.copy()`) or build a new array"
            raise AssertionError(
                f"{exercise}: your function changed its input `{name}` in place; {advice}\n"
                f"  case: {case}"
            )
    return result


_forbid_cm = forbid  # `call` and `check` take an argument called forbid


def check(
    exercise: str,
    fn: Callable,
    *args: Any,
    expected: Any,
    rtol: float = 1e-7,
    atol: float = 0.0,
    forbid: Iterable[Any] = (),
    mistakes: Sequence[tuple[Any, str]] = (),
    silence_warnings: bool = True,
    inputs_may_change: bool = False,
    **kwargs: Any,
) -> Any:
    """:func:`call` the student's ``fn``, then :func:`assert_close` to ``expected``.

    A failure names the case (the inputs, see :func:`describe_call`). Returns the student's
    value, so a test can go on checking it.
    """
    got = call(
        exercise,
        fn,
        *args,
        forbid=forbid,
        silence_warnings=silence_warnings,
        inputs_may_change=inputs_may_change,
        **kwargs,
    )
    lines = _compare(exercise, got, expected, rtol, atol, "return value")
    if lines:
        lines.insert(1, f"  case: {describe_call(exercise, args, kwargs)}")
        _fail(exercise, lines, got, mistakes, rtol, atol)
    return got


# ------------------------------------------------------------------------------------------
# Comparing values
# ------------------------------------------------------------------------------------------
_KIND_NAMES = {
    "b": "booleans",
    "i": "integers",
    "u": "integers",
    "f": "floating-point numbers",
    "c": "complex numbers",
}


def _describe(value: Any) -> str:
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


def _fmt(v: Any, digits: int = 8) -> str:
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


def _fail(
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


def _compare(
    exercise: str, got: Any, expected: Any, rtol: float, atol: float, what: str
) -> list[str] | None:
    """None when ``got`` is close to ``expected``, else the lines of a failure message."""
    head = f"{exercise}: "
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return [
                f"{head}{what} should be a {type(expected).__name__} of "
                f"{len(expected)} items, got {_describe(got)}"
            ]
        if len(got) != len(expected):
            return [
                f"{head}{what} should have {len(expected)} items, got {len(got)}",
                f"  expected: {_describe(expected)}",
                f"  received: {_describe(got)}",
            ]
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            problem = _compare(exercise, g, e, rtol, atol, f"{what}[{i}]")
            if problem:
                return problem
        return None

    if got is None:
        return [f"{head}{what} is None; did you forget a `return` statement?"]
    exp_is_array = isinstance(expected, np.ndarray)
    if exp_is_array and not isinstance(got, np.ndarray):
        return [
            f"{head}{what} should be a numpy array, got {_describe(got)}",
            f"  expected: {_describe(expected)}",
        ]
    if not exp_is_array and _is_number(expected) and not _is_number(got):
        return [
            f"{head}{what} should be a single number, got {_describe(got)}",
            f"  expected: {_describe(expected)}",
        ]
    try:
        g = np.asarray(got)
    except Exception:
        return [f"{head}{what} should be numeric, got {_describe(got)}"]
    e = np.asarray(expected)
    if g.dtype.kind not in "biufc":
        return [f"{head}{what} should hold numbers, got {_describe(got)}"]
    described = [f"  expected: {_describe(expected)}", f"  received: {_describe(got)}"]
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
        shown_g, shown_e = _fmt(g_shown[()]), _fmt(e_shown[()])
        if shown_g == shown_e:  # they differ beyond 8 digits: show every digit
            shown_g, shown_e = _fmt(g_shown[()], 0), _fmt(e_shown[()], 0)
        return [f"{head}{what} is {shown_g}, expected {shown_e} ({tol})", *described]
    wrong = np.argwhere(~close)
    lines = [
        f"{head}{what} differs from the expected value at {len(wrong)} of {g.size} entries ({tol})",
        *described,
        f"  {'index':<14}{'expected':>16}{'received':>16}",
    ]
    for i in wrong[:MAX_SHOWN]:
        key = tuple(int(j) for j in i)
        lines.append(f"  {str(key):<14}{_fmt(e_shown[key]):>16}{_fmt(g_shown[key]):>16}")
    if len(wrong) > MAX_SHOWN:
        lines.append(f"  ... and {len(wrong) - MAX_SHOWN} more")
    finite = np.where(np.isfinite(diff), diff, 0)
    worst = tuple(int(j) for j in np.unravel_index(np.argmax(finite), diff.shape))
    lines.append(f"  largest absolute difference {_fmt(finite[worst])} at {worst}")
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
    lines = _compare(exercise, got, expected, rtol, atol, what)
    if lines:
        if case:
            lines.insert(1, f"  case: {case}")
        _fail(exercise, lines, got, mistakes, rtol, atol)


# ------------------------------------------------------------------------------------------
# Tolerances and gradient checks that leave room for any valid order of evaluation
# ------------------------------------------------------------------------------------------
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
    from . import gradcheck

    # type, shape, dtype and finiteness first (values are compared below)
    structure = np.zeros(np.shape(x), dtype=np.asarray(x).dtype)
    problem = _compare(exercise, got, structure, 0.0, float(np.finfo(np.float64).max), what)
    if problem:
        raise AssertionError("\n".join(problem + ([f"  case: {case}"] if case else [])))
    with silenced():
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
            f"  worst entry {list(idx)}: yours {_fmt(c.analytic[idx])}, "
            f"numerical {_fmt(c.numerical[idx])}"
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
            f"{exercise}: {what} should be an array, got {_describe(got)}"
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
            f"{exercise}: {what} should be a numpy array of dtype {want}, got {_describe(got)}"
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
