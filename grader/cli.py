"""``python -m grader <verb> ...``: the course's grading steps on the command line.

Each verb is a function registered with :func:`verb`; it receives the parsed arguments and
returns an exit code. New verbs (``collect``) and options (``autograde --jobs N``) slot in
the same way: add arguments in the decorator's ``arguments`` and handle them in the function.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import SAWarning

from grader.course import ROOT, Course, GradingError, course_config

Handler = Callable[[argparse.Namespace], int]
VERBS: dict[str, tuple[str, list[tuple[tuple, dict]], Handler]] = {}


def verb(name: str, help: str, *arguments: tuple[tuple, dict]) -> Callable[[Handler], Handler]:
    """Register a verb: ``arguments`` are ``(args, kwargs)`` pairs for ``add_argument``."""

    def register(fn: Handler) -> Handler:
        VERBS[name] = (help, list(arguments), fn)
        return fn

    return register


def arg(*args, **kwargs) -> tuple[tuple, dict]:
    return args, kwargs


ASSIGNMENT = arg("assignment", nargs="?", help="one assignment id (default: all)")
STUDENT = arg("--student", help="one student id (default: all students)")


def _say(msg: str) -> None:
    print(msg, flush=True)


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt


@verb(
    "release",
    "regenerate notebooks/ from solutions/ (all assignments, or the ones named)",
    arg("assignments", nargs="*", help="assignment ids (default: all)"),
)
def cmd_release(args: argparse.Namespace) -> int:
    course = Course()
    for name in course.release(args.assignments or None):
        _say(f"released {name} -> {course.directory('release', '.', name).relative_to(ROOT)}")
    return 0


DB = arg(
    "--db",
    metavar="URL",
    help="gradebook URL (default: sqlite:///grader/course/gradebook.db; "
    "postgresql://... lets several graders work at once)",
)


COURSE = arg(
    "--course",
    metavar="DIR",
    help="grade a course directory elsewhere (source/, release/, submitted/, autograded/, "
    "feedback/ and gradebook.db inside it) instead of the repository's",
)


def _course(args: argparse.Namespace) -> Course:
    root = getattr(args, "course", None)
    return Course(course_config(root) if root else None, db=getattr(args, "db", None))


@verb(
    "autograde",
    "grade submissions in grader/course/submitted/<student>/<assignment>/, in parallel and "
    "sandboxed; re-grades only what changed",
    ASSIGNMENT,
    STUDENT,
    arg("--jobs", "-j", type=int, default=None, help="parallel graders (default: CPU cores)"),
    arg("--force", action="store_true", help="grade again even if unchanged since last time"),
    arg("--no-sandbox", action="store_true", help="run student code without the sandbox"),
    arg(
        "--require-sandbox",
        action="store_true",
        help="refuse to grade if the sandbox cannot be set up (default: warn and go on)",
    ),
    arg("--timeout", type=int, default=None, help="seconds per cell (default: from config)"),
    arg("--quiet", action="store_true", help="no progress bar"),
    arg(
        "--shard",
        metavar="K/N",
        help="grade only shard K of N (K = 0 .. N-1): a stable share of the students, the "
        "same on every machine, for a cluster job array (see grader/cluster/)",
    ),
    DB,
    COURSE,
)
def cmd_autograde(args: argparse.Namespace) -> int:
    from grader.cluster import parse_shard

    try:
        shard = parse_shard(args.shard) if args.shard else None
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    course = _course(args)
    if args.timeout:
        course.config.Execute.timeout = args.timeout
    subs = course.submissions(args.assignment, args.student, shard=shard)
    if not subs:
        where = course.directory("submitted")
        _say(f"no submissions found in {where}" + (f" for shard {shard}" if shard else ""))
        return 0 if shard and course.submissions(args.assignment, args.student) else 1
    if shard:
        _say(f"shard {shard}: {len(subs)} submission(s) of {len({s.student for s in subs})} "
             "student(s)")  # fmt: skip
    from grader.parallel import autograde_class, shown

    # a cluster stops a job with SIGTERM (scancel, a deleted pod): stop like on Ctrl-C
    previous = signal.signal(signal.SIGTERM, _terminated)
    use_sandbox = False if args.no_sandbox else (True if args.require_sandbox else None)
    start = time.perf_counter()
    try:
        outcomes = autograde_class(
            course, subs, jobs=args.jobs, force=args.force, use_sandbox=use_sandbox,
            progress=not args.quiet, say=_say,
        )  # fmt: skip
    except KeyboardInterrupt:
        _say("interrupted: grades recorded so far are kept; run the same command to go on")
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    counts = {k: sum(o.status == k for o in outcomes) for k in ("graded", "skipped", "failed")}
    for o in outcomes:
        if o.status == "failed":
            _say(f"FAILED   {o.assignment} for {shown(o.student)}: {o.reason}")
        for flag in o.flags:
            _say(f"FLAGGED  {o.assignment} for {shown(o.student)}: {flag}")
    _say(
        f"{counts['graded']} graded, {counts['skipped']} unchanged (skipped), "
        f"{counts['failed']} failed in {time.perf_counter() - start:.1f} s"
        + ("" if counts["skipped"] == 0 else "; use --force to grade unchanged ones again")
    )
    return 1 if counts["failed"] else 0


@verb(
    "collect",
    "collect submissions from an LMS download (zip) into grader/course/submitted/, safely "
    "(see the README); prints what was collected and refused per student",
    arg("assignment", help="assignment id"),
    arg("archive", help="the zip file of submissions"),
    arg(
        "--regex",
        help="regular expression matched against each path in the zip, with "
        "(?P<student_id>...) and (?P<file_id>...) and optionally (?P<timestamp>...), a "
        "YYYY-MM-DD-hh-mm-ss time in UTC (default: "
        "<student>_[<YYYY-MM-DD-hh-mm-ss>_]<notebook>.ipynb in any folder)",
    ),
    DB,
    COURSE,
)
def cmd_collect(args: argparse.Namespace) -> int:
    """Exit 0 when something was collected and the zip was not refused as a whole."""
    report = _course(args).collect_zip(args.assignment, args.archive, args.regex)
    for line in report.text():
        _say(line)
    return 0 if report.ok else 1


@verb(
    "feedback",
    "write HTML feedback for autograded submissions to grader/course/feedback/ "
    "(failure messages, no hidden tests)",
    ASSIGNMENT,
    STUDENT,
    DB,
    COURSE,
)
def cmd_feedback(args: argparse.Namespace) -> int:
    course = _course(args)
    subs = course.feedback(args.assignment, args.student)
    for sub in subs:
        where = course.directory("feedback", sub.student, sub.assignment)
        _say(f"feedback for {sub.student}: {where}")
    if not subs:
        _say("no autograded submissions: run `python -m grader autograde` first")
    return 0 if subs else 1


@verb(
    "export",
    "write the grade table as CSV (one row per student and assignment, with status and flags)",
    arg("--to", default="grader/course/grades.csv", help="CSV file to write"),
    arg("--assignment", action="append", default=[], help="only this assignment (repeatable)"),
    arg("--student", action="append", default=[], help="only this student (repeatable)"),
    DB,
    COURSE,
)
def cmd_export(args: argparse.Namespace) -> int:
    to = _course(args).export(args.to, args.assignment, args.student)
    _say(f"grades written to {to}")
    return 0


@verb(
    "duedate",
    "set an assignment's due date (late work loses 10 %% of its points per started day)",
    arg("assignment", help="assignment id"),
    arg("when", help='e.g. "2025-03-01 23:59:00 UTC"'),
    DB,
    COURSE,
)
def cmd_duedate(args: argparse.Namespace) -> int:
    _course(args).set_duedate(args.assignment, args.when)
    _say(f"due date of {args.assignment}: {args.when}")
    return 0


@verb(
    "selfcheck",
    "grade your own notebook against the full tests (your file is not changed)",
    arg("path", help="your saved notebook, e.g. notebooks/00_x/00_x.ipynb"),
)
def cmd_selfcheck(args: argparse.Namespace) -> int:
    from grader.selfcheck import selfcheck

    _say(f"grading {args.path} (this takes a few seconds) ...")
    try:
        report = selfcheck(Path(args.path))
    except GradingError as err:
        _say(f"self-check could not grade the notebook:\n{err}")
        return 0
    _say(str(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader",
        description="Grading tools of the Vanishing Gradients course (a wrapper around nbgrader).",
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for name, (help_text, arguments, _) in VERBS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        for a, kw in arguments:
            p.add_argument(*a, **kw)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # nbgrader's gradebook code trips SQLAlchemy warnings that say nothing to a user
    warnings.filterwarnings("ignore", category=SAWarning)
    _, _, handler = VERBS[args.verb]
    try:
        return handler(args)
    except GradingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
