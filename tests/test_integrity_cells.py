"""Edited, deleted and re-pointed test cells are put back by nbgrader's OverwriteCells and
recorded as flags (grader.integrity.RecordedOverwriteCells): a real release into a real
gradebook, the preprocessor run on submitted notebooks, no kernel."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

from grader import flags as kinds  # noqa: E402
from grader import integrity  # noqa: E402
from grader.course import Course, course_config  # noqa: E402

NB00 = "00_backprop_refresher"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    root = tmp_path_factory.mktemp("cells")
    shutil.copytree(ROOT / "tests" / "fixtures" / "grading" / NB00, root / "source" / NB00)
    course = Course(course_config(root))
    course.release([NB00])
    return course


def _nb(course, step):
    return nbformat.read(course.directory(step, ".", NB00) / f"{NB00}.ipynb", as_version=4)


def _cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _found(course, nb, student="s"):
    resources = {
        "nbgrader": {
            "notebook": NB00,
            "assignment": NB00,
            "student": student,
            "db_url": course.coursedir.db_url,
        }
    }
    integrity.STATIC.pop((NB00, student, NB00), None)
    pre = integrity.RecordedOverwriteCells(config=course.config)
    out, _ = pre.preprocess(copy.deepcopy(nb), resources)
    found = integrity.STATIC.pop((NB00, student, NB00))
    assert all(f.notebook == "" for f in found)  # RecordFlags names the notebook
    return found, out


def flags_of(course, nb, student="s"):
    found, out = _found(course, nb, student)
    return [str(f) for f in found], out


def kinds_of(course, nb) -> list[str]:
    return [f.kind for f in _found(course, nb)[0]]


def test_the_release_and_the_source_as_they_are_raise_no_flag(course):
    assert flags_of(course, _nb(course, "release"))[0] == []
    assert flags_of(course, _nb(course, "source"))[0] == []  # holds the hidden tests


def test_an_edited_test_is_put_back_and_recorded(course):
    nb = _nb(course, "release")
    _cell(nb, "test_rel_error").source = 'grading.passed("rel_error")'
    flags, out = flags_of(course, nb)
    assert flags == ["test cell edited (checksum mismatch): test_rel_error"]
    assert kinds_of(course, nb) == [kinds.TEST_CELL_EDITED]
    # nbgrader put the source back, hidden tests included
    assert (
        _cell(out, "test_rel_error").source == _cell(_nb(course, "source"), "test_rel_error").source
    )


def test_a_forged_checksum_does_not_hide_an_edit(course):
    nb = _nb(course, "release")
    cell = _cell(nb, "test_rel_error")
    cell.source = "pass"
    from nbgrader.utils import compute_checksum

    cell.metadata["nbgrader"]["checksum"] = compute_checksum(cell)
    assert flags_of(course, nb)[0] == ["test cell edited (checksum mismatch): test_rel_error"]


def test_points_type_lock_and_deletion(course):
    nb = _nb(course, "release")
    points = _cell(nb, "test_rel_error").metadata["nbgrader"]["points"]
    _cell(nb, "test_rel_error").metadata["nbgrader"]["points"] = 20
    flags, out = flags_of(course, nb)
    assert flags == [f"test cell points changed: test_rel_error ({points:g} -> 20)"]
    assert _cell(out, "test_rel_error").metadata["nbgrader"]["points"] == points

    nb = _nb(course, "release")
    cell = _cell(nb, "test_linear_backward")
    cell.cell_type = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)
    flags, _ = flags_of(course, nb)
    assert flags == ["test cell type changed: test_linear_backward"]

    nb = _nb(course, "release")
    cell = _cell(nb, "test_linear_backward")
    cell.metadata["nbgrader"]["locked"] = False
    cell.source = "x = 1"
    assert flags_of(course, nb)[0] == ["test cell edited (checksum mismatch): test_linear_backward"]

    nb = _nb(course, "release")
    nb.cells = [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_rel_error"
    ]
    flags, out = flags_of(course, nb)
    assert flags == ["test cell deleted: test_rel_error"]
    assert kinds_of(course, nb) == [kinds.TEST_CELL_DELETED]
    assert _cell(out, "test_rel_error")  # add_missing_cells put it back
