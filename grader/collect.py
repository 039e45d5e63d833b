"""Collecting submissions from an LMS download (a zip file), safely.

``python -m grader collect ASSIGNMENT submissions.zip`` reads the zip with our own streaming
extractor (stdlib :mod:`zipfile`, never ``extractall``) and writes each student's notebooks
to ``submitted/<student>/<assignment>/`` itself, with ``timestamp.txt`` when the file name
carries a time. The zip comes from students, so every entry is treated as hostile:

* an entry with an absolute path, a drive letter, a ``..`` component or a NUL byte in its
  name, a symbolic link, a directory posing as a file or any other special file (read from
  the file-type bits of the entry's external attributes) is refused;
* a nested archive (``.zip``, ``.tar``, ``.gz``, ... by name, or zip/gzip/... content in a
  ``.ipynb``) is refused, never opened: the student id comes only from an entry name of the
  outermost zip, so one student's archive cannot deliver a file for another;
* every file is written by us with mode ``0644`` (no setuid, setgid, sticky or exec bit);
* sizes are measured while decompressing (headers are not trusted): a file larger than
  :attr:`Limits.max_file` or expanding more than :attr:`Limits.max_ratio` times its
  compressed bytes (past :attr:`Limits.ratio_after`) is refused, and the whole collect is
  aborted, with nothing written to ``submitted/``, past :attr:`Limits.max_total`
  decompressed bytes or :attr:`Limits.max_entries` entries;
* a student id or notebook name that is not a safe file name (empty, ``.``, ``..``, with
  ``/`` or ``\\``, a glob character ``*?[]``, a control character, a leading ``-``, or more
  than 255 bytes) is refused with a message naming the file;
* the time in a file name is read by :func:`parse_time`, exactly ``YYYY-MM-DD-hh-mm-ss``
  (``T`` or a space may separate date and time, ``:`` the time's fields), as UTC; a time it
  cannot read refuses that file;
* two files for one student and notebook: the one with the strictly latest time wins (the
  others are reported as superseded); without times for all of them, or with a tie, none is
  collected and the notebook is reported.

The checks of one entry and the measured decompression are :mod:`grader.zipsafe`; this
module is the flow (read, choose, write, report). Problems are reported per student and
never stop the other students. :func:`collect` only
decides and stages; :meth:`grader.course.Course.collect_zip` calls it with the course's
directories.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from grader.zipsafe import (
    ARCHIVE_SUFFIXES,
    CollectAborted,
    CountingFile,
    Limits,
    entries_claimed,
    stream_entry,
    unsafe_entry,
    unsafe_name,
)

#: File names ``<student>_[<YYYY-MM-DD-hh-mm-ss>_]<notebook>.ipynb`` anywhere in the zip, for
#: example ``ada_2025-03-01-23-59-00_00_backprop_refresher.ipynb`` (the time is optional and
#: read as UTC). A regular expression is matched (``re.match``, from the start) against the
#: entry's path inside the zip, folders separated by ``/``.
DEFAULT_REGEX = (
    r"(?:.*/)?(?P<student_id>[A-Za-z0-9.-]+)_"
    r"(?:(?P<timestamp>\d{4}-\d\d-\d\d[-T ]\d\d[-:]\d\d[-:]\d\d)_)?"
    r"(?P<file_id>[^/]+)$"
)

#: The time formats :func:`parse_time` reads (all UTC): ``2025-03-01-23-59-00``,
#: ``2025-03-01T23:59:00``, ``2025-03-01 23:59:00`` and mixtures of these separators.
#: The limits :func:`collect` applies unless told otherwise (:class:`Limits` is frozen).
DEFAULT_LIMITS = Limits()

TIME_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)[-T ](\d\d)[-:](\d\d)[-:](\d\d)")


@dataclass
class Line:
    """One line of the report: ``status`` is ``collected``, ``refused``, ``superseded`` or
    ``ignored``; ``student`` is ``None`` when no safe student id could be read."""

    status: str
    student: str | None
    entry: str
    reason: str = ""


@dataclass
class Report:
    assignment: str
    lines: list[Line] = field(default_factory=list)
    #: ``{student: {notebook: time or None}}`` of what was written to ``submitted/``
    collected: dict[str, dict[str, datetime | None]] = field(default_factory=dict)
    aborted: str | None = None

    @property
    def students(self) -> list[str]:
        return sorted(self.collected)

    @property
    def ok(self) -> bool:
        return self.aborted is None and bool(self.collected)

    def text(self) -> list[str]:
        """The report: per student what was collected, then each file refused, skipped or
        ignored (with the reason); last the entries no student could be read from."""
        if self.aborted:
            return [f"ABORTED  collect of {self.assignment}: {self.aborted}; nothing collected"]
        heads = {"refused": "REFUSED ", "superseded": "SKIPPED ", "ignored": "ignored "}
        out = []
        students = sorted({ln.student for ln in self.lines if ln.student} | set(self.collected))
        for student in students:
            who = f"{self.assignment} for {shown(student)}"
            notebooks = self.collected.get(student)
            if notebooks is not None:
                times = [t for t in notebooks.values() if t is not None]
                when = f"submitted {format_time(max(times))}" if times else "no submission time"
                out.append(f"collected {who}: {', '.join(sorted(notebooks))} ({when})")
            else:
                out.append(f"REFUSED  {who}: nothing collected")
            for ln in self.lines:
                if ln.student != student:
                    continue
                if ln.status == "collected":
                    if ln.reason:
                        out.append(f"  NOTE     {shown(ln.entry)}: {ln.reason}")
                else:
                    out.append(f"  {heads[ln.status]} {shown(ln.entry)}: {ln.reason}")
        for ln in self.lines:
            if ln.student is None:
                out.append(f"{heads[ln.status]} entry {shown(ln.entry)}: {ln.reason}")
        if not self.collected:
            out.append(
                f"nothing collected for {self.assignment}: do the file names match the "
                "regular expression (--regex)?"
            )
        return out


def shown(name: str) -> str:
    """A name as it can be printed on one line: control characters escaped."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def format_time(t: datetime) -> str:
    """nbgrader's ``timestamp.txt`` format: ``2025-03-01 23:59:00 UTC``."""
    return t.strftime("%Y-%m-%d %H:%M:%S UTC")


