"""A sandbox for student kernels during autograding (Linux, run as root).

nbgrader's ``Execute`` preprocessor starts one Jupyter kernel per notebook through a
``jupyter_client`` kernel manager. :class:`SandboxKernelManager` is that kernel manager with
three changes, and :class:`GradingExecute` is ``Execute`` using it whenever it can (every
autograde path goes through it: it is configured in ``grader/nbgrader_config.py``):

* the kernel talks ZMQ over unix sockets (``transport="ipc"``) in a private directory, so it
  needs no network at all;
* the kernel runs from a private copy of the assignment's files (no notebooks) in a fresh
  directory owned by the sandbox user, not from ``autograded/<student>/<assignment>/``;
* the kernel command is wrapped by ``grader/_sandbox_launch.py``: new network, mount, PID,
  IPC and UTS namespaces, the course directories hidden, resource limits, an unprivileged
  user (one per parallel job, so one student's processes cannot touch another's).

Where the sandbox cannot be set up (not Linux, not root, no namespaces) :func:`status` says
why and grading runs unsandboxed, with a loud warning. The policy (what a kernel may see, who
it runs as, its limits) is :func:`policy_for`, next to the mechanism.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import grp
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Enum, Integer, List, Unicode

LAUNCHER = Path(__file__).resolve().parent / "_sandbox_launch.py"
REPOSITORY = LAUNCHER.parent.parent
USER_PREFIX = "vg-sandbox"
#: Environment variables the kernel keeps from the grader; everything else is dropped. The
#: OpenBLAS kernel choice is kept: some machines need it (older OpenBLAS builds compute wrong
#: results or crash on some CPUs), and the tests grade under several kernels on purpose.
KEEP_ENV = (
    "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "NBGRADER_EXECUTION", "NBGRADER_VALIDATING",
    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
)  # fmt: skip


@dataclass
class Limits:
    """Resource limits of one kernel (and everything it starts)."""

    address_space: int = 2 * 1024**3  # bytes of virtual memory (RLIMIT_AS)
    processes: int = 128  # processes and threads of the sandbox user (RLIMIT_NPROC)
    cpu_seconds: int = 600  # CPU time of the kernel process (RLIMIT_CPU)
    file_size: int = 64 * 1024**2  # largest file it may write (RLIMIT_FSIZE)
    open_files: int = 1024  # RLIMIT_NOFILE

    def rlimits(self) -> dict[str, int]:
        return {
            "as": self.address_space,
            "nproc": self.processes,
            "cpu": self.cpu_seconds,
            "fsize": self.file_size,
            "nofile": self.open_files,
            "core": 0,
        }


def user_name(slot: int) -> str:
    return f"{USER_PREFIX}-{slot}"


@functools.cache
def status() -> tuple[bool, str]:
    """``(available, reason)``: can this process sandbox kernels? (Asked once per process.)"""
    if not sys.platform.startswith("linux"):
        return False, f"the sandbox needs Linux namespaces; this is {sys.platform}"
    if os.geteuid() != 0:
        return False, "the sandbox needs root (to switch to the sandbox user and hide the course)"
    try:
        subprocess.run(
            ["unshare", "--net", "--mount", "--pid", "--fork", "true"],
            check=True,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError) as err:
        return False, f"cannot create namespaces here ({err})"
    return True, "kernels run as unprivileged users in new namespaces"


SLOT_LOCKS = Path(tempfile.gettempdir()) / "vg-sandbox-slots"
_held_slot: list = []


def acquire_slot() -> int:
    """A job slot no other grader on this machine is using (an exclusive ``flock`` held for
    the life of this process): one sandbox user per slot, so two graders never share one."""
    SLOT_LOCKS.mkdir(mode=0o700, exist_ok=True)
    for slot in range(1024):
        fd = os.open(SLOT_LOCKS / f"{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        _held_slot.append(fd)
        return slot
    raise RuntimeError("no free sandbox slot")


def ensure_user(slot: int, role: str = "student") -> tuple[int, int]:
    """``(uid, gid)`` of the sandbox user for a job slot and role (the student kernel, or the
    test kernel of a split run), creating it (as root) if missing."""
    name = user_name(slot) + ("-t" if role == "test" else "")
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        for attempt in range(20):
            try:
                subprocess.run(
                    ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                     "--shell", "/usr/sbin/nologin", "--user-group", name],
                    check=True, capture_output=True, text=True, timeout=60,
                )  # fmt: skip
                break
            except subprocess.CalledProcessError as err:
                if "already exists" in (err.stderr or ""):  # another grader made it meanwhile
                    break
                if attempt == 19:  # e.g. "cannot lock /etc/passwd": another useradd runs
                    raise
                time.sleep(0.25)
        pw = pwd.getpwnam(name)
    grp.getgrgid(pw.pw_gid)
    return pw.pw_uid, pw.pw_gid


def hidden_paths(sensitive: list[str], keep: list[str]) -> list[str]:
    """What to cover so that nothing under ``sensitive`` is visible except ``keep``.

    A sensitive directory that holds a kept path (the repository holds ``.venv`` and ``src``)
    is not covered itself: its other entries are, recursively along the way to the kept path.
    """
    keep_p = [Path(k).resolve() for k in keep]
    out: list[str] = []

    def visit(p: Path) -> None:
        if not p.exists():
            return
        holds = [k for k in keep_p if k == p or p in k.parents]
        if not holds:
            out.append(str(p))
        elif all(k != p for k in holds) and p.is_dir():
            for child in sorted(p.iterdir()):
                visit(child)

    for s in dict.fromkeys(Path(s).resolve() for s in sensitive):
        visit(s)
    # a path inside another one is covered already
    return [p for p in out if not any(Path(q) in Path(p).parents for q in out)]


def reveal_map(needed: list[str]) -> dict[str, list[str]]:
    """``{blocking ancestor: [needed paths under it]}`` for needed paths (the Python
    installation) below a directory that others may not enter (``/root`` is mode 0700)."""
    out: dict[str, list[str]] = {}
    for path in dict.fromkeys(str(Path(p).resolve()) for p in needed):
        for anc in reversed(Path(path).parents):
            if anc != Path("/") and not anc.stat().st_mode & 0o001:
                out.setdefault(str(anc), []).append(path)
                break
    return out


#: Printed by a fresh interpreter: its ``sys.path`` and the folder the course package is
#: imported from (an editable install maps ``vanishing`` to ``src/vanishing`` with an import
#: hook, not a ``sys.path`` entry; the ``grader`` package it maps too is not revealed).
_PATHS_CODE = (
    "import sys, json, importlib.util as u; s = u.find_spec('vanishing'); "
    "print(json.dumps([sys.path, list(s.submodule_search_locations or []) if s else []]))"
)


def kernel_python_paths() -> list[str]:
    """Paths a kernel of this environment imports from: ``sys.path`` of a fresh interpreter
    and the folder of the course package ``vanishing``."""
    out = subprocess.run(
        [sys.executable, "-I", "-c", _PATHS_CODE],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd="/",
    )
    path, package = json.loads(out.stdout)
    paths = {p for p in path if p and os.path.isdir(p)}
    paths |= {p for p in package if os.path.isdir(p)}
    paths |= {sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent.parent)}
    return sorted(paths)


#: The course directories (nbgrader's names) a kernel never sees.
COURSE_STEPS = ("source", "release", "submitted", "autograded", "feedback", "solution")


def _socket_dirs(db_url: str) -> list[Path]:
    """The unix socket directory of a PostgreSQL gradebook (``?host=/dir``)."""
    from urllib.parse import parse_qs, urlparse

    url = urlparse(db_url)
    hosts = parse_qs(url.query).get("host", []) + ([url.hostname] if url.hostname else [])
    return [Path(h) for h in hosts if h and h.startswith("/")]


def sensitive_paths(coursedir) -> list[Path]:
    """What student code has no business seeing: the repository (solutions, grader), the
    course directory with every step's folder, the gradebook, and unix sockets (a network
    namespace does not cut those off; hiding them does). ``coursedir`` is nbgrader's
    ``CourseDirectory``."""

    def step(name: str) -> Path:
        folder = getattr(coursedir, f"{name}_directory")
        return Path(coursedir.format_path(folder, ".", ".")).resolve()

    out = [REPOSITORY, Path(coursedir.root).resolve()]
    out += [step(name) for name in COURSE_STEPS]
    out.append(step("autograded").parent)  # ledger and staging live beside autograded/
    if coursedir.db_url.startswith("sqlite:///"):
        out.append(Path(coursedir.db_url[len("sqlite:///") :]).parent)
    out += [Path("/run"), Path("/tmp/.X11-unix"), *_socket_dirs(coursedir.db_url)]
    return out


@dataclass
class Policy:
    """How one grading process sandboxes its kernels: who they run as, where their private
    work directories go, what they cannot see, and their resource limits."""

    uid: int
    gid: int
    base: str  # a root-owned directory (mode 0711) for the private work directories
    hide: list[str] = field(default_factory=list)
    reveal: dict[str, list[str]] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    slot: int = -1
    _test: tuple[int, int] | None = None

    def test_user(self) -> tuple[int, int]:
        """``(uid, gid)`` of the test kernel of a split run: a second sandbox user of this
        slot, so the student kernel's user owns nothing of the test kernel's."""
        if self._test is None:
            self._test = ensure_user(self.slot, role="test")
        return self._test


_POLICY: dict[str, Policy] = {}


def policy_for(coursedir, limits: Limits | None = None) -> Policy:
    """This process's :class:`Policy` for a course, made once (a process grades with one job
    slot, so one sandbox user, for its whole life). A parent that computed it before forking
    its workers (:func:`prepare`) hands it down; each worker then only takes its own slot."""
    key = str(Path(coursedir.root).resolve())
    pol = _POLICY.get(key)
    if pol is None:
        pol = prepare(coursedir, limits)
    if pol.uid < 0:
        pol.slot = acquire_slot()
        pol.uid, pol.gid = ensure_user(pol.slot)
    return pol


def prepare(coursedir, limits: Limits | None = None) -> Policy:
    """Work out what kernels of this course may see (:func:`policy_for` uses it; a parent
    calls it before forking, so that workers do not each walk the file system)."""
    base = tempfile.mkdtemp(prefix="vg-sandbox-")
    os.chmod(base, 0o711)
    atexit.register(shutil.rmtree, base, True)
    keep = kernel_python_paths()
    pol = Policy(
        uid=-1,
        gid=-1,
        base=base,
        hide=hidden_paths([str(s) for s in sensitive_paths(coursedir)], keep + [base]),
        reveal=reveal_map(keep),
        limits=limits or Limits(),
    )
    _POLICY[str(Path(coursedir.root).resolve())] = pol
    return pol


def release_policy(coursedir) -> None:
    """Forget a course's policy and remove its work directories (after a batch)."""
    pol = _POLICY.pop(str(Path(coursedir.root).resolve()), None)
    from grader.split import forget_test_kernels

    forget_test_kernels()  # they work in the policy's directory
    if pol is not None:
        shutil.rmtree(pol.base, ignore_errors=True)


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


from grader.caps import OutputCap  # noqa: E402 (the output cap lives in its own module)


class _CapOutput(OutputCap):
    """The output cap of :mod:`grader.caps`: every kind of output a cell sends (streams,
    display data and images, results, errors, widget state) is capped while it arrives, at
    ``c.GradingExecute.max_cell_output_bytes`` per cell and ``max_notebook_output_bytes``
    per notebook, with a visible note where output was dropped (``LimitOutput`` trims the
    notebook further after the run)."""


_WARNED: list[bool] = []
WARNING = (
    "WARNING: " + "!" * 70 + "\nWARNING: student code runs WITHOUT the sandbox: {why}."
    "\nWARNING: it can read and write whatever this user can, including the gradebook."
    "\nWARNING: " + "!" * 70
)


from grader.split import SplitKernels  # noqa: E402 (the two-kernel run has its own module)


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

    @property
    def sandboxed(self) -> bool:
        return self._policy is not None

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
