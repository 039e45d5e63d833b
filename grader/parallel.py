"""Autograde a whole class: in parallel, sandboxed, resumable, with flags for review.

:func:`autograde_class` hands each submission (one student, one assignment) to a pool of
worker processes. Each worker runs nbgrader's own ``Autograde`` for one submission at a time,
through nbgrader's API, with three additions in the autograde preprocessors: the kernel runs
in the sandbox (:mod:`grader.sandbox`), check cells look for tampering while it runs
(:mod:`grader.integrity`), and a runaway output is capped while it streams.

What nbgrader lacks and this module adds:

* **parallel workers, one gradebook.** SQLite takes one writer at a time: every gradebook
  transaction of a worker starts with ``BEGIN IMMEDIATE`` and waits (``busy_timeout``) for
  the others, instead of failing with "database is locked" (nbgrader's transactions are
  short; no transaction is open while a kernel runs). PostgreSQL needs nothing of the kind.
* **a ledger** (``<autograded>/../grading-ledger/<assignment>/<student>.json``), written
  after nbgrader committed the grades: the fingerprint of what was graded (submitted files,
  the assignment's source, the grading settings), the outcome, the reason of a failure and
  the flags. A re-run skips submissions whose fingerprint is unchanged and that were graded
  (``force`` re-grades them); failed or interrupted ones are graded again. nbgrader's
  updates are keyed by student, assignment, notebook and cell, so grading twice replaces a
  grade and never duplicates it.
* **a staged copy** of each submission: invalid notebooks are set aside (scored 0), a single
  renamed notebook is graded under its proper name, extra notebooks are ignored, and a
  submission with no notebook at all is recorded with zero points; each case is flagged.
* **one failure does not stop the batch**: the failing student is reported with the reason.
"""

from __future__ import annotations

import copy
import gc
import multiprocessing as mp
import os
import shutil
import signal
import socket
import sqlite3
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from grader import flags as kinds
from grader import integrity, sandbox
from grader.course import Course, GradingError, Submission
from grader.flags import Flag
from grader.ledger import Ledger
from grader.staging import stage
from grader.submission import (
    Outcome,
    failure_reason,
    fingerprint,
    settings_key,
    shown,
    unsafe_student_id,
)

STAGING = "grading-staging"
#: Thread pools of numerical libraries: one thread per kernel, the workers are the parallelism.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class Settings:
    """How the workers grade."""

    sandbox: bool
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)


# --- SQLite: one writer at a time, waiting instead of failing ------------------------------
_SERIALISED = False


def serialise_sqlite_writes() -> None:
    """Make every SQLite transaction of this process ``BEGIN IMMEDIATE`` with a long busy
    timeout (SQLAlchemy's recipe for pysqlite), so parallel graders queue for the lock."""
    global _SERIALISED
    if _SERIALISED:
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _connect(dbapi_conn, _record):
        if isinstance(dbapi_conn, sqlite3.Connection):
            dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself
            dbapi_conn.execute("PRAGMA busy_timeout = 600000")

    @event.listens_for(Engine, "begin")
    def _begin(conn):
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    _SERIALISED = True


# --- the worker --------------------------------------------------------------------------------
_W: dict = {}


def worker_course(config, settings: Settings) -> Course:
    """The course as one worker grades it: nbgrader's own autograde steps from
    ``grader/nbgrader_config.py`` (the same for plain ``nbgrader autograde``), with the
    sandbox required or off as the parent decided, and the ledger written here."""
    cfg = copy.deepcopy(config)
    cfg.GradingExecute.sandbox = "require" if settings.sandbox else "off"
    cfg.RecordFlags.write_ledger = False
    return Course(cfg)


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the process that started it dies (even by
    ``kill -9``, which runs no clean-up code); its kernels die with it (the sandbox launcher
    asks the same of its parent)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:  # the parent died before the request was made
            os._exit(1)


