"""Tampering checks: flags for a person to review, never a change of score by themselves.

nbgrader already restores edited or deleted test cells and their points (``OverwriteCells``)
and the sandbox makes forbidden reads fail. What nbgrader does not do is *tell* anyone, and
nothing stops a student from monkey-patching the assertions the tests use. Three checks:

* :class:`RecordedOverwriteCells` (before grading): nbgrader's ``OverwriteCells``, which
  puts deleted and edited test cells and their points back, recording each change it makes
  as a flag (a test cell holding the release's text, without the hidden tests, is not
  edited);
* :func:`scan_code` (before grading): a static look at the code the student could edit for
  patching of the grading helpers, numpy or IPython, and for names of places student code
  has no business reading (the gradebook, ``solutions/``, the course directory);
* :class:`InsertCanaries` / :class:`CollectCanaries` (while grading): a short check cell runs
  in the student's kernel before every test cell and at the end. It compares the grading
  helpers, ``numpy.testing``, ``builtins`` and IPython's execution hooks with a snapshot taken
  before any student code ran, and makes sure that assertions that must fail still fail.
  The check cells and their output are removed before the grades are saved.

They are heuristics: a determined student who reads this file can evade the dynamic
check (it runs in their kernel). They catch the usual tricks, and the sandbox, not these
checks, is what keeps student code away from the grades.
"""

from __future__ import annotations

import ast
import json
import re
import time
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells
from traitlets import Bool

#: Names the test cells rely on, and the module each must be.
RELIED_ON = {
    "grading": "vanishing.grading",
    "np": "numpy",
    "nn": "vanishing.nn",
    "F": "vanishing.functional",
    "init": "vanishing.init",
    "inspect": "inspect",
}
PROTECTED_ROOTS = {
    "grading", "vanishing", "np", "numpy", "npt", "builtins", "__builtins__", "sys",
    "IPython", "math", "unittest", "nn", "F", "init", "inspect", "AssertionError",
}  # fmt: skip
SUSPICIOUS_ATTRS = {
    "__code__", "__globals__", "__builtins__", "settrace", "setprofile",
    "input_transformers_cleanup", "input_transformers_post", "ast_transformers",
    "set_custom_exc", "custom_exceptions", "showtraceback", "_showtraceback", "run_cell",
    "run_code", "run_ast_nodes", "register_magic_function", "displayhook", "excepthook",
    "_getframe", "currentframe", "f_back", "f_locals", "getsource", "getsourcelines",
    "do_execute", "user_ns", "__subclasses__", "events",
}  # fmt: skip
#: builtins that run code made at run time (a copy of the course's code, or a hidden patch)
DYNAMIC_CODE = {"exec", "eval", "compile", "__import__"}
FORBIDDEN_WORDS = (
    "gradebook", "solutions", "autograded", "submitted", "nbgrader_config", "/etc/shadow",
)  # fmt: skip


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
        self._flags: list[str] = []
        self._retyped: set[str] = set()
        self._release = self._release_checksums(resources)
        present = {_meta(c).get("grade_id") for c in nb.cells}
        self._flags += [f"test cell deleted: {gid}" for gid in self._release if gid not in present]
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
                self._flags.append(f"could not compare with the release: {err}")
                return {}
            return {
                m["grade_id"]: m.get("checksum", "")
                for m in map(_meta, release.cells)
                if m.get("grade_id") and m.get("locked")
            }
        self._flags.append(f"could not compare with the release: no {notebook}.ipynb")
        return {}

    def report_change(self, name: str, attr: str, old, new) -> None:
        """Called by ``OverwriteCells`` for each attribute it sets back; ``new`` is the
        student's value (for ``checksum``: of the cell with type, lock and points restored)."""
        super().report_change(name, attr, old, new)
        if attr == "cell_type":
            self._retyped.add(name)
            self._flags.append(f"test cell type changed: {name}")
        elif attr == "points":
            self._flags.append(f"test cell points changed: {name} ({old:g} -> {new:g})")
        elif attr == "checksum" and name not in self._retyped and new != self._release.get(name):
            self._flags.append(f"test cell edited (checksum mismatch): {name}")


