"""End to end with real nbgrader: release, validate, autograde, feedback, export, selfcheck.

Follows nbgrader's own test pattern: a course directory under tmp, nbgrader's real
applications (through its Python API, in this process, because every ``nbgrader`` command
costs seconds to start), a real SQLite gradebook. Every assignment in ``solutions/`` is
covered by the generic tests; notebook 00 also gets hand-made submissions with known scores.
"""

from __future__ import annotations

import ast
import csv
import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.validator import Validator

ROOT = Path(__file__).resolve().parents[1]

from grader.course import Course, course_config  # noqa: E402

pytestmark = pytest.mark.slow

ASSIGNMENTS = sorted(
    p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and any(p.glob("*.ipynb"))
)
NB00 = "00_backprop_refresher"
POLICY = "zz_stderr_policy"  # a tiny assignment made here to test the stderr policy


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def cell_by_id(nb, grade_id: str):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def source_notebooks(assignment: str) -> list[Path]:
    return sorted((ROOT / "solutions" / assignment).glob("*.ipynb"))


def points(assignment: str) -> tuple[float, float]:
    """(autograded points, manually graded points) of an assignment's source notebooks."""
    auto = manual = 0.0
    for path in source_notebooks(assignment):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = nbgrader_meta(cell)
            if meta.get("grade"):
                if meta.get("solution"):
                    manual += float(meta["points"])
                else:
                    auto += float(meta["points"])
    return auto, manual


# --- submissions made from the source and the release -------------------------------------
PARTIAL_REL_ERROR = """
def rel_error(a, b, floor=1e-8):
    # the common mistake: relative to b only, so not symmetric
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))
"""

WARNING_REL_ERROR = """
import warnings
def rel_error(a, b, floor=1e-8):
    # correct, but 0/0 raises a numpy RuntimeWarning before the floor is applied
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(all="warn"):
        ratio = np.abs(a - b) / (np.abs(a) + np.abs(b))
    ratio = np.where(np.abs(a) + np.abs(b) < floor, np.abs(a - b) / floor, ratio)
    warnings.warn("a user warning from a correct answer", UserWarning)
    return float(np.max(ratio))
"""

WARNING_NUMERICAL_GRADIENT = """
import matplotlib.pyplot as plt
def numerical_gradient(f, x, eps=1e-6):
    # correct, but draws an empty legend: matplotlib warns "No artists with labels found"
    fig, ax = plt.subplots()
    ax.legend()
    plt.close(fig)
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        fp = f(x)
        x[i] = old - eps
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * eps)
    return grad
"""

CHEATS = {
    "numerical_gradient": """
from vanishing.gradcheck import numerical_gradient as _ng
def numerical_gradient(f, x, eps=1e-6):
    return _ng(f, np.array(x, dtype=float), eps)
""",
    "rel_error": """
import vanishing.gradcheck
def rel_error(a, b, floor=1e-8):
    return vanishing.gradcheck.rel_error(a, b, floor)
""",
    "linear_backward": """
from vanishing.nn import linear_backward as _lb
def linear_backward(dout, x, W):
    return _lb(dout, x, W)
""",
}


def make_00_submissions(release_nb: Path) -> dict[str, nbformat.NotebookNode]:
    """Hand-made submissions of notebook 00, by student id."""
    source = nbformat.read(ROOT / "solutions" / NB00 / f"{NB00}.ipynb", as_version=4)
    release = nbformat.read(release_nb, as_version=4)

    def answer(grade_id):
        return cell_by_id(source, grade_id).source

    subs = {}
    partial = nbformat.from_dict(json.loads(json.dumps(release)))
    cell_by_id(partial, "numerical_gradient").source = answer("numerical_gradient")
    cell_by_id(partial, "linear_backward").source = answer("linear_backward")
    cell_by_id(partial, "rel_error").source = PARTIAL_REL_ERROR
    subs["partial"] = partial

    warns = nbformat.from_dict(json.loads(json.dumps(source)))
    cell_by_id(warns, "rel_error").source = WARNING_REL_ERROR
    cell_by_id(warns, "numerical_gradient").source = WARNING_NUMERICAL_GRADIENT
    subs["warnings"] = warns

    cheat = nbformat.from_dict(json.loads(json.dumps(release)))  # the other answers blank
    for grade_id, code in CHEATS.items():
        cell_by_id(cheat, grade_id).source = code
    subs["cheater"] = cheat

    deleter = nbformat.from_dict(json.loads(json.dumps(source)))
    deleter.cells = [
        c for c in deleter.cells if nbgrader_meta(c).get("grade_id") != "test_rel_error"
    ]
    subs["deleter"] = deleter
    return subs


