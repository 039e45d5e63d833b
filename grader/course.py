"""nbgrader's Python API bound to one course directory.

:class:`Course` loads ``grader/nbgrader_config.py`` (the same settings the ``nbgrader``
command reads from the repository root), optionally moves the course to another root, and
runs nbgrader's applications in this process: one process for many steps is much faster than
one ``nbgrader`` command per step.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from grader.gradebook_url import driver_url  # noqa: F401 (part of this module's API)

ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = ROOT / "grader" / "nbgrader_config.py"

#: The directory keys of a course that :func:`course_config` can move under a new root.
COURSE_DIRS = ("source", "release", "submitted", "autograded", "feedback", "solution")


def ensure_alembic_on_path() -> None:
    """nbgrader creates/upgrades the gradebook with the ``alembic`` command of this environment."""
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + path


def load_config() -> Config:
    """The course's nbgrader configuration, as ``nbgrader`` loads it at the repository root."""
    return PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent)).load_config()


def course_config(root: str | os.PathLike | None = None, **dirs: str) -> Config:
    """The course configuration, optionally for a course directory at another ``root``.

    With a ``root``, the gradebook moves to ``<root>/gradebook.db`` and every directory not
    given in ``dirs`` (``source="solutions"``, ``submitted="..."``) becomes ``<root>/<key>``.
    """
    cfg = load_config()
    if root is not None:
        root = Path(root).resolve()
        cd = cfg.CourseDirectory
        cd.root = str(root)
        for key in COURSE_DIRS:
            setattr(cd, f"{key}_directory", dirs.pop(key, key))
        cd.db_url = f"sqlite:///{root / 'gradebook.db'}"
    if dirs:
        raise TypeError(f"unknown course directories: {', '.join(dirs)}")
    return cfg


class GradingError(RuntimeError):
    """An nbgrader step failed; the message holds nbgrader's log and traceback."""


@dataclass(frozen=True)
class Submission:
    assignment: str
    student: str


