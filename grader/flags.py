"""Flags: what grading found that a person should look at (never a change of score by itself).

A :class:`Flag` has a ``kind`` (one of the constants below: code tests the kind, never the
text), the ``notebook`` it is about (``""`` for the submission as a whole) and a ``detail``.
``str(flag)`` is the line the console, the ledger's ``flags`` and the grade table's ``flags``
column show, e.g. ``00_backprop_refresher: suspicious code: patches _g.check``.

The ledger stores each flag twice: as that text (``flags``, what people and the CSV read) and
as :meth:`Flag.to_json` (``flag_records``). A ledger record written before flags had kinds
holds the text only; :func:`from_record` reads it as flags of kind :data:`UNCLASSIFIED`
whose text is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# --- the kinds -----------------------------------------------------------------------------
# static scan of the student's code (grader.scan.scan_code) and the check cells in the kernel
SUSPICIOUS_CODE = "suspicious code"
TAMPERING = "tampering"
# test cells put back by nbgrader's OverwriteCells (grader.integrity.RecordedOverwriteCells)
TEST_CELL_DELETED = "test cell deleted"
TEST_CELL_RETYPED = "test cell type changed"
TEST_CELL_POINTS = "test cell points changed"
TEST_CELL_EDITED = "test cell edited (checksum mismatch)"
NO_RELEASE = "could not compare with the release"
# nbgrader metadata on a cell the gradebook does not know (grader.integrity.StaticChecks)
FOREIGN_CELL = "nbgrader metadata removed from a cell not in the release"
# the staged copy of a submission (grader.staging)
INVALID_NOTEBOOK = "invalid notebook (scored 0)"
RENAMED_NOTEBOOK = "renamed notebook"
EXTRA_NOTEBOOK = "extra notebook ignored"
MISSING_NOTEBOOK = "missing notebook (scored 0)"
SKIPPED_ENTRY = "entry skipped"  # a file or folder of the submission that was not copied
BAD_TIMESTAMP = "unreadable timestamp.txt"
# read from a ledger record written before flags had kinds
UNCLASSIFIED = "unclassified"

#: How a kind reads when it is not ``"<kind>: <detail>"``.
_TEXT = {
    SKIPPED_ENTRY: "{detail}",
    BAD_TIMESTAMP: "unreadable timestamp.txt ({detail}): graded as on time",
    UNCLASSIFIED: "{detail}",
}

KINDS = (
    SUSPICIOUS_CODE, TAMPERING, TEST_CELL_DELETED, TEST_CELL_RETYPED, TEST_CELL_POINTS,
    TEST_CELL_EDITED, NO_RELEASE, FOREIGN_CELL, INVALID_NOTEBOOK, RENAMED_NOTEBOOK, EXTRA_NOTEBOOK,
    MISSING_NOTEBOOK, SKIPPED_ENTRY, BAD_TIMESTAMP, UNCLASSIFIED,
)  # fmt: skip


@dataclass(frozen=True)
class Flag:
    """One finding: its ``kind``, the ``notebook`` it is about and a ``detail``."""

    kind: str
    notebook: str = ""
    detail: str = ""

    def __str__(self) -> str:
        template = _TEXT.get(self.kind, "{kind}: {detail}" if self.detail else "{kind}")
        text = template.format(kind=self.kind, detail=self.detail)
        return f"{self.notebook}: {text}" if self.notebook else text

    def in_notebook(self, notebook: str) -> Flag:
        """The same finding, about ``notebook``."""
        return Flag(self.kind, notebook, self.detail)

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "notebook": self.notebook, "detail": self.detail}

    @classmethod
    def from_json(cls, data: Mapping) -> Flag:
        return cls(str(data["kind"]), str(data.get("notebook", "")), str(data.get("detail", "")))


def texts(flags: Iterable[Flag]) -> list[str]:
    """The flags as the lines people read."""
    return [str(f) for f in flags]


def from_record(record: Mapping) -> list[Flag]:
    """The flags of a ledger record: from ``flag_records`` or, in a record written before
    flags had kinds, from its text (``notebook_flags`` by notebook, else ``flags``)."""
    if "flag_records" in record:
        return [Flag.from_json(d) for d in record["flag_records"]]
    by_notebook = record.get("notebook_flags")
    if isinstance(by_notebook, Mapping):
        out = []
        for notebook, lines in by_notebook.items():
            prefix = f"{notebook}: "
            for line in lines:
                detail = line[len(prefix) :] if line.startswith(prefix) else line
                out.append(Flag(UNCLASSIFIED, notebook if line.startswith(prefix) else "", detail))
        return out
    return [Flag(UNCLASSIFIED, "", str(line)) for line in record.get("flags") or []]
