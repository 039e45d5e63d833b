"""The channel between the student kernel and the test kernel (vanishing._remote).

The hostile submissions are graded for real in ``tests/adversarial/`` (in-kernel cheats
score 0); these tests pin down what crosses between the kernels: plain data only, decoded
strictly, and the tests' own functions rebuilt from their source.
"""

from __future__ import annotations

import json
import os
import socket
import threading

import numpy as np
import pytest

from vanishing import _remote, grading
from vanishing._remote import proxy, student, wire

ODD = 3


def roundtrip(value):
    return _remote.decode(json.loads(json.dumps(_remote.encode(value))))


@pytest.mark.parametrize(
    "value",
    [
        None, True, 0, -(2**70), 1.5, -0.0, float("inf"), "text", "$a not a tag", b"\x00\xff",
        (1, [2.0, "x"], {"k": (None,)}), {1: "one", (2, 3): [4]},
        np.float32(1.25), np.int8(-3), np.bool_(True), np.complex128(1 - 2j),
    ],
)  # fmt: skip
def test_plain_values_cross_unchanged(value):
    got = roundtrip(value)
    assert type(got) is type(value)
    assert got == value or (isinstance(value, float) and np.isnan(value) and np.isnan(got))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint8, bool, np.complex64])
def test_arrays_cross_bit_for_bit(dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
    got = roundtrip(a[:, ::2])  # not contiguous
    assert type(got) is np.ndarray and got.dtype == a.dtype and got.flags.writeable
    np.testing.assert_array_equal(got, a[:, ::2])
    nan = roundtrip(np.array([np.nan, -0.0]))
    assert np.isnan(nan[0]) and np.signbit(nan[1])


def test_a_zero_dimensional_array_keeps_its_shape():
    for a in (np.array(0.5), np.array(3, dtype=np.int8), np.zeros((0, 3)), np.ones((2, 1, 0))):
        got = roundtrip(a)
        assert type(got) is np.ndarray and got.shape == a.shape and got.dtype == a.dtype


def test_an_ndarray_subclass_arrives_as_a_plain_array():
    got = roundtrip(np.ma.masked_array([1.0, 2.0], mask=[True, False]))
    assert type(got) is np.ndarray


@pytest.mark.parametrize(
    "value", [object(), np.array([object()]), np.zeros(2, dtype=[("a", "f8")]), {1, 2}, print]
)
def test_what_is_not_plain_data_is_refused(value):
    with pytest.raises(_remote.Unsupported):
        _remote.encode(value)


@pytest.mark.parametrize(
    "message",
    [
        {"$a": ["<f8", [3], "AAAAAAAAAAA="]},  # 8 bytes for 3 floats
        {"$a": ["|O", [1], "AAAAAAAAAAA="]},  # object dtype
        {"$a": ["<f8", [-1], ""]},
        {"$a": ["V8", [1], "AAAAAAAAAAA="]},
        {"$s": ["<f8", "AAA="]},
        {"$f": {"source": "lambda: 1"}},  # a function, on the side that accepts none
        {"$p": "numerical_gradient"},
        {"$m": "os"},
        {"$x": 1},
        {"a": 1, "b": 2},
        {"$d": [[[1], 2]]},  # an unhashable key
    ],
)
def test_the_test_side_decodes_nothing_else(message):
    with pytest.raises(_remote.Unsupported):
        _remote.decode(message)


def test_nesting_is_bounded():
    deep: list = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(_remote.Unsupported):
        _remote.encode(deep)
    text = "[" * 100_000 + "]" * 100_000
    with pytest.raises(_remote.Unsupported):
        a, b = socket.socketpair()
        with a, b:
            data = text.encode()
            a.sendall(len(data).to_bytes(8, "big") + data)
            wire.recv(b)


def rebuild(fn):
    return _remote.decode(
        json.loads(json.dumps(proxy._Encoder()(fn))), student._resolver({"student_fn": abs})
    )


def helper(x, k=2):
    return np.sum(x**2) * k + ODD


def test_the_tests_functions_are_rebuilt_from_their_source():
    scale = 4.0
    f = lambda v: np.sum(np.sin(v)) * scale  # noqa: E731 - a lambda is what tests pass
    g = lambda a, b=ODD: (a + b,  # noqa: E731
                          helper(np.array([a])))  # fmt: skip
    x = np.array([0.5, -1.0])
    for fn, args in [(f, (x,)), (g, (1.0,)), (lambda v, n=ODD: v * n, (2,))]:
        copy = rebuild(fn)
        assert copy is not fn and copy.__code__ is not fn.__code__
        np.testing.assert_equal(copy(*args), fn(*args))
    assert rebuild(helper) is helper  # a function of an importable module goes by name
    assert rebuild(np.tanh) is np.tanh
    assert rebuild(grading.tolerance) is grading.tolerance


def test_two_lambdas_on_one_line_are_told_apart():
    pair = (lambda v: v + 1, lambda v: v * 10)  # noqa: E731
    assert [rebuild(fn)(2) for fn in pair] == [3, 20]


def serve_on(namespace: dict):
    """A student side answering over a real socket, in a thread (as ``serve`` does)."""
    a, b = socket.socketpair()

    def loop():
        with a:
            while True:
                try:
                    msg = wire.recv(a)
                except EOFError:
                    return
                if msg.get("op") == "end":
                    return
                if msg.get("op") == "names":
                    values = {
                        n: student._describe(namespace[n]) for n in msg["names"] if n in namespace
                    }
                    wire.send(a, {"id": msg["id"], "values": values})
                else:
                    wire.send(a, student._call(namespace, msg))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    proxy._CHANNEL[:] = [proxy._Channel(b, timeout=20)]
    return b, thread


def test_a_call_through_the_channel_keeps_the_courses_rules():
    def student_scale(x, factor=2.0):
        x *= factor  # in place: the rule says no
        return x

    def student_missing(x):
        raise NotImplementedError()

    def student_bad(x):
        return object()

    def student_peek(x):
        from vanishing import gradcheck

        return gradcheck.rel_error(x, x)

    ns = {"student_scale": student_scale, "student_missing": student_missing,
          "student_bad": student_bad, "student_peek": student_peek, "CONSTANT": np.arange(3)}  # fmt: skip
    sock, thread = serve_on(ns)
    try:
        names: dict = {}
        proxy._NAMES[:] = list(ns)
        _remote.begin(names)
        assert isinstance(names["student_scale"], _remote.StudentFunction)
        np.testing.assert_array_equal(names["CONSTANT"], np.arange(3))
        import inspect

        assert inspect.signature(names["student_scale"]).parameters["factor"].default == 2.0
        with pytest.raises(AssertionError, match="changed its input `x` in place"):
            grading.call("scale", names["student_scale"], np.ones(2))
        with pytest.raises(AssertionError, match="not implemented yet"):
            grading.call("missing", names["student_missing"], 1.0)
        with pytest.raises(AssertionError, match="not plain data"):
            grading.call("bad", names["student_bad"], 1.0)
        with pytest.raises(grading.ForbiddenCall, match="off limits"):
            grading.call("peek", names["student_peek"], np.ones(2),
                         forbid=["vanishing.gradcheck.rel_error"])  # fmt: skip
        # a function of the test, rebuilt in the student kernel, called by the learner's code
        ns["student_apply"] = lambda f, x: f(x)
        proxy._NAMES.append("student_apply")
        _remote.begin(names)
        got = grading.call("apply", names["student_apply"], lambda v: np.sum(v**3), np.array([2.0]))
        assert got == 8.0
    finally:
        _remote.end()
        thread.join(timeout=10)
        sock.close()
        proxy._CHANNEL[:] = []


def test_the_channel_fd_comes_from_the_environment(monkeypatch):
    a, b = socket.socketpair()
    with a, b:
        monkeypatch.setenv(_remote.FD_VARIABLE, str(a.fileno()))
        with wire.channel_socket() as s:
            assert s.fileno() != a.fileno()  # a duplicate: closing it keeps the original
        os.fstat(a.fileno())
