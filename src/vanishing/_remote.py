"""Calling a learner's functions from another kernel, with plain data only.

Under autograding (``python -m grader autograde``, see ``grader/split.py``) a notebook runs
in two kernels. The *student kernel* runs the learner's cells; the *test kernel* runs only
the course's setup cell and the test cells. The two share a socket. In the test kernel each
function the learner defines is a :class:`StudentFunction`: calling it sends the arguments to
the student kernel, which calls the learner's function there and sends back the result.

What crosses the socket is plain data, encoded as JSON: ``None``, booleans, integers,
floats, strings, bytes, numpy arrays and scalars of boolean, integer, float or complex
dtype, and tuples, lists and dicts of those. The test kernel decodes nothing else (no pickle,
no ndarray subclasses, no objects), so what the learner's code does in its own kernel (a
patched ``numpy``, a replaced assertion, an IPython hook, a display hook) cannot reach an
assertion in the test kernel.

Callables the tests pass in (an ``f`` for ``numerical_gradient``) go the other way: a
function written in a test cell is sent as its source text with the plain data, modules and
learner functions it refers to, and rebuilt in the student kernel; a function from an
importable module (``np.tanh``, the course's package) is sent by name.

The student side (:func:`serve`) is untrusted by design: it may answer anything, and the
test side checks every answer's shape before it uses it.
"""

from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import importlib
import inspect
import io
import json
import linecache
import os
import socket
import struct
import sys
import textwrap
import time
import traceback
import types
from typing import Any

import numpy as np

#: environment variable naming the channel's file descriptor (student kernel)
FD_VARIABLE = "VG_CHANNEL_FD"
#: environment variable naming the control socket's descriptor (test kernel): each
#: notebook's channel arrives over it
CONTROL_VARIABLE = "VG_CONTROL_FD"
MAX_MESSAGE = 64 * 1024**2  # bytes in one message
MAX_DEPTH = 24  # nesting of tuples, lists and dicts
MAX_OUTPUT = 200_000  # characters of printed output kept from one call
_KINDS = "biufc"  # dtype kinds that cross: bool, int, uint, float, complex


class Unsupported(TypeError):
    """A value that is not plain data (or a function that cannot be sent)."""


class StudentError(Exception):
    """An exception raised by the learner's code in the student kernel (by type name)."""

    def __init__(self, type_name: str, message: str, where: str = ""):
        super().__init__(message)
        self.type_name, self.message, self.where = type_name, message, where

    def __str__(self) -> str:
        return self.message + (
            f"\n\nwhere it was raised, in your code:\n{self.where}" if self.where else ""
        )