class Course:
    """One nbgrader course directory and the steps of its life cycle."""

    def __init__(
        self, config: Config | None = None, *, log_level: str = "WARN", db: str | None = None
    ) -> None:
        ensure_alembic_on_path()
        self.config = config if config is not None else course_config()
        if db:  # e.g. postgresql://user@/gradebook?host=/run/postgresql
            self.config.CourseDirectory.db_url = db
        url = self.config.CourseDirectory.get("db_url")
        if isinstance(url, str):
            self.config.CourseDirectory.db_url = driver_url(url)
        self.config.NbGraderAPI.log_level = log_level
        self.api = NbGraderAPI(config=self.config)
        self.coursedir = self.api.coursedir
        db = self.coursedir.db_url
        if db.startswith("sqlite:///"):  # sqlite creates the file, not its folder
            Path(db[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)

    # --- where things are ----------------------------------------------------------------
    @property
    def root(self) -> Path:
        return Path(self.coursedir.root)

    def directory(self, step: str, student: str = ".", assignment: str = ".") -> Path:
        """``source``/``release``/... directory of a student's assignment (``.`` for none)."""
        name = getattr(self.coursedir, f"{step}_directory")
        return Path(self.coursedir.format_path(name, student, assignment)).resolve()

    def assignments(self) -> list[str]:
        """Assignment ids: the folders of the source directory that hold a notebook."""
        src = self.directory("source")
        if not src.is_dir():
            return []
        return sorted(p.name for p in src.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def notebooks(self, assignment: str) -> list[str]:
        """Notebook ids (file stems) of an assignment."""
        return sorted(p.stem for p in self.directory("source", ".", assignment).glob("*.ipynb"))

    def submissions(
        self, assignment: str | None = None, student: str | None = None, shard=None
    ) -> list[Submission]:
        """Every ``submitted/<student>/<assignment>`` folder, optionally filtered: by
        assignment, student, and ``shard`` (a :class:`grader.cluster.Shard`: only the
        students of that shard, see :func:`grader.cluster.shard_of`)."""
        base = self.directory("submitted")
        found = []
        if base.is_dir():
            for sdir in sorted(p for p in base.iterdir() if p.is_dir()):
                if student is not None and sdir.name != student:
                    continue
                if shard is not None and not shard.holds(sdir.name):
                    continue
                for adir in sorted(p for p in sdir.iterdir() if p.is_dir()):
                    if assignment is None or adir.name == assignment:
                        found.append(Submission(adir.name, sdir.name))
        return found

    # --- the steps -----------------------------------------------------------------------
    @staticmethod
    def _checked(result: dict, what: str) -> str:
        if not result.get("success", False):
            # nbgrader logs the full traceback, then returns it again: keep the end of each
            log = "\n".join(result.get("log", "").strip().splitlines()[-15:])
            error = "\n".join(result.get("error", "").strip().splitlines()[-15:])
            raise GradingError(f"{what} failed\n{log}\n{error}".rstrip())
        return result.get("log", "")

    def release(self, assignments: Iterable[str] | None = None) -> list[str]:
        """Regenerate the release (student version) of each assignment from its source.

        nbgrader's ``generate_assignment`` with ``force``: the release folder is replaced,
        solutions become stubs, hidden tests and outputs are removed, and the assignment is
        recorded in the gradebook.
        """
        names = list(assignments) if assignments else self.assignments()
        unknown = sorted(set(names) - set(self.assignments()))
        if unknown:
            raise GradingError(
                f"no source assignment {', '.join(unknown)} in {self.directory('source')}"
            )
        for name in names:
            self._checked(
                self.api.generate_assignment(name, force=True, create=True),
                f"generate_assignment {name}",
            )
        return names

    def autograde_one(self, sub: Submission) -> str:
        """Autograde one student's submission of one assignment (the unit a pool can run)."""
        return self._checked(
            self.api.autograde(sub.assignment, sub.student, force=True, create=True),
            f"autograde {sub.assignment} for {sub.student}",
        )

    def autograde(
        self, assignment: str | None = None, student: str | None = None
    ) -> list[Submission]:
        """Autograde every matching submission, one after the other."""
        subs = self.submissions(assignment, student)
        for sub in subs:
            self.autograde_one(sub)
        return subs

    def feedback(
        self, assignment: str | None = None, student: str | None = None
    ) -> list[Submission]:
        """Generate HTML feedback for every matching autograded submission."""
        subs = [
            s
            for s in self.submissions(assignment, student)
            if self.directory("autograded", s.student, s.assignment).is_dir()
        ]
        for sub in subs:
            self._checked(
                self.api.generate_feedback(sub.assignment, sub.student, force=True),
                f"generate_feedback {sub.assignment} for {sub.student}",
            )
        return subs

    def export(
        self, to: str | os.PathLike, assignments: Iterable[str] = (), students: Iterable[str] = ()
    ) -> Path:
        """Write the grade table as CSV with :class:`grader.export.LedgerCsvExport`
        (nbgrader's CSV plus the ledger's ``status`` and ``flags``; ``nbgrader export``
        writes the same)."""
        from grader.export import LedgerCsvExport

        plugin = LedgerCsvExport(config=self.config)
        plugin.to, plugin.assignment, plugin.student = str(to), list(assignments), list(students)
        with self.gradebook() as gb:
            plugin.export(gb)
        return Path(to)

    def set_duedate(self, assignment: str, duedate: str) -> None:
        """Record an assignment's due date (``"2025-03-01 23:59:00 UTC"``) in the gradebook."""
        from nbgrader.utils import parse_utc

        with self.gradebook() as gb:
            gb.update_or_create_assignment(assignment, duedate=parse_utc(duedate))

    def collect_zip(
        self,
        assignment: str,
        archive: str | os.PathLike,
        regex: str | None = None,
        limits=None,
    ):
        """Collect an LMS download (a zip of submissions) into ``submitted/`` with the safe
        extractor of :mod:`grader.collect`; return its :class:`grader.collect.Report`."""
        from grader import collect

        why = collect.unsafe_name(assignment)
        if why:
            return collect.Report(assignment, aborted=f"assignment id {assignment!r} {why}")
        downloaded = self.directory("autograded").parent / "downloaded"
        released = self.directory("release", ".", assignment)
        notebooks = sorted(p.name for p in released.glob("*.ipynb")) or None
        staging = collect.scratch(downloaded / assignment)
        try:
            return collect.collect(
                archive, assignment, self.directory("submitted"), staging, regex,
                notebooks=notebooks, limits=limits or collect.Limits(),
            )  # fmt: skip
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def gradebook(self) -> Gradebook:
        """A new gradebook connection (use it in a ``with`` block)."""
        return Gradebook(self.coursedir.db_url, self.coursedir.course_id)

    def grades(self, assignment: str, student: str) -> dict[str, dict[str, dict]]:
        """``{notebook: {grade_id: {score, max_score, needs_manual_grade, cell_type}}}``.

        ``cell_type`` is ``"code"`` for a test cell and ``"markdown"`` for a written answer.
        """
        out: dict[str, dict[str, dict]] = {}
        with self.gradebook() as gb:
            for nb in self.notebooks(assignment):
                try:
                    sub = gb.find_submission_notebook(nb, assignment, student)
                except MissingEntry:
                    continue
                out[nb] = {
                    g.name: {
                        "score": g.score,
                        "max_score": g.max_score,
                        "needs_manual_grade": g.needs_manual_grade,
                        "cell_type": g.cell_type,
                    }
                    for g in sub.grades
                }
        return out
