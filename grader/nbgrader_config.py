"""nbgrader configuration of the course (loaded by ./nbgrader_config.py and by `python -m grader`).

Paths are relative to the repository root. Instructor state (submissions, autograded copies,
feedback, the gradebook) lives under grader/course/, which git ignores.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# The plugins named below are the `grader` package, installed with the course (pyproject.toml).
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --- the course directory ------------------------------------------------------------------
c.CourseDirectory.root = ROOT
c.CourseDirectory.course_id = "vanishing-gradients"
c.CourseDirectory.source_directory = "solutions"  # complete answers + hidden tests
c.CourseDirectory.release_directory = "notebooks"  # what learners get (committed)
c.CourseDirectory.submitted_directory = "grader/course/submitted"
c.CourseDirectory.autograded_directory = "grader/course/autograded"
c.CourseDirectory.feedback_directory = "grader/course/feedback"
c.CourseDirectory.solution_directory = "grader/course/solution"
# The gradebook: SQLite in grader/course/ unless VANISHING_GRADEBOOK_URL names another one
# (e.g. postgresql://grader@dbhost/gradebook, so that several graders can work at once).
os.makedirs(os.path.join(ROOT, "grader", "course"), exist_ok=True)
if os.environ.get("VANISHING_GRADEBOOK_URL"):
    from grader.gradebook_url import driver_url

    c.CourseDirectory.db_url = driver_url(os.environ["VANISHING_GRADEBOOK_URL"])
else:
    c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "grader", "course", "gradebook.db")

# --- what the release looks like ----------------------------------------------------------
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# --- running student code -----------------------------------------------------------------
# One grading path: `nbgrader autograde`, the formgrader's Autograde button and
# `python -m grader autograde` all run these steps. First the student's code is scanned
# (grader.integrity.StaticChecks); nbgrader's OverwriteCells then puts deleted or edited test
# cells back and records each change as a flag (grader.integrity.RecordedOverwriteCells).
# While the notebook runs, the kernel is sandboxed whenever
# this process can make a sandbox (root on Linux; otherwise a loud warning) and its output is
# capped (grader.sandbox_kernel.GradingExecute), and check cells look for tampering
# (InsertCanaries/CollectCanaries). Last, the flags go to the grading ledger (RecordFlags),
# where `python -m grader export` shows them.
c.Autograde.sanitize_preprocessors = [
    "grader.integrity.StaticChecks",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "grader.integrity.RecordedOverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "grader.integrity.InsertCanaries",
    "grader.sandbox_kernel.GradingExecute",
    "grader.integrity.CollectCanaries",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
    "grader.integrity.RecordFlags",
]
# "auto": sandbox when possible, warn loudly when not; "require": refuse; "off": don't.
c.GradingExecute.sandbox = "auto"
# Seconds per cell; an endless loop is interrupted there and the remaining cells still run.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
# Bound what a runaway print loop or a deep traceback can write into the graded notebook.
# All output a cell sends (streams, display data and images, results, errors, widget state)
# is capped while it arrives (grader.caps.OutputCap, in GradingExecute), with a note.
c.GradingExecute.max_cell_output_bytes = 2_000_000
c.GradingExecute.max_notebook_output_bytes = 10_000_000
c.LimitOutput.max_lines = 500
c.LimitOutput.max_traceback = 60

# A test cell with anything on stderr scores 0. The grading helpers (vanishing.grading) silence
# warnings while they run student code; this removes the warnings that still reach stderr
# (a numpy RuntimeWarning or a matplotlib UserWarning written as "file:line: XWarning: ...",
# and matplotlib's logged font warnings). Any other stderr output still zeroes the cell.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (
    r"(?m)^.*:\d+: \w*Warning: |^\w*Warning: |^findfont: |^Matplotlib is building the font cache"
)

# A learner who deletes a test cell does not escape it: autograde puts it back.
c.OverwriteCells.add_missing_cells = True

# --- feedback and late work ---------------------------------------------------------------
# Feedback shows each test's failure message, but not the hidden tests nor their tracebacks
# (nor hidden test lines that student code printed); what the student controls is bounded in
# size and time and sanitised (no script, no event handler) before it is rendered.
c.GenerateFeedback.preprocessors = [
    "grader.feedback.HideHiddenTests",
    "grader.feedback.SafeFeedback",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# The grade table: nbgrader's CSV plus the grading ledger's status and flags, so that
# `nbgrader export` and `python -m grader export` write the same file (grader.export).
c.ExportApp.plugin_class = "grader.export.LedgerCsvExport"
# Late policy: 10 % of the earned points per started day after the due date, down to zero.
c.AssignLatePenalties.plugin_class = "grader.late.PerDayPenalty"
c.PerDayPenalty.per_day = 0.1
