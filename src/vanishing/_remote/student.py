"""The student side of the channel: answering the test kernel (see :mod:`vanishing._remote`).

:func:`serve` runs in the student kernel while a test cell runs: it reports the learner's
names (``op: names``) and calls the learner's functions with the arguments the test kernel
sent (``op: call``), under the test's ``forbid`` and warning filter, and sends back the
result, the forbidden names reached, the inputs changed in place and the printed output.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import inspect
import io
import os
import sys
import traceback
from typing import Any

import numpy as np

from . import wire

__all__ = ["serve"]


class _Capped(io.StringIO):
    def write(self, s: str) -> int:
        room = wire.MAX_OUTPUT - self.tell()
        if room > 0:
            super().write(s[:room])
        return len(s)


def _resolver(namespace: dict) -> Any:
    def resolve(tag: str, payload: Any, depth: int) -> Any:
        if tag == "$m":
            return importlib.import_module(payload)
        if tag == "$g":
            module, qualname = payload
            obj = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
            return obj
        if tag == "$p":
            return namespace[payload]
        ns = {"__builtins__": builtins}
        for name, value in payload["refs"].items():
            ns[name] = wire.decode(value, resolve, None, depth + 1)
        if payload["lambda"]:
            fn = eval(compile("(" + payload["source"] + "\n)", "<test cell>", "eval"), ns)  # noqa: S307
        else:
            exec(compile(payload["source"], "<test cell>", "exec"), ns)  # noqa: S102
            fn = ns[payload["name"]]
        fn.__defaults__ = wire.decode(payload["defaults"], resolve, None, depth + 1) or None
        fn.__kwdefaults__ = wire.decode(payload["kwdefaults"], resolve, None, depth + 1) or None
        return fn

    return resolve


def _describe(obj: Any) -> dict:
    if callable(obj) and not isinstance(obj, type):
        try:
            sig = inspect.signature(obj)
        except (TypeError, ValueError):
            return {"kind": "function", "params": None}
        params = []
        for p in sig.parameters.values():
            default = None
            if p.default is not p.empty:
                try:
                    default = wire.encode(p.default)
                except wire.Unsupported:
                    default = {"$u": f"<{type(p.default).__name__}>"}
            params.append([p.name, int(p.kind), p.default is not p.empty, default])
        return {"kind": "function", "params": params}
    try:
        return {"kind": "data", "value": wire.encode(obj)}
    except wire.Unsupported:
        return {"kind": "other", "type": type(obj).__name__}


def _is_harness(filename: str) -> bool:
    """Is a traceback frame in this package or in :mod:`vanishing.grading` (not the learner's)?"""
    from vanishing import grading

    path = os.path.abspath(filename)
    return any(
        path.startswith(os.path.dirname(os.path.abspath(m.__file__)) + os.sep)
        for m in (grading, wire)
    )


def _call(namespace: dict, msg: dict) -> dict:
    from vanishing import grading

    out, err = _Capped(), _Capped()
    reply: dict[str, Any] = {"id": msg.get("id")}
    arrays: list = []
    try:
        fn = namespace[msg["name"]]
        resolve = _resolver(namespace)
        args = wire.decode(msg["args"], resolve, arrays)
        kwargs = wire.decode(msg["kwargs"], resolve, arrays)
        before = [a.copy() for a in arrays]
        quiet = grading.silenced() if msg.get("silence") else contextlib.nullcontext()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            with quiet, grading.forbid(*msg.get("forbid", ())) as hits:
                try:
                    result = fn(*args, **kwargs)
                finally:
                    reply["hits"] = list(hits)
        reply["result"] = wire.encode(result)
        changed = []
        for i, (a, b) in enumerate(zip(arrays, before, strict=True)):
            same = a.shape == b.shape and a.dtype == b.dtype
            if not same or not np.array_equal(a, b, equal_nan=b.dtype.kind in "fc"):
                changed.append([i, wire.encode(a) if same else None])
        reply["changed"] = changed
        reply["ok"] = True
    except BaseException as exc:  # noqa: BLE001 - the learner's error goes to the test kernel
        tb = traceback.extract_tb(exc.__traceback__)
        mine = [f for f in tb if not _is_harness(f.filename)]
        where = "".join(traceback.format_list(mine[-3:]))[-4000:]
        if isinstance(exc, wire.Unsupported):
            name, text = "Unsupported", f"your function returned {exc} (not plain data)"
        else:
            name, text = type(exc).__name__, str(exc)[:2000]
        reply.update(ok=False, type=name, message=text, where=where)
    reply["stdout"], reply["stderr"] = out.getvalue(), err.getvalue()
    return reply


def serve() -> None:
    """Answer the test kernel until it says the test cell ended (student kernel)."""
    namespace = sys.modules["__main__"].__dict__
    try:
        ip = get_ipython()  # type: ignore[name-defined]  # noqa: F821
        namespace = ip.user_ns
    except NameError:
        pass
    with wire.channel_socket() as sock:
        while True:
            try:
                msg = wire.recv(sock)
            except (EOFError, OSError, wire.Unsupported, KeyboardInterrupt):
                return  # an interrupt while waiting: the grader ends a test cell's serving
            if not isinstance(msg, dict) or msg.get("op") == "end":
                return
            if msg.get("op") == "names":
                values = {}
                for name in msg.get("names", []):
                    values[name] = (
                        _describe(namespace[name]) if name in namespace else {"kind": "missing"}
                    )
                reply: dict[str, Any] = {"id": msg.get("id"), "values": values}
            else:
                reply = _call(namespace, msg)
            try:
                wire.send(sock, reply)
            except wire.Unsupported as exc:
                wire.send(sock, {"id": msg.get("id"), "ok": False, "type": "Unsupported",
                             "message": f"your function returned {exc}", "where": "",
                             "stdout": "", "stderr": ""})  # fmt: skip
