"""The test side of the channel: the learner's functions as proxies (see :mod:`vanishing._remote`).

:func:`connect` takes this notebook's channel; :func:`begin` mirrors the learner's names into
the test kernel before each test cell (a :class:`StudentFunction` for each function, the value
for plain data); :func:`end` tells the student kernel the cell is over. A test cell's own
functions passed to a learner's function are sent as source (:mod:`.sending`).
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import os
import socket
import sys
import time
import types
from typing import Any

import numpy as np

from . import sending, wire

__all__ = ["StudentError", "StudentFunction", "begin", "connect", "end"]


class StudentError(Exception):
    """An exception raised by the learner's code in the student kernel (by type name)."""

    def __init__(self, type_name: str, message: str, where: str = ""):
        super().__init__(message)
        self.type_name, self.message, self.where = type_name, message, where

    def __str__(self) -> str:
        return self.message + (
            f"\n\nwhere it was raised, in your code:\n{self.where}" if self.where else ""
        )


class _Encoder:
    """The test side's encoder of what is not plain data."""

    def __init__(self) -> None:
        self.active: set[int] = set()

    def __call__(self, value: Any) -> Any:
        if isinstance(value, StudentFunction):
            return {"$p": value._name}
        if isinstance(value, types.ModuleType):
            return {"$m": value.__name__}
        found = sending.importable_name(value)
        if found is not None:
            return {"$g": list(found)}
        if isinstance(value, types.FunctionType):
            return self.function(value)
        raise wire.Unsupported(f"a {type(value).__module__}.{type(value).__qualname__}")

    def function(self, fn: types.FunctionType) -> Any:
        if id(fn) in self.active:
            raise wire.Unsupported(f"{fn.__qualname__} refers to itself")
        self.active.add(id(fn))
        try:
            source, is_lambda = sending.function_source(fn)
            used = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
            refs = {}
            for name in sorted(used):
                if name == fn.__name__ and not is_lambda:
                    continue
                if name in fn.__code__.co_freevars:
                    cell = fn.__closure__[fn.__code__.co_freevars.index(name)]
                    refs[name] = wire.encode(cell.cell_contents, self)
                elif name in fn.__globals__:
                    refs[name] = wire.encode(fn.__globals__[name], self)
            return {
                "$f": {
                    "source": source,
                    "lambda": is_lambda,
                    "name": fn.__name__,
                    "refs": refs,
                    "defaults": wire.encode(fn.__defaults__ or (), self),
                    "kwdefaults": wire.encode(fn.__kwdefaults__ or {}, self),
                }
            }
        finally:
            self.active.discard(id(fn))


class _Channel:
    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock, self.timeout, self.next_id = sock, timeout, 0

    def request(self, msg: dict) -> dict:
        self.next_id += 1
        msg["id"] = self.next_id
        deadline = time.monotonic() + self.timeout  # for the answer, however it trickles in
        self.sock.settimeout(self.timeout)
        try:
            wire.send(self.sock, msg)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                self.sock.settimeout(left)
                reply = wire.recv(self.sock)
                if isinstance(reply, dict) and reply.get("id") == self.next_id:
                    return reply
        except TimeoutError:
            raise AssertionError(
                f"your function did not return within {self.timeout:.0f} s"
            ) from None
        except (EOFError, OSError) as err:
            raise AssertionError(f"the kernel running your code stopped ({err})") from None
        except wire.Unsupported as err:
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
                        value = wire.decode(default)
                    except wire.Unsupported:
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
            "args": wire.encode(tuple(args), encoder, arrays),
            "kwargs": wire.encode(dict(kwargs), encoder, arrays),
            "forbid": [str(f) for f in forbid],
            "silence": bool(silence),
        }
        reply = _CHANNEL[0].request(msg)
        try:
            stdout, stderr = str(reply.get("stdout", "")), str(reply.get("stderr", ""))
            if stdout:
                sys.stdout.write(stdout[: wire.MAX_OUTPUT])
            if stderr:
                sys.stderr.write(stderr[: wire.MAX_OUTPUT])
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
            result = wire.decode(reply.get("result"))
            for entry in reply.get("changed", [])[: len(arrays)]:
                index, value = entry
                original = arrays[int(index)]
                new = wire.decode(value) if value is not None else None
                if not (isinstance(new, np.ndarray) and new.shape == original.shape):
                    raise AssertionError(
                        f"{self._name}: your function changed the shape or dtype of an input "
                        "array in place; work on a copy or build a new array"
                    )
                original[...] = new  # the learner's in-place change, as if in one kernel
        except wire.Unsupported as err:
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
    fd = os.environ.get(wire.CONTROL_VARIABLE)
    if fd:
        with socket.socket(fileno=os.dup(int(fd))) as control:
            control.settimeout(timeout)
            _, fds, _, _ = socket.recv_fds(control, 16, 1)
        if len(fds) != 1:
            raise RuntimeError("no channel arrived on the control socket")
        sock = socket.socket(fileno=fds[0])
    else:
        sock = wire.channel_socket()
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
                namespace[name] = wire.decode(info.get("value"))
            elif kind == "other":
                namespace[name] = _NotPassed(name, str(info.get("type", "object"))[:60])
        except (wire.Unsupported, TypeError, ValueError) as err:
            namespace[name] = _NotPassed(name, f"garbled value ({err})")


def end() -> None:
    """Tell the student kernel the test cell is over."""
    if _CHANNEL:
        with contextlib.suppress(OSError, wire.Unsupported):
            wire.send(_CHANNEL[0].sock, {"op": "end"})