def make_policy_assignment(source_dir: Path) -> None:
    """One answer and four test cells: three warn on stderr (allowed), one prints (not)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }

    answer = nbformat.v4.new_code_cell(
        "def answer():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
    )
    answer.metadata["nbgrader"] = {
        "grade": False,
        "grade_id": "answer",
        "locked": False,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }
    nb.cells.append(answer)
    tests = {
        "warns_python": 'import warnings\nwarnings.warn("deprecated", DeprecationWarning)\n'
        'warnings.warn("odd", RuntimeWarning)\nassert answer() == 1',
        "warns_numpy": "import numpy as np\nnp.log(np.zeros(1))\nassert answer() == 1",
        "warns_matplotlib": "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots()\nax.legend()\nassert answer() == 1",
        "prints_stderr": 'import sys\nprint("something went wrong", file=sys.stderr)\n'
        "assert answer() == 1",
    }
    for grade_id, code in tests.items():
        cell = nbformat.v4.new_code_cell(code)
        cell.metadata["nbgrader"] = {
            "grade": True,
            "grade_id": grade_id,
            "locked": True,
            "points": 1,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
        nb.cells.append(cell)
    source_dir.mkdir(parents=True)
    nbformat.write(nb, source_dir / f"{POLICY}.ipynb")


# --- the course, graded once for all the tests below ---------------------------------------
class Graded:
    def __init__(self, course: Course):
        self.course = course

    def score(self, assignment: str, student: str) -> tuple[float, float]:
        """(autograded score, autograded max) summed over the assignment's notebooks."""
        score = max_score = 0.0
        for grades in self.course.grades(assignment, student).values():
            for g in grades.values():
                if g["cell_type"] == "code":
                    score += g["score"] or 0.0
                    max_score += g["max_score"]
        return score, max_score

    def grade(self, assignment: str, student: str, grade_id: str) -> float:
        for grades in self.course.grades(assignment, student).values():
            if grade_id in grades:
                return grades[grade_id]["score"]
        raise KeyError(grade_id)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(
        ROOT / "solutions",
        root / "source",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    make_policy_assignment(root / "source" / POLICY)
    course = Course(course_config(root))
    course.release()

    submitted = course.directory("submitted")
    for assignment in ASSIGNMENTS:
        for student, src in (
            ("solution", course.directory("source", ".", assignment)),
            ("blank", course.directory("release", ".", assignment)),
        ):
            shutil.copytree(src, submitted / student / assignment)
    shutil.copytree(course.directory("source", ".", POLICY), submitted / "solution" / POLICY)
    release00 = course.directory("release", ".", NB00) / f"{NB00}.ipynb"
    for student, nb in make_00_submissions(release00).items():
        (submitted / student / NB00).mkdir(parents=True)
        nbformat.write(nb, submitted / student / NB00 / f"{NB00}.ipynb")

    for sub in course.submissions():
        course.autograde_one(sub)
    return Graded(course)


# --- generic: every assignment ---------------------------------------------------------------
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_folder_is_exactly_the_release(graded, assignment):
    made = graded.course.directory("release", ".", assignment)
    committed = ROOT / "notebooks" / assignment
    assert committed.is_dir(), f"notebooks/{assignment} is missing: run `make release`"
    cmp = filecmp.dircmp(made, committed, ignore=[".ipynb_checkpoints", "__pycache__"])
    stale = cmp.left_only + cmp.right_only + cmp.diff_files + cmp.funny_files
    for name in cmp.common_files:
        if (made / name).read_bytes() != (committed / name).read_bytes():
            stale.append(name)
    assert not stale, f"notebooks/{assignment} is out of date ({stale}): run `make release`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_clean_and_hides_answers(graded, assignment):
    for path in graded.course.directory("release", ".", assignment).glob("*.ipynb"):
        text = path.read_text()
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS"):
            assert marker not in text, f"{path.name} still contains {marker}"
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebooks_follow_the_conventions(assignment):
    """Test cells are locked, carry points, and do not end in a bare expression: nbgrader
    would read a displayed number (e.g. what grading.check returns) as a partial score."""
    for path in source_notebooks(assignment):
        nb = nbformat.read(path, as_version=4)
        grade_cells = [c for c in nb.cells if nbgrader_meta(c).get("grade")]
        assert grade_cells, f"{path.name} has no graded cells"
        for cell in nb.cells:
            meta = nbgrader_meta(cell)
            assert meta.get("schema_version", 3) == 3, path.name
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name}: outputs"
            if meta.get("grade") and not meta.get("solution"):
                assert meta.get("locked"), f"{path.name}: {meta['grade_id']} is not locked"
                assert float(meta["points"]) > 0
                code = "\n".join(
                    line for line in cell.source.splitlines() if not line.startswith("%")
                )
                last = ast.parse(code).body[-1]
                assert not isinstance(last, ast.Expr) or _returns_none(last), (
                    f"{path.name}: test cell {meta['grade_id']} ends with an expression; "
                    "end it with grading.passed(...) so no value is displayed"
                )


