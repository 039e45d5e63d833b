"""Execute every notebook of ``solutions/`` top to bottom, as a learner and as the autograder.

For each notebook: wall time (kernel start to shutdown) and the kernel's peak resident memory
(read inside the kernel from ``/proc/self/status`` by a cell appended for the measurement). The
reference measured in the same run is an empty notebook executed the same way: its time is
the fixed cost of starting a kernel, so ``time / empty`` says how much the notebook itself adds.

Run: ``.venv/bin/python bench/notebooks.py [--autograde]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
# VmHWM is the peak resident size of this process's own memory; getrusage's ru_maxrss would
# also count the parent that started the kernel (Linux keeps it across exec).
PEAK_CELL = (
    "print('PEAK_RSS_KB', next(int(l.split()[1]) for l in open('/proc/self/status') "
    "if l.startswith('VmHWM')))"
)


def solution_notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "solutions").glob("*/*.ipynb") if "checkpoint" not in str(p))


def run(nb: nbformat.NotebookNode, cwd: Path, autograde: bool) -> tuple[float, float]:
    """Execute ``nb``; return (seconds, peak RSS in MB of the kernel)."""
    nb = nbformat.from_dict(nb)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    env_key = "NBGRADER_EXECUTION"
    old = os.environ.get(env_key)
    if autograde:
        os.environ[env_key] = "autograde"
    else:
        os.environ.pop(env_key, None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            client = NotebookClient(
                nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
            )
            t0 = time.perf_counter()
            client.execute(cwd=str(cwd) if cwd else tmp)
            seconds = time.perf_counter() - t0
    finally:
        if old is None:
            os.environ.pop(env_key, None)
        else:
            os.environ[env_key] = old
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    kb = float(text.split("PEAK_RSS_KB")[1].split()[0]) if "PEAK_RSS_KB" in text else float("nan")
    return seconds, kb / 1024


def measure(autograde: bool = False) -> dict:
    empty = nbformat.v4.new_notebook()
    empty.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    run(empty, ROOT, autograde)  # the first kernel of a run pays for cold caches
    empty_s, empty_mb = run(empty, ROOT, autograde)
    rows = []
    for path in solution_notebooks():
        nb = nbformat.read(path, as_version=4)
        seconds, mb = run(nb, path.parent, autograde)
        rows.append(
            {
                "notebook": path.stem,
                "seconds": seconds,
                "peak_mb": mb,
                "ratio_to_empty": seconds / empty_s,
            }
        )
        print(
            f"  {path.stem:<32} {seconds:6.1f} s  {mb:6.0f} MB  ({seconds / empty_s:.1f}x empty)",
            file=sys.stderr,
        )
    return {
        "empty_seconds": empty_s,
        "empty_mb": empty_mb,
        "notebooks": rows,
        "total_seconds": sum(r["seconds"] for r in rows),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--autograde", action="store_true", help="set NBGRADER_EXECUTION=autograde")
    args = ap.parse_args()
    r = measure(args.autograde)
    print(f"empty notebook: {r['empty_seconds']:.1f} s; total {r['total_seconds']:.1f} s")


if __name__ == "__main__":
    main()
