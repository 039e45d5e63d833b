"""``collect`` of an LMS zip built by an attacker: real zip files made here with crafted
``ZipInfo`` entries (absolute paths, ``..``, symbolic links and FIFOs in the external
attributes, setuid bits, nested zips, compression bombs, lying headers, hostile student ids,
duplicates, times in file names).

Each test checks that nothing lands outside ``submitted/`` (every other path under the test's
folder is the same before and after), that the right files land for the right students, and
that the report says what happened. Everything but the last test runs in this process
(:meth:`grader.course.Course.collect_zip`); the last one runs ``python -m grader collect``.
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

from grader.collect import Limits, format_time, parse_time, unsafe_name  # noqa: E402
from grader.course import Course, course_config  # noqa: E402

NB = "00_backprop_refresher"
NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'


def entry(name: str, mode: int = stat.S_IFREG | 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.create_system = 3  # unix: the high 16 bits of external_attr are st_mode
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def make_zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes | str]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info if isinstance(info, zipfile.ZipInfo) else entry(info), data)
    return path


def zip_bytes(entries) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(entry(name), data)
    return buf.getvalue()


def tree(top: Path) -> dict[str, tuple]:
    """Every path under ``top`` except ``course/submitted/``: kind, size and mode."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            rel = p.relative_to(top).as_posix()
            if rel == "course/submitted" or rel.startswith("course/submitted/"):
                continue
            st = p.lstat()
            out[rel] = (stat.S_IFMT(st.st_mode), st.st_size if p.is_file() else 0)
    return out


def submitted_files(root: Path) -> dict[str, str]:
    """``{"student/assignment/file": text}`` of ``submitted/``, checking that every path in it
    is a plain folder or a plain 0644 file (no link, no special file, no setuid/exec bit)."""
    sub = root / "submitted"
    out = {}
    for dirpath, dirnames, filenames in os.walk(sub):
        for name in dirnames:
            assert not Path(dirpath, name).is_symlink()
        for name in filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            assert stat.S_ISREG(st.st_mode), p
            assert stat.S_IMODE(st.st_mode) == 0o644, (p, oct(st.st_mode))
            out[p.relative_to(sub).as_posix()] = p.read_text(errors="replace")
    return out


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    (root / "release" / NB).mkdir(parents=True)
    (root / "release" / NB / f"{NB}.ipynb").write_text(NOTEBOOK)
    return Course(course_config(root))


def run(course, tmp_path, archive, regex=None, limits=None):
    """``collect_zip``, checking that nothing outside ``submitted/`` changed (the staging
    folder is gone afterwards too); the report and its text."""
    before = tree(tmp_path)
    report = course.collect_zip(NB, archive, regex, limits)
    after = tree(tmp_path)
    new = {
        k: v for k, v in after.items() if k not in before and not k.startswith("course/downloaded")
    }
    assert not new, f"written outside submitted/: {sorted(new)}"
    assert before == {k: v for k, v in after.items() if k in before}
    leftovers = [k for k in after if k.startswith(f"course/downloaded/{NB}/")]
    assert not leftovers, leftovers
    return report, "\n".join(report.text())


