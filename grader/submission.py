"""One submission's grading, the parts that need no worker, kernel or gradebook write.

:func:`fingerprint` (with :func:`settings_key`) decides whether a submission must be graded
again; :class:`Outcome` is what the ledger records; :func:`failure_reason` turns nbgrader's log
into a reason an instructor can act on; :func:`unsafe_student_id` refuses folder names nbgrader
cannot grade. :mod:`grader.parallel` runs the pool that uses them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import Course, Submission
from grader.flags import Flag


@dataclass
class Outcome:
    """What happened to one submission."""

    assignment: str
    student: str
    status: str  # "graded", "failed" or "skipped" (graded before, unchanged)
    reason: str = ""
    flags: list[Flag] = field(default_factory=list)
    seconds: float = 0.0
    score: float | None = None
    max_score: float | None = None
    fingerprint: str = ""
    sandboxed: bool = False


def _hash_tree(h, base: Path) -> None:
    """Hash the regular files under ``base``; links, FIFOs and devices count by name only
    (they are never followed or opened, see :mod:`grader.staging`)."""
    if not base.is_dir() or base.is_symlink():
        h.update(b"<missing>")
        return
    walked = []
    for top, dirs, files in os.walk(base, followlinks=False):
        # pruned while walking (sorting the walk first would walk the pruned folders too)
        dirs[:] = sorted(d for d in dirs if d not in {".ipynb_checkpoints", "__pycache__"})
        walked.append((top, dirs, files))
    for top, _dirs, files in sorted(walked):
        for name in sorted(files):
            path = Path(top) / name
            h.update(str(path.relative_to(base)).encode() + b"\0")
            if path.is_file() and not path.is_symlink():
                h.update(hashlib.sha256(path.read_bytes()).digest())
            else:
                h.update(b"<not a regular file>")


def fingerprint(course: Course, sub: Submission, settings_key: str = "") -> str:
    """A digest of the submitted files, the assignment's source and the grading settings."""
    h = hashlib.sha256()
    _hash_tree(h, course.directory("submitted", sub.student, sub.assignment))
    h.update(b"\0source\0")
    _hash_tree(h, course.directory("source", ".", sub.assignment))
    h.update(settings_key.encode())
    return h.hexdigest()


def settings_key(course: Course) -> str:
    """What else decides a grade: the grading settings, the late policy and every
    assignment's due date (changing the due date re-grades, so the penalty is re-applied)."""
    cfg = course.config
    keys = {
        "timeout": cfg.Execute.get("timeout"),
        "max_lines": cfg.LimitOutput.get("max_lines"),
        "late": str(cfg.AssignLatePenalties.get("plugin_class")),
        "late_policy": {k: v for k, v in cfg.PerDayPenalty.items()},
        "duedates": _duedates(course),
    }
    return json.dumps(keys, sort_keys=True, default=str)


def _duedates(course: Course) -> dict[str, str]:
    try:
        with course.gradebook() as gb:
            return {a.name: str(a.duedate) for a in gb.assignments}
    except Exception:  # noqa: BLE001 - no gradebook yet: nothing is due
        return {}


#: nbgrader's closing line after any failure, which says nothing by itself
_GENERIC = ("Please see the the above traceback", "There was an error processing assignment")
_EXCEPTION_LINE = re.compile(r"^\s*(?:[\w.]+\.)?(\w+(?:Error|Exception|Timeout\w*)): (.+)$")


def failure_reason(text: str) -> str:
    """What went wrong, in words an instructor can act on, from nbgrader's log and error."""
    if "DeadKernelError" in text or "Kernel died" in text:
        return (
            "the kernel died while running the notebook (os._exit, a crash such as a "
            "segfault, or a resource limit of the sandbox); no grades were recorded"
        )
    if "UnresponsiveKernelError" in text or "Timeout waiting for IOPub" in text:
        return (
            "the kernel stopped responding and could not be restarted; no grades were "
            "recorded: grade this student again, alone, with a longer --timeout"
        )
    if "No notebooks were matched" in text:
        return "nbgrader found no notebook in the submission folder"
    if "Kernel didn't respond" in text or "kernel_info" in text:
        return "the kernel did not start (is the environment's ipykernel installed?)"
    found = [
        m.group(0).strip()
        for ln in text.splitlines()
        if (m := _EXCEPTION_LINE.match(ln)) and not any(g in ln for g in _GENERIC)
    ]
    if found:
        return f"nbgrader stopped with {found[-1][:300]}"
    lines = [
        ln.strip() for ln in text.strip().splitlines()
        if ln.strip() and not any(g in ln for g in _GENERIC)
    ]  # fmt: skip
    return lines[-1][:300] if lines else "nbgrader failed without saying why (see its log)"


def shown(name: str) -> str:
    """A student id as a console line can show it (``repr`` when it holds control
    characters, so that a name cannot forge or break a line)."""
    return name if name.isprintable() else repr(name)


def unsafe_student_id(student: str) -> str:
    """Why nbgrader cannot grade a student folder of this name, or ``""``: nbgrader finds the
    folder by glob (``[`` and ``]`` make a pattern) and reads the id back with a regular
    expression that stops at a line break."""
    if not student.isprintable():
        return (
            f"the student folder name {student!r} contains a line break or another control "
            "character, which nbgrader cannot grade; rename the folder and grade again"
        )
    if set(student) & set("[]"):
        return (
            f"the student folder name {student!r} contains '[' or ']', which nbgrader reads "
            "as a file-name pattern; rename the folder and grade again"
        )
    return ""
