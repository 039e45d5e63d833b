"""Running a learner's function the way a test cell should, and naming the case it ran.

:func:`call` runs it with warnings silenced, forbidden implementations switched off and its
inputs checked for changes in place; :func:`check` is :func:`call` followed by
:func:`~vanishing.grading.comparing.assert_close`. :func:`describe` and :func:`describe_call`
write the inputs into failure messages.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from . import comparing, forbidding
from .forbidding import ForbiddenCall

__all__ = ["call", "check", "describe", "describe_call", "silenced"]


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
            vals = ", ".join(comparing.fmt(v) for v in value.ravel())
            return f"{head} [{vals}]"
        with np.errstate(all="ignore"):
            finite = value[np.isfinite(value)] if value.dtype.kind in "fc" else value
            rng = (
                f" in [{comparing.fmt(np.min(finite.real))}, {comparing.fmt(np.max(finite.real))}]"
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
        return comparing.fmt(value) if not isinstance(value, (int, np.integer)) else str(value)
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
    with quiet, forbidding.forbid(*local_forbid) as hits:
        try:
            if remote:  # forbid and silence apply where the learner's code runs
                names = [forbidding.resolve_target(target)[0] for target in forbid]
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
    lines = comparing.compare(exercise, got, expected, rtol, atol, "return value")
    if lines:
        lines.insert(1, f"  case: {describe_call(exercise, args, kwargs)}")
        comparing.fail(exercise, lines, got, mistakes, rtol, atol)
    return got