def test_absolute_dotdot_links_special_files_and_setuid(course, tmp_path):
    outside = tmp_path / "outside"
    archive = make_zip(tmp_path / "subs.zip", [
        (f"subs/ada_{NB}.ipynb", NOTEBOOK),
        (f"{outside}/eve_{NB}.ipynb", "absolute"),
        (f"/eve_{NB}.ipynb", "absolute at the root"),
        (f"C:/subs/eve_{NB}.ipynb", "drive letter"),
        (f"../outside/eve_{NB}.ipynb", "dotdot"),
        (f"subs/../../../outside/mia_{NB}.ipynb", "dotdot inside"),
        (f"subs\\..\\..\\outside\\ned_{NB}.ipynb", "dotdot with backslashes"),
        (entry(f"subs/lou_{NB}.ipynb", stat.S_IFLNK | 0o777), "/etc/passwd"),
        (entry("subs/lnk", stat.S_IFLNK | 0o777), str(outside)),
        (entry(f"subs/fay_{NB}.ipynb", stat.S_IFIFO | 0o644), ""),
        (entry(f"subs/dev_{NB}.ipynb", stat.S_IFCHR | 0o644), ""),
        (entry(f"subs/sam_{NB}.ipynb", stat.S_IFREG | 0o4755), NOTEBOOK),
        (entry(f"subs/gid_{NB}.ipynb", stat.S_IFREG | 0o2775), NOTEBOOK),
    ])  # fmt: skip
    report, text = run(course, tmp_path, archive)
    assert not outside.exists()
    files = submitted_files(course.root)  # all 0644 regular files
    assert sorted(files) == [f"{s}/{NB}/{NB}.ipynb" for s in ("ada", "gid", "sam")]
    assert report.students == ["ada", "gid", "sam"] and report.ok
    assert f"REFUSED  {outside}/eve_{NB}.ipynb: an absolute path" in text
    assert f"REFUSED  /eve_{NB}.ipynb: an absolute path" in text
    assert f"REFUSED  C:/subs/eve_{NB}.ipynb: an absolute path" in text
    assert f"REFUSED  ../outside/eve_{NB}.ipynb: a '..' in the path" in text
    assert f"for mia: nothing collected\n  REFUSED  subs/../../../outside/mia_{NB}" in text
    assert "ned_00_backprop_refresher.ipynb: a '..' in the path" in text
    assert f"for lou: nothing collected\n  REFUSED  subs/lou_{NB}.ipynb: a symbolic link" in text
    assert "REFUSED  entry subs/lnk: a symbolic link" in text
    assert f"subs/fay_{NB}.ipynb: a FIFO" in text
    assert f"subs/dev_{NB}.ipynb: a character device" in text
    assert f"NOTE     subs/sam_{NB}.ipynb: mode 4755 in the zip, written as 644" in text
    assert f"collected {NB} for sam: {NB}.ipynb (no submission time)" in text
    assert f"collected {NB} for ada" in text


def test_nested_archives_are_refused_for_the_outer_student(course, tmp_path):
    inner = zip_bytes([(f"bob_{NB}.ipynb", "ada's file posing as bob's")])
    archive = make_zip(tmp_path / "subs.zip", [
        (f"subs/ada_{NB}.zip", inner),
        (f"subs/cy_{NB}.ipynb", inner),  # a zip under a notebook's name
        ("subs/bob.zip", inner),
        (f"subs/dee_{NB}.tar.gz", b"\x1f\x8b\x08\x00" + bytes(20)),
        (f"subs/bob_{NB}.ipynb", NOTEBOOK),
    ])  # fmt: skip
    report, text = run(course, tmp_path, archive)
    assert submitted_files(course.root) == {f"bob/{NB}/{NB}.ipynb": NOTEBOOK}
    assert report.students == ["bob"]
    assert f"for ada: nothing collected\n  REFUSED  subs/ada_{NB}.zip: a nested archive" in text
    assert f"for cy: nothing collected\n  REFUSED  subs/cy_{NB}.ipynb: a nested archive" in text
    assert f"for dee: nothing collected\n  REFUSED  subs/dee_{NB}.tar.gz: a nested archive" in text
    assert "REFUSED  entry subs/bob.zip: a nested archive (not extracted)" in text


def write_zeros(zf: zipfile.ZipFile, name: str, mib: int) -> None:
    with zf.open(entry(name), "w") as fh:
        block = bytes(2**20)
        for _ in range(mib):
            fh.write(block)


