"""How a function written in a test cell is found for sending: its source text, or its name.

:func:`function_source` finds the source of a ``def`` or a ``lambda`` written in a cell or
file; :func:`importable_name` names an object that is an attribute of an importable module
(``np.tanh``, the course's package), which is sent by name instead.
"""

from __future__ import annotations

import ast
import linecache
import sys
import textwrap
import types
from typing import Any

import numpy as np

from .wire import Unsupported

__all__ = ["function_source", "importable_name"]


def function_source(fn: types.FunctionType) -> tuple[str, bool]:
    """(source text, is a lambda) of a function written in a cell or file."""
    code = fn.__code__
    lines = linecache.getlines(code.co_filename)
    if not lines:
        raise Unsupported(f"the source of {fn.__qualname__} is not available")
    source = "".join(lines)
    tree = ast.parse(source)
    if fn.__name__ == "<lambda>":
        # the lambda whose body holds the code's first real instruction
        positions = [(p[0], p[2]) for p in code.co_positions() if None not in p and p[3] > p[2]]
        first = min(positions) if positions else (code.co_firstlineno, 10**9)
        best = None
        for node in ast.walk(tree):
            if isinstance(node, ast.Lambda) and node.lineno == code.co_firstlineno:
                start = (node.body.lineno, node.body.col_offset)
                end = (node.body.end_lineno, node.body.end_col_offset)
                if start <= first <= end and (
                    best is None or start > (best.body.lineno, best.body.col_offset)
                ):
                    best = node
        if best is None:
            raise Unsupported(f"cannot find the source of a lambda on line {code.co_firstlineno}")
        return ast.get_source_segment(source, best), True
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == fn.__name__:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if start <= code.co_firstlineno <= node.end_lineno:
                if node.decorator_list:
                    raise Unsupported(f"{fn.__qualname__} is decorated; pass a plain def")
                segment = "".join(lines[node.lineno - 1 : node.end_lineno])
                return textwrap.dedent(segment), False
    raise Unsupported(f"cannot find the source of {fn.__qualname__}")


def importable_name(obj: Any) -> tuple[str, str] | None:
    """(module, qualified name) when ``obj`` is that attribute of an importable module."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if isinstance(obj, np.ufunc):
        module, qualname = "numpy", obj.__name__
    if not module or not qualname or module == "__main__" or "<" in qualname:
        return None
    mod = sys.modules.get(module)
    if mod is None or not getattr(mod, "__file__", None):
        return None
    target = mod
    for part in qualname.split("."):
        target = getattr(target, part, None)
    return (module, qualname) if target is obj else None
