"""Grading on a real Slurm cluster: a job array of 3 shards into a PostgreSQL gradebook.

A fixture starts a single-node cluster on this machine (``munged`` with a fresh key, then
``slurmctld`` and ``slurmd`` on free localhost ports, all from a throw-away ``slurm.conf`` in
a temporary directory) beside the PostgreSQL server of ``tests/test_postgres.py``, and stops
everything at teardown. The test grades 30 submissions with
``grader/cluster/slurm-autograde.sbatch``:

1. one array task is cancelled (``scancel``) while it grades, and nothing of the grader is
   left running;
2. the whole array (3 tasks) is submitted: the cancelled shard resumes, skipping exactly what
   it had recorded as graded;
3. every student has one submission and each graded cell once, with the score the
   submission deserves and the score a single-machine run gives (same ``export`` table);
4. a last ``autograde`` over the whole class finds nothing left to grade.

Without Slurm or munge (a laptop), or not as root, the test skips and says why; with
``CI_REQUIRE_SLURM=1`` (set by ``.ci/run``) it fails instead.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

from grader.cluster import shard_of  # noqa: E402
from grader.course import Course, course_config  # noqa: E402
from tests.test_postgres import (  # noqa: E402
    WRONG_REL_ERROR,
    _counts,
    postgres,  # noqa: E402, F401 (the server fixture)
)

pytestmark = pytest.mark.slow
NB00 = "00_backprop_refresher"
SBATCH = ROOT / "grader" / "cluster" / "slurm-autograde.sbatch"
SHARDS = 3
DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")


def _unavailable() -> str:
    missing = [
        d for d in DAEMONS if shutil.which(d) is None and not Path(f"/usr/sbin/{d}").exists()
    ]
    if missing:
        return f"Slurm/munge not installed (missing {', '.join(missing)}; Debian: slurm-wlm munge)"
    if os.geteuid() != 0:
        return "a throw-away Slurm cluster needs root (slurmd runs jobs as their user)"
    return ""


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI_REQUIRE_SLURM") == "1":
        pytest.fail(f"CI_REQUIRE_SLURM=1 but {reason}")
    pytest.skip(reason)


def _exe(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, ok, timeout: float, logs: list[Path] = ()) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ok():
            return
        time.sleep(0.2)
    tails = "\n".join(f"--- {p}\n{p.read_text()[-2000:]}" for p in logs if p.exists())
    pytest.fail(f"{what} within {timeout:.0f} s\n{tails}")


class Cluster:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.env = dict(os.environ, SLURM_CONF=str(base / "slurm.conf"))
        self.procs: list[subprocess.Popen] = []

    def run(self, *cmd: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [_exe(cmd[0]), *cmd[1:]], env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip

    def start(self, *cmd: str, log: str) -> None:
        with open(self.base / log, "w") as out:
            self.procs.append(
                subprocess.Popen([_exe(cmd[0]), *cmd[1:]], env=self.env, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
            )  # fmt: skip

    def squeue(self, job: str) -> list[str]:
        out = self.run("squeue", "-h", "-j", job, "-o", "%i %T").stdout
        return out.split("\n") if out.strip() else []

    def logs(self) -> list[Path]:
        return sorted(self.base.glob("*.log"))


@contextlib.contextmanager
def slurm_cluster():
    """A one-node Slurm cluster on this machine for the ``with`` block (bench/bench_cluster.py
    uses it too); everything it started is stopped at the end."""
    base = Path(tempfile.mkdtemp(prefix="vg-slurm-"))
    os.chmod(base, 0o755)
    cluster = Cluster(base)
    munge = base / "munge"
    munge.mkdir(mode=0o700)
    key, sock = munge / "munge.key", munge / "munge.socket"
    try:
        subprocess.run([_exe("mungekey"), "-c", "-k", str(key)], check=True, capture_output=True)
        os.chmod(key, 0o400)
        cluster.start(
            "munged", "--foreground", "--force", f"--socket={sock}", f"--key-file={key}",
            f"--pid-file={munge / 'munged.pid'}", f"--log-file={munge / 'munged.log'}",
            f"--seed-file={munge / 'munged.seed'}", log="munged.log",
        )  # fmt: skip
        _wait("munged did not start", sock.exists, 30, [munge / "munged.log"])
        (base / "state").mkdir()
        (base / "spool").mkdir()
        host = socket.gethostname().split(".")[0]
        (base / "slurm.conf").write_text(
            "\n".join([
                "ClusterName=vgtest",
                f"SlurmctldHost={host}(127.0.0.1)",
                f"SlurmctldPort={_free_port()}",
                f"SlurmdPort={_free_port()}",
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
                "CredType=cred/munge",
                f"AuthInfo=socket={sock}",
                f"StateSaveLocation={base / 'state'}",
                f"SlurmdSpoolDir={base / 'spool'}",
                f"SlurmctldPidFile={base / 'slurmctld.pid'}",
                f"SlurmdPidFile={base / 'slurmd.pid'}",
                f"SlurmctldLogFile={base / 'slurmctld.log'}",
                f"SlurmdLogFile={base / 'slurmd.log'}",
                # a container: no cgroups, processes tracked by parent pid
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "JobAcctGatherType=jobacct_gather/none",
                "AccountingStorageType=accounting_storage/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_CPU",
                "MpiDefault=none",
                "ReturnToService=2",
                "KillWait=10",
                "MinJobAge=600",
                f"NodeName=vgnode NodeAddr=127.0.0.1 CPUs={os.cpu_count() or 1} State=UNKNOWN",
                "PartitionName=grading Nodes=vgnode Default=YES MaxTime=INFINITE State=UP",
            ]) + "\n"
        )  # fmt: skip
        cluster.start("slurmctld", "-D", "-c", "-f", str(base / "slurm.conf"), log="ctld.out.log")
        cluster.start("slurmd", "-D", "-N", "vgnode", "-f", str(base / "slurm.conf"),
                      log="slurmd.out.log")  # fmt: skip
        _wait(
            "the Slurm node did not become idle",
            lambda: cluster.run("sinfo", "-h", "-o", "%t").stdout.strip() == "idle",
            60, cluster.logs(),
        )  # fmt: skip
        yield cluster
    finally:
        cluster.run("scancel", "--full", "--user=root")
        for proc in reversed(cluster.procs):  # slurmd, slurmctld, then munged
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def slurm():
    why = _unavailable()
    if why:
        _skip_or_fail(why)
    with slurm_cluster() as cluster:
        yield cluster


def _class(course: Course, n: int = 30) -> dict[str, float]:
    """``n`` students: half full marks (8), a quarter partial (6), a quarter blank (0)."""
    source = nbformat.read(course.directory("source", ".", NB00) / f"{NB00}.ipynb", as_version=4)
    release = nbformat.read(course.directory("release", ".", NB00) / f"{NB00}.ipynb", as_version=4)
    partial = nbformat.from_dict(json.loads(json.dumps(source)))
    for c in partial.cells:
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "rel_error":
            c.source = WRONG_REL_ERROR
    expected = {}
    for i in range(n):
        nb, score = (
            (source, 8.0) if 2 * i < n else (partial, 6.0) if 4 * i < 3 * n else (release, 0.0)
        )
        student = f"student{i:03d}"
        folder = course.directory("submitted", student, NB00)
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NB00}.ipynb")
        expected[student] = score
    return expected


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def _ledger(root: Path, students: set[str]) -> dict[str, str]:
    out = {}
    for path in (root / "grading-ledger" / NB00).glob("*.json"):
        if path.stem in students:
            try:
                out[path.stem] = json.loads(path.read_text())["status"]
            except (OSError, ValueError, KeyError):
                continue
    return out


def _graders_running(root: Path) -> list[str]:
    """Command lines of live processes that grade this course."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(root) in cmd and "grader" in cmd:
            found.append(cmd)
    return found


