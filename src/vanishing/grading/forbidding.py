"""Switching the package's implementations off while a learner's function runs.

:func:`forbid` makes functions raise :class:`ForbiddenCall`, including references a learner
imported earlier (it swaps the function's ``__code__``); :func:`resolve_target` names what
``forbid`` was given.
"""

from __future__ import annotations

import contextlib
import importlib
import types
from collections.abc import Iterator
from typing import Any

__all__ = ["ForbiddenCall", "forbid", "resolve_target"]


class ForbiddenCall(AssertionError):
    """Raised when an exercise calls an implementation it has to write itself."""


ForbiddenCall.__module__ = "vanishing.grading"  # the name learners and tracebacks see


_active_hits: list[list[str]] = []


def _forbidden_hit(name: str) -> None:
    """Called by a forbidden function's replacement code: record the attempt, then raise."""
    for hits in _active_hits:
        hits.append(name)
    raise ForbiddenCall(f"write this yourself; {name} is off limits in this exercise")


def resolve_target(target: Any) -> tuple[str, Any]:
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
        + "        __import__('vanishing.grading.forbidding', fromlist=['_forbidden_hit'])"
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
            name, obj = resolve_target(target)
            if isinstance(obj, types.FunctionType):
                swapped.append((obj, obj.__code__))
                obj.__code__ = _stub_code(obj, name)
            elif isinstance(target, str) and "." in target:
                module_name, attr = target.rsplit(".", 1)
                owner = resolve_target(module_name)[1]

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
