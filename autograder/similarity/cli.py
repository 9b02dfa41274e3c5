"""``python -m autograder similarity ASSIGNMENT``: the command line of the report.

Reads nbgrader's configuration from the course root, compares the answer cells of
every collected (or autograded) submission and writes the report under
``<data directory>/similarity/<assignment>/``. Exit status 0 when the report was
written; an unusable course or assignment raises ``CourseError`` or ``ValueError``
(the caller prints it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

STEPS = {"submitted": "submitted_directory", "autograded": "autograded_directory"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``similarity`` verb (the course root comes from the main parser)."""
    parser.add_argument("assignment", help="assignment id, e.g. ps1_convolution")
    parser.add_argument(
        "--from", dest="step", choices=sorted(STEPS), default="submitted",
        help="compare the collected notebooks (default) or the autograded ones",
    )
    parser.add_argument(
        "--out", default=None,
        help="folder under which similarity/<assignment>/ is written (default: "
        "c.Similarity.data_directory, grading/ under the course root)",
    )
    parser.add_argument(
        "--scheduler", default=None, metavar="ADDRESS",
        help="run the per-cell work on this Dask scheduler (tcp://host:port); "
        "default: c.Similarity.scheduler, else in this process",
    )


def run(args: argparse.Namespace) -> int:
    """Write the report; prints where it went and the pairs flagged."""
    from autograder.course import Course, check_id
    from autograder.similarity import report as report_mod
    from autograder.similarity.compare import compare_cells, overall
    from autograder.similarity.notebooks import collect_answers
    from autograder.similarity.settings import Similarity

    check_id("assignment", args.assignment)
    course = Course.load(getattr(args, "course_root", None) or ".")
    settings = Similarity(config=course.config)
    params = settings.params()

    started = time.perf_counter()
    collected = collect_answers(course.coursedir, args.assignment, STEPS[args.step])
    client = _client(args.scheduler or settings.scheduler or None)
    try:
        results = compare_cells(collected.tasks, params, client)
    finally:
        if client is not None:
            client.close()
    report = report_mod.Report(
        assignment=args.assignment,
        students=collected.students,
        tasks=collected.tasks,
        results=results,
        overall=overall(results, params.list_threshold),
        problems=collected.problems,
        params=params,
    )
    report.seconds = time.perf_counter() - started
    out = Path(args.out) if args.out else Path(settings.data_directory)
    folder = (out if out.is_absolute() else course.root / out) / "similarity" / args.assignment
    paths = report_mod.write(report, folder)
    flagged = sum(p.similarity >= params.flag_threshold for r in results for p in r.pairs)
    clusters = sum(len(r.clusters) for r in results)
    print(f"compared {len(collected.students)} students on {len(results)} answer cells "
          f"in {report.seconds:.1f} s: {flagged} cell pairs flagged, {clusters} clusters")
    print(f"report: {paths[0]}")
    print(f"pairs:  {paths[1]}")
    return 0


def _client(address: str | None):
    if address is None:
        return None
    try:
        from dask.distributed import Client
    except ImportError as err:
        raise ValueError(f"--scheduler needs dask.distributed ({err})") from None
    return Client(address)