def _scores(csv_path: Path) -> dict[str, tuple[str, str, str]]:
    with open(csv_path, newline="") as fh:
        return {
            r["student_id"]: (r["score"], r["max_score"], r["status"]) for r in csv.DictReader(fh)
        }


def test_slurm_job_array_grades_each_submission_once(slurm, postgres, tmp_path):  # noqa: F811
    root = tmp_path / "course"
    shutil.copytree(ROOT / "tests" / "fixtures" / "grading" / NB00, root / "source" / NB00)
    course = Course(course_config(root), db=postgres)
    course.release([NB00])
    expected = _class(course)
    shards = {k: {s for s in expected if shard_of(s, SHARDS) == k} for k in range(SHARDS)}
    assert all(len(s) >= 5 for s in shards.values()), {k: len(v) for k, v in shards.items()}
    assert set().union(*shards.values()) == set(expected)
    logs = tmp_path / "logs"
    logs.mkdir()
    slurm.env.update(
        GRADER_DB=postgres, GRADER_COURSE=str(root), GRADER_REPO=str(ROOT),
        GRADER_PYTHON=sys.executable, SHARDS=str(SHARDS),
    )  # fmt: skip
    sbatch = ["sbatch", "--parsable", "--cpus-per-task=1", f"--output={logs}/%A_%a.log"]

    # 1. one task, cancelled while it grades
    victim = max(shards, key=lambda k: len(shards[k]))
    sub = slurm.run(*sbatch, f"--array={victim}", str(SBATCH))
    assert sub.returncode == 0, sub.stderr
    job = sub.stdout.strip().split(";")[0]
    _wait(
        f"array task {victim} graded nothing",
        lambda: list(_ledger(root, shards[victim]).values()).count("graded") >= 2,
        300, [*slurm.logs(), *logs.glob("*.log")],
    )  # fmt: skip
    assert slurm.run("scancel", job).returncode == 0
    _wait("the cancelled task did not end", lambda: not slurm.squeue(job), 60, slurm.logs())
    _wait("grader processes outlived scancel", lambda: not _graders_running(root), 30)
    state = slurm.run("scontrol", "show", "job", job).stdout
    assert "JobState=CANCELLED" in state, state
    before = _ledger(root, shards[victim])
    kept = sorted(s for s, status in before.items() if status == "graded")
    assert 2 <= len(kept) < len(shards[victim]), (kept, len(shards[victim]))

    # 2. the whole array: 3 tasks, the cancelled shard resumes
    full = slurm.run(*sbatch, "--wait", f"--array=0-{SHARDS - 1}", str(SBATCH), timeout=1200)
    array = full.stdout.strip().split(";")[0]
    task_logs = {k: (logs / f"{array}_{k}.log").read_text() for k in range(SHARDS)}
    assert full.returncode == 0, full.stderr + "\n".join(task_logs.values())
    for k, text in task_logs.items():
        done = re.search(r"(\d+) graded, (\d+) unchanged \(skipped\), (\d+) failed", text)
        assert done, text[-3000:]
        graded, skipped, failed = map(int, done.groups())
        assert f"shard {k}/{SHARDS}: {len(shards[k])} submission(s)" in text, text[-2000:]
        assert failed == 0, text[-3000:]
        # resume: what the cancelled task recorded is skipped, the rest graded, nothing else
        assert skipped == (len(kept) if k == victim else 0), text[-2000:]
        assert graded + skipped == len(shards[k]), text[-2000:]

    # 3. every grade exactly once, with the right score
    got = _counts(postgres)
    assert got["students"] == len(expected)
    assert got["submissions"] == {s: 1 for s in expected}
    assert {s: g[:2] for s, g in got["grades"].items()} == {s: (4, 4) for s in expected}
    assert {s: g[2] for s, g in got["grades"].items()} == expected

    # ... the same table as grading the class on one machine
    assert _cli("export", "--course", str(root), "--db", postgres,
                "--to", str(tmp_path / "cluster.csv")).returncode == 0  # fmt: skip
    single = tmp_path / "single"
    for step in ("source", "submitted"):
        shutil.copytree(root / step, single / step)
    Course(course_config(single)).release([NB00])
    one = _cli("autograde", "--course", str(single), "--jobs", "2", "--quiet")
    assert one.returncode == 0, one.stdout[-3000:] + one.stderr[-3000:]
    assert (
        _cli("export", "--course", str(single), "--to", str(tmp_path / "single.csv")).returncode
        == 0
    )
    cluster_table, single_table = (
        _scores(tmp_path / "cluster.csv"),
        _scores(tmp_path / "single.csv"),
    )
    assert cluster_table == single_table
    assert {s: float(v[0]) for s, v in cluster_table.items()} == expected
    assert {v[2] for v in cluster_table.values()} == {"graded"}

    # 4. nothing left for a sweep over the whole class
    sweep = _cli("autograde", "--course", str(root), "--db", postgres, "--quiet")
    assert f"0 graded, {len(expected)} unchanged (skipped), 0 failed" in sweep.stdout, sweep.stdout
