"""The sandbox mechanism for student kernels: the kernel manager and the ``Execute`` step.

nbgrader's ``Execute`` preprocessor starts one Jupyter kernel per notebook through a
``jupyter_client`` kernel manager. :class:`SandboxKernelManager` is that kernel manager with
three changes, and :class:`GradingExecute` is ``Execute`` using it whenever it can (every
autograde path goes through it: it is configured in ``grader/nbgrader_config.py`` as
``grader.sandbox_kernel.GradingExecute``):

* the kernel talks ZMQ over unix sockets (``transport="ipc"``) in a private directory, so it
  needs no network at all;
* the kernel runs from a private copy of the assignment's files (no notebooks) in a fresh
  directory owned by the sandbox user, not from ``autograded/<student>/<assignment>/``;
* the kernel command is wrapped by ``grader/_sandbox_launch.py``: new network, mount, PID,
  IPC and UTS namespaces, the course directories hidden, resource limits, an unprivileged
  user (one per parallel job, so one student's processes cannot touch another's).

What is hidden, who the kernel runs as and its limits (the policy) is :mod:`grader.sandbox`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Enum, Integer, List, Unicode

from grader.caps import OutputCap
from grader.sandbox import KEEP_ENV, WARNING, Policy, policy_for, status
from grader.split import SplitKernels

LAUNCHER = Path(__file__).resolve().parent / "_sandbox_launch.py"


class SandboxKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` that starts the kernel inside the sandbox."""

    sandbox_uid = Integer(-1, help="uid the kernel runs as").tag(config=True)
    sandbox_gid = Integer(-1, help="gid the kernel runs as").tag(config=True)
    sandbox_base = Unicode("", help="root-owned directory for the work directories").tag(
        config=True
    )
    sandbox_hide = List(Unicode(), help="paths hidden from the kernel").tag(config=True)
    sandbox_reveal = Dict(help="{closed directory: [paths inside it the kernel needs]}").tag(
        config=True
    )
    sandbox_limits = Dict(help="rlimits by name: as, nproc, cpu, fsize, nofile, core").tag(
        config=True
    )
    sandbox_env = Dict(help="extra environment variables for the kernel").tag(config=True)
    sandbox_keep_fds = List(Integer(), help="file descriptors the kernel keeps").tag(config=True)

    _workdir: Path | None = None

    def _make_workdir(self, cwd: str | None) -> Path:
        base = Path(self.sandbox_base)
        work = base / secrets.token_hex(16)
        work.mkdir(mode=0o700)
        (work / "ipc").mkdir(mode=0o700)
        home = work / "home"
        home.mkdir(mode=0o700)
        # the assignment's files (data shipped with it), never the notebooks
        if cwd and os.path.isdir(cwd):
            for src in Path(cwd).rglob("*"):
                rel = src.relative_to(cwd)
                if src.suffix == ".ipynb" or any(part.startswith(".") for part in rel.parts):
                    continue
                dest = home / rel
                if src.is_dir():
                    dest.mkdir(exist_ok=True)
                elif src.is_file() and not src.is_symlink():
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, dest)
        # matplotlib's font cache, so that each kernel does not rebuild it
        try:
            import matplotlib

            cache = Path(matplotlib.get_cachedir())
            if cache.is_dir():
                shutil.copytree(cache, home / ".matplotlib", dirs_exist_ok=True)
        except Exception:  # noqa: BLE001 - a missing cache only costs time
            pass
        for path in [work, *work.rglob("*")]:
            os.chown(path, self.sandbox_uid, self.sandbox_gid, follow_symlinks=False)
        return work

    async def _async_pre_start_kernel(self, **kw):
        self._workdir = self._make_workdir(kw.get("cwd"))
        kw["cwd"] = str(self._workdir / "home")
        self.transport = "ipc"
        self.ip = str(self._workdir / "ipc" / "k")
        self.connection_file = str(self._workdir / "ipc" / "kernel.json")
        self.cache_ports = False
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        # written by the kernel manager (root, mode 0600): the kernel must read it
        os.chown(self.connection_file, self.sandbox_uid, self.sandbox_gid)
        home = self._workdir / "home"
        env = {k: os.environ[k] for k in KEEP_ENV if k in os.environ}
        env.update(
            HOME=str(home),
            TMPDIR=str(home),
            MPLCONFIGDIR=str(home / ".matplotlib"),
            IPYTHONDIR=str(home / ".ipython"),
            MPLBACKEND="module://matplotlib_inline.backend_inline",
            OPENBLAS_NUM_THREADS="1",
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            PYTHONDONTWRITEBYTECODE="1",
            JPY_PARENT_PID=str(os.getpid()),
        )
        env.update(self.sandbox_env)
        spec = {
            "uid": self.sandbox_uid,
            "gid": self.sandbox_gid,
            "workdir": str(home),
            "hide": list(self.sandbox_hide),
            "reveal": dict(self.sandbox_reveal),
            "limits": dict(self.sandbox_limits),
            "env": env,
            "keep_fds": list(self.sandbox_keep_fds),
            "parent": os.getpid(),  # the launcher gives up if this process died meanwhile
        }
        return [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec), "--", *cmd]

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self._workdir is not None and not restart:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    cleanup_resources = _async_cleanup_resources


