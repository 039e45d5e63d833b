"""Grading on a cluster: one machine vs a Slurm job array of 3 shards on the same machine.

A throw-away course with ``students`` submissions of notebook 00 (the frozen fixture of
``tests/fixtures/grading/``) is graded

* **one machine**: ``python -m grader autograde --jobs 2`` (as many workers as cores);
* **Slurm**: ``grader/cluster/slurm-autograde.sbatch`` as a 3-task array, one shard each,
  ``--cpus-per-task 1`` (``--jobs 1``), on the one-node cluster of
  ``tests/test_cluster_slurm.py`` (this machine's cores: 2 tasks run at a time);
* **nothing to do**: the same array again; every task finds its shard graded and unchanged,
  so its wall time is the fixed cost of a shard (Slurm scheduling, starting Python and
  nbgrader, fingerprinting the shard's submissions).

Reported: notebooks per second both ways and their ratio (~1x is expected on one machine:
the point of the array is running on many; its cost is what the ratio loses), and the
overhead per shard in core-seconds: the array's extra wall time times the cores it kept busy,
per shard, and the cost of a shard with nothing to grade. Both runs use a SQLite gradebook
in the course folder (the shards share it on one machine; across machines use PostgreSQL).
Needs root, slurm-wlm and munge.
Run: ``.venv/bin/python bench/bench_cluster.py [--students 24]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

NB00 = "00_backprop_refresher"
SHARDS = 3
DONE = re.compile(r"(\d+) graded, (\d+) unchanged \(skipped\), (\d+) failed in ([\d.]+) s")


def _course(root: Path, students: int) -> None:
    from grader.course import Course, course_config

    shutil.copytree(ROOT / "tests" / "fixtures" / "grading" / NB00, root / "source" / NB00)
    course = Course(course_config(root))
    course.release([NB00])
    for i in range(students):
        shutil.copytree(
            course.directory("source", ".", NB00), course.directory("submitted", f"s{i:03d}", NB00)
        )


def _array(cluster, root: Path, logs: Path) -> tuple[float, list[tuple[int, int, float]]]:
    """Submit the 3-task array and wait; wall seconds and (graded, skipped, s) per task."""
    start = time.perf_counter()
    out = cluster.run(
        "sbatch", "--parsable", "--wait", "--cpus-per-task=1", f"--array=0-{SHARDS - 1}",
        f"--output={logs}/%A_%a.log", str(ROOT / "grader" / "cluster" / "slurm-autograde.sbatch"),
        timeout=3600,
    )  # fmt: skip
    wall = time.perf_counter() - start
    job = out.stdout.strip().split(";")[0]
    tasks = []
    for k in range(SHARDS):
        text = (logs / f"{job}_{k}.log").read_text()
        m = DONE.search(text)
        if out.returncode or not m or int(m.group(3)):
            raise RuntimeError(f"task {k} failed:\n{text[-3000:]}\n{out.stderr}")
        tasks.append((int(m.group(1)), int(m.group(2)), float(m.group(4))))
    return wall, tasks


def measure(students: int = 24) -> dict:
    from tests.test_cluster_slurm import _unavailable, slurm_cluster

    why = _unavailable()
    if why:
        return {"skipped": why}
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    with tempfile.TemporaryDirectory(prefix="vg-bench-cluster-") as tmp:
        tmp = Path(tmp)
        single, sharded, logs = tmp / "single", tmp / "sharded", tmp / "logs"
        logs.mkdir()
        _course(single, students)
        _course(sharded, students)
        start = time.perf_counter()
        one = subprocess.run(
            [sys.executable, "-m", "grader", "autograde", "--course", str(single), "--jobs",
             str(os.cpu_count() or 1), "--quiet"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600,
        )  # fmt: skip
        single_s = time.perf_counter() - start
        if one.returncode:
            raise RuntimeError(one.stdout[-3000:] + one.stderr[-3000:])
        with slurm_cluster() as cluster:
            cluster.env.update(
                GRADER_COURSE=str(sharded), GRADER_REPO=str(ROOT), GRADER_PYTHON=sys.executable,
                SHARDS=str(SHARDS), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                PATH=env["PATH"],
            )  # fmt: skip
            array_s, tasks = _array(cluster, sharded, logs)
            idle_s, idle_tasks = _array(cluster, sharded, logs)
    assert sum(t[0] for t in tasks) == students, tasks
    assert all(t[0] == 0 for t in idle_tasks), idle_tasks
    return {
        "students": students,
        "cores": os.cpu_count(),
        "single_s": round(single_s, 1),
        "array_s": round(array_s, 1),
        "single_nb_per_s": students / single_s,
        "array_nb_per_s": students / array_s,
        "ratio": single_s / array_s,
        "shard_sizes": [t[0] for t in tasks],
        "idle_array_s": round(idle_s, 1),
        # the array's extra wall time over one machine, as core-seconds per shard (all cores
        # busy in both runs): what splitting costs, worker and sandbox start-up included
        "overhead_per_shard_s": (array_s - single_s) * min(SHARDS, os.cpu_count() or 1) / SHARDS,
        # a shard with nothing to grade: scheduling, Python and nbgrader start, fingerprints
        "idle_shard_s": idle_s * min(SHARDS, os.cpu_count() or 1) / SHARDS,
        "idle_task_s": [t[2] for t in idle_tasks],
        "load": os.getloadavg(),
    }


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=24)
    args = ap.parse_args()
    r = measure(args.students)
    print(json.dumps(r, indent=1))
    return r


if __name__ == "__main__":
    main()
