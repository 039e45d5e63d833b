"""Start one student kernel inside the sandbox (run as root by the grader; stdlib only).

``python -I grader/_sandbox_launch.py SPEC_JSON -- KERNEL_CMD...``

1. new mount, network, PID, IPC and UTS namespaces (``unshare(2)``): no network interface but
   a loopback that is down, no view of the host's processes, mounts that do not propagate;
2. a directory the sandbox user cannot enter but must use a part of (``/root`` when Python
   is installed there) is covered by a tmpfs holding only that part (``reveal``); the paths
   in ``hide`` are covered (a directory by an empty read-only tmpfs with mode 000,
   a file by ``/dev/null``), so the course, the gradebook and the solutions are not there;
   ``/dev/shm`` becomes a private tmpfs;
3. a child is forked: it is PID 1 of the new PID namespace; it mounts a fresh ``/proc``,
   sets the resource limits, drops to the sandbox user (no supplementary groups, no new
   privileges), asks for SIGKILL when this launcher dies, and execs the kernel in ``workdir``
   with a scrubbed environment and no file descriptor of the grader (its standard streams
   are ``/dev/null``);
4. this process waits for the kernel and exits with its status; SIGTERM/SIGHUP kill the
   kernel (and with it, as PID 1, every process it started); SIGINT is for the kernel only
   (the kernel manager interrupts the whole process group).

Why this is not bubblewrap (measured): ``docs/sandbox.md``.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 4096
MS_REMOUNT = 32
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None):
    enc = lambda s: s.encode() if s is not None else None
    _check(_libc.mount(enc(src), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _hide(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        _mount("vg-hidden", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=000,size=4k")
        _mount(None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    elif os.path.exists(path):
        _mount("/dev/null", path, None, MS_BIND)
        _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY)


def _reveal(cover: str, keep: list[str]) -> None:
    """Cover ``cover`` (a directory others cannot enter, e.g. ``/root``) with a tmpfs in which
    only the ``keep`` paths (e.g. the Python installation) are bind-mounted back, read-only."""
    fds = {k: os.open(k, os.O_PATH | os.O_CLOEXEC) for k in keep}
    _mount("vg-reveal", cover, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=64k")
    for k, fd in fds.items():
        os.makedirs(k, mode=0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", k, None, MS_BIND | MS_REC)
        _mount(None, k, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
        os.close(fd)
    _mount(None, cover, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _kernel(spec: dict, cmd: list[str]) -> None:
    """In the forked child (PID 1 of the new namespace): limits, user, exec."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    limits = spec["limits"]
    for name, value in limits.items():
        which = getattr(resource, f"RLIMIT_{name.upper()}")
        resource.setrlimit(which, (value, value))
    os.setgroups([])
    os.setresgid(spec["gid"], spec["gid"], spec["gid"])
    os.setresuid(spec["uid"], spec["uid"], spec["uid"])
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
    fd = spec.pop("_alive_fd", None)
    if fd is not None:  # did the launcher die before the line above? (then no signal comes)
        os.set_blocking(fd, False)
        try:
            if os.read(fd, 1) == b"":
                raise SystemExit("sandbox: the launcher is gone")
        except BlockingIOError:
            pass
        os.close(fd)
    if os.getuid() == 0 or os.geteuid() == 0:
        raise SystemExit("sandbox: still root after dropping privileges")
    os.chdir(spec["workdir"])
    os.umask(0o077)
    # the kernel inherits no file descriptor of the grader: standard streams go to /dev/null
    # (it talks over its own unix sockets), so it cannot write lines into the grader's console
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    # ... except the channel to the other kernel of a split run (grader/split.py), if any
    keep = sorted(int(fd) for fd in spec.get("keep_fds", []) if int(fd) > 2)
    start = 3
    for fd in keep:
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, 65536)
    os.execve(cmd[0], cmd, spec["env"])


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    cmd = argv[argv.index("--") + 1 :]
    # if the grader dies, so does this launcher, and with it (PDEATHSIG below) the kernel
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
    if os.getppid() != spec.get("parent", os.getppid()):  # it died before the line above
        return 1
    _check(
        _libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS),
        "unshare",
    )
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    for cover, keep in spec.get("reveal", {}).items():
        _reveal(cover, keep)
    for path in spec["hide"]:
        _hide(path)
    if os.path.isdir("/dev/shm"):
        _mount("vg-shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m")

    # the kernel manager signals the whole process group: SIGINT is for the kernel only
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    alive_r, alive_w = os.pipe()  # EOF on alive_r: the launcher is gone
    pid = os.fork()
    if pid == 0:
        try:
            os.close(alive_w)
            spec["_alive_fd"] = alive_r
            _kernel(spec, cmd)
        except BaseException as err:  # noqa: BLE001 - report anything, never run unsandboxed
            print(f"sandbox: could not start the kernel: {err}", file=sys.stderr, flush=True)
        os._exit(111)
    os.close(alive_r)

    def stop(signum, frame):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            return 0
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
