"""Test cells in a second kernel, out of the student's reach.

Under autograding, :class:`grader.sandbox_kernel.GradingExecute` runs a notebook in two kernels:

* the **student kernel** runs every cell except the test cells: the learner's answers, the
  notebook's experiments, the integrity checks (:mod:`grader.integrity`, a second line);
* the **test kernel**, started fresh, runs the notebook's setup cell (its first code cell,
  the imports) taken from the *source* notebook (``solutions/``, never the submitted copy),
  then the test cells, one by one.

Before each test cell the student kernel is told to serve (``vanishing._remote.serve``) and
the test kernel mirrors the learner's names: each top-level name an answer cell of the
source notebook defines becomes a proxy (:class:`vanishing._remote.StudentFunction`) or a
copy of its plain-data value. Calling a proxy sends plain data to the student kernel and
gets plain data back, so nothing the learner's code does (a display hook, a patched
``numpy`` or ``grading``, an IPython hook or transformer, a frame read) can reach an
assertion: the scores come only from the test kernel's cells.

Both kernels run in the sandbox when the grader can make one; the test kernel as a second
sandbox user, from a copy of the *source* assignment's files. No student code ever runs in
the test kernel, so a worker of ``python -m grader autograde`` keeps it for the next
notebook of the same assignment (reset, its setup cell run again, a new channel handed over
on a control socket): that saves a kernel start and the imports per notebook.

Without a source notebook, or with ``c.GradingExecute.split_kernels = False``, the notebook
runs in one kernel, as nbgrader does.
"""

from __future__ import annotations

import ast
import asyncio
import atexit
import copy
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from queue import Empty

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils

from vanishing._remote import CONTROL_VARIABLE, FD_VARIABLE

SERVE = "__import__('vanishing._remote', fromlist=['serve']).serve()"
RESET = "get_ipython().reset(new_session=False)"
CONNECT = "import vanishing._remote as _vg_remote\n_vg_remote.connect({names!r}, {timeout!r})"
BEGIN = "_vg_remote.begin(get_ipython().user_ns)"
END = "_vg_remote.end()"
#: seconds the student kernel gets to finish serving after a test cell, before an interrupt
SERVE_GRACE = 10.0
#: notebooks one test kernel grades before it is replaced (bounds what it accumulates)
MAX_REUSE = 40
#: keep the test kernel for the next notebook: set by the workers of ``python -m grader
#: autograde`` (they grade one notebook after another and exit); a long-lived process (the
#: formgrader, a test session) starts a fresh test kernel per notebook
KEEP_TEST_KERNELS = False


@dataclass
class _TestKernel:
    """A test kernel kept between notebooks of one assignment (by one grading process)."""

    km: object
    kc: object
    control: socket.socket  # the grader's end of the control socket
    notebooks: int = 0


_KEPT: dict[tuple, _TestKernel] = {}


def _kill(kept: _TestKernel) -> None:
    import shutil

    process = getattr(getattr(kept.km, "provisioner", None), "process", None)
    try:
        if process is not None:
            process.kill()
            process.wait(timeout=10)
    except (OSError, ValueError, Exception):  # noqa: BLE001 - gone already
        pass
    kept.control.close()
    workdir = getattr(kept.km, "_workdir", None)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


def forget_test_kernels() -> None:
    """Kill the kept test kernels (after a batch, and at exit)."""
    while _KEPT:
        _kill(_KEPT.popitem()[1])


atexit.register(forget_test_kernels)


@dataclass
class Plan:
    setup: list[str]  # the source notebook's setup cell (its first code cell)
    names: list[str]  # top-level names bound in its answer cells