def _init_worker(config, settings: Settings) -> None:
    _die_with_parent()
    from grader import split

    split.KEEP_TEST_KERNELS = True  # this worker grades notebook after notebook: reuse them
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers itself
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the CLI's handler (grader/cli.py)
    warnings.filterwarnings("ignore")
    os.environ.update(ONE_THREAD)
    serialise_sqlite_writes()
    _W.update(settings=settings, course=worker_course(config, settings))


def record_zeros(course: Course, sub: Submission, staged: Path) -> None:
    """Record a submission with nothing gradeable: every autograded cell scores 0."""
    with course.gradebook() as gb:
        gb.update_or_create_student(sub.student)
        ts = course.coursedir.get_existing_timestamp(str(staged))
        if ts:
            gb.update_or_create_submission(sub.assignment, sub.student, timestamp=ts)
        else:
            gb.update_or_create_submission(sub.assignment, sub.student)
        for nb in gb.find_assignment(sub.assignment).notebooks:
            for grade in gb.find_submission_notebook(nb.name, sub.assignment, sub.student).grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()
    shutil.rmtree(course.directory("autograded", sub.student, sub.assignment), ignore_errors=True)


def _score(course: Course, sub: Submission) -> tuple[float | None, float | None]:
    from nbgrader.api import MissingEntry

    with course.gradebook() as gb:
        try:
            s = gb.find_submission(sub.assignment, sub.student)
        except MissingEntry:
            return None, None
        return float(s.score), float(s.max_score)


def grade_one(course: Course, sub: Submission, fp: str, settings: Settings, staging: Path):
    """Grade one submission with nbgrader; never raises: the outcome says what happened."""
    start = time.perf_counter()
    flags: list[Flag] = []
    out = Outcome(sub.assignment, sub.student, "graded", fingerprint=fp, sandboxed=settings.sandbox)
    cd = course.coursedir
    try:
        if why := unsafe_student_id(sub.student):
            raise GradingError(why)
        notebooks = stage(course, sub, staging, flags)
        staged = staging / sub.student / sub.assignment
        saved = cd.submitted_directory
        cd.submitted_directory = str(staging)
        try:
            if not notebooks:
                record_zeros(course, sub, staged)
            else:
                for nb_id in notebooks:
                    integrity.RESULTS.pop((sub.assignment, sub.student, nb_id), None)
                    integrity.CANARIES.pop((sub.assignment, sub.student, nb_id), None)
                result = course.api.autograde(sub.assignment, sub.student, force=True, create=True)
                if not result.get("success"):
                    raise GradingError(
                        failure_reason(result.get("error", "") + "\n" + result.get("log", ""))
                    )
                for nb_id in notebooks:  # the notebook's flags, from RecordFlags
                    flags += integrity.RESULTS.pop((sub.assignment, sub.student, nb_id), [])
        finally:
            cd.submitted_directory = saved
        out.score, out.max_score = _score(course, sub)
    except Exception as err:  # noqa: BLE001 - one student's failure must not stop the batch
        out.status = "failed"
        out.reason = str(err) if isinstance(err, GradingError) else f"{type(err).__name__}: {err}"
        try:
            out.score, out.max_score = _score(course, sub)
        except Exception:  # noqa: BLE001
            pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    out.flags = flags
    out.seconds = round(time.perf_counter() - start, 2)
    Ledger(course).save(out)
    return out


def _grade(sub: Submission, fp: str) -> Outcome:
    course: Course = _W["course"]
    # host and pid: shards on several machines share the course folder
    staging = (
        course.directory("autograded").parent / STAGING / f"{socket.gethostname()}-{os.getpid()}"
    )
    return grade_one(course, sub, fp, _W["settings"], staging)


