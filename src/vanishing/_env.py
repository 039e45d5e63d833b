"""The run-time environment the package adapts to: is nbgrader executing the notebook?

nbgrader sets ``NBGRADER_EXECUTION`` (to ``autograde`` or ``validate``) while it runs a
notebook. Under autograding heavy demonstrations shrink (:func:`vanishing.grading.budget`)
and training shows no progress bar (:func:`vanishing.train.fit`). This is the one place that
reads the variable.
"""

from __future__ import annotations

import os

__all__ = ["AUTOGRADING_VARIABLE", "autograding"]

#: the environment variable nbgrader sets while it executes a notebook
AUTOGRADING_VARIABLE = "NBGRADER_EXECUTION"


def autograding() -> bool:
    """True while nbgrader executes the notebook (``NBGRADER_EXECUTION`` is set and not empty)."""
    return bool(os.environ.get(AUTOGRADING_VARIABLE))
