"""A class on one machine: real unix users, nbgrader's exchange, the whole cycle.

An instructor and three students are real accounts (``vgtest-*``, removed afterwards), each
with a private home. Everything runs as those users through ``runuser``, with the hub's
nbgrader settings (``grader/hub/nbgrader_config.py``, exchange moved to a temporary directory)
on the Jupyter config path, exactly as on a single-host JupyterHub (The Littlest JupyterHub):

    instructor: generate_assignment, release_assignment
    students:   fetch_assignment, write answers (correct / partial / blank), submit
    instructor: collect, autograde, generate_feedback, release_feedback
    students:   fetch_feedback

Then the grades are checked, and a student tries to read what is not theirs. Root only; the
course environment is made usable by the unprivileged users without changing anything outside
the temporary directory (see :func:`shared_environment`).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
HUB_CONFIG = ROOT / "grader" / "hub" / "nbgrader_config.py"
NB = "00_backprop_refresher"
COURSE_ID = "vanishing-gradients"
INSTRUCTOR = "vgtest-instr"
STUDENTS = {"vgtest-s1": "correct", "vgtest-s2": "partial", "vgtest-s3": "blank"}
USERS = [INSTRUCTOR, *STUDENTS]
ARTIFACTS = ROOT / "test-artifacts" / "multiuser"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or os.geteuid() != 0,
        reason="creates unix users: Linux and root only (CI runs as root)",
    ),
    pytest.mark.skipif(shutil.which("useradd") is None, reason="needs useradd and runuser"),
]

# The common mistake of exercise rel_error: relative to b only (test_pipeline uses it too).
WRONG_REL_ERROR = """def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))
"""

WRITE_ANSWERS = """
import json, sys
import nbformat
path, answers = sys.argv[1], json.loads(sys.argv[2])
nb = nbformat.read(path, as_version=4)
for cell in nb.cells:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    if grade_id in answers:
        cell.source = answers[grade_id]
nbformat.write(nb, path)
"""

# Run by a student: try to reach what is not theirs; print what happened to each attempt.
SNOOP = """
import json, os, sys
def attempt(what, path):
    try:
        if what == "list":
            os.listdir(path)
        else:
            with open(path, "rb") as fh:
                fh.read(1)
        return "allowed"
    except PermissionError:
        return "denied"
    except OSError as err:
        return type(err).__name__
