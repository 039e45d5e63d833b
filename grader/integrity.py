"""Tampering checks: flags for a person to review, never a change of score by themselves.

nbgrader already restores edited or deleted test cells and their points (``OverwriteCells``)
and the sandbox makes forbidden reads fail. What nbgrader does not do is *tell* anyone, and
nothing stops a student from monkey-patching the assertions the tests use. Three checks:

* :class:`RecordedOverwriteCells` (before grading): nbgrader's ``OverwriteCells``, which
  puts deleted and edited test cells and their points back, recording each change it makes
  as a flag (a test cell holding the release's text, without the hidden tests, is not
  edited);
* :func:`grader.scan.scan_code` (before grading): a static look at the code the student
  could edit for patching of the grading helpers, numpy or IPython, and for names of places
  student code has no business reading (the gradebook, ``solutions/``, the course directory);
* :class:`InsertCanaries` / :class:`CollectCanaries` (while grading): a short check cell runs
  in the student's kernel before every test cell and at the end. It compares the grading
  helpers (``vanishing.grading`` and the ``vanishing.checks`` modules), ``numpy.testing``,
  ``builtins`` and IPython's execution hooks with a snapshot taken before any student code
  ran, and makes sure that assertions that must fail still fail.
  The check cells and their output are removed before the grades are saved.

They are heuristics: a determined student who reads this file can evade the dynamic
check (it runs in their kernel). They catch the usual tricks, and the sandbox, not these
checks, is what keeps student code away from the grades.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells
from traitlets import Bool

from grader import flags as kinds
from grader.flags import Flag
from grader.ledger import Ledger
from grader.scan import RELIED_ON, scan_code, student_sources


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


# --- before grading: the cells -------------------------------------------------------------
class RecordedOverwriteCells(OverwriteCells):
    """nbgrader's ``OverwriteCells`` that also records, in :data:`STATIC`, every change it
    undoes in a locked cell: ``test cell deleted``, ``test cell type changed``, ``test cell
    points changed`` and ``test cell edited (checksum mismatch)``.

    nbgrader compares a cell with the source version, which holds the hidden tests the
    release lacks; a cell is called edited only when its checksum matches neither the source
    (nbgrader's) nor the release version (the checksum ``generate_assignment`` wrote into the
    release notebook on disk, not the one the student's copy carries)."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        self._flags: list[Flag] = []
        self._retyped: set[str] = set()
        self._release = self._release_checksums(resources)
        present = {_meta(c).get("grade_id") for c in nb.cells}
        self._flags += [
            Flag(kinds.TEST_CELL_DELETED, "", gid) for gid in self._release if gid not in present
        ]
        nb, resources = super().preprocess(nb, resources)
        STATIC.setdefault(_key(resources), []).extend(self._flags)
        return nb, resources

    def _release_checksums(self, resources: ResourcesDict) -> dict[str, str]:
        """``{grade_id: checksum}`` of the locked cells of the release notebook on disk."""
        assignment, _, notebook = _key(resources)
        cd = _coursedir(self.config)
        for folder in (cd.release_directory, cd.source_directory):
            path = Path(cd.format_path(folder, ".", assignment)) / f"{notebook}.ipynb"
            if not path.exists():
                continue
            try:
                release = nbformat.read(path, as_version=4)
            except (OSError, ValueError) as err:
                self._flags.append(Flag(kinds.NO_RELEASE, "", str(err)))
                return {}
            return {
                _meta(c)["grade_id"]: _meta(c).get("checksum", "")
                for c in release.cells
                if _meta(c).get("grade_id") and utils.is_locked(c)
            }
        self._flags.append(Flag(kinds.NO_RELEASE, "", f"no {notebook}.ipynb"))
        return {}

    def report_change(self, name: str, attr: str, old, new) -> None:
        """Called by ``OverwriteCells`` for each attribute it sets back; ``new`` is the
        student's value (for ``checksum``: of the cell with type, lock and points restored)."""
        super().report_change(name, attr, old, new)
        if attr == "cell_type":
            self._retyped.add(name)
            self._flags.append(Flag(kinds.TEST_CELL_RETYPED, "", name))
        elif attr == "points":
            self._flags.append(Flag(kinds.TEST_CELL_POINTS, "", f"{name} ({old:g} -> {new:g})"))
        elif attr == "checksum" and name not in self._retyped and new != self._release.get(name):
            self._flags.append(Flag(kinds.TEST_CELL_EDITED, "", name))


# --- while grading: check cells in the student's kernel -----------------------------------
MARK = "VG-INTEGRITY "
SNAPSHOT_CODE = r"""
import sys, types, builtins
def _ids(mod):
    out = {}
    for k, v in list(vars(mod).items()):
        out[k] = (id(v), id(getattr(v, "__code__", None)))
    return out
def _shell_state():
    ip = get_ipython()
    kernel = getattr(ip, "kernel", None)
    names = ("run_cell", "run_cell_async", "run_code", "run_ast_nodes", "showtraceback",
             "_showtraceback", "transform_cell", "should_run_async")
    return {
        "cls": {n: id(getattr(type(ip), n, None)) for n in names},
        "kcls": {n: id(getattr(type(kernel), n, None)) for n in ("do_execute", "execute_request")},
        "hooks": (len(ip.input_transformers_cleanup), len(ip.input_transformers_post),
                  len(ip.ast_transformers)),
        "streams": (id(sys.stdout), id(sys.stderr)),
    }
import numpy, numpy.testing, vanishing.grading
import vanishing.checks.capstone, vanishing.checks.init_scaling
m = types.ModuleType("_vg_integrity")
WATCHED = ("vanishing.grading", "vanishing.checks.capstone", "vanishing.checks.init_scaling",
           "numpy", "numpy.testing", "builtins", "math")
m.modules = {n: _ids(sys.modules[n]) for n in WATCHED if n in sys.modules or __import__(n)}
m.shell = _shell_state()
m.shell_state = _shell_state
sys.modules["_vg_integrity"] = m
print(MARK + "[]")
"""

CHECK_CODE = r"""
import sys, json, builtins
problems = []
try:
    snap = sys.modules["_vg_integrity"]
    for name, before in snap.modules.items():
        mod = sys.modules.get(name)
        for k, (obj_id, code_id) in before.items():
            if k.startswith("_") or (name == "builtins" and k in SWAPPED_BY_IPYKERNEL):
                continue
            if k not in vars(mod):
                problems.append(f"{name}.{k} was deleted")
                continue
            v = vars(mod)[k]
            if id(v) != obj_id or id(getattr(v, "__code__", None)) != code_id:
                problems.append(f"{name}.{k} was replaced")
    now = snap.shell_state()
    for key in ("cls", "kcls", "hooks", "streams"):
        if now[key] != snap.shell[key]:
            problems.append(f"IPython {key} changed")
    ip = get_ipython()
    for n in ("run_cell", "run_cell_async", "run_code", "run_ast_nodes", "showtraceback"):
        if n in vars(ip):
            problems.append(f"IPython shell {n} overridden")
    if ip.custom_exceptions:
        problems.append("IPython custom exception handler set")
    if sys.gettrace() is not None or sys.getprofile() is not None:
        problems.append("a trace or profile function is set")
    ns = ip.user_ns
    for name, modname in RELIED_ON.items():
        if name in ns and ns[name] is not sys.modules.get(modname):
            problems.append(f"the name {name} is not {modname}")
    import numpy.testing as npt
    from vanishing import grading as g
    probes = {
        "grading.check": lambda: g.check("integrity", lambda: 1.0, expected=2.0),
        "grading.assert_close": lambda: g.assert_close("integrity", 1.0, 2.0),
        "grading.assert_true": lambda: g.assert_true("integrity", False, "must fail"),
        "numpy.testing.assert_allclose": lambda: npt.assert_allclose(1.0, 2.0),
        "numpy.testing.assert_array_equal": lambda: npt.assert_array_equal([1], [2]),
    }
    for name, probe in probes.items():
        try:
            with g.silenced():
                probe()
        except AssertionError:
            pass
        except BaseException as err:
            problems.append(f"{name} raised {type(err).__name__} instead of AssertionError")
        else:
            problems.append(f"{name} no longer fails on a wrong value")
    if builtins.AssertionError.__module__ != "builtins":
        problems.append("AssertionError was replaced")
except BaseException as err:
    problems.append(f"integrity check crashed: {type(err).__name__}: {err}")
print(MARK + json.dumps(sorted(set(problems))))
"""


#: builtins the kernel itself replaces for each execution (stdin forwarding)
SWAPPED_BY_IPYKERNEL = ("input", "raw_input", "getpass")


def _check_cell(code: str) -> NotebookNode:
    body = (
        f"MARK = {MARK!r}\nRELIED_ON = {RELIED_ON!r}\n"
        f"SWAPPED_BY_IPYKERNEL = {SWAPPED_BY_IPYKERNEL!r}\n" + code
    )
    namespace = "{'get_ipython': get_ipython}"
    cell = nbformat.v4.new_code_cell(
        f"exec(compile({body!r}, '<grader integrity check>', 'exec'), {namespace})"
    )
    cell.metadata["vg_integrity"] = True
    return cell


#: what the check cells found in each notebook, by (assignment, student, notebook)
CANARIES: dict[tuple[str, str, str], list[str]] = {}
#: every flag of each notebook, by (assignment, student, notebook), filled by RecordFlags
RESULTS: dict[tuple[str, str, str], list[Flag]] = {}


class InsertCanaries(NbGraderPreprocessor):
    """Put a check cell at the start, before every test cell and at the end."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        cells = [_check_cell(SNAPSHOT_CODE)]
        for cell in nb.cells:
            if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
                cells.append(_check_cell(CHECK_CODE))
            cells.append(cell)
        cells.append(_check_cell(CHECK_CODE))
        nb.cells = cells
        return nb, resources


class CollectCanaries(NbGraderPreprocessor):
    """Read and remove the check cells; record what they found in :data:`CANARIES`."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        problems: list[str] = []
        kept = []
        for cell in nb.cells:
            if not cell.get("metadata", {}).get("vg_integrity"):
                kept.append(cell)
                continue
            found = None
            for out in cell.get("outputs", []):
                text = out.get("text", "") if out.get("output_type") == "stream" else ""
                for line in text.splitlines():
                    if line.startswith(MARK):
                        try:
                            found = json.loads(line[len(MARK) :])
                        except ValueError:
                            found = ["integrity check output was garbled"]
            if found is None:
                err = [o.get("ename", "") for o in cell.get("outputs", []) if o.get("ename")]
                if err and err[0] in {"CellTimeoutError", "KeyboardInterrupt"}:
                    found = []  # the kernel was still busy: the next check will tell
                else:
                    found = ["an integrity check gave no result" + (f" ({err[0]})" if err else "")]
            problems.extend(p for p in found if p not in problems)
        nb.cells = kept
        CANARIES[_key(resources)] = problems
        return nb, resources


#: static findings of each notebook (scan_code, RecordedOverwriteCells), made before it runs
STATIC: dict[tuple[str, str, str], list[Flag]] = {}


def _key(resources: ResourcesDict) -> tuple[str, str, str]:
    info = resources.get("nbgrader", {})
    return (info.get("assignment", ""), info.get("student", ""), info.get("notebook", ""))


def source_cells(resources: ResourcesDict) -> dict[str, bool]:
    """``{grade_id: locked}`` of the notebook's cells in the gradebook (the source notebook's
    cells with nbgrader metadata); empty if the gradebook does not know the notebook."""
    from nbgrader.api import Gradebook, MissingEntry

    info = resources.get("nbgrader", {})
    if not info.get("db_url"):
        return {}
    with Gradebook(info["db_url"]) as gb:
        try:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
        except MissingEntry:
            return {}
        return {c.name: bool(c.locked) for c in notebook.source_cells}


def strip_foreign_metadata(nb: NotebookNode, known: Iterable[str]) -> list[str]:
    """Remove the nbgrader metadata of every cell whose ``grade_id`` is missing or not one of
    ``known`` (a cell the student made and marked as a test, locked or answer cell, or whose
    id they changed); such a cell then runs as the student's code. Without this, nbgrader's
    own steps stop on it (``KeyError: 'grade_id'``) and the student gets no grade.
    Returns what was removed, one line per cell."""
    known = set(known)
    removed = []
    for i, c in enumerate(nb.cells):
        meta = _meta(c)
        if not meta or meta.get("grade_id") in known:
            continue
        marks = [k for k in ("grade", "solution", "locked", "task") if meta.get(k)]
        if not marks and "grade_id" not in meta:
            continue  # e.g. only a schema_version: nothing nbgrader acts on
        gid = meta.get("grade_id")
        removed.append(f"cell {i + 1}" + (f" ({gid})" if gid else "") + f": {', '.join(marks)}")
        del c.metadata["nbgrader"]
    return removed


def _coursedir(config):
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=config)


