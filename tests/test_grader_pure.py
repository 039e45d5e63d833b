"""The grader's pure logic, fast: no root, no PostgreSQL, no kernel, no browser.

The fingerprint that decides a re-grade, the staging of a submission and its flags, the
reason given for a failure, flags through JSON and the ledger, the static scan, the late
penalty, and the check cells in an in-process IPython shell (a patched ``vanishing.checks``
helper is reported). Every expected value is exact.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import parse_utc

from grader import flags as kinds
from grader import integrity, submission
from grader.ansi import strip_ansi
from grader.course import Course, Submission, course_config
from grader.flags import Flag
from grader.late import PerDayPenalty
from grader.ledger import Ledger
from grader.scan import TOO_LARGE, scan_code, student_sources
from grader.staging import stage
from grader.submission import Outcome, failure_reason, fingerprint, settings_key

ROOT = Path(__file__).resolve().parents[1]
A = "hw"
SUB = Submission(A, "ada")


def _notebook(text: str = "x = 1") -> str:
    return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(text)]))


@pytest.fixture
def course(tmp_path) -> Course:
    for name in ("one", "two"):
        path = tmp_path / "source" / A / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_notebook())
    return Course(course_config(tmp_path))


def _submit(course: Course, files: dict[str, str]) -> Path:
    folder = course.directory("submitted", SUB.student, A)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


# --- fingerprint ---------------------------------------------------------------------------
def test_the_fingerprint_changes_with_the_submission_the_source_and_the_settings(course):
    folder = _submit(course, {"one.ipynb": _notebook(), "two.ipynb": _notebook()})
    first = fingerprint(course, SUB, "k")
    assert len(first) == 64 and fingerprint(course, SUB, "k") == first  # stable
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "one-checkpoint.ipynb").write_text("{}")
    assert fingerprint(course, SUB, "k") == first  # checkpoints do not count
    assert fingerprint(course, SUB, "other") != first
    (folder / "two.ipynb").write_text(_notebook("x = 2"))
    second = fingerprint(course, SUB, "k")
    assert second != first
    (course.directory("source", ".", A) / "one.ipynb").write_text(_notebook("y = 0"))
    assert fingerprint(course, SUB, "k") not in (first, second)


def test_a_link_counts_by_name_only(course, tmp_path):
    folder = _submit(course, {"one.ipynb": _notebook()})
    target = tmp_path / "elsewhere.txt"
    target.write_text("a")
    (folder / "notes").symlink_to(target)
    before = fingerprint(course, SUB)
    target.write_text("b")  # the link is never followed
    assert fingerprint(course, SUB) == before
    (folder / "notes").unlink()
    assert fingerprint(course, SUB) != before


def test_the_settings_key_holds_what_decides_a_grade(course, monkeypatch):
    # the due dates come from the gradebook (creating one takes seconds): stood in for here
    monkeypatch.setattr(submission, "_duedates", lambda c: {A: "2025-03-01 23:59:00"})
    key = json.loads(settings_key(course))
    assert key == {
        "duedates": {A: "2025-03-01 23:59:00"},
        "late": "grader.late.PerDayPenalty",
        "late_policy": {"per_day": 0.1},
        "max_lines": course.config.LimitOutput.get("max_lines"),
        "timeout": 120,
    }
    course.config.Execute.timeout = 30
    assert json.loads(settings_key(course))["timeout"] == 30


# --- staging -------------------------------------------------------------------------------
def test_staging_sets_aside_invalid_notebooks_and_flags_them(course, tmp_path):
    _submit(course, {"one.ipynb": "{not json", "two.ipynb": _notebook(), "timestamp.txt": "soon"})
    flags: list[Flag] = []
    graded = stage(course, SUB, tmp_path / "staging", flags)
    assert graded == ["two"]
    assert [f.kind for f in flags] == [kinds.BAD_TIMESTAMP, kinds.INVALID_NOTEBOOK]
    assert str(flags[0]) == "unreadable timestamp.txt ('soon'): graded as on time"
    assert str(flags[1]).startswith("invalid notebook (scored 0): one.ipynb: NotJSONError ")
    staged = tmp_path / "staging" / SUB.student / A
    assert sorted(p.name for p in staged.iterdir()) == ["two.ipynb"]


def _stage_only(course, tmp_path, files: dict[str, str]) -> tuple[list[str], list[Flag]]:
    folder = course.directory("submitted", SUB.student, A)
    if folder.exists():
        shutil.rmtree(folder)
    _submit(course, files)
    flags: list[Flag] = []
    return stage(course, SUB, tmp_path / "staging", flags), flags


def test_staging_renames_one_notebook_ignores_extras_and_skips_links(course, tmp_path):
    folder = _submit(course, {"one (1).ipynb": _notebook(), "two.ipynb": _notebook()})
    (folder / "link.ipynb").symlink_to(folder / "two.ipynb")
    flags: list[Flag] = []
    assert stage(course, SUB, tmp_path / "staging", flags) == ["one", "two"]
    assert flags == [
        Flag(kinds.SKIPPED_ENTRY, "", "symbolic link skipped, not followed: link.ipynb"),
        Flag(kinds.RENAMED_NOTEBOOK, "", "one (1).ipynb graded as one.ipynb"),
    ]
    # two missing and one extra: not a rename
    graded, flags = _stage_only(course, tmp_path, {"one (1).ipynb": _notebook()})
    assert graded == []
    assert [str(f) for f in flags] == [
        "extra notebook ignored: one (1).ipynb",
        "missing notebook (scored 0): one.ipynb",
        "missing notebook (scored 0): two.ipynb",
    ]
    # one missing and two extra: neither is taken for it
    files = {"one.ipynb": _notebook(), "two-final.ipynb": _notebook(), "x.ipynb": _notebook()}
    graded, flags = _stage_only(course, tmp_path, files)
    assert graded == ["one"]
    assert [f.kind for f in flags] == [kinds.EXTRA_NOTEBOOK] * 2 + [kinds.MISSING_NOTEBOOK]


# --- failure reasons -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "log, reason",
    [
        ("... DeadKernelError: Kernel died", "the kernel died while running the notebook"),
        ("No notebooks were matched by 'x'", "nbgrader found no notebook in the submission"),
        ("Kernel didn't respond in 60 seconds", "the kernel did not start"),
        (
            "Traceback\n  nbconvert.preprocessors.execute.CellTimeoutError: A cell timed out\n"
            "There was an error processing assignment: x",
            "nbgrader stopped with nbconvert.preprocessors.execute.CellTimeoutError: "
            "A cell timed out",
        ),
        ("first\nsomething odd\nPlease see the the above traceback", "something odd"),
        ("", "nbgrader failed without saying why (see its log)"),
    ],
)
def test_failure_reasons(log, reason):
    assert failure_reason(log).startswith(reason)


# --- flags through JSON and the ledger -----------------------------------------------------
def test_a_flag_reads_as_before_and_survives_json():
    cases = {
        Flag(
            kinds.SUSPICIOUS_CODE, "nb", "patches _g.check"
        ): "nb: suspicious code: patches _g.check",
        Flag(kinds.TAMPERING, "nb", "AssertionError was replaced"): (
            "nb: tampering: AssertionError was replaced"
        ),
        Flag(kinds.TEST_CELL_EDITED, "nb", "t1"): "nb: test cell edited (checksum mismatch): t1",
        Flag(kinds.MISSING_NOTEBOOK, "", "two.ipynb"): "missing notebook (scored 0): two.ipynb",
        Flag(kinds.SKIPPED_ENTRY, "", "FIFO skipped, not followed: p"): (
            "FIFO skipped, not followed: p"
        ),
        Flag(kinds.BAD_TIMESTAMP, "", "'x'"): "unreadable timestamp.txt ('x'): graded as on time",
        Flag("a new kind"): "a new kind",
    }
    for flag, text in cases.items():
        assert str(flag) == text
        assert Flag.from_json(json.loads(json.dumps(flag.to_json()))) == flag


def test_the_ledger_stores_the_text_and_the_kinds(course):
    flags = [Flag(kinds.TAMPERING, "one", "x was replaced"), Flag(kinds.EXTRA_NOTEBOOK, "", "e")]
    out = Outcome(A, SUB.student, "graded", flags=flags, score=1.0)
    ledger = Ledger(course)
    ledger.save(out)
    record = ledger.load(A, SUB.student)
    assert record["flags"] == ["one: tampering: x was replaced", "extra notebook ignored: e"]
    assert kinds.from_record(record) == flags
    assert list(ledger.records()) == [(A, SUB.student)]


def test_a_ledger_record_from_before_kinds_keeps_its_text():
    old_plain = {"notebook_flags": {"one": ["one: suspicious code: uses events"], "two": []}}
    assert kinds.from_record(old_plain) == [
        Flag(kinds.UNCLASSIFIED, "one", "suspicious code: uses events")
    ]
    old_class = {"flags": ["renamed notebook: a graded as b.ipynb"]}
    (flag,) = kinds.from_record(old_class)
    assert flag.kind == kinds.UNCLASSIFIED and str(flag) == old_class["flags"][0]
    assert kinds.from_record({}) == []


# --- the static scan -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "code, found",
    [
        ("y = np.mean([1, 2])\nprint(y)", []),
        ("grading.check = lambda *a, **k: None", ["patches grading.check"]),
        ("from vanishing import grading as g\ng.assert_close = print", ["patches g.assert_close"]),
        (
            "capstone_checks.assert_cured = lambda *a: None",
            ["patches capstone_checks.assert_cured"],
        ),
        (
            "import vanishing.checks.init_scaling as ic\nsetattr(ic, 'assert_variance', print)",
            ["patches ic with setattr()"],
        ),
        ("import numpy as grading", ["rebinds grading to numpy"]),
        (
            "from vanishing import init as capstone_checks",
            [
                "rebinds capstone_checks to vanishing.init",
            ],
        ),
        ("exec('1')", ["runs code made at run time (exec)"]),
        ("open('../gradebook.db')", ["refers to 'gradebook' (not accessible to student code)"]),
        ("import sys\nsys.modules['x'] = 1", ["patches sys.modules['x']", "uses sys.modules"]),
        ("%timeit x = 1\n!ls", []),
    ],
)
def test_the_scan(code, found):
    assert scan_code([code]) == found


def test_the_scan_stops_at_its_budget():
    assert scan_code(["a = 1\n" * 100, "b = 2\n" * 100], max_bytes=800) == [
        f"{TOO_LARGE} (over 800 bytes of code; the rest skipped)"
    ]


# --- the late penalty ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "submitted, penalty",
    [
        ("2025-03-01 23:59:00 UTC", None),  # on time
        ("2025-03-02 00:00:01 UTC", 0.6),  # one started day: 10 % of 6
        ("2025-03-03 23:59:00 UTC", 1.2),  # two days exactly
        ("2025-03-04 00:00:00 UTC", 1.8),
        ("2025-04-01 00:00:00 UTC", 6.0),  # never more than the score
    ],
)
def test_per_day_penalty(submitted, penalty):
    due = parse_utc("2025-03-01 23:59:00 UTC")
    late = (parse_utc(submitted) - due).total_seconds()
    assert PerDayPenalty().late_submission_penalty("ada", 6.0, late) == penalty
    assert PerDayPenalty().late_submission_penalty("ada", 0.0, late) is None


# --- the check cells, in an IPython shell of their own -----------------------------------
SHELL = r"""
import io, json, sys
from IPython.core.interactiveshell import InteractiveShell
cells = json.loads(sys.stdin.read())
out, real = io.StringIO(), sys.stdout
sys.stdout = out
ip = InteractiveShell.instance()
for cell in cells:
    ip.run_cell(cell)