def _returns_none(stmt: ast.Expr) -> bool:
    call = stmt.value
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, (ast.Attribute, ast.Name))
        and getattr(call.func, "attr", getattr(call.func, "id", "")) in {"passed", "print"}
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_validates_and_runs_without_errors(assignment):
    for path in source_notebooks(assignment):
        validator = Validator(config=course_config())
        validator.validate_all = True  # any error or stderr in any code cell fails
        assert validator.validate(str(path)) == {}, path.name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_release_fails_every_graded_test(graded, assignment):
    for path in graded.course.directory("release", ".", assignment).glob("*.ipynb"):
        validator = Validator(config=course_config())
        validator.invert = True  # report the tests that pass: there must be none
        assert validator.validate(str(path)) == {}, path.name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_gets_full_marks(graded, assignment):
    auto, _ = points(assignment)
    assert graded.score(assignment, "solution") == (auto, auto)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_release_gets_zero_and_no_response(graded, assignment):
    auto, manual = points(assignment)
    assert graded.score(assignment, "blank") == (0.0, auto)
    with graded.course.gradebook() as gb:
        for nb_id in graded.course.notebooks(assignment):
            sub = gb.find_submission_notebook(nb_id, assignment, "blank")
            written = [g for g in sub.grades if g.cell_type == "markdown"]
            assert sum(g.max_score for g in written) == manual
            for g in written:
                assert g.auto_score == 0 and not g.needs_manual_grade, g.name
            # every answer cell, code or written, was left as released
            assert sub.comments and all(c.auto_comment == "No response." for c in sub.comments)


# How long each notebook takes to autograde is measured in bench/ (bench/notebooks.py, rows
# "<notebook> under autograding" of bench/RESULTS.md, against an empty notebook in the same
# run), not asserted here: a wall-clock limit inside a parallel test run measures the load.


# --- notebook 00: submissions with known scores ----------------------------------------------
def test_partly_correct_submission_gets_exactly_its_points(graded):
    auto = points(NB00)[0]  # numerical_gradient (3) and linear_backward (3) right
    assert graded.score(NB00, "partial") == (6.0, auto)
    assert graded.grade(NB00, "partial", "test_rel_error") == 0.0
    assert graded.grade(NB00, "partial", "test_linear_backward") == 3.0


def test_correct_answers_that_warn_keep_full_marks(graded):
    auto = points(NB00)[0]
    assert graded.score(NB00, "warnings") == (auto, auto)


