"""The static scan of the code a student could edit, before grading (:mod:`grader.integrity`).

:func:`scan_code` looks, without running anything, for patching of the grading helpers,
numpy or IPython, for rebinding of the names the test cells rely on, for code made at run
time, and for names of places student code has no business reading (the gradebook,
``solutions/``, the course directory). Its findings are flags for a person to review. It is
linear in the size of the code and bounded in bytes and seconds: a hostile notebook cannot
make the grader hang.
"""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Iterable

from nbformat.notebooknode import NotebookNode

#: Names the test cells rely on, and the module each must be.
RELIED_ON = {
    "grading": "vanishing.grading",
    "np": "numpy",
    "nn": "vanishing.nn",
    "F": "vanishing.functional",
    "init": "vanishing.init",
    "inspect": "inspect",
    "init_checks": "vanishing.checks.init_scaling",  # 05's test cells
    "capstone_checks": "vanishing.checks.capstone",  # 09's test cells
}
PROTECTED_ROOTS = {
    "grading", "vanishing", "np", "numpy", "npt", "builtins", "__builtins__", "sys",
    "IPython", "math", "unittest", "nn", "F", "init", "inspect", "AssertionError",
    "init_checks", "capstone_checks",
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


def student_sources(nb: NotebookNode, restored: Iterable[str] = ()) -> list[str]:
    """Code cells a student wrote or could have edited: every code cell but those nbgrader's
    ``OverwriteCells`` puts back, which are the cells whose ``grade_id`` is one of
    ``restored``, the locked cells of the gradebook (:func:`grader.integrity.source_cells`).

    Neither the cell's own ``locked`` flag (the student can set it on any cell) nor
    ``nbgrader.utils.is_locked`` (it calls every test cell locked, unlocked and filled or
    not) decides: only what the gradebook will restore is left out."""
    restored = set(restored)
    return [
        c.source
        for c in nb.cells
        if c.cell_type == "code"
        and c.get("metadata", {}).get("nbgrader", {}).get("grade_id") not in restored
    ]
