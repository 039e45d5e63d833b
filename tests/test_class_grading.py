"""Grading a whole class through ``python -m grader``: parallel, resumable, incremental;
``collect`` from an LMS zip, ``feedback`` without hidden tests, ``export`` with flags.

Real nbgrader, real kernels (sandboxed when this runs as root on Linux, as in CI), a real
SQLite gradebook, the command line in subprocesses (a Ctrl-C is a real SIGINT).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

from grader import sandbox  # noqa: E402
from grader.course import COURSE_DIRS, Course, course_config  # noqa: E402
from grader.ledger import Ledger  # noqa: E402

pytestmark = pytest.mark.slow
NB00 = "00_backprop_refresher"
STUDENTS = {"s1": 8.0, "s2": 8.0, "s3": 8.0, "s4": 8.0, "partial": 6.0, "blank": 0.0}
WRONG_REL_ERROR = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))
"""
SUMMARY = re.compile(r"(\d+) graded, (\d+) unchanged \(skipped\), (\d+) failed")


def _env() -> dict:
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def summary(result) -> tuple[int, int, int]:
    m = SUMMARY.search(result.stdout)
    assert m, result.stdout + result.stderr
    return tuple(int(x) for x in m.groups())


def with_answer(nb, grade_id: str, code: str):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for c in nb.cells:
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            c.source = code
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    root = tmp_path_factory.mktemp("klass")
    shutil.copytree(ROOT / "tests" / "fixtures" / "grading" / NB00, root / "source" / NB00)
    course = Course(course_config(root))
    course.release([NB00])
    source = nbformat.read(root / "source" / NB00 / f"{NB00}.ipynb", as_version=4)
    release = nbformat.read(root / "release" / NB00 / f"{NB00}.ipynb", as_version=4)
    notebooks = {s: source for s in ("s1", "s2", "s3", "s4")}
    notebooks["partial"] = with_answer(source, "rel_error", WRONG_REL_ERROR)
    notebooks["blank"] = release
    for student, nb in notebooks.items():
        folder = course.directory("submitted", student, NB00)
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NB00}.ipynb")
    return course


def gradebook_rows(course: Course) -> dict:
    """Per student: submissions, grade rows, and the autograded score, straight from SQL."""
    with sqlite3.connect(course.root / "gradebook.db") as db:
        subs = dict(
            db.execute(
                "SELECT student_id, COUNT(*) FROM submitted_assignment GROUP BY student_id"
            ).fetchall()
        )
        grades = dict(
            db.execute(
                "SELECT sa.student_id, COUNT(g.id) FROM grade g "
                "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
                "JOIN submitted_assignment sa ON sn.assignment_id = sa.id GROUP BY sa.student_id"
            ).fetchall()
        )
        scores = dict(
            db.execute(
                "SELECT sa.student_id, SUM(COALESCE(g.manual_score, g.auto_score, 0)) FROM grade g "
                "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
                "JOIN submitted_assignment sa ON sn.assignment_id = sa.id GROUP BY sa.student_id"
            ).fetchall()
        )
    return {"submissions": subs, "grades": grades, "scores": scores}


def test_interrupted_batch_resumes_without_losing_or_duplicating(course):
    """Ctrl-C in the middle of ``autograde --jobs 2``, then the same command again."""
    ledger = Ledger(course)
    proc = subprocess.Popen(
        [sys.executable, "-m", "grader", "autograde", "--course", str(course.root), "--jobs", "2"],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while len(ledger.records()) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    done_before = len(ledger.records())
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does
    out, err = proc.communicate(timeout=120)
    assert 2 <= done_before < len(STUDENTS), out + err
    assert proc.returncode == 130 and "interrupted" in out, out + err
    assert len(ledger.records()) < len(STUDENTS)  # the batch really was cut short
    assert "autograde" in err  # the tqdm progress bar
    recorded = set(ledger.records())

    again = cli("autograde", "--course", str(course.root), "--jobs", "2", "--quiet")
    assert again.returncode == 0, again.stdout + again.stderr
    graded, skipped, failed = summary(again)
    assert skipped == len(recorded) and graded + skipped == len(STUDENTS) and failed == 0
    rows = gradebook_rows(course)
    assert rows["submissions"] == {s: 1 for s in STUDENTS}
    grade_cells = 4  # three test cells and one written answer
    assert rows["grades"] == {s: grade_cells for s in STUDENTS}
    assert rows["scores"] == STUDENTS


def test_rerun_grades_only_what_changed_unless_forced(course):
    first = cli("autograde", "--course", str(course.root), "--quiet")
    assert summary(first) == (0, len(STUDENTS), 0), first.stdout
    assert "use --force" in first.stdout

    # s1 resubmits a worse notebook: only s1 is graded again, and gets the new score
    path = course.directory("submitted", "s1", NB00) / f"{NB00}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.write(with_answer(nb, "rel_error", WRONG_REL_ERROR), path)
    second = cli("autograde", "--course", str(course.root), "--jobs", "2", "--quiet")
    assert summary(second) == (1, len(STUDENTS) - 1, 0), second.stdout
    forced = cli("autograde", "--course", str(course.root), "--student", "s2", "--force", "--quiet")
    assert summary(forced) == (1, 0, 0), forced.stdout
    rows = gradebook_rows(course)
    assert rows["scores"] == {**STUDENTS, "s1": 6.0}
    assert rows["submissions"] == {s: 1 for s in STUDENTS}  # still exactly once each


def test_export_has_one_row_per_student_with_status_and_flags(course, tmp_path):
    result = cli("export", "--course", str(course.root), "--to", str(tmp_path / "g.csv"))
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "g.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["student_id"] for r in rows) == sorted(STUDENTS)
    assert {r["status"] for r in rows} == {"graded"}
    assert all(r["flags"] == "" for r in rows)
    assert {r["student_id"]: float(r["score"]) for r in rows}["partial"] == 6.0


def test_nbgrader_export_writes_the_same_table(course, tmp_path):
    # the course's ExportApp.plugin_class is grader.export.LedgerCsvExport: nbgrader's own
    # command gives the status and flags columns too, row for row
    ours = cli("export", "--course", str(course.root), "--to", str(tmp_path / "ours.csv"))
    assert ours.returncode == 0, ours.stderr
    cd = course.coursedir
    dirs = [f"--CourseDirectory.{k}_directory={getattr(cd, f'{k}_directory')}" for k in COURSE_DIRS]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "export", f"--to={tmp_path / 'nb.csv'}",
         f"--CourseDirectory.root={course.root}", f"--CourseDirectory.db_url={cd.db_url}", *dirs],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    ours = (tmp_path / "ours.csv").read_text()
    assert (tmp_path / "nb.csv").read_text() == ours
    header = ours.splitlines()[0].split(",")
    assert header[-2:] == ["status", "flags"] and "graded" in ours


