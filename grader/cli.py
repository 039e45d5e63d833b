"""``python -m grader <verb> ...``: the course's grading steps on the command line.

Each verb is a function registered with :func:`verb`; it receives the parsed arguments and
returns an exit code. New verbs (``collect``) and options (``autograde --jobs N``) slot in
the same way: add arguments in the decorator's ``arguments`` and handle them in the function.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import SAWarning

from grader.course import ROOT, Course, GradingError

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


@verb(
    "autograde",
    "grade submissions in grader/course/submitted/<student>/<assignment>/",
    ASSIGNMENT,
    STUDENT,
)
def cmd_autograde(args: argparse.Namespace) -> int:
    course = Course()
    subs = course.submissions(args.assignment, args.student)
    if not subs:
        _say(f"no submissions found in {course.directory('submitted')}")
        return 1
    failed = 0
    for sub in subs:
        start = time.perf_counter()
        try:
            course.autograde_one(sub)
        except GradingError as err:
            failed += 1
            _say(f"FAILED {sub.assignment} for {sub.student}:\n{err}")
            continue
        _say(f"autograded {sub.assignment} for {sub.student} ({time.perf_counter() - start:.1f} s)")
    return 1 if failed else 0


@verb(
    "feedback",
    "write HTML feedback for autograded submissions to grader/course/feedback/",
    ASSIGNMENT,
    STUDENT,
)
def cmd_feedback(args: argparse.Namespace) -> int:
    course = Course()
    subs = course.feedback(args.assignment, args.student)
    for sub in subs:
        _say(
            f"feedback for {sub.student}: "
            f"{course.directory('feedback', sub.student, sub.assignment).relative_to(ROOT)}"
        )
    if not subs:
        _say("no autograded submissions: run `python -m grader autograde` first")
    return 0 if subs else 1


@verb(
    "export",
    "write the grade table as CSV",
    arg("--to", default="grader/course/grades.csv", help="CSV file to write"),
    arg("--assignment", action="append", default=[], help="only this assignment (repeatable)"),
    arg("--student", action="append", default=[], help="only this student (repeatable)"),
)
def cmd_export(args: argparse.Namespace) -> int:
    to = Course().export(args.to, args.assignment, args.student)
    _say(f"grades written to {to}")
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
