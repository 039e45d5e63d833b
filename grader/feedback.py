"""Feedback without the hidden tests.

nbgrader's ``generate_feedback`` renders the autograded notebook, whose test cells hold the
hidden tests that autograde put back, and whose tracebacks quote the failing lines. The
preprocessor here runs first in ``GenerateFeedback``: in each test cell it replaces the
hidden block by a one-line note, and it reduces every error output of a test cell to its
message (``AssertionError: rel_error: return value is ...``), which is written for students.
"""

from __future__ import annotations

import re

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

HIDDEN = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?", re.S | re.M
)
NOTE = "# (hidden tests: not shown in feedback)\n"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class HideHiddenTests(NbGraderPreprocessor):
    """Strip hidden tests and tracebacks from test cells before feedback is rendered."""

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, index: int):
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        cell.source = HIDDEN.sub(NOTE, cell.source)
        if "BEGIN HIDDEN TESTS" in cell.source:  # an unterminated block: hide the rest
            cell.source = cell.source.split("### BEGIN HIDDEN TESTS")[0] + NOTE
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                message = _ANSI.sub("", f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
                out["traceback"] = [message]
        return cell, resources