def test_calling_the_package_implementation_scores_zero(graded):
    assert graded.score(NB00, "cheater") == (0.0, points(NB00)[0])
    nb = nbformat.read(
        graded.course.directory("autograded", "cheater", NB00) / f"{NB00}.ipynb", as_version=4
    )
    errors = {
        nbgrader_meta(c)["grade_id"]: c.outputs[-1]
        for c in nb.cells
        if nbgrader_meta(c).get("grade") and c.cell_type == "code"
    }
    assert (
        "vanishing.gradcheck.numerical_gradient is off limits"
        in errors["test_numerical_gradient"].evalue
    )
    assert "vanishing.gradcheck.rel_error is off limits" in errors["test_rel_error"].evalue
    assert "vanishing.nn.linear_backward is off limits" in errors["test_linear_backward"].evalue


def test_deleted_test_cell_is_put_back_and_graded(graded):
    auto = points(NB00)[0]
    assert graded.score(NB00, "deleter") == (auto, auto)
    nb = nbformat.read(
        graded.course.directory("autograded", "deleter", NB00) / f"{NB00}.ipynb", as_version=4
    )
    assert any(nbgrader_meta(c).get("grade_id") == "test_rel_error" for c in nb.cells)


def test_warnings_on_stderr_are_ignored_but_other_stderr_is_not(graded):
    grades = {
        k: graded.grade(POLICY, "solution", k)
        for k in ("warns_python", "warns_numpy", "warns_matplotlib", "prints_stderr")
    }
    assert grades == {
        "warns_python": 1.0,
        "warns_numpy": 1.0,
        "warns_matplotlib": 1.0,
        "prints_stderr": 0.0,
    }
    # and the warnings really did reach stderr, so the policy was needed
    nb = nbformat.read(
        graded.course.directory("source", ".", POLICY) / f"{POLICY}.ipynb", as_version=4
    )
    assert "np.log(np.zeros(1))" in cell_by_id(nb, "warns_numpy").source


def test_export_csv_holds_the_scores(graded, tmp_path):
    out = graded.course.export(tmp_path / "grades.csv", assignments=[NB00])

    with out.open() as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    auto, manual = points(NB00)
    expected = {
        "solution": auto,
        "blank": 0.0,
        "partial": 6.0,
        "warnings": auto,
        "cheater": 0.0,
        "deleter": auto,
    }
    assert {s: float(r["raw_score"]) for s, r in rows.items()} == expected
    assert {s: float(r["score"]) for s, r in rows.items()} == expected
    assert {float(r["max_score"]) for r in rows.values()} == {auto + manual}
    assert all(r["assignment"] == NB00 for r in rows.values())


def test_feedback_is_written(graded):
    done = graded.course.feedback(NB00, "partial")
    assert [s.student for s in done] == ["partial"]
    html = (graded.course.directory("feedback", "partial", NB00) / f"{NB00}.html").read_text()
    assert "test_rel_error" in html and "rel_error: return value is" in html


# --- selfcheck, through the command line -----------------------------------------------------
def test_selfcheck_prints_the_report_and_leaves_the_file_alone(graded, tmp_path):
    release = graded.course.directory("release", ".", NB00) / f"{NB00}.ipynb"
    mine = tmp_path / f"{NB00}.ipynb"
    nbformat.write(make_00_submissions(release)["partial"], mine)
    before, mtime = mine.read_bytes(), mine.stat().st_mtime_ns

    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        [sys.executable, "-m", "grader", "selfcheck", str(mine)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert mine.read_bytes() == before and mine.stat().st_mtime_ns == mtime
    lines = out.splitlines()
    assert any(line.split()[:4] == ["ok", "test_numerical_gradient", "3", "/"] for line in lines), (
        out
    )
    assert any(line.split()[:2] == ["FAILED", "test_rel_error"] for line in lines), out
    assert "AssertionError: rel_error: return value is" in out
    assert "Hint: divide by |a| + |b|, not by |b| alone" in out
    assert "written_step_size" in out and "no response yet" in out
    assert f"Autograded total: 6 / {points(NB00)[0]:g} points" in out
