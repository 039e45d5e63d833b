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

from .proxy import StudentError, StudentFunction, begin, connect, end
from .student import serve
from .wire import (
    CONTROL_VARIABLE,
    FD_VARIABLE,
    MAX_DEPTH,
    MAX_MESSAGE,
    MAX_OUTPUT,
    Unsupported,
    decode,
    encode,
)

__all__ = [
    "CONTROL_VARIABLE",
    "FD_VARIABLE",
    "MAX_DEPTH",
    "MAX_MESSAGE",
    "MAX_OUTPUT",
    "StudentError",
    "StudentFunction",
    "Unsupported",
    "begin",
    "connect",
    "decode",
    "encode",
    "end",
    "serve",
]