def is_test(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def _bound(source: str) -> list[str]:
    """Top-level names a cell binds (functions, classes, assignments)."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    out: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                out += [n.id for n in ast.walk(t) if isinstance(n, ast.Name)]
    return out  # imports are left out: the test kernel has the setup cell's own


def plan_for(source: Path) -> Plan | None:
    """The split of a notebook whose source (with the answers) is ``source``."""
    if not source.is_file():
        return None
    nb = nbformat.read(str(source), as_version=4)
    setup: list[str] = []
    names: list[str] = []
    code = [c for c in nb.cells if c.cell_type == "code"]
    if code and not (utils.is_grade(code[0]) or utils.is_solution(code[0])):
        setup.append(code[0].source)  # the setup cell: the notebook's imports
    for cell in code:
        if utils.is_solution(cell):
            names += [n for n in _bound(cell.source) if n not in names]
    # a name the setup binds is the setup's in the test kernel, never the learner's
    setup_names = {n for code in setup for n in _bound(code)}
    return Plan(setup=setup, names=[n for n in names if n not in setup_names])


def source_notebook(config, resources: dict) -> Path:
    from nbgrader.coursedir import CourseDirectory

    info = resources.get("nbgrader", {})
    coursedir = CourseDirectory(config=config)
    folder = coursedir.format_path(coursedir.source_directory, ".", info.get("assignment", ""))
    return Path(folder) / f"{info.get('notebook', '')}.ipynb"


class SplitKernels:
    """The two-kernel run of :class:`grader.sandbox_kernel.GradingExecute` (a mixin: it uses the
    kernel management and cell execution of nbclient's ``NotebookClient``)."""

    def _split_plan(self, resources: dict) -> Plan | None:
        if not self.split_kernels:
            return None
        info = resources.get("nbgrader", {})
        if not info.get("assignment") or not info.get("notebook"):
            return None
        try:
            self._source = source_notebook(self.config, resources)
            return plan_for(self._source)
        except Exception as err:  # noqa: BLE001 - a broken source: grade in one kernel
            self.log.warning("no split kernels for this notebook: %s", err)
            return None

    # --- kernels --------------------------------------------------------------------------
    async def _start(self, role: str) -> tuple:
        """Start the student kernel with its end of the channel, or the test kernel with its
        end of a control socket (over which each notebook's channel is handed to it)."""
        fd = self._channel_fds[role]
        variable = FD_VARIABLE if role == "student" else CONTROL_VARIABLE
        self.km = self.create_kernel_manager(role=role)
        kwargs: dict = {"pass_fds": (fd,)}
        if role == "test":  # the instructor's files, never the student's
            kwargs["cwd"] = str(self._source.parent)
        if hasattr(self.km, "sandbox_env"):
            self.km.sandbox_env = {**self.km.sandbox_env, variable: str(fd)}
            self.km.sandbox_keep_fds = [fd]
        else:
            kwargs["env"] = {**os.environ, variable: str(fd)}
        await self.async_start_new_kernel(**kwargs)
        await self.async_start_new_kernel_client()
        return self.km, self.kc

    async def _stop(self, pair: tuple | None) -> None:
        if pair is None:
            return
        self.km, self.kc = pair
        try:
            await self._async_cleanup_kernel()
        except Exception as err:  # noqa: BLE001 - a kernel that is gone already
            self.log.debug("cleanup: %s", err)

    def _use(self, role: str) -> None:
        self.km, self.kc = self._pairs[role]
        self._role = role

    async def _silent(self, role: str, code: str, timeout: float) -> dict | None:
        """Run ``code`` in a kernel without a cell; the reply, or None after ``timeout``."""
        kc = self._pairs[role][1]
        msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        return await self._reply(kc, msg_id, timeout)

    async def _reply(self, kc, msg_id: str, timeout: float) -> dict | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return None
            try:
                msg = await kc.shell_channel.get_msg(timeout=min(left, 1.0))
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    async def _prepare_test_kernel(self, plan: Plan, reused: bool = False) -> None:
        """Hand this notebook's channel to the test kernel and run the setup cell there."""
        timeout = float(self.timeout or 120)
        socket.send_fds(self._kept.control, [b"c"], [self._test_end.fileno()])
        setup = [CONNECT.format(names=plan.names, timeout=timeout), *plan.setup]
        if reused:
            setup.insert(0, RESET)
        for code in setup:
            reply = await self._silent("test", code, timeout)
            if reply is None or reply["content"].get("status") != "ok":
                why = "no reply" if reply is None else reply["content"].get("evalue", "")
                raise RuntimeError(f"the test kernel's setup failed: {why}")

    # --- one notebook --------------------------------------------------------------------------
    def _split_preprocess(self, nb: NotebookNode, resources: dict, plan: Plan):
        from jupyter_core.utils import run_sync
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, None)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        run_sync(self._split_run)(plan)
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _kept_key(self) -> tuple:
        pol = getattr(self, "_policy", None)
        stat = self._source.stat()
        return (str(self._source), stat.st_mtime_ns, getattr(pol, "base", ""), self.timeout)

    async def _test_kernel(self) -> bool:
        """A test kernel for this notebook: the kept one if alive, else a new one. True if
        it was kept from an earlier notebook."""
        kept = _KEPT.pop(self._kept_key(), None)
        if kept is not None and kept.notebooks < MAX_REUSE:
            try:
                alive = await kept.km.is_alive()
            except Exception:  # noqa: BLE001 - a broken manager: start afresh
                alive = False
            if alive:
                self._kept = kept
                self._pairs["test"] = (kept.km, kept.kc)
                return True
        if kept is not None:
            _kill(kept)
        control, kernel_end = socket.socketpair()
        self._channel_fds["test"] = kernel_end.fileno()
        try:
            self._pairs["test"] = await self._start("test")
        finally:
            kernel_end.close()
        self._kept = _TestKernel(self.km, self.kc, control)
        return False

    async def _split_run(self, plan: Plan) -> None:
        student_end, self._test_end = socket.socketpair()
        self._channel_fds = {"student": student_end.fileno()}
        self._pairs: dict[str, tuple] = {}
        self._plan = plan
        self._test_restarted = False
        self._kept = None
        keep = False
        try:
            self._pairs["student"] = await self._start("student")
            reused = await self._test_kernel()
            self._use("student")
            info = await self.async_wait_for_reply(self.kc.kernel_info())
            self.nb.metadata["language_info"] = info["content"]["language_info"]
            await self._prepare_test_kernel(plan, reused)
            for index, cell in enumerate(self.nb.cells):
                if is_test(cell):
                    await self._run_test_cell(cell, index)
                else:
                    self._use("student")
                    await self.async_execute_cell(cell, index, store_history=True)
            keep = KEEP_TEST_KERNELS and not self._test_restarted
        finally:
            test = self._pairs.pop("test", None)
            if keep and test is not None:
                self._kept.km, self._kept.kc = test
                self._kept.notebooks += 1
                _KEPT[self._kept_key()] = self._kept
            else:
                await self._stop(test)
                if getattr(self, "_kept", None) is not None:
                    self._kept.control.close()
            await self._stop(self._pairs.pop("student", None))
            student_end.close()
            self._test_end.close()

    async def _run_test_cell(self, cell: NotebookNode, index: int) -> None:
        student_kc = self._pairs["student"][1]
        serving = student_kc.execute(SERVE, silent=True, store_history=False, allow_stdin=False)
        await self._silent("test", BEGIN, float(self.timeout or 120))
        self._use("test")
        try:
            await self.async_execute_cell(cell, index, store_history=True)
        finally:
            await self._silent("test", END, 30.0)
            self._use("student")
            await self._finish_serving(serving, index)

    async def _finish_serving(self, msg_id: str, index: int) -> None:
        """The student kernel stops serving when the test cell ends; if its code is stuck,
        it is interrupted, and if that does not help, restarted with its cells replayed."""
        kc = self._pairs["student"][1]
        if await self._reply(kc, msg_id, SERVE_GRACE) is not None:
            return
        self.log.warning("the student kernel is still busy after test cell %d: interrupting", index)
        await self.km.interrupt_kernel()
        if await self._reply(kc, msg_id, SERVE_GRACE) is not None:
            return
        self.log.warning("the student kernel did not stop: restarting it")
        await self._restart_and_replay(index)

    async def _restart_role(self, upto: int) -> None:
        """Restart the current kernel (:meth:`GradingExecute._restart_and_replay`) and run
        again what it had run: the student kernel its cells above ``upto``, the test kernel
        its setup (test cells do not depend on each other)."""
        role = self._role
        await self._async_cleanup_kernel()
        if role == "test":  # a new test kernel, not kept afterwards
            self._test_restarted = True
            self._kept.control.close()
            await self._test_kernel()
            self._use("test")
            await self._prepare_test_kernel(self._plan)
            return
        self._pairs[role] = await self._start(role)
        self._use(role)
        self._replaying = True
        try:
            for i, old in enumerate(self.nb.cells[:upto]):
                if i in self._timed_out or is_test(old):
                    continue
                await self._execute_plain(copy.deepcopy(old), i)
        finally:
            self._replaying = False