def bomb_archive(archive: Path) -> Path:
    """A 48 MiB file of zeros (49 kB compressed), a bomb inside a zip, a bomb whose headers
    say it is 100 bytes, and one notebook (ada's); also timed by bench/bench_budgets.py."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        write_zeros(zf, f"eve_{NB}.ipynb", 16)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        write_zeros(zf, f"subs/bob_{NB}.ipynb", 48)
        zf.writestr(entry(f"subs/cy_{NB}.zip"), inner.getvalue())
        zf.writestr(entry(f"subs/liar_{NB}.ipynb"), bytes(8 * 2**20))
        zf.writestr(entry(f"subs/ada_{NB}.ipynb"), NOTEBOOK)
    data = bytearray(archive.read_bytes())  # liar's headers: 100 bytes uncompressed
    name = f"subs/liar_{NB}.ipynb".encode()
    for sig, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        pos = next(
            m.start() for m in re.finditer(re.escape(sig), data)
            if data[m.start() + name_at :].startswith(name)
        )  # fmt: skip
        assert data[pos + size_at : pos + size_at + 4] == struct.pack("<I", 8 * 2**20)
        data[pos + size_at : pos + size_at + 4] = struct.pack("<I", 100)
    archive.write_bytes(bytes(data))
    return archive


def test_bombs_are_refused_quickly_in_little_memory(course, tmp_path):
    """The bombs of :func:`bomb_archive`: refused after reading about a MiB, in a few MiB of
    memory."""
    archive = bomb_archive(tmp_path / "subs.zip")
    assert archive.stat().st_size < 200_000

    tracemalloc.start()
    report, text = run(course, tmp_path, archive)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # its time against an honest zip of the same names is a row of bench/bench_budgets.py
    assert peak < 16 * 2**20, peak
    assert submitted_files(course.root) == {f"ada/{NB}/{NB}.ipynb": NOTEBOOK}
    assert f"subs/bob_{NB}.ipynb: expands more than 200 times (a compression bomb?)" in text
    assert f"subs/cy_{NB}.zip: a nested archive (not extracted)" in text
    assert re.search(rf"subs/liar_{NB}\.ipynb: corrupt \(Bad CRC-32", text), text


def test_size_limits_measured_while_streaming(course, tmp_path):
    noise = os.urandom(300_000)  # does not compress: only the size limit can catch it
    archive = make_zip(tmp_path / "subs.zip", [
        (f"subs/bob_{NB}.ipynb", noise),
        (f"subs/ada_{NB}.ipynb", NOTEBOOK),
    ])  # fmt: skip
    report, text = run(course, tmp_path, archive, limits=Limits(max_file=100_000))
    assert submitted_files(course.root) == {f"ada/{NB}/{NB}.ipynb": NOTEBOOK}
    assert f"subs/bob_{NB}.ipynb: larger than 100000 bytes when decompressed" in text

    # past the total, the whole zip is refused and nothing is written
    archive = make_zip(tmp_path / "big.zip", [
        (f"subs/cy_{NB}.ipynb", NOTEBOOK),
        (f"subs/dee_{NB}.ipynb", noise),
        (f"subs/eve_{NB}.ipynb", NOTEBOOK),
    ])  # fmt: skip
    report, text = run(course, tmp_path, archive, limits=Limits(max_total=200_000))
    assert not report.ok and report.students == []
    assert text == (
        f"ABORTED  collect of {NB}: the zip decompresses to more than 200000 bytes; "
        "nothing collected"
    )
    assert sorted(submitted_files(course.root)) == [f"ada/{NB}/{NB}.ipynb"]

    archive = make_zip(tmp_path / "many.zip", [(f"s{i}_{NB}.ipynb", NOTEBOOK) for i in range(6)])
    report, text = run(course, tmp_path, archive, limits=Limits(max_entries=5))
    assert text.startswith(f"ABORTED  collect of {NB}: 6 entries, more than 5")
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not really a zip" * 10)
    report, text = run(course, tmp_path, tmp_path / "junk.zip")
    assert text.startswith(f"ABORTED  collect of {NB}: not a zip file")
    assert sorted(submitted_files(course.root)) == [f"ada/{NB}/{NB}.ipynb"]


@pytest.mark.parametrize(
    "student, why",
    [
        ("..", "is '..'"),
        (".", "is '.'"),
        ("", "is empty"),
        ("a*b", "contains '*'"),
        ("a?b", "contains '?'"),
        ("[ab]", "contains '[]'"),
        ("a\nb", "contains a control character"),
        ("a\x1bb", "contains a control character"),
        ("a\\b", "contains '\\\\'"),
        ("x/y", "contains '/'"),
        ("-rf", "starts with '-'"),
        (" ada", "starts or ends with white space"),
        ("a" * 256, "is longer than 255 bytes"),
    ],
)
def test_unsafe_name(student, why):
    assert unsafe_name(student) == why
    assert unsafe_name("ada.lovelace-1") is None


def test_unsafe_student_ids_are_refused_naming_the_file(course, tmp_path):
    regex = r"(?s).*subs/(?P<student_id>.*?)_(?P<file_id>0.*)$"
    hostile = ["..", ".", "", "a*b", "a?b", "[ab]", "a\nb", "a\x1bb", "-rf", "a\\b"]
    archive = make_zip(tmp_path / "subs.zip", [
        *[(f"subs/{s}_{NB}.ipynb", f"from {s!r}") for s in hostile],
        (f"subs/x/y_{NB}.ipynb", "from x/y"),
        (f"subs/ada_{NB}.ipynb", NOTEBOOK),
    ])  # fmt: skip
    report, text = run(course, tmp_path, archive, regex=regex)
    assert submitted_files(course.root) == {f"ada/{NB}/{NB}.ipynb": NOTEBOOK}
    assert report.students == ["ada"]
    assert not (course.root / NB).exists() and not (course.root / "submitted" / NB).exists()
    lines = text.splitlines()
    for s, why in [
        ("..", "is '..'"), (".", "is '.'"), ("", "is empty"), ("a*b", "contains '*'"),
        ("a?b", "contains '?'"), ("[ab]", "contains '[]'"), ("a\\nb", "contains a control"),
        ("a\\x1bb", "contains a control"), ("-rf", "starts with '-'"), ("x/y", "contains '/'"),
        ("a\\b", "contains '/'"),  # a Windows zip's backslash is a folder separator
    ]:  # fmt: skip
        # the entry is printed with control characters escaped
        assert any(
            ln.startswith(f"REFUSED  entry subs/{s}_{NB}.ipynb: student id ") and why in ln
            for ln in lines
        ), (s, text)
    # the default pattern reads the same '..' student and refuses it
    archive = make_zip(tmp_path / "dots.zip", [(f"subs/.._{NB}.ipynb", "dots")])
    report, text = run(course, tmp_path, archive)
    assert not report.ok and not (course.root / NB).exists()
    assert f"REFUSED  entry subs/.._{NB}.ipynb: student id '..' is '..'" in text


def test_duplicates_and_times_in_file_names(course, tmp_path):
    archive = make_zip(tmp_path / "subs.zip", [
        (f"a/ada_2024-01-10-11-59-30_{NB}.ipynb", "ada early"),
        (f"b/ada_2024-01-10-12-00-00_{NB}.ipynb", "ada later"),
        (f"a/bob_{NB}.ipynb", "bob one"),
        (f"b/bob_{NB}.ipynb", "bob two"),
        (f"a/cy_2024-01-10-11-59-30_{NB}.ipynb", "cy"),
        (f"a/dee_2024-01-10-12-00-00_{NB}.ipynb", "dee one"),
        (f"b/dee_2024-01-10-12-00-00_{NB}.ipynb", "dee two"),
        (f"a/eve_2024-01-10-12-00-00_{NB}.ipynb", "eve with time"),
        (f"b/eve_{NB}.ipynb", "eve without"),
        (f"a/fay_2024-13-40-25-61-61_{NB}.ipynb", "impossible date"),
        (f"a/gus_2024-01-10T09:30:15_{NB}.ipynb", "iso time"),
        ("a/gus_2024-01-10-09-00-00_other.ipynb", "another notebook, earlier"),
    ])  # fmt: skip
    report, text = run(course, tmp_path, archive)
    files = submitted_files(course.root)
    assert files == {
        f"ada/{NB}/{NB}.ipynb": "ada later",
        f"ada/{NB}/timestamp.txt": "2024-01-10 12:00:00 UTC",
        f"cy/{NB}/{NB}.ipynb": "cy",
        f"cy/{NB}/timestamp.txt": "2024-01-10 11:59:30 UTC",
        f"gus/{NB}/{NB}.ipynb": "iso time",
        f"gus/{NB}/other.ipynb": "another notebook, earlier",
        f"gus/{NB}/timestamp.txt": "2024-01-10 09:30:15 UTC",
    }
    assert report.ok and report.students == ["ada", "cy", "gus"]
    assert (
        f"  SKIPPED  a/ada_2024-01-10-11-59-30_{NB}.ipynb: superseded by the later b/ada_" in text
    )
    assert f"collected {NB} for ada: {NB}.ipynb (submitted 2024-01-10 12:00:00 UTC)" in text
    assert f"collected {NB} for cy: {NB}.ipynb (submitted 2024-01-10 11:59:30 UTC)" in text
    for student in ("bob", "dee", "eve"):
        assert f"{NB} for {student}: nothing collected" in text
        assert re.search(
            rf"REFUSED  a/{student}_\S*: one of 2 files for {NB}\.ipynb and no single latest", text
        ), text
    assert f"fay: nothing collected\n  REFUSED  a/fay_2024-13-40-25-61-61_{NB}.ipynb: " in text
    assert "unreadable time '2024-13-40-25-61-61' (YYYY-MM-DD-hh-mm-ss, UTC)" in text
    assert "NOTE     a/gus_2024-01-10-09-00-00_other.ipynb: other.ipynb is not a notebook" in text


def test_parse_time_reads_the_documented_format_exactly():
    from datetime import UTC, datetime

    assert parse_time("2025-03-01-23-59-00") == datetime(2025, 3, 1, 23, 59, 0, tzinfo=UTC)
    assert parse_time("2024-01-10-11-59-30") == datetime(2024, 1, 10, 11, 59, 30, tzinfo=UTC)
    assert parse_time("2024-01-10T11:59:30") == parse_time("2024-01-10 11-59-30")
    for bad in ("2024-01-10-11-59", "2024-02-30-00-00-00", "2024-01-10-24-00-00", "20240110",
                "2024-01-10-11-59-30+02", " 2024-01-10-11-59-30"):  # fmt: skip
        with pytest.raises(ValueError):
            parse_time(bad)
    assert format_time(parse_time("2025-03-01-23-59-00")) == "2025-03-01 23:59:00 UTC"


def test_readme_example_on_the_command_line_early_is_on_time_late_is_late(tmp_path):
    """The README's example name and due date through ``python -m grader collect``; the
    submission times are read back the way nbgrader reads ``timestamp.txt``."""
    from nbgrader.utils import parse_utc

    readme = (ROOT / "README.md").read_text()
    example = re.search(r"`(\w+?)_(\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)_(\w+)\.ipynb`", readme)
    due = re.search(r'duedate \S+ "([^"]+)"', readme)
    assert example and due, "the README's collect example or due date is gone"
    stamp = example.group(2)
    assert stamp == "2025-03-01-23-59-00" and due.group(1) == "2025-03-01 23:59:00 UTC"
    root = tmp_path / "course"
    archive = make_zip(tmp_path / "subs.zip", [
        (f"subs/ada_{stamp}_{NB}.ipynb", NOTEBOOK),
        (f"subs/eve_2025-03-01-23-29-00_{NB}.ipynb", NOTEBOOK),  # 30 minutes early
        (f"subs/sam_2025-03-02-00-44-00_{NB}.ipynb", NOTEBOOK),  # 45 minutes late
        (f"subs/.._{NB}.ipynb", NOTEBOOK),
    ])  # fmt: skip
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        [sys.executable, "-m", "grader", "collect", "--course", str(root), NB, str(archive)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"collected {NB} for ada: {NB}.ipynb (submitted 2025-03-01 23:59:00 UTC)" in out
    assert f"REFUSED  entry subs/.._{NB}.ipynb: student id '..' is '..'" in out
    read = {
        s: (root / "submitted" / s / NB / "timestamp.txt").read_text()
        for s in ("ada", "eve", "sam")
    }
    assert read["ada"] == "2025-03-01 23:59:00 UTC"
    deadline = parse_utc(due.group(1))
    late = {s: (parse_utc(t) - deadline).total_seconds() for s, t in read.items()}
    assert late == {"ada": 0.0, "eve": -1800.0, "sam": 2700.0}
    assert sorted(p.name for p in (root / "submitted").iterdir()) == ["ada", "eve", "sam"]
    assert not (root / NB).exists()
