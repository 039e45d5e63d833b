"""Every common mistake scores 0 with a message that names it; every valid alternative scores
full marks; no answer can be had by calling what a visible test cell defines.

The whole corpus (``_corpus.py`` explains the format; one module per notebook) is graded in
ONE batch by the real pipeline, ``python -m grader autograde`` (sandboxed where it runs as
root), in a throw-away course with every assignment released from ``solutions/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import _corpus as corpus
import nbformat
import pytest

ROOT = corpus.ROOT

from grader.course import Course, course_config  # noqa: E402

pytestmark = pytest.mark.slow

MODULES = corpus.modules()
ASSIGNMENTS = sorted(
    p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and any(p.glob("*.ipynb"))
)
# MISTAKES_ONLY=00_backprop_refresher,01_saturating_activations grades just those (authoring)
if os.environ.get("MISTAKES_ONLY"):
    ASSIGNMENTS = [a for a in ASSIGNMENTS if a in os.environ["MISTAKES_ONLY"].split(",")]
STUDENTS = corpus.plan(MODULES, ASSIGNMENTS)
VARIANTS = [v for _, (_, _, vs) in sorted(STUDENTS.items()) for v in vs]
STUDENT_OF = {v.id: s for s, (_, _, vs) in STUDENTS.items() for v in vs}


class Batch:
    def __init__(self, course: Course, seconds: float, log: str) -> None:
        self.course, self.seconds, self.log = course, seconds, log
        self._grades: dict = {}
        self._nbs: dict = {}

    def grades(self, assignment: str, student: str) -> dict[str, dict]:
        key = (assignment, student)
        if key not in self._grades:
            per_nb = self.course.grades(assignment, student)
            self._grades[key] = {k: v for nb in per_nb.values() for k, v in nb.items()}
        return self._grades[key]

    def cells(self, assignment: str, student: str) -> dict[str, dict]:
        key = (assignment, student)
        if key not in self._nbs:
            folder = self.course.directory("autograded", student, assignment)
            (path,) = sorted(folder.glob("*.ipynb"))
            nb = nbformat.read(path, as_version=4)
            self._nbs[key] = {
                corpus.meta(c)["grade_id"]: c for c in nb.cells if corpus.meta(c).get("grade_id")
            }
        return self._nbs[key]


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Batch:
    root = tmp_path_factory.mktemp("mistakes")
    for name in ASSIGNMENTS:
        (root / "source").mkdir(exist_ok=True)
        subprocess.run(
            ["cp", "-r", str(ROOT / "solutions" / name), str(root / "source")], check=True
        )
    course = Course(course_config(root))
    course.release(ASSIGNMENTS)
    corpus.write(STUDENTS, course.directory("submitted"))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "grader", "autograde", "--course", str(root), "--jobs", "2",
         "--timeout", "60", "--quiet"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=2400,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    log = result.stdout[-4000:] + result.stderr[-4000:]
    print(f"mistake corpus: {len(STUDENTS)} submissions, {len(VARIANTS)} variants, {seconds:.0f} s")
    assert result.returncode == 0, log
    return Batch(course, seconds, log)


def test_every_graded_exercise_has_enough_mistakes_and_alternatives():
    missing = []
    for assignment in ASSIGNMENTS:
        mod = MODULES.get(assignment)
        exercises = {ex.cell: ex for ex in mod.EXERCISES} if mod else {}
        for cell in corpus.answer_cells(corpus.notebook(assignment)):
            ex = exercises.get(cell)
            n_m = len(ex.mistakes) if ex else 0
            n_a = len(ex.alternatives) if ex else 0
            if n_m < corpus.MIN_MISTAKES or n_a < corpus.MIN_ALTERNATIVES:
                missing.append(f"{assignment}/{cell}: {n_m} mistakes, {n_a} alternatives")
    assert not missing, "\n".join(missing)


def test_every_variant_names_a_real_answer_cell():
    for v in VARIANTS:
        assert v.cell in corpus.answer_cells(corpus.notebook(v.assignment)), v.id


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.id for v in VARIANTS])
def test_variant_is_graded_as_it_deserves(batch, variant):
    student = STUDENT_OF[variant.id]
    release = corpus.notebook(variant.assignment)
    tests = corpus.tests_of(release)[variant.cell]
    points = corpus.points_of(release)
    grades = batch.grades(variant.assignment, student)
    assert grades, f"no grades recorded for {student}\n{batch.log}"
    scores = {t: grades[t]["score"] for t in tests}
    if variant.kind == "alternative":
        assert scores == {t: points[t] for t in tests}, (
            f"a valid answer lost points: {scores}\n" + _messages(batch, variant, student, tests)
        )
        return
    assert all(s == 0 for s in scores.values()), (
        f"a wrong answer earned points: {scores}\n" + _messages(batch, variant, student, tests)
    )
    if variant.kind == "mistake":
        text = _messages(batch, variant, student, tests)
        assert variant.message in text, f"expected {variant.message!r} in:\n{text}"


def _messages(batch: Batch, variant, student: str, tests: list[str]) -> str:
    cells = batch.cells(variant.assignment, student)
    return "\n".join(f"[{t}] {corpus.error_text(cells[t])}" for t in tests if t in cells)


def test_the_reference_answers_score_full_marks_in_the_same_batch(batch):
    """Control: a submission made the same way, with nothing replaced."""
    # every student whose variants are all alternatives carries only valid answers
    controls = [
        s for s, (_, _, vs) in STUDENTS.items() if vs and all(v.kind == "alternative" for v in vs)
    ]
    assert controls or not MODULES
    for student in controls:
        assignment = STUDENTS[student][0]
        release = corpus.notebook(assignment)
        points = corpus.points_of(release)
        grades = batch.grades(assignment, student)
        auto = {g: v["score"] for g, v in grades.items() if v["cell_type"] == "code"}
        assert auto == {g: p for g, p in points.items() if g in auto}, (student, auto)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_visible_test_cells_define_no_function_an_answer_could_call(assignment):
    """A ``def`` or ``class`` in a visible test cell runs in the learner's kernel, where an
    answer can call it (notebook 06 once defined the whole BatchNorm forward there). Checking
    logic lives in ``vanishing.grading``; a test cell may only pass small lambdas as inputs,
    and the cheat above forwards every answer to each of those."""
    import ast

    found = []
    for c in corpus.notebook(assignment).cells:
        if c.cell_type != "code" or not corpus.meta(c).get("grade"):
            continue
        for node in ast.walk(ast.parse(c.source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.append(f"{corpus.meta(c)['grade_id']}: {node.name}")
    assert not found, found
