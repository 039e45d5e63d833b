"""The grading ledger: what ``python -m grader autograde`` recorded per submission.

One JSON file per submission, ``<autograded>/../grading-ledger/<assignment>/<student>.json``,
written atomically after nbgrader committed the grades (see :mod:`grader.parallel`). Its
``flags`` are the lines people read; ``flag_records`` the same flags with their kinds
(:mod:`grader.flags`, which also reads a record written before there were kinds).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from grader.flags import UNCLASSIFIED, Flag

if TYPE_CHECKING:
    from grader.course import Course

LEDGER = "grading-ledger"


class Ledger:
    """What ``python -m grader autograde`` recorded per submission (one JSON file each)."""

    def __init__(self, course: Course) -> None:
        self.root = course.directory("autograded").parent / LEDGER

    @classmethod
    def of(cls, coursedir) -> Ledger:
        """The ledger of an nbgrader ``CourseDirectory`` (for preprocessors, which have no
        :class:`Course`)."""
        ledger = cls.__new__(cls)
        autograded = coursedir.format_path(coursedir.autograded_directory, ".", ".")
        ledger.root = Path(autograded).resolve().parent / LEDGER
        return ledger

    def path(self, assignment: str, student: str) -> Path:
        return self.root / assignment / f"{student}.json"

    def load(self, assignment: str, student: str) -> dict | None:
        try:
            return json.loads(self.path(assignment, student).read_text())
        except (OSError, ValueError):
            return None

    def save(self, outcome) -> None:
        """Write an outcome (a dataclass, see :class:`grader.submission.Outcome`, or a dict with
        the same keys) atomically. Its ``flags`` (:class:`grader.flags.Flag`; a plain text
        counts as an unclassified flag) are stored as ``flags`` (their text) and
        ``flag_records``."""
        if isinstance(outcome, dict):
            record = dict(outcome)
        else:
            record = {f.name: getattr(outcome, f.name) for f in fields(outcome)}
        flags = [
            f if isinstance(f, Flag) else Flag(UNCLASSIFIED, "", str(f))
            for f in record.get("flags") or []
        ]
        record["flags"] = [str(f) for f in flags]
        record["flag_records"] = [f.to_json() for f in flags]
        path = self.path(record["assignment"], record["student"])
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def records(self) -> dict[tuple[str, str], dict]:
        out = {}
        if self.root.is_dir():
            for path in sorted(self.root.glob("*/*.json")):
                try:
                    out[(path.parent.name, path.stem)] = json.loads(path.read_text())
                except (OSError, ValueError):
                    continue
        return out
