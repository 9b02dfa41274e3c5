"""Collect: an LMS download folder in, nbgrader's submitted folders out (through
:mod:`autograder.lms`), keeping the assignment's roster and the collect report, and
dropping the grading records of students whose submission was replaced or removed."""

from __future__ import annotations

import json
from pathlib import Path

from autograder.course import Course, check_id
from autograder.lms.errors import LmsError
from autograder.lms.intake import Collected, collect_downloads, store_roster
from autograder.lms.rosters import load_roster
from autograder.reporting import save_results


def collect(course: Course, assignment: str, downloads: str | Path, roster_file: str | Path,
            id_column: str | None = None) -> Collected:
    """Place every roster student's notebook (and submission time) for nbgrader, from the
    folder the LMS handed over (its zip may stay unopened inside); raises :class:`LmsError`
    when the roster is unusable or nothing could be placed (naming the column tried)."""
    check_id("assignment", assignment)
    roster = load_roster(roster_file, id_column=id_column)
    notebooks = [p.stem for p in course.release_notebooks(assignment)]
    result = collect_downloads(course.root, course.config, assignment, downloads, roster, notebooks)
    store_roster(roster, course.rosters_dir(), assignment)
    folder = course.report_dir(assignment)
    save_results(folder, {}, forget=result.replaced + result.dropped)
    (folder / "collect.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    if not result.report.placed:  # all ambiguous or refused: nothing to grade
        raise LmsError(f"nothing placed for {assignment}: {result.report.column.describe()}; "
                       f"the report is in {folder / 'collect.json'}")
    return result