print(json.dumps({name: attempt(*spec) for name, spec in json.loads(sys.argv[1]).items()}))
"""


# --- users, environment, running as a user -------------------------------------------------------
def _remove_user(name: str) -> None:
    subprocess.run(["userdel", name], capture_output=True)
    subprocess.run(["groupdel", name], capture_output=True)


def _runs_as(user: str, python: str, env: dict[str, str]) -> bool:
    probe = subprocess.run(
        ["runuser", "-u", user, "--", "env", *(f"{k}={v}" for k, v in env.items()),
         python, "-c", "import sys; print(sys.version)"],
        capture_output=True,
        text=True,
        cwd="/",
    )  # fmt: skip
    return probe.returncode == 0 and probe.stdout.strip() == sys.version


def _link_or_copy(a, b):
    try:
        os.link(a, b)
    except OSError:
        shutil.copy2(a, b)


def _copy_tree(src: Path, dst: Path, *ignore: str) -> Path:
    """A copy made of hard links where possible (fast, no extra space)."""
    shutil.copytree(
        src, dst, copy_function=_link_or_copy, symlinks=True, ignore=shutil.ignore_patterns(*ignore)
    )
    return dst


def _readable_by_others(path: Path) -> bool:
    """Every parent traversable and ``path`` itself readable by any user."""
    for p in [path, *path.parents]:
        mode = p.stat().st_mode
        if not mode & stat.S_IXOTH or (p == path and not mode & stat.S_IROTH):
            return False
    return True


def shared_environment(base: Path, probe_user: str) -> tuple[Path, dict[str, str]]:
    """A Python environment the class's users can run: its ``bin/`` and its extra variables.

    The project's venv may not be usable by other users as it is (here its interpreter is a
    link into root's home, mode 0700). So: a fresh venv whose ``.pth`` file adds the project
    venv's site-packages and the course package's source, made from this very interpreter if
    everybody can run it, else from a hard-linked copy of its installation. Whatever else is
    not readable by everybody (site-packages, Jupyter data) is hard-linked into ``base`` too.
    Nothing outside ``base`` is changed.
    """
    extra: dict[str, str] = {}
    interpreter = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    if not _runs_as(probe_user, interpreter, extra):
        prefix = Path(sys.base_prefix)
        copy = _copy_tree(prefix, base / "python", "site-packages", "test", "__pycache__")
        interpreter = str(copy / Path(interpreter).relative_to(prefix))
        extra["LD_LIBRARY_PATH"] = str(copy / "lib")  # wins over a RUNPATH into the original
        if not _runs_as(probe_user, interpreter, extra):
            pytest.skip(f"cannot make {sys.executable} runnable by other users")

    site = Path(sysconfig.get_paths()["purelib"])
    src = ROOT / "src"
    data = Path(sys.prefix) / "share" / "jupyter"  # nbconvert's templates, kernel specs
    if not all(_readable_by_others(p) for p in (site, src, data)):
        site = _copy_tree(site, base / "site-packages")
        src = _copy_tree(src, base / "src", "__pycache__")
        data = _copy_tree(data, base / "share-jupyter")

    env = base / "env"
    subprocess.run([interpreter, "-m", "venv", "--without-pip", str(env)], check=True)
    purelib = subprocess.run(
        [
            str(env / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "zz_vanishing_course.pth").write_text(
        f"import site; site.addsitedir({str(site)!r})\n{src}\n"
    )
    (env / "share").mkdir(exist_ok=True)
    (env / "share" / "jupyter").symlink_to(data)
    # nbgrader creates the gradebook with the `alembic` command of the environment
    alembic = env / "bin" / "alembic"
    alembic.write_text(
        f"#!{env / 'bin' / 'python'}\nimport sys\nfrom alembic.config import main\nsys.exit(main())\n"
    )
    alembic.chmod(0o755)
    for p in [base, *(q for q in env.rglob("*") if q.is_dir())]:
        p.chmod(p.stat().st_mode | 0o555)
    return env / "bin", extra


class Class:
    """The temporary machine state: homes, exchange, environment, Jupyter config path."""

    def __init__(self, base: Path):
        self.base = base
        self.exchange = base / "exchange"
        self.etc = base / "etc-jupyter"
        self.course = self.home(INSTRUCTOR) / "vanishing-gradients"

    def home(self, user: str) -> Path:
        return self.base / "home" / user

    def run(self, user: str, *args: str, cwd: Path | None = None, timeout: int = 240):
        """Run ``args`` as ``user`` with a clean environment, as a hub's spawner would."""
        env = [
            f"HOME={self.home(user)}",
            f"USER={user}",
            f"LOGNAME={user}",
            f"PATH={self.bin}:/usr/bin:/bin",
            f"JUPYTER_CONFIG_PATH={self.etc}",
            "LANG=C.UTF-8",
            *(f"{key}={value}" for key, value in self.extra_env.items()),
        ]
        result = subprocess.run(
            ["runuser", "-u", user, "--", "env", "-i", *env, *args],
            cwd=cwd or self.home(user),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return result

    def nbgrader(self, user: str, *args: str, cwd: Path | None = None) -> str:
        result = self.run(user, "python", "-m", "nbgrader", *args, cwd=cwd)
        assert result.returncode == 0, (
            f"`nbgrader {' '.join(args)}` as {user} failed:\n{result.stdout}\n{result.stderr}"
        )
        return result.stdout + result.stderr


def _answers(kind: str) -> dict[str, str]:
    if kind == "blank":
        return {}
    source = nbformat.read(ROOT / "solutions" / NB / f"{NB}.ipynb", as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: "\n".join(
            line for line in c.source.splitlines() if not re.search(r"(BEGIN|END) SOLUTION", line)
        )
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    }
    if kind == "partial":  # numerical_gradient right, rel_error wrong, linear_backward untouched
        answers = {
            "numerical_gradient": answers["numerical_gradient"],
            "rel_error": WRONG_REL_ERROR,
        }
    return answers


def _text(html: str) -> str:
    """Visible text without tags and whitespace (highlighted code is split into spans)."""
    html = re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", "", unescape(re.sub(r"<[^>]+>", "", html)))


def _hidden_test_lines() -> list[str]:
    source = (ROOT / "solutions" / NB / f"{NB}.ipynb").read_text()
    nb = nbformat.reads(source, as_version=4)
    lines = []
    for cell in nb.cells:
        for block in re.findall(
            r"BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S
        ):
            lines += [ln.strip() for ln in block.splitlines() if len(ln.strip()) > 20]
    # only the lines that are not also in the release (e.g. a seeded rng drawn in both) nor
    # in the model answers (a hidden reference may share a line with them, and s1 submits
    # those answers, which their feedback shows)
    release = nbformat.read(ROOT / "notebooks" / NB / f"{NB}.ipynb", as_version=4)
    outside = [
        re.sub(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS", "", c.source, flags=re.S)
        for c in nb.cells
    ]
    released = re.sub(r"\s+", "", "\n".join([c.source for c in release.cells] + outside))
    lines = [ln for ln in lines if re.sub(r"\s+", "", ln) not in released]
    assert lines, "notebook 00 has no hidden test lines to look for"
    return lines


def _written_points() -> float:
    source = nbformat.read(ROOT / "solutions" / NB / f"{NB}.ipynb", as_version=4)
    return sum(
        float(c.metadata["nbgrader"]["points"])
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "markdown"
    )


def _test_points() -> dict[str, float]:
    source = nbformat.read(ROOT / "solutions" / NB / f"{NB}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
    }


@pytest.fixture(scope="module")
def klass():
    base = Path(tempfile.mkdtemp(prefix="vg-class-", dir="/tmp"))
    base.chmod(0o755)
    k = Class(base)
    try:
        for user in USERS:
            _remove_user(user)  # left over by an interrupted run
            home = k.home(user)
            subprocess.run(
                ["useradd", "--user-group", "--no-create-home", "--home-dir", str(home),
                 "--shell", "/usr/sbin/nologin", user],
                check=True, capture_output=True,
            )  # fmt: skip
            home.mkdir(parents=True)
            shutil.chown(home, user, user)
            home.chmod(0o700)  # as on a hub: nobody else reads a home
        (base / "home").chmod(0o755)
        k.bin, k.extra_env = shared_environment(base, "vgtest-s1")

        # the admin's part: the exchange (world-writable, sticky) and the hub's nbgrader config
        k.exchange.mkdir()
        k.exchange.chmod(0o1777)
        k.etc.mkdir()
        shutil.copy(HUB_CONFIG, k.etc / "hub_nbgrader_config.py")  # readable by all users
        (k.etc / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa\n"
            f"load_subconfig({str(k.etc / 'hub_nbgrader_config.py')!r})  # noqa\n"
            f"c.Exchange.root = {str(k.exchange)!r}\n"
        )
        for p in k.etc.iterdir():
            p.chmod(0o644)
        k.etc.chmod(0o755)

        # the instructor's course: the repository's course files, in the instructor's home
        k.course.mkdir()
        # (its nbgrader config loads plugins from the `grader` package next to it)
        shutil.copy(ROOT / "nbgrader_config.py", k.course)
        shutil.copytree(
            ROOT / "grader",
            k.course / "grader",
            ignore=shutil.ignore_patterns("course", "__pycache__", ".ipynb_checkpoints"),
        )
        shutil.copytree(ROOT / "solutions" / NB, k.course / "solutions" / NB)
        shutil.copytree(ROOT / "notebooks" / NB, k.course / "notebooks" / NB)
        # the gradebook's folder (`python -m grader` makes it; bare nbgrader needs it to exist)
        (k.course / "grader" / "course").mkdir()
        subprocess.run(["chown", "-R", f"{INSTRUCTOR}:{INSTRUCTOR}", str(k.course)], check=True)
        yield k
    finally:
        for user in USERS:
            _remove_user(user)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def cycle(klass):
    """The whole class cycle through the exchange; returns the klass."""
    k = klass
    k.nbgrader(INSTRUCTOR, "generate_assignment", NB, "--force", cwd=k.course)
    k.nbgrader(INSTRUCTOR, "release_assignment", NB, cwd=k.course)

    def student_turn(student: str) -> None:
        k.nbgrader(student, "fetch_assignment", NB)
        path = k.home(student) / NB / f"{NB}.ipynb"
        answers = json.dumps(_answers(STUDENTS[student]))
        result = k.run(student, "python", "-c", WRITE_ANSWERS, str(path), answers)
        assert result.returncode == 0, result.stderr
        k.nbgrader(student, "submit", NB)

    with ThreadPoolExecutor(len(STUDENTS)) as pool:
        list(pool.map(student_turn, STUDENTS))

    k.nbgrader(INSTRUCTOR, "collect", NB, cwd=k.course)
    k.nbgrader(INSTRUCTOR, "autograde", NB, "--create", cwd=k.course)
    k.nbgrader(INSTRUCTOR, "generate_feedback", NB, cwd=k.course)
    k.nbgrader(INSTRUCTOR, "release_feedback", NB, cwd=k.course)

    with ThreadPoolExecutor(len(STUDENTS)) as pool:
        list(pool.map(lambda s: k.nbgrader(s, "fetch_feedback", NB), STUDENTS))
    return k


# --- the checks -------------------------------------------------------------------------------------
def test_grades_of_the_three_students(cycle):
    from nbgrader.api import Gradebook

    points = _test_points()
    full = sum(points.values())
    expected = {
        "vgtest-s1": full,
        "vgtest-s2": points["test_numerical_gradient"],
        "vgtest-s3": 0.0,
    }
    assert 0 < expected["vgtest-s2"] < full
    db = cycle.course / "grader" / "course" / "gradebook.db"
    got = {}
    with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
        for student in STUDENTS:
            sub = gb.find_submission_notebook(NB, NB, student)
            graded = [g for g in sub.grades if g.cell_type == "code"]
            assert sum(g.max_score for g in graded) == full
            got[student] = sum(g.score for g in graded)
    assert got == expected


def test_every_student_fetched_their_own_feedback(cycle):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    html = {}
    for student in STUDENTS:
        found = sorted((cycle.home(student) / NB / "feedback").glob(f"*/{NB}.html"))
        assert len(found) == 1, f"{student}: {found}"
        assert found[0].stat().st_uid == pwd.getpwnam(student).pw_uid
        html[student] = _text(found[0].read_text())
        shutil.copy(found[0], ARTIFACTS / f"feedback-{student}.html")
    points = _test_points()
    full, total = sum(points.values()), sum(points.values()) + _written_points()
    assert f"Score:{full}/{total}" in html["vgtest-s1"]
    assert f"Score:{points['test_numerical_gradient']}/{total}" in html["vgtest-s2"]
    assert f"Score:0.0/{total}" in html["vgtest-s3"]
    # each failed test says why, with the grading helpers' message and hint
    assert _text("divide by |a| + |b|, not by |b| alone") in html["vgtest-s2"]
    assert _text("rel_error: not implemented yet") in html["vgtest-s3"]
    # and the hidden tests stay hidden
    for line in _hidden_test_lines():
        for student in STUDENTS:
            assert _text(line) not in html[student], f"hidden test shown to {student}: {line}"


def test_a_student_cannot_read_what_is_not_theirs(cycle):
    k = cycle
    inbound = k.exchange / COURSE_ID / "inbound"
    submissions = sorted(p.name for p in inbound.iterdir())
    assert len(submissions) == len(STUDENTS)
    s1_submission = next(n for n in submissions if n.startswith("vgtest-s1+"))
    # nbgrader's inbound is write-only for students: a submission cannot be found by another
    # student, and its name ends in a random string, so it cannot be guessed either
    assert re.fullmatch(rf"vgtest-s1\+{NB}\+[^+]+\+[A-Za-z0-9_-]{{12}}", s1_submission)
    attempts = {
        "list the inbound submissions": ["list", str(inbound)],
        "list the released feedback": ["list", str(k.exchange / COURSE_ID / "feedback")],
        "read s1's working notebook": ["read", str(k.home("vgtest-s1") / NB / f"{NB}.ipynb")],
        "list s1's home": ["list", str(k.home("vgtest-s1"))],
        "read s1's collected submission": [
            "read", str(k.course / "grader/course/submitted/vgtest-s1" / NB / f"{NB}.ipynb")
        ],
        "read the instructor's solutions": ["read", str(k.course / "solutions" / NB / f"{NB}.ipynb")],
        "list the instructor's course": ["list", str(k.course)],
        "read the gradebook": ["read", str(k.course / "grader/course/gradebook.db")],
        # controls: what a student must be able to do
        "read own notebook": ["read", str(k.home("vgtest-s2") / NB / f"{NB}.ipynb")],
        "list released assignments": ["list", str(k.exchange / COURSE_ID / "outbound")],
    }  # fmt: skip
    for spec in attempts.values():  # every target exists: a denial is not a missing file
        assert Path(spec[1]).exists(), spec
    result = k.run("vgtest-s2", "python", "-c", SNOOP, json.dumps(attempts))
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    expected = {name: "denied" for name in attempts}
    expected["read own notebook"] = expected["list released assignments"] = "allowed"
    assert outcome == expected