def test_feedback_shows_failures_but_not_hidden_tests(course):
    autograded = course.directory("autograded", "partial", NB00) / f"{NB00}.ipynb"
    cell = next(
        c
        for c in nbformat.read(autograded, as_version=4).cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "test_rel_error"
    )
    block = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
    visible = cell.source.replace(block, "")
    lines = [ln.strip() for ln in block.splitlines()]
    hidden = [ln for ln in lines if len(ln) > 25 and ln not in visible][:5]
    assert len(hidden) >= 3 and "BEGIN HIDDEN TESTS" in cell.source  # put back to grade
    hidden.append("BEGIN HIDDEN TESTS")
    result = cli("feedback", "--course", str(course.root), NB00, "--student", "partial")
    assert result.returncode == 0, result.stdout + result.stderr
    html = (course.directory("feedback", "partial", NB00) / f"{NB00}.html").read_text()
    assert "test_rel_error" in html and "rel_error: return value is" in html
    assert "hidden tests: not shown in feedback" in html
    for h in hidden:
        assert h not in html, h


def test_a_new_due_date_grades_again_and_applies_the_new_penalty(course, tmp_path):
    # s3 says when it was submitted; with no due date nothing is late
    stamp = course.directory("submitted", "s3", NB00) / "timestamp.txt"
    stamp.write_text("2024-01-10 12:00:00 UTC")
    first = cli("autograde", "--course", str(course.root), "--jobs", "2", "--quiet")
    assert summary(first) == (1, len(STUDENTS) - 1, 0), first.stdout
    # the due date moves to a day and a half before: nothing was resubmitted, yet every
    # submission is graded again (the ledger's fingerprint holds the due dates) and s3 loses
    # 10 % of its 8 points for each of the two started days
    assert (
        cli("duedate", NB00, "2024-01-09 00:00:00 UTC", "--course", str(course.root)).returncode
        == 0
    )
    second = cli("autograde", "--course", str(course.root), "--jobs", "2", "--quiet")
    assert summary(second) == (len(STUDENTS), 0, 0), second.stdout
    result = cli("export", "--course", str(course.root), "--to", str(tmp_path / "g.csv"))
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "g.csv") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert float(rows["s3"]["late_submission_penalty"]) == pytest.approx(1.6)
    assert float(rows["s3"]["score"]) == pytest.approx(6.4)
    assert float(rows["s1"]["late_submission_penalty"] or 0) == 0.0  # no timestamp: on time


def test_collect_from_an_lms_zip(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(ROOT / "tests" / "fixtures" / "grading" / NB00, root / "source" / NB00)
    Course(course_config(root)).release([NB00])
    nb = (root / "release" / NB00 / f"{NB00}.ipynb").read_text()
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"submissions/ada_2024-01-09-10-00-00_{NB00}.ipynb", nb)
        zf.writestr(f"submissions/bob_{NB00}.ipynb", nb)
        zf.writestr("submissions/readme.txt", "not a submission")
    result = cli("collect", "--course", str(root), NB00, str(archive))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "collected 00_backprop_refresher for ada" in result.stdout
    for student in ("ada", "bob"):
        got = root / "submitted" / student / NB00 / f"{NB00}.ipynb"
        assert got.read_text() == nb
    stamp = (root / "submitted" / "ada" / NB00 / "timestamp.txt").read_text()
    assert stamp.startswith("2024-01-09 10:00:00")
    assert not (root / "submitted" / "bob" / NB00 / "timestamp.txt").exists()


SANDBOX, WHY_NOT = sandbox.status()


@pytest.mark.skipif(not SANDBOX, reason=f"no sandbox here: {WHY_NOT}")
def test_sandbox_hides_the_course_and_keeps_python():
    """What the kernel may see: the Python installation yes; course, repository, no."""
    from grader.sandbox import kernel_python_paths

    keep = kernel_python_paths()
    hide = sandbox.hidden_paths([str(ROOT)], keep)
    assert str(ROOT / "solutions") in hide and str(ROOT / ".git") in hide
    assert str(ROOT / "grader") in hide
    assert not any(k.startswith(h + os.sep) or k == h for h in hide for k in keep)