# --- the batch -------------------------------------------------------------------------------
def autograde_class(
    course: Course,
    subs: Iterable[Submission],
    jobs: int | None = None,
    force: bool = False,
    use_sandbox: bool | None = None,
    limits: sandbox.Limits | None = None,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> list[Outcome]:
    """Grade ``subs`` with ``jobs`` workers; return one :class:`Outcome` per submission.

    ``use_sandbox``: ``None`` sandboxes when possible and warns loudly when not; ``True``
    refuses to grade without the sandbox; ``False`` grades without it.
    """
    from tqdm import tqdm

    subs = list(subs)
    jobs = max(1, jobs or os.cpu_count() or 1)
    ledger = Ledger(course)
    key = settings_key(course)
    fps = {sub: fingerprint(course, sub, key) for sub in subs}
    outcomes: dict[Submission, Outcome] = {}
    todo = []
    for sub in subs:
        rec = ledger.load(sub.assignment, sub.student)
        if (
            not force
            and rec
            and rec.get("status") == "graded"
            and rec.get("fingerprint") == fps[sub]
        ):
            fields = {k: v for k, v in rec.items() if k in Outcome.__dataclass_fields__}
            fields.update(status="skipped", flags=kinds.from_record(rec))
            outcomes[sub] = Outcome(**fields)
        else:
            todo.append(sub)
    if not todo:
        return [outcomes[s] for s in subs]

    if use_sandbox is not False:
        ok, why = sandbox.status()
        if not ok and use_sandbox:
            raise GradingError(f"the sandbox is required but unavailable: {why}")
        if not ok:
            say(sandbox.WARNING.format(why=why))
        use_sandbox = ok
    settings = Settings(sandbox=bool(use_sandbox), limits=limits or sandbox.Limits())
    if use_sandbox:
        # what kernels may see, worked out once here; each forked worker takes its own slot
        sandbox.prepare(course.coursedir, settings.limits)
        for slot in range(jobs):  # create the users here, not in racing workers
            sandbox.ensure_user(slot)
            sandbox.ensure_user(slot, role="test")  # the test kernel's user (grader/split.py)

    serialise_sqlite_writes()
    with course.gradebook():  # create or upgrade the gradebook once, before the workers
        pass
    # fork: workers start at once with nbgrader already imported (spawn costs seconds each)
    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    gc.collect()  # close the gradebook connections of this process before forking
    pending = list(todo)
    try:
        with tqdm(total=len(todo), desc="autograde", unit="nb", disable=not progress) as bar:
            for attempt in range(2):
                if not pending:
                    break
                pool = ProcessPoolExecutor(
                    max_workers=min(jobs, len(pending)),
                    mp_context=ctx,
                    initializer=_init_worker,
                    initargs=(course.config, settings),
                )
                futures = {pool.submit(_grade, sub, fps[sub]): sub for sub in pending}
                broken = []
                try:
                    remaining = set(futures)
                    while remaining:
                        done, remaining = wait(remaining, return_when=FIRST_COMPLETED)
                        for fut in done:
                            sub = futures[fut]
                            try:
                                out = fut.result()
                            except BrokenProcessPool:
                                broken.append(sub)
                                continue
                            outcomes[sub] = out
                            bar.update(1)
                            if out.status == "failed":
                                bar.write(
                                    f"FAILED {sub.assignment} for {shown(sub.student)}: "
                                    f"{out.reason}"
                                )
                except KeyboardInterrupt:
                    _stop(pool)
                    raise
                pool.shutdown(wait=True)
                pending = broken
                if broken and attempt == 0:
                    bar.write(f"a grading worker died; grading {len(broken)} submission(s) again")
            for sub in pending:
                out = Outcome(
                    sub.assignment, sub.student, "failed", "a grading worker process died",
                    fingerprint=fps[sub],
                )  # fmt: skip
                ledger.save(out)
                outcomes[sub] = out
    finally:
        sandbox.release_policy(course.coursedir)
    return [outcomes[s] for s in subs]


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now (their kernels die with them): the ledger has no record of what
    they were grading, so a re-run grades it again."""
    for proc in list(getattr(pool, "_processes", {}).values()):
        try:
            proc.terminate()
        except Exception:  # noqa: BLE001
            pass
    pool.shutdown(wait=False, cancel_futures=True)