class _CapOutput(OutputCap):
    """The output cap of :mod:`grader.caps`: every kind of output a cell sends (streams,
    display data and images, results, errors, widget state) is capped while it arrives, at
    ``c.GradingExecute.max_cell_output_bytes`` per cell and ``max_notebook_output_bytes``
    per notebook, with a visible note where output was dropped (``LimitOutput`` trims the
    notebook further after the run)."""


_WARNED: list[bool] = []


class GradingExecute(SplitKernels, _CapOutput, Execute):
    """nbgrader's ``Execute`` as the course grades: the output cap always, and the kernel in
    the sandbox whenever this process can make one.

    It is the ``Execute`` step of ``c.Autograde.autograde_preprocessors`` in
    ``grader/nbgrader_config.py``, so ``nbgrader autograde``, the formgrader's Autograde
    button and ``python -m grader autograde`` all grade through it. ``sandbox``: ``"auto"``
    sandboxes when possible and warns loudly (once per process) when not, ``"require"``
    refuses to run a notebook without it, ``"off"`` runs kernels unsandboxed and silently
    (the caller has warned).
    """

    sandbox = Enum(("auto", "require", "off"), "auto", help="sandbox the kernel").tag(config=True)
    split_kernels = Bool(
        True, help="run test cells in a second kernel (grader/split.py) when the source exists"
    ).tag(config=True)
    # nbclient skips a cell tagged "skip-execution"; nbgrader neither restores cell tags nor
    # puts them in its checksums, so a student could tag a test cell and keep its points.
    # The tag that skips a cell here is a secret of this process.
    skip_cells_with_tag = Unicode("vg-never-skip-" + secrets.token_hex(16))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._policy: Policy | None = None
        self._timed_out: set[int] = set()  # cells killed at the timeout, not replayed
        if self.sandbox == "off":
            return
        ok, why = status()
        if not ok:
            if self.sandbox == "require":
                raise RuntimeError(f"the sandbox is required but unavailable: {why}")
            if not _WARNED:
                _WARNED.append(True)
                self.log.warning(WARNING.format(why=why))
                print(WARNING.format(why=why), file=sys.stderr, flush=True)
            return
        from nbgrader.coursedir import CourseDirectory

        self._policy = policy_for(CourseDirectory(config=self.config))
        self.kernel_manager_class = SandboxKernelManager

    def preprocess(self, nb, resources=None, km=None):
        self._timed_out = set()  # per notebook
        plan = self._split_plan(resources or {}) if km is None else None
        if plan is None:
            return super().preprocess(nb, resources, km)
        return self._split_preprocess(nb, resources, plan)

    def create_kernel_manager(self, role: str = "student"):
        km = super().create_kernel_manager()
        pol = self._policy
        if pol is not None:
            uid, gid = (pol.uid, pol.gid) if role == "student" else pol.test_user()
            km.sandbox_uid, km.sandbox_gid, km.sandbox_base = uid, gid, pol.base
            km.sandbox_hide, km.sandbox_reveal = list(pol.hide), dict(pol.reveal)
            km.sandbox_limits = pol.limits.rlimits()
        return km

    # --- a cell that cannot be interrupted ---------------------------------------------------
    # At the timeout nbclient interrupts the kernel (SIGINT). A long call inside numpy, or a
    # kernel that ignores SIGINT, does not stop: nbclient then gives up waiting for the
    # kernel's output and raises, and nbgrader would fail the whole notebook. Instead the
    # kernel is killed, a fresh one runs the cells before this one again (their outputs are
    # kept from the first run), this cell is marked as timed out (its test scores 0), and
    # grading goes on with the next cell.
    _replaying = False

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        from nbclient.exceptions import CellTimeoutError

        try:
            return await super().async_execute_cell(
                cell, cell_index, execution_count=execution_count, store_history=store_history
            )
        except CellTimeoutError:
            if self._replaying:
                raise
        timeout = self._get_timeout(cell)
        self.log.warning(
            "cell %d did not stop when interrupted at the timeout: restarting the kernel",
            cell_index,
        )
        await self._restart_and_replay(cell_index)
        cell.outputs.append(
            NotebookNode(
                output_type="error",
                ename="CellTimeoutError",
                evalue=(
                    f"this cell was still running after {timeout} s and did not stop when "
                    "interrupted; the grader restarted the kernel and ran the cells above "
                    "again, and graded the rest of the notebook"
                ),
                traceback=[f"CellTimeoutError: the cell did not finish within {timeout} s"],
            )
        )
        self._timed_out.add(cell_index)
        return cell

    execute_cell = run_sync(async_execute_cell)  # nbclient binds the sync name to its own

    async def _execute_plain(self, cell, index):
        """nbclient's cell execution, without the restart above (for replays)."""
        return await super().async_execute_cell(cell, index, store_history=False)

    async def _restart_and_replay(self, upto: int) -> None:
        import copy

        if getattr(self, "_pairs", None):  # a split run: restart the kernel in use
            return await self._restart_role(upto)
        await self._async_cleanup_kernel()  # kills the kernel, drops the client
        self.km = self.create_kernel_manager()
        await self.async_start_new_kernel()
        await self.async_start_new_kernel_client()
        self._replaying = True
        try:
            for index, old in enumerate(self.nb.cells[:upto]):
                if index in self._timed_out:
                    continue
                await super().async_execute_cell(copy.deepcopy(old), index, store_history=False)
        finally:
            self._replaying = False
