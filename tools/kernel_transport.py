"""The `jupyter lab` option that runs local kernels over unix sockets, where they work.

``make lab`` and ``make formgrader`` add what this prints to their ``jupyter lab`` command:
``--KernelManager.transport=ipc`` when ZMQ supports IPC here and a kernel's socket paths fit
the system's limit for a unix socket path; nothing otherwise (the kernels then talk TCP on
127.0.0.1, Jupyter's default, and ipykernel prints its warning that the kernel "is running
over TCP without encryption"). The reason for a fallback goes to stderr.

JupyterLab puts a kernel's sockets in Jupyter's runtime directory, named after its connection
file: ``<runtime dir>/kernel-<36-character id>-ipc-<n>``, 50 characters after the directory.
A unix socket path holds at most 107 bytes on Linux and 103 on macOS and the BSDs
(``sizeof(sockaddr_un.sun_path)`` less the final NUL), so on Linux the runtime directory
may have at most 57 characters (``/home/<user>/.local/share/jupyter/runtime`` for a user
name of up to 22 characters).

    python tools/kernel_transport.py       # prints the option, or nothing
"""

from __future__ import annotations

import os
import sys

OPTION = "--KernelManager.transport=ipc"
# what JupyterLab appends to the runtime directory: /kernel-<uuid4>-ipc-<n>
SUFFIX = len("/kernel-") + 36 + len("-ipc-5")


def max_socket_path(platform: str = sys.platform) -> int:
    """Longest unix socket path in bytes: ``sizeof(sun_path) - 1`` (108 on Linux, 104 else).

    ZMQ's own figure (``zmq.IPC_PATH_MAX_LEN``) where pyzmq has it for this platform.
    """
    if platform == sys.platform:
        import zmq

        if getattr(zmq, "IPC_PATH_MAX_LEN", 0) > 0:
            return zmq.IPC_PATH_MAX_LEN
    return 107 if platform.startswith("linux") else 103


def ipc_problem(
    runtime_dir: str | None = None, platform: str = sys.platform, suffix: int = SUFFIX
) -> str | None:
    """Why kernels cannot use IPC here (``None`` when they can).

    ``runtime_dir`` is the folder of the sockets, by default Jupyter's runtime directory
    (``jupyter --runtime-dir``); ``suffix`` the length of a socket's name after it, separator
    included: the check is ``len(runtime_dir) + suffix <= max_socket_path(platform)``.
    """
    if os.name != "posix":
        return f"unix sockets are not used on {os.name!r} systems"
    import zmq

    if not zmq.has("ipc"):
        return "this ZMQ library has no IPC transport"
    if runtime_dir is None:
        from jupyter_core.paths import jupyter_runtime_dir

        runtime_dir = jupyter_runtime_dir()
    longest = len(os.fsencode(os.path.abspath(runtime_dir))) + suffix
    limit = max_socket_path(platform)
    if longest > limit:
        return (
            f"kernel socket paths in the runtime directory {runtime_dir} would have {longest} "
            f"bytes, more than the {limit} a unix socket path may have"
        )
    return None


def main() -> int:
    problem = ipc_problem()
    if problem is None:
        print(OPTION)
    else:
        print(f"kernels use TCP on 127.0.0.1: {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