sys.stdout = real
print(json.dumps([ln for ln in out.getvalue().splitlines() if ln.startswith("VG-INTEGRITY ")]))
"""


def test_a_patched_checks_helper_is_reported_by_the_check_cells():
    cells = [
        integrity._check_cell(integrity.SNAPSHOT_CODE).source,
        integrity._check_cell(integrity.CHECK_CODE).source,
        "from vanishing.checks import capstone as capstone_checks\n"
        "capstone_checks.assert_cured = lambda *a, **k: None",
        integrity._check_cell(integrity.CHECK_CODE).source,
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run(
        [sys.executable, "-c", SHELL], input=json.dumps(cells), capture_output=True, text=True,
        env=env, timeout=120, check=True,
    )  # fmt: skip
    assert json.loads(run.stdout) == [
        "VG-INTEGRITY []",
        "VG-INTEGRITY []",
        'VG-INTEGRITY ["vanishing.checks.capstone.assert_cured was replaced"]',
    ]


# --- escape sequences ----------------------------------------------------------------------
def test_strip_ansi_removes_csi_and_osc_sequences():
    from nbconvert.filters import strip_ansi as nbconvert_strip

    text = "\x1b[31mAssertionError\x1b[0m: \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x1b]0;t\x07ok"
    assert strip_ansi(text) == "AssertionError: link ok"
    assert "\x1b]" in nbconvert_strip(text)  # why grader.ansi exists


def test_record_flags_keeps_the_other_notebooks_flags_of_a_plain_nbgrader_run(course):
    ledger = Ledger(course)
    old = {  # as a plain `nbgrader autograde` wrote it before flags had kinds
        "assignment": A, "student": SUB.student, "status": "graded", "reason": "",
        "flags": ["one: tampering: x", "two: tampering: y"], "fingerprint": "",
        "notebook_flags": {"one": ["one: tampering: x"], "two": ["two: tampering: y"]},
        "graded_by": integrity.GRADED_BY,
    }  # fmt: skip
    ledger.path(A, SUB.student).parent.mkdir(parents=True)
    ledger.path(A, SUB.student).write_text(json.dumps(old))
    key = (A, SUB.student, "one")
    integrity.STATIC[key] = [Flag(kinds.TEST_CELL_DELETED, "", "t1")]
    integrity.CANARIES[key] = ["numpy.testing.assert_allclose was replaced"]
    resources = {"nbgrader": {"assignment": A, "student": SUB.student, "notebook": "one"}}
    integrity.RecordFlags(config=course.config).preprocess(nbformat.v4.new_notebook(), resources)
    mine = [
        Flag(kinds.TEST_CELL_DELETED, "one", "t1"),
        Flag(kinds.TAMPERING, "one", "numpy.testing.assert_allclose was replaced"),
    ]
    assert integrity.RESULTS.pop(key) == mine
    record = ledger.load(A, SUB.student)
    assert record["flags"] == [
        "one: test cell deleted: t1",
        "one: tampering: numpy.testing.assert_allclose was replaced",
        "two: tampering: y",
    ]
    assert kinds.from_record(record) == [*mine, Flag(kinds.UNCLASSIFIED, "two", "tampering: y")]
    assert key not in integrity.STATIC and key not in integrity.CANARIES


def test_the_scan_leaves_out_only_the_cells_the_gradebook_restores():
    test = nbformat.v4.new_code_cell("grading.check = print")  # unlocked by the student
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "locked": False, "points": 1}
    locked = nbformat.v4.new_code_cell("grading.check = len")
    locked.metadata["nbgrader"] = {"grade": True, "grade_id": "u", "locked": True, "points": 1}
    mine = nbformat.v4.new_code_cell("grading.check = min")  # marked locked by the student
    mine.metadata["nbgrader"] = {"locked": True}
    made_up = nbformat.v4.new_code_cell("grading.check = max")
    made_up.metadata["nbgrader"] = {"grade_id": "v", "locked": True}
    nb = nbformat.v4.new_notebook(
        cells=[test, locked, mine, made_up, nbformat.v4.new_code_cell("x = 1")]
    )
    everything = [c.source for c in nb.cells]
    assert student_sources(nb, restored={"t", "u"}) == everything[2:]
    assert student_sources(nb) == everything


def test_the_source_cells_are_the_gradebooks(tmp_path):
    from nbgrader.api import Gradebook, SourceCell

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_assignment("a")
        nb = gb.add_notebook("n", "a")
        for name, locked in (("readme", True), ("answer", False), ("test", True)):
            gb.db.add(SourceCell(name=name, cell_type="code", locked=locked, notebook=nb))
        gb.db.commit()
    info = {"db_url": url, "assignment": "a", "notebook": "n"}
    assert integrity.source_cells({"nbgrader": info}) == {
        "readme": True, "answer": False, "test": True
    }  # fmt: skip
    assert integrity.source_cells({"nbgrader": {**info, "notebook": "other"}}) == {}
    assert integrity.source_cells({}) == {}


def test_nbgrader_metadata_comes_off_cells_the_gradebook_does_not_know():
    def code(source, **meta):
        c = nbformat.v4.new_code_cell(source)
        if meta:
            c.metadata["nbgrader"] = meta
        return c

    cells = [
        code("answer", grade_id="answer", solution=True, locked=False),
        code("mine", locked=True),  # made by the student, marked locked
        code("made up", grade_id="test_x", grade=True, points=5, locked=True),
        code("renamed", grade_id="answer_2", solution=True),
        code("plain"),
        code("versioned", schema_version=3),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    removed = integrity.strip_foreign_metadata(nb, {"answer", "test"})
    assert removed == [
        "cell 2: locked", "cell 3 (test_x): grade, locked", "cell 4 (answer_2): solution"
    ]  # fmt: skip
    assert [bool(c.metadata.get("nbgrader")) for c in nb.cells] == [1, 0, 0, 0, 0, 1]
    assert [c.source for c in nb.cells] == [c.source for c in cells]
