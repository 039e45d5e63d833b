"""The grade table, as an nbgrader export plugin.

:class:`LedgerCsvExport` is nbgrader's ``CsvExportPlugin`` (one row per student and
assignment) with two more columns from the grading ledger that ``python -m grader
autograde`` writes: ``status`` and ``flags``. It is the course's ``c.ExportApp.plugin_class``
(``grader/nbgrader_config.py``), so ``nbgrader export``, the formgrader and ``python -m
grader export`` write the same CSV.

``status`` is ``graded``, ``failed: <reason>``, ``not submitted`` or ``not graded by python -m
grader``; ``flags`` lists, separated by `` | ``, what a person should look at (tampering,
renamed or missing notebooks, ...). A submission nbgrader never recorded (it failed before
its first step, e.g. an odd folder name) still gets its row, with the reason.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import CsvExportPlugin

from grader.ledger import Ledger

#: nbgrader's columns, for a table with no gradebook row at all
BASE_FIELDS = ["assignment", "student_id", "raw_score", "score", "max_score"]


class LedgerCsvExport(CsvExportPlugin):
    """``CsvExportPlugin`` plus the ledger's ``status`` and ``flags`` columns."""

    def export(self, gradebook: Gradebook) -> None:
        dest = Path(self.to or "grades.csv")
        with tempfile.TemporaryDirectory() as tmp:
            plain = CsvExportPlugin(parent=self, config=self.config)
            plain.to = str(Path(tmp) / "grades.csv")
            plain.assignment, plain.student = list(self.assignment), list(self.student)
            plain.export(gradebook)
            with open(plain.to, newline="") as fh:
                rows = list(csv.DictReader(fh))
        fields = list(rows[0].keys()) if rows else list(BASE_FIELDS)
        coursedir = CourseDirectory(config=self.config)
        records = Ledger.of(coursedir).records()
        known = {(r["assignment"], r["student_id"]) for r in rows}
        wanted_a, wanted_s = set(self.assignment), set(self.student)
        for assignment, student in sorted(records):
            if (assignment, student) in known or (wanted_a and assignment not in wanted_a):
                continue
            if wanted_s and student not in wanted_s:
                continue
            rows.append({**dict.fromkeys(fields, ""), "assignment": assignment,
                         "student_id": student})  # fmt: skip
        for row in rows:
            row.update(self._columns(coursedir, records, row))
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields + ["status", "flags"])
            writer.writeheader()
            writer.writerows(rows)
        self.log.info("Exported %d rows with status and flags to %s", len(rows), dest)

    @staticmethod
    def _columns(coursedir: CourseDirectory, records: dict, row: dict) -> dict[str, str]:
        rec = records.get((row["assignment"], row["student_id"]))
        if rec is None:
            folder = coursedir.format_path(
                coursedir.submitted_directory, row["student_id"], row["assignment"]
            )
            submitted = bool(row.get("timestamp")) or Path(folder).is_dir()
            return {
                "status": "not graded by python -m grader" if submitted else "not submitted",
                "flags": "",
            }
        status = rec.get("status", "")
        return {
            "status": status + (f": {rec['reason']}" if status == "failed" else ""),
            "flags": " | ".join(rec.get("flags", [])),
        }


__all__ = ["LedgerCsvExport"]
