"""The mistake corpus: common mistakes and valid alternative answers, per graded exercise.

Each notebook has a module here (``nb00.py`` for ``00_backprop_refresher``, ...) with::

    ASSIGNMENT = "00_backprop_refresher"
    EXERCISES = [
        Exercise(
            cell="numerical_gradient",  # grade_id of the answer cell the variants replace
            mistakes={
                "forward_difference": Mistake(
                    code="def numerical_gradient(f, x, eps=1e-6): ...",  # the whole cell
                    message="forward difference",  # a substring of the failing test's error
                ),
                ...  # at least 4
            },
            alternatives={"vectorised_over_a_copy": "def numerical_gradient(...): ...", ...},
        ),  # at least 3 alternatives, written differently from the reference
    ]

``test_mistake_corpus.py`` grades every variant with real nbgrader in one batch: a
submission is the student release with every answer cell filled in from the solution,
except the variants' cells. A mistake must score 0 on every test cell of its exercise (the
test cells between its answer cell and the next answer cell) with ``message`` in one of
their error messages, as the student reads it in the notebook and in the feedback; an
alternative must score full marks on each of them.

Variants of different exercises share a submission (the k-th mistake of every exercise in
one notebook), which keeps the batch small; an exercise whose tests call the learner's
answer to another exercise sets ``isolated=True`` and gets a submission per variant.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MIN_MISTAKES = 4
MIN_ALTERNATIVES = 3
SOLUTION = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


@dataclass
class Mistake:
    code: str  # the whole answer cell
    message: str  # substring of the failing test cell's error message


@dataclass
class Exercise:
    cell: str
    mistakes: dict[str, Mistake] = field(default_factory=dict)
    alternatives: dict[str, str] = field(default_factory=dict)
    isolated: bool = False


@dataclass
class Variant:
    """One variant in one submission, and what grading must give it."""

    assignment: str
    cell: str
    kind: str  # "mistake", "alternative" or "cheat"
    name: str
    code: str
    message: str = ""

    @property
    def id(self) -> str:
        return f"{self.assignment[:2]}:{self.cell}:{self.kind}:{self.name}"


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def modules() -> dict[str, object]:
    """``{assignment: module}`` for every corpus module of this folder."""
    out = {}
    for path in sorted(HERE.glob("nb[0-9][0-9]*.py")):
        spec = importlib.util.spec_from_file_location(f"mistakes_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        out[mod.ASSIGNMENT] = mod
    return out


def notebook(assignment: str, side: str = "notebooks") -> nbformat.NotebookNode:
    (path,) = sorted((ROOT / side / assignment).glob("*.ipynb"))
    return nbformat.read(path, as_version=4)


def answer_cells(nb) -> list[str]:
    """grade_ids of the autograded answer cells (code cells with ``solution``)."""
    return [
        meta(c)["grade_id"] for c in nb.cells if c.cell_type == "code" and meta(c).get("solution")
    ]


def tests_of(nb) -> dict[str, list[str]]:
    """``{answer cell: [test cells that grade it]}``: the test cells after an answer cell, up
    to the next answer cell."""
    out: dict[str, list[str]] = {}
    current = None
    for c in nb.cells:
        m = meta(c)
        if c.cell_type == "code" and m.get("solution"):
            current = m["grade_id"]
            out[current] = []
        elif c.cell_type == "code" and m.get("grade") and current is not None:
            out[current].append(m["grade_id"])
    return out


def points_of(nb) -> dict[str, float]:
    return {meta(c)["grade_id"]: float(meta(c)["points"]) for c in nb.cells if meta(c).get("grade")}


def solution_sources(assignment: str) -> dict[str, str]:
    """The reference answer of every answer cell, without the solution markers."""
    src = notebook(assignment, "solutions")
    return {
        meta(c)["grade_id"]: SOLUTION.sub("", c.source)
        for c in src.cells
        if c.cell_type == "code" and meta(c).get("solution")
    }


def submission(assignment: str, replace: dict[str, str]) -> nbformat.NotebookNode:
    """The release with every answer cell solved, except those in ``replace``."""
    nb = notebook(assignment)
    solved = solution_sources(assignment)
    for c in nb.cells:
        gid = meta(c).get("grade_id")
        if c.cell_type == "code" and meta(c).get("solution"):
            c.source = replace.get(gid, solved[gid])
    return nb


def visible_test_functions(nb) -> list[str]:
    """Names of the functions that the release's test cells define at top level (``def`` or
    a lambda assigned to a name): what a learner's answer could call instead of working."""
    names: list[str] = []
    for c in nb.cells:
        if c.cell_type != "code" or not meta(c).get("grade") or meta(c).get("solution"):
            continue
        try:
            tree = ast.parse(c.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.append(node.name)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return list(dict.fromkeys(names))


def functions_defined(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def cheat_source(solved: str, helper: str) -> str:
    """The solved answer cell, then every function it defines forwarded to ``helper``."""
    forwards = "".join(
        f"\n\ndef {name}(*args, **kwargs):\n    return {helper}(*args, **kwargs)\n"
        for name in functions_defined(solved)
    )
    return solved + forwards


def plan(
    mods: dict[str, object], assignments: list[str]
) -> dict[str, tuple[str, dict[str, str], list[Variant]]]:
    """``{student: (assignment, {answer cell: code}, [variants it carries])}``: the corpus
    modules' variants, and the visible-test cheat for every assignment."""
    students: dict[str, tuple[str, dict[str, str], list[Variant]]] = {}

    def add(student: str, assignment: str, variant: Variant) -> None:
        entry = students.setdefault(student, (assignment, {}, []))
        entry[1][variant.cell] = variant.code
        entry[2].append(variant)

    for assignment in assignments:
        short = assignment[:2]
        mod = mods.get(assignment)
        for ex in mod.EXERCISES if mod else []:
            groups = [("mistake", ex.mistakes), ("alternative", ex.alternatives)]
            for kind, variants in groups:
                for k, (name, v) in enumerate(variants.items()):
                    code, message = (v.code, v.message) if isinstance(v, Mistake) else (v, "")
                    variant = Variant(assignment, ex.cell, kind, name, code, message)
                    student = f"nb{short}-{kind}-{k}"
                    if ex.isolated:
                        student = f"nb{short}-{ex.cell}-{kind}-{k}"
                    add(student, assignment, variant)
        # the cheat: every answer forwards to a function defined in a visible test cell
        release = notebook(assignment)
        solved = solution_sources(assignment)
        for helper in visible_test_functions(release):
            for cell in answer_cells(release):
                if functions_defined(solved[cell]):
                    variant = Variant(
                        assignment, cell, "cheat", helper, cheat_source(solved[cell], helper)
                    )
                    add(f"nb{short}-cheat-{helper}", assignment, variant)
    return students


def write(students, submitted: Path) -> None:
    for student, (assignment, replace, _) in students.items():
        folder = submitted / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nb = submission(assignment, replace)
        (name,) = [p.name for p in (ROOT / "notebooks" / assignment).glob("*.ipynb")]
        nbformat.write(nb, folder / name)
        (folder / "timestamp.txt").write_text("2024-01-01 00:00:00 UTC")


def error_text(cell) -> str:
    """What the student reads of a graded cell: error messages and printed text."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}")
        elif out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
    return "\n".join(parts)


def dump(obj) -> str:
    return json.dumps(obj, indent=1, default=str)
