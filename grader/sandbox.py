"""The sandbox policy for student kernels during autograding (Linux, run as root).

What a student kernel may see, who it runs as and what it may use, worked out once per
grading process (:func:`policy_for`, :func:`prepare`):

* :func:`sensitive_paths`: the repository (solutions, grader), the course directory with every
  step's folder, the gradebook (a SQLite file's folder, a PostgreSQL socket directory) and
  ``/run``; :func:`hidden_paths` turns them into what to cover, leaving the Python
  installation (:func:`kernel_python_paths`) visible; :func:`reveal_map` opens the parts of
  a closed directory (``/root``) the kernel must import from;
* who: one unprivileged user per parallel job slot (:func:`acquire_slot`,
  :func:`ensure_user`), a second one for the test kernel of a split run;
* :class:`Limits`: the resource limits; :data:`KEEP_ENV`: the environment it keeps.

The mechanism that applies it lives beside it: :mod:`grader.sandbox_kernel` (the kernel
manager and nbgrader's ``Execute`` step, ``GradingExecute``, which
``grader/nbgrader_config.py`` names) and
``grader/_sandbox_launch.py`` (the namespaces, mounts, limits and user switch, stdlib only).
Why the sandbox is hand-rolled namespaces and not bubblewrap: ``docs/sandbox.md``.

Where the sandbox cannot be set up (not Linux, not root, no namespaces) :func:`status` says
why and grading runs unsandboxed, with a loud warning (:data:`WARNING`).
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
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


WARNING = (
    "WARNING: " + "!" * 70 + "\nWARNING: student code runs WITHOUT the sandbox: {why}."
    "\nWARNING: it can read and write whatever this user can, including the gradebook."
    "\nWARNING: " + "!" * 70
)
