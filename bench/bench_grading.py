"""Grading throughput: plain nbgrader one student at a time vs ``autograde --jobs 2``.

A throw-away course with ``students`` copies of notebook 00's solution is graded twice:

* **serial**: nbgrader's own ``autograde`` through its Python API, one student after the
  other, in this process (what ``nbgrader autograde`` does, without its start-up cost);
* **parallel**: :func:`grader.parallel.autograde_class` with ``jobs`` workers (the code behind
  ``python -m grader autograde --jobs 2``), sandboxed when this runs as root on Linux, with
  everything it adds (staging, checks, integrity cells, ledger), worker start-up included.

Reported: seconds per student-notebook for both and the speedup (target >= 1.7 on 2 cores).

The split-kernel cost: the parallel batch is graded again with test cells in the student's
kernel (``c.GradingExecute.split_kernels = False``, how grading worked before
``grader/split.py``); the ratio split / one kernel is the price of running the tests out of
the student's reach (target <= 1.3).
Run: ``.venv/bin/python bench/bench_grading.py [--students 10 --jobs 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TARGET = 1.7
SPLIT_TARGET = 1.3
NB00 = "00_backprop_refresher"


def _course(root: Path, students: int):
    from grader.course import Course, course_config

    shutil.copytree(ROOT / "tests" / "fixtures" / "grading" / NB00, root / "source" / NB00)
    course = Course(course_config(root))
    course.release([NB00])
    for i in range(students):
        folder = course.directory("submitted", f"student{i:03d}", NB00)
        shutil.copytree(course.directory("source", ".", NB00), folder)
    return course


def phase(name: str, students: int, jobs: int) -> tuple[float, bool]:
    """One timed batch in this (fresh) process: ``serial`` (plain nbgrader, one student after
    the other), ``parallel`` (``--jobs``, sandboxed where possible), ``onekernel`` (the same
    with the test cells in the student's kernel) or ``nosandbox``."""
    from grader.parallel import ONE_THREAD, autograde_class

    os.environ.update(ONE_THREAD)  # one BLAS thread per kernel in every run
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    with tempfile.TemporaryDirectory(prefix=f"vg-bench-{name}-") as tmp:
        course = _course(Path(tmp), students)
        if name == "onekernel":
            course.config.GradingExecute.split_kernels = False
        start = time.perf_counter()
        if name == "serial":
            for sub in course.submissions():
                course.autograde_one(sub)  # nbgrader's Autograde, one student at a time
            return time.perf_counter() - start, False
        outcomes = autograde_class(
            course,
            course.submissions(),
            jobs=jobs,
            use_sandbox=None if name in ("parallel", "onekernel") else False,
            progress=False,
            say=str,
        )
        seconds = time.perf_counter() - start
        assert all(o.status == "graded" and o.score == 8.0 for o in outcomes), outcomes
        return seconds, all(o.sandboxed for o in outcomes)


def _phase_in_subprocess(name: str, students: int, jobs: int) -> tuple[float, bool]:
    """Each batch runs in a process of its own, as ``python -m grader autograde`` does: a
    process that has run kernels (ZMQ) must not fork the grading workers."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--phase",
            name,
            "--students",
            str(students),
            "--jobs",
            str(jobs),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["seconds"], result["sandboxed"]


def measure(students: int = 10, jobs: int = 2) -> dict:
    """Seconds per student-notebook, serial (plain nbgrader) and parallel; the speedup."""
    from grader import sandbox

    serial, _ = _phase_in_subprocess("serial", students, jobs)
    parallel, sandboxed = _phase_in_subprocess("parallel", students, jobs)
    unsandboxed, _ = _phase_in_subprocess("nosandbox", students, jobs)
    one_kernel, _ = _phase_in_subprocess("onekernel", students, jobs)
    return {
        "students": students,
        "jobs": jobs,
        "cores": os.cpu_count(),
        "sandboxed": sandboxed,
        "sandbox_note": sandbox.status()[1],
        "serial_s_per_notebook": round(serial / students, 3),
        "parallel_s_per_notebook": round(parallel / students, 3),
        "speedup": round(serial / parallel, 3),
        "no_sandbox_s_per_notebook": round(unsandboxed / students, 3),
        "no_sandbox_speedup": round(serial / unsandboxed, 3),
        "target_speedup": TARGET,
        "one_kernel_s_per_notebook": round(one_kernel / students, 3),
        "split_cost": round(parallel / one_kernel, 3),
        "target_split_cost": SPLIT_TARGET,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=10)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument(
        "--phase", choices=["serial", "parallel", "onekernel", "nosandbox"], help=argparse.SUPPRESS
    )
    args = p.parse_args()
    if args.phase:
        seconds, sandboxed = phase(args.phase, args.students, args.jobs)
        print(json.dumps({"seconds": seconds, "sandboxed": sandboxed}))
        return
    r = measure(args.students, args.jobs)
    print(
        f"{r['students']} notebooks, {r['cores']} cores, sandbox: "
        f"{'on' if r['sandboxed'] else 'off'}\n"
        f"serial (plain nbgrader):   {r['serial_s_per_notebook']:.2f} s per notebook\n"
        f"--jobs {r['jobs']}:                 {r['parallel_s_per_notebook']:.2f} s per notebook\n"
        f"speedup: {r['speedup']:.2f}x (target >= {TARGET}x) "
        f"{'OK' if r['speedup'] >= TARGET else 'BELOW TARGET'}\n"
        f"tests in the student's kernel: {r['one_kernel_s_per_notebook']:.2f} s per notebook; "
        f"split-kernel cost {r['split_cost']:.2f}x (target <= {SPLIT_TARGET}x) "
        f"{'OK' if r['split_cost'] <= SPLIT_TARGET else 'ABOVE TARGET'}"
    )


if __name__ == "__main__":
    main()
