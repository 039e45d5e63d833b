"""Copy a submission for grading without trusting anything in it.

A submission folder is written by the student (or unpacked from an LMS zip). Before nbgrader
and the kernel see it, :func:`copy_submission` copies it to a private staging folder with
these rules, each of which a hostile submission once broke:

* only **regular files** are copied, opened with ``O_NOFOLLOW | O_NONBLOCK`` relative to the
  already opened parent folder: a symbolic link (``notes -> /etc/shadow``, ``-> gradebook.db``)
  is never followed, a FIFO never blocks the grader, a device is never read; a file with more
  than one hard link (it may be another file of the system under a new name) is skipped too;
* folders are entered the same way (``O_DIRECTORY | O_NOFOLLOW``), so a symlinked folder is
  skipped, not followed;
* the copy is bounded (number of entries, total bytes): a flood of files cannot fill the disk;
* ``timestamp.txt`` must hold a time nbgrader can read; otherwise it is dropped and the
  submission is graded as on time, with a flag.

Every entry skipped is reported, so the instructor sees it among the flags. :func:`stage`
makes the staged copy of one submission that ``grader.parallel`` grades: invalid notebooks
set aside, a single renamed notebook graded under its proper name, extra ones ignored.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from grader import flags as kinds
from grader.flags import Flag

if TYPE_CHECKING:
    from grader.course import Course, Submission

#: What one submission may hold.
MAX_ENTRIES = 2000
MAX_BYTES = 256 * 1024**2
SKIP_NAMES = {".ipynb_checkpoints", "__pycache__"}
_FLAGS_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FLAGS_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class _Budget:
    def __init__(self) -> None:
        self.entries = 0
        self.bytes = 0


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISLNK, "symbolic link"),
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISDIR, "folder"),
    ):
        if test(mode):
            return name
    return "special file"


def copy_submission(src: Path, dst: Path) -> list[Flag]:
    """Copy the regular files under ``src`` to ``dst`` (created); return what was skipped,
    as flags."""
    skipped: list[str] = []
    try:
        top = os.open(src, _FLAGS_DIR)
    except OSError as err:
        raise OSError(
            f"the submission folder {src} is not a plain folder ({err.strerror})"
        ) from None
    dst.mkdir(parents=True, exist_ok=True)
    try:
        _copy_dir(top, dst, "", skipped, _Budget())
    finally:
        os.close(top)
    return [Flag(kinds.SKIPPED_ENTRY, "", s) for s in skipped]


def _copy_dir(dir_fd: int, dst: Path, rel: str, skipped: list[str], budget: _Budget) -> None:
    with os.scandir(dir_fd) as entries:
        names = sorted(e.name for e in entries)
    for name in names:
        path = f"{rel}{name}"
        if name in SKIP_NAMES:
            continue
        budget.entries += 1
        if budget.entries > MAX_ENTRIES:
            skipped.append(f"more than {MAX_ENTRIES} files: the rest was not copied")
            return
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError as err:
            skipped.append(f"unreadable entry skipped: {path} ({err.strerror})")
            continue
        if stat.S_ISDIR(st.st_mode):
            try:
                fd = os.open(name, _FLAGS_DIR, dir_fd=dir_fd)
            except OSError as err:
                skipped.append(f"folder skipped: {path} ({err.strerror})")
                continue
            try:
                (dst / name).mkdir(exist_ok=True)
                _copy_dir(fd, dst / name, f"{path}/", skipped, budget)
            finally:
                os.close(fd)
            continue
        if not stat.S_ISREG(st.st_mode):
            skipped.append(f"{_kind(st.st_mode)} skipped, not followed: {path}")
            continue
        _copy_file(dir_fd, name, dst / name, path, skipped, budget)


def _copy_file(dir_fd: int, name: str, target: Path, path: str, skipped, budget) -> None:
    try:
        fd = os.open(name, _FLAGS_FILE, dir_fd=dir_fd)
    except OSError as err:  # a symlink swapped in since the stat: ELOOP
        skipped.append(f"file skipped, not followed: {path} ({err.strerror})")
        return
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            skipped.append(f"{_kind(st.st_mode)} skipped, not followed: {path}")
            return
        if st.st_nlink > 1:
            skipped.append(f"hard-linked file skipped: {path}")
            return
        if budget.bytes + st.st_size > MAX_BYTES:
            skipped.append(f"file skipped, the submission exceeds {MAX_BYTES >> 20} MB: {path}")
            return
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as fh, open(target, "wb") as out:
            copied = 0
            while chunk := fh.read(1 << 20):
                copied += len(chunk)
                if budget.bytes + copied > MAX_BYTES:
                    break
                out.write(chunk)
        budget.bytes += copied
    finally:
        os.close(fd)


def check_timestamp(folder: Path) -> list[Flag]:
    """Drop a ``timestamp.txt`` that nbgrader cannot read (the submission is then graded as
    on time); return a flag saying so."""
    path = folder / "timestamp.txt"
    if not path.is_file():
        return []
    from nbgrader.utils import parse_utc

    text = path.read_bytes()[:200].decode("utf-8", "replace").strip()
    try:
        parse_utc(text)
    except Exception:  # noqa: BLE001 - dateutil raises several kinds
        path.unlink()
        return [Flag(kinds.BAD_TIMESTAMP, "", repr(text[:40]))]
    return []


def stage(course: Course, sub: Submission, staging: Path, flags: list[Flag]) -> list[str]:
    """Copy the submission to ``staging/<student>/<assignment>`` and tidy it up; return the
    notebook ids that can be graded."""
    src = course.directory("submitted", sub.student, sub.assignment)
    dst = staging / sub.student / sub.assignment
    shutil.rmtree(staging, ignore_errors=True)
    # regular files only, never following a link
    flags.extend(copy_submission(src, dst))
    flags.extend(check_timestamp(dst))
    expected = course.notebooks(sub.assignment)
    invalid: set[str] = set()
    for path in sorted(dst.glob("*.ipynb")):
        try:
            nbformat.read(path, as_version=4)
        except Exception as err:  # noqa: BLE001 - any unreadable notebook
            first = str(err).strip().splitlines()[0][:120] if str(err).strip() else ""
            detail = f"{path.name}: {type(err).__name__} {first}"
            flags.append(Flag(kinds.INVALID_NOTEBOOK, "", detail))
            invalid.add(path.name)
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    missing = [n for n in expected if not (dst / f"{n}.ipynb").exists()]
    extra = [p for p in sorted(dst.glob("*.ipynb")) if p.stem not in expected]
    if len(missing) == 1 and len(extra) == 1:
        detail = f"{extra[0].name} graded as {missing[0]}.ipynb"
        flags.append(Flag(kinds.RENAMED_NOTEBOOK, "", detail))
        extra[0].rename(dst / f"{missing[0]}.ipynb")
        missing, extra = [], []
    flags.extend(Flag(kinds.EXTRA_NOTEBOOK, "", p.name) for p in extra)
    flags.extend(
        Flag(kinds.MISSING_NOTEBOOK, "", f"{n}.ipynb")
        for n in missing
        if f"{n}.ipynb" not in invalid
    )
    return [n for n in expected if (dst / f"{n}.ipynb").exists()]
