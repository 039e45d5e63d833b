"""Grade a learner's own notebook against the full tests, hidden ones included.

Everything happens in a throw-away course directory: the assignment's source (from
``solutions/``) is copied there, the learner's notebook is copied in as a submission, and
nbgrader's ``generate_assignment`` and ``autograde`` run on the copies. The learner's file is
only ever read.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils

from grader.ansi import strip_ansi
from grader.course import ROOT, Course, GradingError, course_config

STUDENT = "learner"


@dataclass
class Item:
    """One graded cell: a test cell (autograded) or a written answer (graded by a person)."""

    grade_id: str
    score: float | None
    max_score: float
    manual: bool
    message: str = ""

    @property
    def passed(self) -> bool:
        return not self.manual and self.score is not None and self.score >= self.max_score


@dataclass
class Report:
    notebook: Path
    assignment: str
    items: list[Item] = field(default_factory=list)

    @property
    def auto(self) -> list[Item]:
        return [i for i in self.items if not i.manual]

    @property
    def score(self) -> float:
        return sum(i.score or 0.0 for i in self.auto)

    @property
    def max_score(self) -> float:
        return sum(i.max_score for i in self.auto)

    def __str__(self) -> str:
        lines = [
            f"Self-check of {self.notebook} (assignment {self.assignment})",
            "graded against the full tests, hidden tests included; your file was not changed.",
            "",
        ]
        width = max([len(i.grade_id) for i in self.items] + [8])
        for it in self.items:
            if it.manual:
                status, pts = "written", f"? / {it.max_score:g}"
            else:
                status = "ok" if it.passed else "FAILED"
                pts = f"{it.score or 0:g} / {it.max_score:g}"
            lines.append(f"  {status:<8}{it.grade_id:<{width}}  {pts:>9}")
            for msg_line in it.message.splitlines():
                lines.append(f"            {msg_line}")
        manual = sum(i.max_score for i in self.items if i.manual)
        lines += ["", f"Autograded total: {self.score:g} / {self.max_score:g} points"]
        if manual:
            lines.append(
                f"Written answers ({manual:g} points) are graded by a person, not by this check."
            )
        return "\n".join(lines)


@contextlib.contextmanager
def _quiet_stderr():
    """Send this process's stderr, and the kernel's (it inherits file descriptor 2), to a
    temporary file: the learner sees the report, not the kernel's start-up chatter. Yields a
    function returning what was written, for error messages."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)

        def captured() -> str:
            sys.stderr.flush()
            sink.seek(0)
            return "\n".join(sink.read().decode(errors="replace").splitlines()[-20:])

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def find_assignment(notebook: Path, source_root: Path) -> str:
    """The assignment a notebook belongs to: its file stem, else its folder's name."""
    for name in (notebook.stem, notebook.parent.name):
        if (source_root / name).is_dir() and any((source_root / name).glob("*.ipynb")):
            return name
    known = sorted(p.name for p in source_root.glob("*") if p.is_dir())
    raise GradingError(
        f"{notebook} matches no assignment in {source_root}; "
        f"known assignments: {', '.join(known) or 'none'}"
    )


def _failure(cell) -> str:
    """What a failed test cell says: the exception and its message, or the stderr text."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            msg = strip_ansi(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}").strip()
            lines = msg.splitlines()
            return "\n".join(lines[:12] + (["..."] if len(lines) > 12 else []))
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            first = strip_ansi(out.get("text", "")).strip().splitlines()[:3]
            return "wrote to stderr (a test cell must not): " + " / ".join(first)
    return ""


def selfcheck(notebook: str | Path, source_root: Path | None = None) -> Report:
    """Grade ``notebook`` in a temporary course; return the per-exercise :class:`Report`."""
    notebook = Path(notebook)
    if not notebook.is_file():
        raise GradingError(f"no such notebook: {notebook}")
    source_root = Path(source_root) if source_root else ROOT / "solutions"
    assignment = find_assignment(notebook.resolve(), source_root)
    nbformat.read(notebook, as_version=4)  # fail early, and clearly, on a broken file

    with tempfile.TemporaryDirectory(prefix="vanishing-selfcheck-") as tmp:
        cfg = course_config(tmp)
        # the learner grades their own code as themselves: no sandbox, no warning about it
        cfg.GradingExecute.sandbox = "off"
        course = Course(cfg)
        shutil.copytree(
            source_root / assignment,
            course.directory("source", ".", assignment),
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
        nb_ids = course.notebooks(assignment)
        target = notebook.stem if notebook.stem in nb_ids else nb_ids[0]
        subdir = course.directory("submitted", STUDENT, assignment)
        subdir.mkdir(parents=True)
        shutil.copyfile(notebook, subdir / f"{target}.ipynb")

        with _quiet_stderr() as noise:
            try:
                course.release([assignment])
                course.autograde_one(course.submissions(assignment, STUDENT)[0])
            except GradingError as err:
                raise GradingError(f"{err}\n{noise()}".rstrip()) from None

        graded = nbformat.read(
            course.directory("autograded", STUDENT, assignment) / f"{target}.ipynb", as_version=4
        )
        messages = {}
        for cell in graded.cells:
            if utils.is_grade(cell) and cell.cell_type == "code":
                messages[cell.metadata.nbgrader["grade_id"]] = _failure(cell)

        report = Report(notebook, assignment)
        order = [c.metadata.nbgrader.grade_id for c in graded.cells if utils.is_grade(c)]
        grades = course.grades(assignment, STUDENT).get(target, {})
        for gid in order:
            g = grades[gid]
            manual = g["cell_type"] == "markdown"  # a written answer, graded by a person
            item = Item(gid, g["score"], g["max_score"], manual)
            if manual and not g["needs_manual_grade"]:
                item.message = "no response yet: write your answer in this cell"
            elif not manual and not item.passed:
                item.message = messages.get(gid) or "failed"
            report.items.append(item)
        return report
