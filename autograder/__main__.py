"""``python -m autograder <verb>``: the instructor's command line (see ``--help``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from traitlets.config import Config

from autograder.course import Course, CourseError
from autograder.lms.courseroot import add_course_root_option, find_course_root, in_course_root
from autograder.lms.exports import FORMATS
from autograder.similarity import cli as similarity_cli

EXIT_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Grade the course's nbgrader assignments: collect, grade, export, "
        "feedback. Run inside the course (the folder with nbgrader_config.py, or one "
        "below it) or pass --course-root DIR.",
    )
    add_course_root_option(parser)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("release", help="generate the student release (forced, verified)")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="assignment ids (default: all in the source folder)")

    p = verbs.add_parser("collect", help="place LMS downloads where nbgrader expects them")
    p.add_argument("assignment")
    p.add_argument("downloads", help="folder as the learning-management system hands it over")
    p.add_argument("--roster", required=True,
                   help="this assignment's roster: a CSV with student_id, or the LMS's "
                   "gradebook export (Canvas), grading worksheet (Moodle), Grade Center "
                   "download (Blackboard)")
    p.add_argument("--id-column", default=None, metavar="COL",
                   help="roster column holding the student ids (default: by layout)")

    p = verbs.add_parser("grade", help="autograde collected submissions in parallel")
    p.add_argument("assignment")
    p.add_argument("--student", action="append", default=None, metavar="ID",
                   help="grade only this student (repeatable)")
    p.add_argument("--workers", type=int, default=None,
                   help="workers of the Dask LocalCluster (default: one per CPU core)")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="grade on a running Dask cluster (default: c.Autograder.scheduler; "
                   "empty: a LocalCluster on this machine)")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run student code without bubblewrap (only where it cannot work; "
                   "every exported row says so)")
    p.add_argument("--cell-timeout", type=float, default=None,
                   help="seconds per cell (default: c.Autograder.cell_timeout, 30)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = verbs.add_parser("export", help="write the scores CSV, one row per roster student")
    p.add_argument("assignment")
    p.add_argument("--format", default="generic", choices=FORMATS,
                   help="generic CSV (status, late work, reasons) or the file an LMS "
                   "imports (default: generic)")
    p.add_argument("--out", default=None,
                   help="CSV file to write (default: grading/work/exports/"
                   "ASSIGNMENT-FORMAT.csv)")

    p = verbs.add_parser("feedback", help="write per-student HTML feedback")
    p.add_argument("assignment")
    p.add_argument("--student", action="append", default=None, metavar="ID")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = verbs.add_parser("similarity", help="report answers that are near-copies of each other")
    similarity_cli.add_arguments(p)

    p = verbs.add_parser("demo", help="run the whole pipeline on a synthetic class")
    p.add_argument("--assignment", default="ps1_convolution",
                   help="assignment whose source is copied (default: ps1_convolution; the "
                   "built-in toy assignment if its source is missing)")
    p.add_argument("--workdir", default=None,
                   help="folder for the throw-away course, downloads and scores "
                   "(default: grading/demo, replaced on every run)")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--unsafe-no-sandbox", action="store_true")
    for verb_parser in verbs.choices.values():
        add_course_root_option(verb_parser, verb=True)
    return parser


def _overrides(args: argparse.Namespace) -> dict:
    settings = {}
    if getattr(args, "cell_timeout", None) is not None:
        if args.cell_timeout <= 0:
            raise CourseError(f"--cell-timeout must be positive, got {args.cell_timeout:g}")
        settings["cell_timeout"] = args.cell_timeout
    return {"Autograder": settings} if settings else {}


def run(args: argparse.Namespace) -> int:
    """Carry out one verb; returns the exit status."""
    if args.verb == "demo":
        from autograder.demo import main as demo_main

        return demo_main(args.workdir, args.assignment, args.workers, args.unsafe_no_sandbox)
    root = find_course_root(args.course_root)
    for name in ("downloads", "roster", "out"):  # paths given relative to where we stand
        if getattr(args, name, None):
            setattr(args, name, str(Path(getattr(args, name)).resolve()))
    with in_course_root(root):  # nbgrader reads and writes relative to the course root
        if args.verb == "release":
            return _release(args, root)
        if args.verb == "similarity":
            args.course_root = str(root)
            return similarity_cli.run(args)
        overrides = _overrides(args)
        return _verb(args, Course.load(root, Config(overrides) if overrides else None))


def _verb(args: argparse.Namespace, course: Course) -> int:
    if args.verb == "collect":
        from autograder.collect import collect

        result = collect(course, args.assignment, args.downloads, args.roster, args.id_column)
        print("\n".join(result.summary_lines()))
    elif args.verb == "grade":
        from autograder.grade import grade, mode_line, sandbox_mode
        from autograder.reporting import format_table

        if args.workers is not None and args.workers < 1:
            raise CourseError(f"--workers must be at least 1, got {args.workers}")
        print(f"mode: {mode_line(sandbox_mode(args.unsafe_no_sandbox))}", flush=True)
        result = grade(course, args.assignment, args.student, args.workers,
                       progress=not args.no_progress, scheduler=args.scheduler,
                       unsafe=args.unsafe_no_sandbox)
        print(format_table(result.rows, result.max_score))
        print(f"graded in {result.seconds:g} s; mode: {mode_line(result.mode)}")
    elif args.verb == "export":
        from autograder.reporting import export

        out = args.out or course.data_dir / "exports" / f"{args.assignment}-{args.format}.csv"
        rows = export(course, args.assignment, out, fmt=args.format)
        print(f"wrote {len(rows)} rows ({args.format}) to {out}")
    elif args.verb == "feedback":
        from autograder.feedback import feedback

        pages = feedback(course, args.assignment, args.student, progress=not args.no_progress)
        print(f"wrote {len(pages)} feedback pages under "
              f"{course.step_root(course.coursedir.feedback_directory)}")
    return 0


def _release(args: argparse.Namespace, root: Path) -> int:
    try:
        from autograder.release import release
    except ImportError as err:
        raise CourseError(
            f"the release step is not available ({err}); autograder/release.py provides it"
        ) from None
    Course.load(root)  # a clear error when this is not the course root
    for path in release(args.assignments or None, course_root=root):
        print(f"released {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except (CourseError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
