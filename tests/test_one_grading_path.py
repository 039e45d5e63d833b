"""One autograde path: plain ``nbgrader autograde`` grades exactly as ``python -m grader``.

The sandbox, the output cap, the static checks and the check cells are nbgrader
preprocessors configured in ``grader/nbgrader_config.py``, so the ``nbgrader`` command (and
the formgrader's Autograde button, which runs the same application) cannot skip them. Here the
real ``nbgrader autograde`` command grades hostile submissions of the adversarial corpus in one
course, ``python -m grader autograde`` grades the same files in another, and both must give
the same score per test cell and the same flags; inside the sandbox, the secrets stay
unreadable on both paths.
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

from grader import sandbox
from grader.course import Course, course_config
from grader.ledger import Ledger

import corpus  # tests/adversarial/corpus.py (on pytest's pythonpath, pyproject.toml)

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow
NB00 = corpus.NB00
SANDBOX, WHY_NOT = sandbox.status()
CASES = ["solution", "edited_test", "patched_grading"]
if SANDBOX:
    CASES.append("read_secrets")

CONFIG = """\
c = get_config()  # noqa: F821
load_subconfig({config!r})  # noqa: F821
c.CourseDirectory.root = {root!r}
for step in ("source", "release", "submitted", "autograded", "feedback", "solution"):
    setattr(c.CourseDirectory, step + "_directory", step)
c.CourseDirectory.db_url = "sqlite:///" + {root!r} + "/gradebook.db"
c.Execute.timeout = 30
"""


def _env() -> dict:
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def _course(root: Path) -> Course:
    shutil.copytree(ROOT / "tests" / "fixtures" / "grading" / NB00, root / "source" / NB00)
    course = Course(course_config(root))
    course.release([NB00])
    ctx = corpus.context(root, ROOT, 9, "2024-01-01 00:00:00 UTC")
    corpus.write_submissions(course.directory("submitted"), ctx, CASES)
    return course


def _cell_scores(course: Course, student: str) -> dict[str, float]:
    grades = course.grades(NB00, student)[NB00]
    return {gid: g["score"] for gid, g in grades.items() if g["cell_type"] == "code"}


def _outputs(course: Course, student: str) -> str:
    nb = nbformat.read(
        course.directory("autograded", student, NB00) / f"{NB00}.ipynb", as_version=4
    )
    return "\n".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    plain_root = tmp_path_factory.mktemp("plain")
    ours_root = tmp_path_factory.mktemp("ours")
    plain, ours = _course(plain_root), _course(ours_root)

    (plain_root / "nbgrader_config.py").write_text(
        CONFIG.format(config=str(ROOT / "grader" / "nbgrader_config.py"), root=str(plain_root))
    )
    runs = {}
    for student in CASES:  # the plain command, one student at a time, as an instructor would
        runs[student] = subprocess.run(
            [str(Path(sys.executable).parent / "nbgrader"), "autograde", NB00,
             "--student", student, "--force", "--create"],
            cwd=plain_root, env=_env(), capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    ours_run = subprocess.run(
        [sys.executable, "-m", "grader", "autograde", "--course", str(ours_root), "--jobs", "2",
         "--timeout", "30", "--quiet"],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ours_run.returncode == 0, ours_run.stdout + ours_run.stderr
    return plain, ours, runs


@pytest.mark.parametrize("student", CASES)
def test_plain_nbgrader_gives_the_same_scores_as_the_class_grader(graded, student):
    plain, ours, runs = graded
    assert runs[student].returncode == 0, runs[student].stderr[-3000:]
    assert _cell_scores(plain, student) == _cell_scores(ours, student)
    want = corpus.CASES[student].score
    assert sum(_cell_scores(plain, student).values()) == pytest.approx(want)


@pytest.mark.parametrize("student", CASES)
def test_plain_nbgrader_records_the_same_flags(graded, student):
    plain, ours, _ = graded
    plain_rec = Ledger(plain).load(NB00, student)
    ours_rec = Ledger(ours).load(NB00, student)
    assert plain_rec is not None, "plain nbgrader wrote no flags to the ledger"
    assert plain_rec["graded_by"] == "nbgrader autograde"
    # the same flags, up to the course directory each one names
    mine = sorted(f.replace(str(plain.root), "<course>") for f in plain_rec["flags"])
    theirs = sorted(f.replace(str(ours.root), "<course>") for f in ours_rec["flags"])
    assert mine == theirs
    for flag in corpus.CASES[student].flags:
        assert any(flag in f for f in plain_rec["flags"]), (flag, plain_rec["flags"])
    if corpus.CASES[student].no_flags:
        assert plain_rec["flags"] == []


def test_export_shows_the_flags_of_a_plain_nbgrader_run(graded, tmp_path):
    plain, _, _ = graded
    out = plain.export(tmp_path / "grades.csv")
    with open(out) as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert rows["patched_grading"]["status"] == "graded"
    assert "vanishing.grading.check was replaced" in rows["patched_grading"]["flags"]
    assert rows["solution"]["flags"] == ""


@pytest.mark.skipif(not SANDBOX, reason=f"no sandbox here: {WHY_NOT}")
def test_plain_nbgrader_runs_the_kernel_in_the_sandbox(graded):
    plain, _, runs = graded
    reads = _outputs(plain, "read_secrets")
    assert "READ" not in reads and reads.count("read failed") == 3, reads
    assert "WITHOUT the sandbox" not in runs["read_secrets"].stderr


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="needs root and unshare(1) to run nbgrader as a user without privileges",
)
def test_plain_nbgrader_without_privileges_warns_as_loudly_and_still_grades(graded):
    """In a new user namespace the process is not root (its uid reads as 65534), so no
    sandbox can be made: the command must say so loudly, and still grade."""
    plain, _, _ = graded
    run = subprocess.run(
        ["unshare", "--user", "--", str(Path(sys.executable).parent / "nbgrader"), "autograde",
         NB00, "--student", "solution", "--force", "--create"],
        cwd=plain.root, env=_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "student code runs WITHOUT the sandbox: the sandbox needs root" in run.stderr
    assert run.stderr.count("WARNING: " + "!" * 70) >= 2  # the same banner as python -m grader
    assert sum(_cell_scores(plain, "solution").values()) == pytest.approx(8.0)
