"""Nothing lost: every submitted folder ends as a row, and a cell that cannot be interrupted
costs only that cell.

One real batch through ``python -m grader autograde`` (sandboxed where it runs as root):

* an honest extra cell making one long numpy call (``einsum`` of two large matrices: numpy
  does not look at SIGINT while it runs), and a kernel that ignores SIGINT, each with three
  correct answers: the kernel is killed at the timeout, a fresh one runs the cells above
  again, and the student keeps full marks;
* student folders whose names nbgrader cannot grade (a ``[``, a line break): a row each in
  the export, ``failed`` with a reason that says what to do.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
from grader.course import Course, course_config  # noqa: E402

pytestmark = pytest.mark.slow
NB00 = "00_backprop_refresher"
TIMEOUT = 5  # seconds per cell

LONG_NUMPY_CALL = """\
import numpy as np
a = np.ones((3000, 3000))
b = np.einsum("ij,jk->ik", a, a)  # 2.7e10 multiply-adds in one C loop: minutes
"""
IGNORES_SIGINT = """\
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
time.sleep(3600)
"""


def _solved(extra: str | None = None) -> nbformat.NotebookNode:
    nb = nbformat.read(
        ROOT / "tests" / "fixtures" / "grading" / NB00 / f"{NB00}.ipynb", as_version=4
    )
    if extra:  # a cell of the learner's own, right after the first test cell
        first_test = next(
            i
            for i, c in enumerate(nb.cells)
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")
        )
        nb.cells.insert(first_test + 1, nbformat.v4.new_code_cell(extra))
    return nb


STUDENTS = {
    "solution": _solved(),
    "long_numpy_call": _solved(LONG_NUMPY_CALL),
    "ignores_sigint": _solved(IGNORES_SIGINT),
    "br[ack]et": _solved(),
    "new\nline": _solved(),
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("lost")
    shutil.copytree(ROOT / "tests" / "fixtures" / "grading" / NB00, root / "source" / NB00)
    course = Course(course_config(root))
    course.release([NB00])
    for student, nb in STUDENTS.items():
        folder = course.directory("submitted", student, NB00)
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NB00}.ipynb")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.run(
        [sys.executable, "-m", "grader", "autograde", "--course", str(root), "--jobs", "2",
         "--timeout", str(TIMEOUT), "--quiet"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    out = root / "grades.csv"
    export = subprocess.run(
        [sys.executable, "-m", "grader", "export", "--course", str(root), "--to", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert export.returncode == 0, export.stderr
    with open(out, newline="") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    return course, run, rows


def test_every_submitted_folder_is_a_row(batch):
    _, run, rows = batch
    assert sorted(rows) == sorted(STUDENTS), run.stdout + run.stderr
    assert run.returncode == 1  # two folders could not be graded, and the batch says so


@pytest.mark.parametrize("student", ["long_numpy_call", "ignores_sigint"])
def test_a_cell_that_cannot_be_interrupted_costs_only_itself(batch, student):
    course, run, rows = batch
    assert rows[student]["status"] == "graded", rows[student]
    assert float(rows[student]["raw_score"]) == float(rows["solution"]["raw_score"]) == 8.0
    nb = nbformat.read(course.directory("autograded", student, NB00) / f"{NB00}.ipynb", 4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [e.ename for e in errors] == ["CellTimeoutError"], errors
    assert f"still running after {TIMEOUT} s" in errors[0].evalue


def test_folder_names_nbgrader_cannot_grade_fail_with_a_reason(batch):
    _, run, rows = batch
    assert rows["br[ack]et"]["status"].startswith("failed: the student folder name 'br[ack]et'")
    assert "rename the folder" in rows["br[ack]et"]["status"]
    assert "line break" in rows["new\nline"]["status"]
    # the console shows the name so that it cannot break or forge a line
    assert "for 'new\\nline':" in run.stdout


def _children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            continue
    return out


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in _children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_kill_9_of_autograde_takes_its_workers_and_kernels_with_it(tmp_path):
    import signal
    import time

    shutil.copytree(ROOT / "tests" / "fixtures" / "grading" / NB00, tmp_path / "source" / NB00)
    course = Course(course_config(tmp_path))
    course.release([NB00])
    for student in ("slow_1", "slow_2"):
        folder = course.directory("submitted", student, NB00)
        folder.mkdir(parents=True)
        nbformat.write(_solved("import time\ntime.sleep(600)"), folder / f"{NB00}.ipynb")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "grader", "autograde", "--course", str(tmp_path), "--jobs", "2",
         "--timeout", "600", "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        family: set[int] = set()
        while time.monotonic() < deadline:  # until both workers run a kernel
            family |= _descendants(proc.pid)
            if len(family) >= 6:  # 2 workers, each with a kernel (and its launcher)
                break
            time.sleep(0.5)
        assert len(family) >= 4, f"the workers never started their kernels: {family}"
        time.sleep(2)
        family |= _descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(p) for p in family):
            time.sleep(0.5)
        left = [p for p in family if _alive(p)]
        assert not left, f"still running after the parent was killed: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
