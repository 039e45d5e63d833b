"""The channel's wire format: length-prefixed JSON messages holding plain data only.

:func:`encode` and :func:`decode` turn plain data (``None``, booleans, integers, floats,
strings, bytes, numpy arrays and scalars of boolean, integer, float or complex dtype, and
tuples, lists and dicts of those) into JSON and back; :func:`send` and :func:`recv` frame one
message on a socket; :func:`channel_socket` opens the student kernel's end of the channel.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from typing import Any

import numpy as np

__all__ = [
    "CONTROL_VARIABLE",
    "FD_VARIABLE",
    "MAX_DEPTH",
    "MAX_MESSAGE",
    "MAX_OUTPUT",
    "Unsupported",
    "channel_socket",
    "decode",
    "encode",
    "recv",
    "send",
]

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


# --- framing --------------------------------------------------------------------------------
def send(sock: socket.socket, obj: Any) -> None:
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


def recv(sock: socket.socket) -> Any:
    (n,) = struct.unpack(">Q", _recv_exact(sock, 8))
    if n > MAX_MESSAGE:
        raise Unsupported(f"a message of {n} bytes is larger than {MAX_MESSAGE}")
    data = _recv_exact(sock, n)
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as err:
        raise Unsupported(f"a garbled message ({type(err).__name__})") from None


def channel_socket() -> socket.socket:
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