def parse_time(text: str) -> datetime:
    """A time from a file name, exactly ``YYYY-MM-DD-hh-mm-ss`` (or with ``T``/space and
    ``:``), read as UTC; :class:`ValueError` otherwise (also for an impossible date)."""
    m = TIME_RE.fullmatch(text)
    if not m:
        raise ValueError(f"{text!r} is not YYYY-MM-DD-hh-mm-ss")
    return datetime(*(int(g) for g in m.groups()), tzinfo=UTC)


@dataclass
class Candidate:
    student: str
    notebook: str
    entry: str
    time: datetime | None
    staged: Path
    note: str = ""


def collect(
    archive: str | os.PathLike,
    assignment: str,
    submitted: Path,
    staging: Path,
    regex: str | None = None,
    notebooks: list[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Report:
    """Collect ``archive`` into ``submitted/<student>/<assignment>/``; ``staging`` is an
    empty scratch folder (the caller removes it). ``notebooks``: the assignment's notebook
    names, to note files under another name (they are collected all the same)."""
    report = Report(assignment)
    try:
        pattern = re.compile(regex or DEFAULT_REGEX)
    except re.error as exc:
        report.aborted = f"bad --regex: {exc}"
        return report
    if not {"student_id", "file_id"} <= set(pattern.groupindex):
        report.aborted = "--regex needs the groups (?P<student_id>...) and (?P<file_id>...)"
        return report
    try:
        candidates = _read(archive, pattern, staging, limits, report, notebooks)
    except CollectAborted as exc:
        report.aborted = str(exc)
        report.lines.clear()
        return report
    _choose_and_write(candidates, assignment, submitted, report)
    return report


def _read(archive, pattern, staging, limits, report, notebooks) -> list[Candidate]:
    refuse = report.lines.append
    candidates: list[Candidate] = []
    budget = [limits.max_total]
    try:
        fh = open(archive, "rb")
    except OSError as exc:
        raise CollectAborted(f"cannot read {archive}: {exc.strerror}") from None
    with fh:
        try:
            claimed = entries_claimed(fh)
        except OSError as exc:
            raise CollectAborted(f"not a zip file ({exc})") from None
        if claimed > limits.max_entries:
            raise CollectAborted(f"{claimed} entries, more than {limits.max_entries}")
        fh.seek(0)
        counter = CountingFile(fh)
        try:
            zf = zipfile.ZipFile(counter)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise CollectAborted(f"not a readable zip file ({exc})") from None
        with zf:
            infos = zf.infolist()
            if len(infos) > limits.max_entries:
                raise CollectAborted(f"{len(infos)} entries, more than {limits.max_entries}")
            for index, info in enumerate(infos):
                name = info.filename
                if name.endswith("/") and not info.file_size:
                    continue  # a folder
                m = pattern.match(name.replace("\\", "/"))
                student = m.group("student_id") if m else None
                why_student = unsafe_name(student) if student is not None else None
                if why_student:
                    why = f"student id '{shown(student)}' {why_student}"
                    refuse(Line("refused", None, name, why))
                    continue
                why = unsafe_entry(info)
                if why:
                    refuse(Line("refused", student, name, why))
                    continue
                base = name.replace("\\", "/").rsplit("/", 1)[-1]
                ext = os.path.splitext(base)[1]
                if base.lower().endswith(ARCHIVE_SUFFIXES):
                    refuse(Line("refused", student, name, "a nested archive (not extracted)"))
                    continue
                if m is None or m.group("file_id") is None:
                    refuse(Line("ignored", None, name, "does not match the file-name pattern"))
                    continue
                if ext != ".ipynb":
                    refuse(Line("ignored", student, name, "not a notebook (.ipynb)"))
                    continue
                notebook = os.path.splitext(m.group("file_id"))[0] + ext
                why = unsafe_name(notebook)
                if why:
                    refuse(
                        Line("refused", student, name, f"notebook name '{shown(notebook)}' {why}")
                    )
                    continue
                when = None
                raw = m.groupdict().get("timestamp")
                if raw:
                    try:
                        when = parse_time(raw)
                    except ValueError:
                        why = f"unreadable time {raw!r} (YYYY-MM-DD-hh-mm-ss, UTC)"
                        refuse(Line("refused", student, name, why))
                        continue
                staged = staging / f"{index:06d}"
                why = stream_entry(zf, info, counter, staged, limits, budget)
                if why:
                    staged.unlink(missing_ok=True)
                    refuse(Line("refused", student, name, why))
                    continue
                notes = []
                mode = info.external_attr >> 16
                if mode & 0o7111:
                    notes.append(f"mode {stat.S_IMODE(mode):o} in the zip, written as 644")
                if notebooks and notebook not in notebooks:
                    notes.append(f"{notebook} is not a notebook of the assignment")
                candidates.append(
                    Candidate(student, notebook, name, when, staged, "; ".join(notes))
                )
    return candidates


def _choose_and_write(candidates, assignment, submitted: Path, report: Report) -> None:
    by_student: dict[str, dict[str, list[Candidate]]] = {}
    for c in candidates:
        by_student.setdefault(c.student, {}).setdefault(c.notebook, []).append(c)
    for student, notebooks in sorted(by_student.items()):
        chosen: list[Candidate] = []
        for notebook, files in sorted(notebooks.items()):
            if len(files) == 1:
                chosen.append(files[0])
                continue
            times = [f.time for f in files]
            latest = max((t for t in times if t is not None), default=None)
            if None in times or times.count(latest) > 1:
                for f in files:
                    report.lines.append(Line(
                        "refused", student, f.entry,
                        f"one of {len(files)} files for {notebook} and no single latest time "
                        "in their names picks one: none collected",
                    ))  # fmt: skip
                continue
            best = next(f for f in files if f.time == latest)
            chosen.append(best)
            for f in files:
                if f is not best:
                    report.lines.append(Line(
                        "superseded", student, f.entry,
                        f"superseded by the later {shown(best.entry)}",
                    ))  # fmt: skip
        if not chosen:
            continue
        why = _write(student, assignment, submitted, chosen)
        if why:
            for c in chosen:
                report.lines.append(Line("refused", student, c.entry, why))
            continue
        report.collected[student] = {c.notebook: c.time for c in chosen}
        for c in chosen:
            report.lines.append(Line("collected", student, c.entry, c.note))


def _write(student, assignment, submitted: Path, chosen: list[Candidate]) -> str | None:
    """Replace ``submitted/<student>/<assignment>/`` with the chosen files; the reason it
    cannot, or ``None``."""
    home = submitted / student
    dest = home / assignment
    for p in (submitted, home, dest):
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            return f"{p} is not a folder (a link or a file): not touched"
    root = submitted.resolve()
    if dest.resolve().parent.parent != root:
        return f"{dest} is outside {root}"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for c in chosen:
        target = dest / c.notebook
        shutil.copyfile(c.staged, target, follow_symlinks=False)
        os.chmod(target, 0o644)
    times = [c.time for c in chosen if c.time is not None]
    if times:
        (dest / "timestamp.txt").write_text(format_time(max(times)))
        os.chmod(dest / "timestamp.txt", 0o644)
    return None


def scratch(parent: Path) -> Path:
    """An empty private folder for staging, inside ``parent``."""
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".collect-", dir=parent))