# --- framing --------------------------------------------------------------------------------
def _send(sock: socket.socket, obj: Any) -> None:
    data = json.dumps(obj, separators=(",", ":")).encode()
    if len(data) > MAX_MESSAGE:
        raise Unsupported(f"a message of {len(data)} bytes is larger than {MAX_MESSAGE}")
    sock.sendall(struct.pack(">Q", len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the other kernel closed the channel")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _recv(sock: socket.socket) -> Any:
    (n,) = struct.unpack(">Q", _recv_exact(sock, 8))
    if n > MAX_MESSAGE:
        raise Unsupported(f"a message of {n} bytes is larger than {MAX_MESSAGE}")
    data = _recv_exact(sock, n)
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as err:
        raise Unsupported(f"a garbled message ({type(err).__name__})") from None


def _socket() -> socket.socket:
    fd = os.environ.get(FD_VARIABLE)
    if not fd:
        raise RuntimeError(f"no channel: {FD_VARIABLE} is not set")
    return socket.socket(fileno=os.dup(int(fd)))


# --- plain data -------------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encode(value: Any, functions: Any = None, arrays: list | None = None, depth: int = 0) -> Any:
    """``value`` as JSON-able plain data. ``functions(value)`` encodes what is not plain
    (the test side sends callables and modules that way); ``arrays`` collects the arrays met,
    in order."""
    if depth > MAX_DEPTH:
        raise Unsupported(f"nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, bool):
        return bool(value) if value is not None else None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return {"$u": str(value)} if value.startswith("$") else str(value)
    if isinstance(value, (bytes, bytearray)):
        return {"$b": _b64(bytes(value))}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _KINDS or value.dtype.fields is not None:
            raise Unsupported(f"an array of dtype {value.dtype} (only bool, int, float, complex)")
        if arrays is not None:
            arrays.append(value)
        a = value if value.flags.c_contiguous else np.array(value, order="C")  # keeps 0-d
        dt = a.dtype.newbyteorder("=") if a.dtype.byteorder not in "=|" else a.dtype
        return {"$a": [dt.str, list(value.shape), _b64(a.astype(dt, copy=False).tobytes())]}
    if isinstance(value, np.generic):
        if value.dtype.kind not in _KINDS:
            raise Unsupported(f"a numpy {type(value).__name__} (only bool, int, float, complex)")
        return {"$s": [value.dtype.str, _b64(value.tobytes())]}
    if isinstance(value, tuple):
        return {"$t": [encode(v, functions, arrays, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, functions, arrays, depth + 1) for v in value]
    if isinstance(value, dict):
        return {
            "$d": [
                [encode(k, functions, arrays, depth + 1), encode(v, functions, arrays, depth + 1)]
                for k, v in value.items()
            ]
        }
    if functions is not None:
        return functions(value)
    raise Unsupported(f"a {type(value).__module__}.{type(value).__qualname__}")


def _dtype(text: Any) -> np.dtype:
    if not isinstance(text, str) or len(text) > 8:
        raise Unsupported("a garbled dtype")
    try:
        dt = np.dtype(text)
    except TypeError:
        raise Unsupported(f"the dtype {text!r}") from None
    if dt.kind not in _KINDS or dt.fields is not None or dt.itemsize > 32:
        raise Unsupported(f"the dtype {text!r}")
    return dt


def _bytes(text: Any) -> bytes:
    if not isinstance(text, str):
        raise Unsupported("garbled bytes")
    return base64.b64decode(text.encode("ascii"), validate=True)


def decode(obj: Any, resolve: Any = None, arrays: list | None = None, depth: int = 0) -> Any:
    """The value :func:`encode` made. ``resolve(tag, payload)`` rebuilds functions, modules
    and learner functions (the student side); without it only plain data is accepted."""
    if depth > MAX_DEPTH:
        raise Unsupported(f"nested more than {MAX_DEPTH} levels deep")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [decode(v, resolve, arrays, depth + 1) for v in obj]
    if not isinstance(obj, dict) or len(obj) != 1:
        raise Unsupported("a garbled value")
    ((tag, payload),) = obj.items()
    if tag == "$u" and isinstance(payload, str):
        return payload
    if tag == "$b":
        return _bytes(payload)
    if tag == "$a":
        if not (isinstance(payload, list) and len(payload) == 3):
            raise Unsupported("a garbled array")
        dt, shape, raw = _dtype(payload[0]), payload[1], _bytes(payload[2])
        if not (
            isinstance(shape, list)
            and len(shape) <= 32
            and all(
                isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**40 for n in shape
            )
        ):
            raise Unsupported("a garbled array shape")
        if int(np.prod(shape, dtype=object)) * dt.itemsize != len(raw):
            raise Unsupported("an array whose data does not match its shape")
        a = np.frombuffer(raw, dtype=dt).reshape(shape).copy()
        if arrays is not None:
            arrays.append(a)
        return a
    if tag == "$s":
        if not (isinstance(payload, list) and len(payload) == 2):
            raise Unsupported("a garbled scalar")
        dt, raw = _dtype(payload[0]), _bytes(payload[1])
        if len(raw) != dt.itemsize:
            raise Unsupported("a garbled scalar")
        return np.frombuffer(raw, dtype=dt)[0]
    if tag == "$t" and isinstance(payload, list):
        return tuple(decode(v, resolve, arrays, depth + 1) for v in payload)
    if tag == "$d" and isinstance(payload, list):
        out = {}
        for pair in payload:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise Unsupported("a garbled dict")
            key = decode(pair[0], resolve, arrays, depth + 1)
            if isinstance(key, (list, dict, np.ndarray)):
                raise Unsupported("a dict key that is not hashable")
            out[key] = decode(pair[1], resolve, arrays, depth + 1)
        return out
    if resolve is not None and tag in ("$f", "$g", "$m", "$p"):
        return resolve(tag, payload, depth)
    raise Unsupported(f"a value tagged {tag!r}")


# --- sending the tests' functions ------------------------------------------------------------
def _function_node(fn: types.FunctionType) -> tuple[str, bool]:
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


def _importable(obj: Any) -> tuple[str, str] | None:
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


class _Encoder:
    """The test side's encoder of what is not plain data."""

    def __init__(self) -> None:
        self.active: set[int] = set()

    def __call__(self, value: Any) -> Any:
        if isinstance(value, StudentFunction):
            return {"$p": value._name}
        if isinstance(value, types.ModuleType):
            return {"$m": value.__name__}
        found = _importable(value)
        if found is not None:
            return {"$g": list(found)}
        if isinstance(value, types.FunctionType):
            return self.function(value)
        raise Unsupported(f"a {type(value).__module__}.{type(value).__qualname__}")

    def function(self, fn: types.FunctionType) -> Any:
        if id(fn) in self.active:
            raise Unsupported(f"{fn.__qualname__} refers to itself")
        self.active.add(id(fn))
        try:
            source, is_lambda = _function_node(fn)
            used = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
            refs = {}
            for name in sorted(used):
                if name == fn.__name__ and not is_lambda:
                    continue
                if name in fn.__code__.co_freevars:
                    cell = fn.__closure__[fn.__code__.co_freevars.index(name)]
                    refs[name] = encode(cell.cell_contents, self)
                elif name in fn.__globals__:
                    refs[name] = encode(fn.__globals__[name], self)
            return {
                "$f": {
                    "source": source,
                    "lambda": is_lambda,
                    "name": fn.__name__,
                    "refs": refs,
                    "defaults": encode(fn.__defaults__ or (), self),
                    "kwdefaults": encode(fn.__kwdefaults__ or {}, self),
                }
            }
        finally:
            self.active.discard(id(fn))


# --- the student side ---------------------------------------------------------------------------
class _Capped(io.StringIO):
    def write(self, s: str) -> int:
        room = MAX_OUTPUT - self.tell()
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
            ns[name] = decode(value, resolve, None, depth + 1)
        if payload["lambda"]:
            fn = eval(compile("(" + payload["source"] + "\n)", "<test cell>", "eval"), ns)  # noqa: S307
        else:
            exec(compile(payload["source"], "<test cell>", "exec"), ns)  # noqa: S102
            fn = ns[payload["name"]]
        fn.__defaults__ = decode(payload["defaults"], resolve, None, depth + 1) or None
        fn.__kwdefaults__ = decode(payload["kwdefaults"], resolve, None, depth + 1) or None
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
                    default = encode(p.default)
                except Unsupported:
                    default = {"$u": f"<{type(p.default).__name__}>"}
            params.append([p.name, int(p.kind), p.default is not p.empty, default])
        return {"kind": "function", "params": params}
    try:
        return {"kind": "data", "value": encode(obj)}
    except Unsupported:
        return {"kind": "other", "type": type(obj).__name__}


def _is_harness(filename: str) -> bool:
    """Is a traceback frame in this module or in :mod:`vanishing.grading` (not the learner's)?"""
    from vanishing import grading

    grading_dir = os.path.dirname(os.path.abspath(grading.__file__))
    return os.path.abspath(filename) == os.path.abspath(__file__) or os.path.abspath(
        filename
    ).startswith(grading_dir + os.sep)


def _call(namespace: dict, msg: dict) -> dict:
    from vanishing import grading

    out, err = _Capped(), _Capped()
    reply: dict[str, Any] = {"id": msg.get("id")}
    arrays: list = []
    try:
        fn = namespace[msg["name"]]
        resolve = _resolver(namespace)
        args = decode(msg["args"], resolve, arrays)
        kwargs = decode(msg["kwargs"], resolve, arrays)
        before = [a.copy() for a in arrays]
        quiet = grading.silenced() if msg.get("silence") else contextlib.nullcontext()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            with quiet, grading.forbid(*msg.get("forbid", ())) as hits:
                try:
                    result = fn(*args, **kwargs)
                finally:
                    reply["hits"] = list(hits)
        reply["result"] = encode(result)
        changed = []
        for i, (a, b) in enumerate(zip(arrays, before, strict=True)):
            same = a.shape == b.shape and a.dtype == b.dtype
            if not same or not np.array_equal(a, b, equal_nan=b.dtype.kind in "fc"):
                changed.append([i, encode(a) if same else None])
        reply["changed"] = changed
        reply["ok"] = True
    except BaseException as exc:  # noqa: BLE001 - the learner's error goes to the test kernel
        tb = traceback.extract_tb(exc.__traceback__)
        mine = [f for f in tb if not _is_harness(f.filename)]
        where = "".join(traceback.format_list(mine[-3:]))[-4000:]
        if isinstance(exc, Unsupported):
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
    with _socket() as sock:
        while True:
            try:
                msg = _recv(sock)
            except (EOFError, OSError, Unsupported, KeyboardInterrupt):
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
                _send(sock, reply)
            except Unsupported as exc:
                _send(sock, {"id": msg.get("id"), "ok": False, "type": "Unsupported",
                             "message": f"your function returned {exc}", "where": "",
                             "stdout": "", "stderr": ""})  # fmt: skip


# --- the test side ----------------------------------------------------------------------------
class _Channel:
    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock, self.timeout, self.next_id = sock, timeout, 0

    def request(self, msg: dict) -> dict:
        self.next_id += 1
        msg["id"] = self.next_id
        deadline = time.monotonic() + self.timeout  # for the answer, however it trickles in
        self.sock.settimeout(self.timeout)
        try:
            _send(self.sock, msg)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                self.sock.settimeout(left)
                reply = _recv(self.sock)
                if isinstance(reply, dict) and reply.get("id") == self.next_id:
                    return reply
        except TimeoutError:
            raise AssertionError(
                f"your function did not return within {self.timeout:.0f} s"
            ) from None
        except (EOFError, OSError) as err:
            raise AssertionError(f"the kernel running your code stopped ({err})") from None
        except Unsupported as err:
            raise AssertionError(f"the kernel running your code sent {err}") from None


_CHANNEL: list[_Channel] = []
_NAMES: list[str] = []


class _Opaque:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class StudentFunction:
    """A learner's function, called in the student kernel (see the module's docstring)."""

    def __init__(self, name: str, params: list | None) -> None:
        self._name = self.__name__ = self.__qualname__ = name
        self.__doc__ = f"the learner's {name}, run in the student kernel"
        if params is not None:
            parameters = []
            for pname, kind, has_default, default in params:
                value = inspect.Parameter.empty
                if has_default:
                    try:
                        value = decode(default)
                    except Unsupported:
                        value = _Opaque(str(default))
                parameters.append(
                    inspect.Parameter(pname, inspect._ParameterKind(kind), default=value)
                )
            self.__signature__ = inspect.Signature(parameters)

    def __repr__(self) -> str:
        return f"<function {self._name} (in the student kernel)>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.invoke(args, kwargs)[0]

    def invoke(
        self, args: tuple, kwargs: dict, forbid: list[str] = (), silence: bool = False
    ) -> tuple[Any, list[str]]:
        """``(result, forbidden names the call reached)``; raises what the learner's code
        raised (``NotImplementedError``, ``AssertionError``; anything else as
        :class:`StudentError`)."""
        if not _CHANNEL:
            raise AssertionError(f"{self._name}: not connected to the kernel running your code")
        arrays: list = []
        encoder = _Encoder()
        msg = {
            "op": "call",
            "name": self._name,
            "args": encode(tuple(args), encoder, arrays),
            "kwargs": encode(dict(kwargs), encoder, arrays),
            "forbid": [str(f) for f in forbid],
            "silence": bool(silence),
        }
        reply = _CHANNEL[0].request(msg)
        try:
            stdout, stderr = str(reply.get("stdout", "")), str(reply.get("stderr", ""))
            if stdout:
                sys.stdout.write(stdout[:MAX_OUTPUT])
            if stderr:
                sys.stderr.write(stderr[:MAX_OUTPUT])
            hits = [str(h) for h in reply.get("hits", [])][:10]
            if not reply.get("ok"):
                name, message = str(reply.get("type", "Exception")), str(reply.get("message", ""))
                if name == "NotImplementedError":
                    raise NotImplementedError(message)
                if name == "AssertionError":
                    raise AssertionError(message)
                if name == "ForbiddenCall":
                    from vanishing.grading import ForbiddenCall

                    raise ForbiddenCall(message)
                raise StudentError(name[:100], message, str(reply.get("where", "")))
            result = decode(reply.get("result"))
            for entry in reply.get("changed", [])[: len(arrays)]:
                index, value = entry
                original = arrays[int(index)]
                new = decode(value) if value is not None else None
                if not (isinstance(new, np.ndarray) and new.shape == original.shape):
                    raise AssertionError(
                        f"{self._name}: your function changed the shape or dtype of an input "
                        "array in place; work on a copy or build a new array"
                    )
                original[...] = new  # the learner's in-place change, as if in one kernel
        except Unsupported as err:
            raise AssertionError(f"{self._name}: {err}") from None
        except (TypeError, ValueError, KeyError, IndexError) as err:
            raise AssertionError(
                f"{self._name}: a garbled answer from the student kernel ({err})"
            ) from None
        return result, hits


class _NotPassed:
    """A learner's name whose value cannot cross between the kernels."""

    def __init__(self, name: str, type_name: str) -> None:
        self._why = (
            f"`{name}` is a {type_name}; the grader passes only functions and plain data "
            "(numbers, strings, numpy arrays, and tuples, lists and dicts of those)"
        )

    def __getattr__(self, attr: str) -> Any:
        raise AssertionError(self._why)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(self._why)


def connect(names: list[str], timeout: float) -> None:
    """Take this notebook's channel from the control socket (test kernel): ``names`` are the
    learner's names to mirror."""
    for old in _CHANNEL:
        old.sock.close()
    fd = os.environ.get(CONTROL_VARIABLE)
    if fd:
        with socket.socket(fileno=os.dup(int(fd))) as control:
            control.settimeout(timeout)
            _, fds, _, _ = socket.recv_fds(control, 16, 1)
        if len(fds) != 1:
            raise RuntimeError("no channel arrived on the control socket")
        sock = socket.socket(fileno=fds[0])
    else:
        sock = _socket()
    _CHANNEL[:] = [_Channel(sock, timeout)]
    _NAMES[:] = list(names)


def begin(namespace: dict) -> None:
    """Mirror the learner's current names into the test kernel's ``namespace`` (before each
    test cell, while the student kernel serves)."""
    for name in _NAMES:
        namespace.pop(name, None)
    try:
        reply = _CHANNEL[0].request({"op": "names", "names": list(_NAMES)})
        values = reply.get("values", {})
    except AssertionError:
        return
    if not isinstance(values, dict):
        return
    for name in _NAMES:
        info = values.get(name)
        if not isinstance(info, dict):
            continue
        kind = info.get("kind")
        try:
            if kind == "function":
                namespace[name] = StudentFunction(name, info.get("params"))
            elif kind == "data":
                namespace[name] = decode(info.get("value"))
            elif kind == "other":
                namespace[name] = _NotPassed(name, str(info.get("type", "object"))[:60])
        except (Unsupported, TypeError, ValueError) as err:
            namespace[name] = _NotPassed(name, f"garbled value ({err})")


def end() -> None:
    """Tell the student kernel the test cell is over."""
    if _CHANNEL:
        with contextlib.suppress(OSError, Unsupported):
            _send(_CHANNEL[0].sock, {"op": "end"})