# --- before grading: the code the student wrote -------------------------------------------
#: What one notebook's scan may cost. Beyond either, the scan stops with the flag "code too
#: large to scan": a person looks, the grader does not hang. Real notebooks are far below
#: (a few kB of code, a few ms).
SCAN_MAX_BYTES = 500_000  # code scanned per notebook (UTF-8 bytes)
SCAN_MAX_SECONDS = 10.0
#: IPython's own transformation (magics, ``!cmd``, ``x?``) re-tokenises the whole cell once
#: per special line, quadratic; it is used only on cells this small with this few special
#: lines, a linear line-by-line rewrite otherwise.
IPYTHON_MAX_CHARS = 50_000
IPYTHON_MAX_SPECIAL = 20
MAX_FLAGS = 40
MAX_DEPTH = 64  # attribute and subscript chains are followed this far
TOO_LARGE = "code too large to scan"
_ASSIGN_MAGIC = re.compile(r"[\w.\[\], \t]+=[ \t]*[%!]")


class _TooComplex(Exception):
    pass


def _special(line: str) -> bool:
    """Is this line IPython syntax (a magic, a shell escape, a help request)?"""
    s = line.strip()
    return bool(s) and (
        s[0] in "%!" or s.endswith("?") or (s[0] != "#" and _ASSIGN_MAGIC.match(s) is not None)
    )


def _rewrite(source: str) -> str:
    """Linear stand-in for IPython's transformation: a cell magic becomes one string, each
    special line a string with the same indentation (its text is still scanned for
    forbidden words)."""
    first = source.lstrip()
    if first.startswith("%%"):
        return repr(source)
    out = []
    for line in source.split("\n"):
        if _special(line):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + repr(line.strip()))
        else:
            out.append(line)
    return "\n".join(out)


def _python(source: str) -> tuple[str, bool]:
    """``(python, rewritten)``: the cell as plain Python; ``rewritten`` when the linear
    stand-in was used instead of IPython's own transformation."""
    special = 0
    for line in source.split("\n"):
        special += _special(line)
        if special > IPYTHON_MAX_SPECIAL:
            break
    if len(source) > IPYTHON_MAX_CHARS or special > IPYTHON_MAX_SPECIAL:
        return _rewrite(source), True
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source), False
    except Exception:  # noqa: BLE001 - fall back to the raw text
        return source, False


def _parse(source: str) -> tuple[ast.Module | None, str]:
    """``(tree, problem)``: the cell's syntax tree (None if it is no Python), or a problem
    worth a flag ("" when none). Raises :class:`_TooComplex` for nesting the parser gives
    up on (it would crash the scan)."""

    def attempt(code: str) -> ast.Module | None:
        try:
            return ast.parse(code)
        except (SyntaxError, ValueError):  # ValueError: a null byte
            return None
        except (RecursionError, MemoryError) as err:
            raise _TooComplex from err

    tree = attempt(source)  # plain Python (most cells) needs no IPython transformation
    if tree is not None:
        return tree, ""
    code, rewritten = _python(source)
    tree = attempt(code)
    if tree is None and rewritten:
        return None, "code could not be scanned (IPython syntax on too many lines)"
    return tree, ""


def _root(node: ast.AST) -> str:
    for _ in range(MAX_DEPTH):
        if not isinstance(node, (ast.Attribute, ast.Subscript)):
            break
        node = node.value
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id + "()"
    return ""


