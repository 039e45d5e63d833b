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

Test cells use only the names above, from ``vanishing.grading``. They live in four modules:
:mod:`~vanishing.grading.forbidding` (:func:`forbid`), :mod:`~vanishing.grading.running`
(:func:`call`, :func:`check`, :func:`describe`), :mod:`~vanishing.grading.comparing`
(:func:`assert_close` and the failure messages) and :mod:`~vanishing.grading.assertions`
(:func:`tolerance`, :func:`assert_gradient` and the small assertions).
"""

from __future__ import annotations

from typing import Any

from .. import _env
from .assertions import (
    assert_dtype,
    assert_gradient,
    assert_in,
    assert_shape,
    assert_true,
    passed,
    tolerance,
)
from .comparing import MAX_SHOWN as MAX_SHOWN  # how many differing entries a failure lists
from .comparing import assert_close
from .forbidding import ForbiddenCall, forbid
from .running import call, check, describe, describe_call, silenced

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


# ------------------------------------------------------------------------------------------
# Autograding
# ------------------------------------------------------------------------------------------
def under_autograding() -> bool:
    """True while nbgrader executes the notebook (``NBGRADER_EXECUTION`` is set)."""
    return _env.autograding()


def budget(full: Any, grading: Any) -> Any:
    """``grading`` under autograding, ``full`` otherwise: ``epochs = budget(200, 5)``."""
    return grading if under_autograding() else full
