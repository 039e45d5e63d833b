"""A PostgreSQL gradebook: 20 submissions graded in parallel into a real server.

The test starts its own PostgreSQL (``initdb`` into a temporary directory as an unprivileged
user, ``pg_ctl start`` listening only on a unix socket in that directory), grades with
``python -m grader autograde --db postgresql://... --jobs 2``, checks with SQL that every
grade is there exactly once with the right score, grades part of the class again with
``--force`` and checks again, and stops the server at teardown.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

from grader.course import Course, course_config  # noqa: E402

pytestmark = pytest.mark.slow
NB00 = "00_backprop_refresher"
PG_USER = "postgres"  # the Debian package's system user; created if missing


def pg_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


BINDIR = pg_bindir()


def _as_db_user(cmd: list[str]) -> list[str]:
    """Run as an unprivileged user: PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return cmd
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
        )
    return ["runuser", "-u", PG_USER, "--", *cmd]


@pytest.fixture(scope="module")
def postgres():
    if BINDIR is None or not (BINDIR / "initdb").exists():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    base = Path(tempfile.mkdtemp(prefix="vg-pg-"))
    os.chmod(base, 0o755)
    data, port = base / "data", "5432"
    run = lambda *cmd: subprocess.run(  # noqa: E731
        _as_db_user([str(BINDIR / cmd[0]), *cmd[1:]]),
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if os.geteuid() == 0:
        _as_db_user(["true"])  # make sure the user exists
        shutil.chown(base, PG_USER)
    run("initdb", "-D", str(data), "-A", "trust", "-U", "grader", "-E", "UTF8", "--no-sync")
    opts = f"-k {base} -p {port} -c listen_addresses='' -c fsync=off -c max_connections=200"
    run("pg_ctl", "-D", str(data), "-l", str(base / "log"), "-o", opts, "-w", "start")
    try:
        run("createdb", "-h", str(base), "-p", port, "-U", "grader", "gradebook")
        yield f"postgresql://grader@/gradebook?host={base}&port={port}"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


WRONG_REL_ERROR = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))
"""


def _class(course: Course) -> dict[str, float]:
    """20 students: 10 full marks, 5 partial (6 points), 5 blank; returns expected scores."""
    source = nbformat.read(course.directory("source", ".", NB00) / f"{NB00}.ipynb", as_version=4)
    release = nbformat.read(course.directory("release", ".", NB00) / f"{NB00}.ipynb", as_version=4)
    partial = nbformat.from_dict(json.loads(json.dumps(source)))
    for c in partial.cells:
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "rel_error":
            c.source = WRONG_REL_ERROR
    expected = {}
    for i in range(20):
        kind, nb, score = [
            ("full", source, 8.0),
            ("partial", partial, 6.0),
            ("blank", release, 0.0),
        ][0 if i < 10 else 1 if i < 15 else 2]
        student = f"{kind}{i:02d}"
        folder = course.directory("submitted", student, NB00)
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NB00}.ipynb")
        expected[student] = score
    return expected


def _counts(url: str) -> dict:
    from urllib.parse import parse_qs, urlparse

    import psycopg2

    u = urlparse(url)
    q = parse_qs(u.query)
    with (
        psycopg2.connect(
            dbname=u.path.lstrip("/"), user=u.username, host=q["host"][0], port=q["port"][0]
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute("SELECT student_id, COUNT(*) FROM submitted_assignment GROUP BY student_id")
        subs = dict(cur.fetchall())
        cur.execute(
            "SELECT sa.student_id, COUNT(g.id), COUNT(DISTINCT g.cell_id), "
            "SUM(COALESCE(g.manual_score, g.auto_score, 0)) FROM grade g "
            "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
            "JOIN submitted_assignment sa ON sn.assignment_id = sa.id GROUP BY sa.student_id"
        )
        grades = {s: (n, distinct, float(score)) for s, n, distinct, score in cur.fetchall()}
        cur.execute("SELECT COUNT(*) FROM student")
        students = cur.fetchone()[0]
    return {"submissions": subs, "grades": grades, "students": students}


def test_parallel_grading_into_postgresql(postgres, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(ROOT / "tests" / "fixtures" / "grading" / NB00, root / "source" / NB00)
    course = Course(course_config(root), db=postgres)
    course.release([NB00])
    expected = _class(course)

    result = _cli("autograde", "--course", str(root), "--db", postgres, "--jobs", "2", "--quiet")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "20 graded, 0 unchanged (skipped), 0 failed" in result.stdout
    assert not (root / "gradebook.db").exists()  # nothing went to SQLite

    got = _counts(postgres)
    assert got["students"] == 20
    assert got["submissions"] == {s: 1 for s in expected}
    # four graded cells per submission (three tests, one written answer), each exactly once
    assert {s: g[:2] for s, g in got["grades"].items()} == {s: (4, 4) for s in expected}
    assert {s: g[2] for s, g in got["grades"].items()} == expected

    # grade one submission again: still exactly once each
    again = _cli(
        "autograde", "--course", str(root), "--db", postgres, "--jobs", "2", "--force",
        "--student", "partial10", "--quiet",
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert _counts(postgres) == got