class StaticChecks(NbGraderPreprocessor):
    """First step of autograde's sanitising pass: take the nbgrader metadata off cells the
    gradebook does not know (:func:`strip_foreign_metadata`), then scan the student's code
    (:func:`scan_code`): every code cell but those ``OverwriteCells`` will put back.
    :class:`RecordedOverwriteCells` adds what it finds about the test cells."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        from grader.sandbox import REPOSITORY

        cd = _coursedir(self.config)
        forbidden = sorted({str(Path(cd.root).resolve()), str(REPOSITORY)})
        cells = source_cells(resources)
        foreign = strip_foreign_metadata(nb, cells) if cells else []
        restored = {name for name, locked in cells.items() if locked}
        found = scan_code(student_sources(nb, restored), forbidden)
        STATIC[_key(resources)] = [Flag(kinds.FOREIGN_CELL, "", f) for f in foreign] + [
            Flag(kinds.SUSPICIOUS_CODE, "", f) for f in found
        ]
        return nb, resources


#: the ledger's ``graded_by`` of a record :class:`RecordFlags` wrote
GRADED_BY = "nbgrader autograde"


class RecordFlags(NbGraderPreprocessor):
    """Last step of autograde: gather the notebook's flags (static checks and the check cells)
    into :data:`RESULTS` as flags about this notebook, and write them to the grading ledger,
    where ``python -m grader export`` reads them. ``python -m grader autograde`` records the
    ledger itself, with more (staging, fingerprint), and turns ``write_ledger`` off."""

    write_ledger = Bool(True, help="write the flags to the grading ledger").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        assignment, student, notebook = key = _key(resources)
        flags = [f.in_notebook(notebook) for f in STATIC.pop(key, [])]
        flags += [Flag(kinds.TAMPERING, notebook, p) for p in CANARIES.pop(key, [])]
        RESULTS[key] = flags
        if self.write_ledger:
            ledger = Ledger.of(_coursedir(self.config))
            record = ledger.load(assignment, student) or {}
            # an assignment's notebooks are graded one by one: keep the others' flags
            others = []
            if record.get("graded_by") == GRADED_BY:
                others = [f for f in kinds.from_record(record) if f.notebook != notebook]
            ledger.save(
                {
                    "assignment": assignment,
                    "student": student,
                    "status": "graded",
                    "reason": "",
                    "flags": sorted(others + flags, key=lambda f: f.notebook),
                    "fingerprint": "",  # not a fingerprinted run: the next one grades again
                    "graded_by": GRADED_BY,
                }
            )
        return nb, resources
