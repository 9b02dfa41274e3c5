"""Collect: an LMS download folder in, nbgrader's submitted folders out.

All the LMS knowledge is in :mod:`autograder.lms`; this module calls it for one
assignment and keeps what the pipeline needs afterwards: the assignment's roster, the
collect report (``collect.json``) and no stale grading record of a student whose
submission was replaced or dropped.
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder.course import Course, check_id
from autograder.lms.errors import LmsError
from autograder.lms.intake import Collected, collect_downloads, store_roster
from autograder.lms.rosters import load_roster
from autograder.reporting import forget_results, rosters_dir


def collect(course: Course, assignment: str, downloads: str | Path, roster_file: str | Path,
            id_column: str | None = None) -> Collected:
    """Place every roster student's notebook (and submission time) for nbgrader.

    Parameters
    ----------
    course : Course
        The loaded course.
    assignment : str
        Assignment id; its release notebooks give the expected file names.
    downloads : path
        The folder the LMS handed over (its zip may stay unopened inside).
    roster_file : path
        A plain CSV with ``student_id``, or the LMS's gradebook export / worksheet.
    id_column : str, optional
        The roster column holding nbgrader's student ids (default: chosen by layout).

    Raises
    ------
    LmsError
        When the roster is unusable, or no notebook could be placed (the message names
        the roster column that was tried).
    """
    check_id("assignment", assignment)
    roster = load_roster(roster_file, id_column=id_column)
    notebooks = [p.stem for p in course.release_notebooks(assignment)]
    result = collect_downloads(course.root, course.config, assignment, downloads, roster,
                               notebooks)
    store_roster(roster, rosters_dir(course), assignment)
    folder = course.report_dir(assignment)
    forget_results(folder, result.replaced + result.dropped)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "collect.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    if not result.report.placed:  # all ambiguous or refused: nothing to grade
        raise LmsError(f"nothing placed for {assignment}: {result.report.column.describe()}; "
                       f"the report is in {folder / 'collect.json'}")
    return result
