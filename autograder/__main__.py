"""``python -m autograder <verb>``: the instructor's command line (see ``--help``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from traitlets.config import Config

from autograder import release as release_step
from autograder.collect import collect
from autograder.course import Course, CourseError
from autograder.feedback import feedback
from autograder.lms.courseroot import add_course_root_option, find_course_root, in_course_root
from autograder.lms.exports import FORMATS
from autograder.reporting import export, format_table
from autograder.similarity import cli as similarity_cli

ASSIGNMENT = ("assignment", {})
NO_PROGRESS = ("--no-progress", {"action": "store_true", "help": "no progress bar"})
# verb -> (help, its arguments as (name, add_argument's keywords)); None: its own
VERBS: dict[str, tuple[str, list[tuple[str, dict]] | None]] = {
    "release": ("generate the student release (forced, verified)", [
        ("assignments", dict(nargs="*", metavar="ASSIGNMENT",
                             help="assignment ids (default: all in the source folder)")),
    ]),
    "collect": ("place LMS downloads where nbgrader expects them", [
        ASSIGNMENT,
        ("downloads", dict(help="folder as the learning-management system hands it over")),
        ("--roster", dict(
            required=True,
            help="this assignment's roster: a CSV with student_id, or the LMS's gradebook "
            "export (Canvas), grading worksheet (Moodle), Grade Center download (Blackboard)")),
        ("--id-column", dict(metavar="COL",
                             help="roster column holding the student ids (default: by layout)")),
    ]),
    "grade": ("autograde collected submissions in parallel", [
        ASSIGNMENT,
        ("--student", dict(action="append", metavar="ID",
                           help="grade only this student (repeatable)")),
        ("--workers", dict(type=int,
                           help="workers of the Dask LocalCluster (default: one per CPU core)")),
        ("--scheduler", dict(metavar="tcp://HOST:PORT",
                             help="grade on a running Dask cluster (default: "
                             "c.Autograder.scheduler; empty: a LocalCluster on this machine)")),
        ("--unsafe-no-sandbox", dict(action="store_true",
                                     help="run student code without bubblewrap (only where it "
                                     "cannot work; every exported row says so)")),
        ("--cell-timeout", dict(type=float,
                                help="seconds per cell (default: c.Autograder.cell_timeout, 30)")),
        NO_PROGRESS,
    ]),
    "export": ("write the scores CSV, one row per roster student", [
        ASSIGNMENT,
        ("--format", dict(default="generic", choices=FORMATS,
                          help="generic CSV (status, late work, reasons) or the file an LMS "
                          "imports (default: generic)")),
        ("--out", dict(help="CSV file to write (default: grading/work/exports/"
                       "ASSIGNMENT-FORMAT.csv)")),
    ]),
    "feedback": ("write per-student HTML feedback", [
        ASSIGNMENT, ("--student", dict(action="append", metavar="ID")), NO_PROGRESS,
    ]),
    "similarity": ("report answers that are near-copies of each other", None),
    "demo": ("run the whole pipeline on a synthetic class", [
        ("--assignment", dict(
            default="ps1_convolution", help="assignment whose source is copied (default: "
            "ps1_convolution; the built-in toy assignment if its source is missing)")),
        ("--workdir", dict(help="folder for the throw-away course, downloads and scores "
                           "(default: grading/demo, replaced on every run)")),
        ("--workers", dict(type=int)),
        ("--unsafe-no-sandbox", dict(action="store_true")),
    ]),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=(
        "Grade the course's nbgrader assignments: collect, grade, export, feedback. Run "
        "inside the course (the folder with nbgrader_config.py, or one below it) or pass "
        "--course-root DIR."))
    add_course_root_option(parser)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb, (text, arguments) in VERBS.items():
        p = verbs.add_parser(verb, help=text)
        if arguments is None:
            similarity_cli.add_arguments(p)
        for name, keywords in arguments or []:
            p.add_argument(name, **keywords)
        add_course_root_option(p, verb=True)
    return parser


def _verb(args: argparse.Namespace, course: Course) -> list[str]:
    """Carry out a verb on the course; returns the lines to print."""
    if args.verb == "release":
        paths = release_step.release(args.assignments or None, course.root)
        return [f"released {path}" for path in paths]
    if args.verb == "collect":
        return collect(course, args.assignment, args.downloads, args.roster,
                       args.id_column).summary_lines()
    if args.verb == "export":
        out = args.out or course.data_dir / "exports" / f"{args.assignment}-{args.format}.csv"
        rows = export(course, args.assignment, out, fmt=args.format)
        return [f"wrote {len(rows)} rows ({args.format}) to {out}"]
    if args.verb == "feedback":
        pages = feedback(course, args.assignment, args.student, progress=not args.no_progress)
        return [f"wrote {len(pages)} feedback pages under "
                f"{course.step_root(course.coursedir.feedback_directory)}"]
    from autograder.grade.verb import grade, mode_line, sandbox_mode

    print(f"mode: {mode_line(sandbox_mode(args.unsafe_no_sandbox))}", flush=True)
    result = grade(course, args.assignment, args.student, args.workers,
                   progress=not args.no_progress, scheduler=args.scheduler,
                   unsafe=args.unsafe_no_sandbox)
    return [format_table(result.rows, result.max_score),
            f"graded in {result.seconds:g} s; mode: {mode_line(result.mode)}"]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.verb == "demo":
            from autograder.demo import main as demo  # grading on Dask: imported when used

            return demo(args.workdir, args.assignment, args.workers, args.unsafe_no_sandbox)
        root = find_course_root(args.course_root)
        for name in ("downloads", "roster", "out"):  # paths given relative to where we stand
            if getattr(args, name, None):
                setattr(args, name, str(Path(getattr(args, name)).resolve()))
        timeout, workers = getattr(args, "cell_timeout", None), getattr(args, "workers", None)
        if timeout is not None and timeout <= 0:
            raise CourseError(f"--cell-timeout must be positive, got {timeout:g}")
        if workers is not None and workers < 1:
            raise CourseError(f"--workers must be at least 1, got {workers}")
        with in_course_root(root):  # nbgrader reads and writes relative to the course root
            if args.verb == "similarity":
                args.course_root = str(root)
                return similarity_cli.run(args)
            overrides = {} if timeout is None else {"Autograder": {"cell_timeout": timeout}}
            course = Course.load(root, Config(overrides))  # a clear error if not the root
            print("\n".join(_verb(args, course)))
        return 0
    except (CourseError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