def _short(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return repr(node.value)[:40]
    if isinstance(node, ast.Name):
        return node.id
    return "..."


def _dotted(node: ast.AST, limit: int = 120) -> str:
    """``a.b[0].c`` for an attribute or subscript chain: bounded in depth and length (a
    crafted target can be megabytes long)."""
    parts: list[str] = []
    for _ in range(MAX_DEPTH):
        if isinstance(node, ast.Attribute):
            parts.append("." + node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            parts.append(f"[{_short(node.slice)}]")
            node = node.value
        else:
            break
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        parts.append(node.func.id + "()")
    else:
        parts.append("?" if parts else _short(node))
    text = "".join(reversed(parts))
    return text if len(text) <= limit else text[: limit - 3] + "..."


PROTECTED_MODULES = (
    "vanishing",
    "numpy",
    "builtins",
    "sys",
    "IPython",
    "math",
    "unittest",
    "inspect",
)


def _statements(tree: ast.AST):
    """Every statement of a module, nested ones too (imports are statements: no need to
    walk the expressions for them)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(node, name, None)
            if isinstance(block, list):
                for stmt in block:
                    if isinstance(stmt, ast.AST):
                        yield stmt
                        todo.append(stmt)


def _walk(tree: ast.AST):
    """Every node of a tree, depth first, without ``ast.walk``'s generator per node (about
    twice as fast: the scan's cost is this walk)."""
    todo = [tree]
    pop, push, extend = todo.pop, todo.append, todo.extend
    AST = ast.AST
    while todo:
        node = pop()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, AST):
                push(value)
            elif isinstance(value, list):
                extend(v for v in value if isinstance(v, AST))


def _bound_names(target: ast.AST) -> list[str]:
    """Names an assignment target rebinds (``a``, ``a, *b``; not ``a.x`` or ``a[0]``)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts[:10_000] for n in _bound_names(elt)]
    return []


def _aliases(trees: list[ast.Module]) -> set[str]:
    """Names bound by importing a protected module or something from it (``from vanishing
    import grading as _g`` makes ``_g`` protected)."""
    out: set[str] = set()
    for tree in trees:
        for node in _statements(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] in PROTECTED_MODULES:
                        out.add(a.asname or a.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module.split(".")[0] in PROTECTED_MODULES:
                    out.update(a.asname or a.name for a in node.names)
    return out


def scan_code(
    sources: Iterable[str],
    forbidden_paths: Iterable[str] = (),
    max_bytes: int | None = None,
    max_seconds: float | None = None,
) -> list[str]:
    """Static flags for code cells a student could edit.

    Linear in the size of the code, and bounded: at most ``max_bytes`` of code
    (:data:`SCAN_MAX_BYTES`) and ``max_seconds`` (:data:`SCAN_MAX_SECONDS`) per call, i.e.
    per notebook; beyond either the scan stops with the flag "code too large to scan"."""
    max_bytes = SCAN_MAX_BYTES if max_bytes is None else max_bytes
    max_seconds = SCAN_MAX_SECONDS if max_seconds is None else max_seconds
    deadline = time.monotonic() + max_seconds
    words = [w.lower() for w in FORBIDDEN_WORDS]
    words += [p.lower() for p in forbidden_paths if p and p != "/"]
    shown = [w for w in FORBIDDEN_WORDS] + [p for p in forbidden_paths if p and p != "/"]
    flags: dict[str, None] = {}
    stopped: list[str] = []

    def flag(msg: str) -> None:
        if len(flags) < MAX_FLAGS:
            flags.setdefault(msg, None)
        else:
            flags.setdefault(f"more than {MAX_FLAGS} flags; the rest not shown", None)

    def out_of_time() -> bool:
        if time.monotonic() > deadline:
            if not stopped:
                stopped.append(f"{TOO_LARGE} (stopped after {max_seconds:g} s)")
            return True
        return False

    trees: list[ast.Module] = []
    used = 0
    for source in sources:
        size = len(source.encode("utf-8", "surrogatepass"))
        if used + size > max_bytes:
            stopped.append(f"{TOO_LARGE} (over {max_bytes:,} bytes of code; the rest skipped)")
            break
        used += size
        if out_of_time():
            break
        try:
            tree, problem = _parse(source)
        except _TooComplex:
            flag("code too deeply nested to scan")
            continue
        if problem:
            flag(problem)
        if tree is not None:
            trees.append(tree)
    roots = set(PROTECTED_ROOTS) | _aliases(trees)

    for tree in trees:
        if stopped:
            break
        for count, node in enumerate(_walk(tree)):
            if count % 4096 == 0 and out_of_time():
                break
            targets: list[ast.AST] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            elif isinstance(node, ast.Delete):
                targets = node.targets
            for t in targets:
                for sub in ast.walk(t):
                    if isinstance(sub, (ast.Attribute, ast.Subscript)):
                        root = _root(sub)
                        if root in roots or root == "get_ipython()":
                            flag(f"patches {_dotted(sub)}")
                        break
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in {"setattr", "delattr"} and node.args:
                    root = _root(node.args[0])
                    if root in roots or root == "get_ipython()":
                        flag(f"patches {_dotted(node.args[0])} with {node.func.id}()")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in DYNAMIC_CODE:
                    flag(f"runs code made at run time ({node.func.id})")
            if isinstance(node, ast.Attribute) and node.attr in SUSPICIOUS_ATTRS:
                flag(f"uses {node.attr}")
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "modules"
                and isinstance(node.value, ast.Name)
                and node.value.id == "sys"
            ):
                flag("uses sys.modules")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                low = node.value.lower()
                for w, name in zip(words, shown, strict=True):
                    if w in low:
                        flag(f"refers to {name!r} (not accessible to student code)")
        # top-level rebinding of the names the test cells use
        for stmt in tree.body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for alias in stmt.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    if bound in RELIED_ON:
                        full = (
                            alias.name
                            if isinstance(stmt, ast.Import)
                            else f"{stmt.module}.{alias.name}"
                        )
                        if full != RELIED_ON[bound]:
                            flag(f"rebinds {bound} to {full}")
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.ClassDef)):
                names = []
                if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                    names = [stmt.name]
                else:
                    tg = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    names = [n for t in tg for n in _bound_names(t)]
                for n in names:
                    if n in RELIED_ON:
                        flag(f"rebinds {n}")
    return list(flags) + stopped[:1]


def student_sources(nb: NotebookNode) -> list[str]:
    """Code cells that are not locked: what a student wrote or could have edited."""
    return [
        c.source for c in nb.cells if c.cell_type == "code" and not _meta(c).get("locked", False)
    ]


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
m = types.ModuleType("_vg_integrity")
WATCHED = ("vanishing.grading", "numpy", "numpy.testing", "builtins", "math")
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


#: problems found in each notebook, by (assignment, student, notebook), filled while grading
RESULTS: dict[tuple[str, str, str], list[str]] = {}


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
    """Read and remove the check cells; record what they found in :data:`RESULTS`."""

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
        info = resources.get("nbgrader", {})
        key = (info.get("assignment", ""), info.get("student", ""), info.get("notebook", ""))
        RESULTS[key] = problems
        return nb, resources


#: static findings of each notebook (scan_code, RecordedOverwriteCells), made before it runs
STATIC: dict[tuple[str, str, str], list[str]] = {}


def _key(resources: ResourcesDict) -> tuple[str, str, str]:
    info = resources.get("nbgrader", {})
    return (info.get("assignment", ""), info.get("student", ""), info.get("notebook", ""))


def _coursedir(config):
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=config)


class StaticChecks(NbGraderPreprocessor):
    """First step of autograde's sanitising pass, before anything is changed: scan the
    student's code (:func:`scan_code`). :class:`RecordedOverwriteCells` adds what it finds
    about the test cells."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        from grader.sandbox import REPOSITORY

        cd = _coursedir(self.config)
        forbidden = sorted({str(Path(cd.root).resolve()), str(REPOSITORY)})
        flags = [f"suspicious code: {f}" for f in scan_code(student_sources(nb), forbidden)]
        STATIC[_key(resources)] = flags
        return nb, resources


class RecordFlags(NbGraderPreprocessor):
    """Last step of autograde: gather the notebook's flags (static checks and the check cells)
    into :data:`RESULTS` as ``"<notebook>: <flag>"`` lines, and write them to the grading
    ledger, where ``python -m grader export`` reads them. ``python -m grader autograde``
    records the ledger itself, with more (staging, fingerprint), and turns ``write_ledger``
    off."""

    write_ledger = Bool(True, help="write the flags to the grading ledger").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        assignment, student, notebook = key = _key(resources)
        flags = [f"{notebook}: {f}" for f in STATIC.pop(key, [])]
        flags += [f"{notebook}: tampering: {p}" for p in RESULTS.get(key, [])]
        RESULTS[key] = flags
        if self.write_ledger:
            from grader.ledger import Ledger

            ledger = Ledger.of(_coursedir(self.config))
            record = ledger.load(assignment, student) or {}
            # an assignment's notebooks are graded one by one: keep the others' flags
            per_notebook = dict(record.get("notebook_flags") or {})
            per_notebook[notebook] = flags
            ledger.save(
                {
                    "assignment": assignment,
                    "student": student,
                    "status": "graded",
                    "reason": "",
                    "flags": [f for name in sorted(per_notebook) for f in per_notebook[name]],
                    "notebook_flags": per_notebook,
                    "fingerprint": "",  # not a fingerprinted run: the next one grades again
                    "graded_by": "nbgrader autograde",
                }
            )
        return nb, resources
