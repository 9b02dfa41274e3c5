"""The ``export`` verb: one CSV row per roster student, with a status that explains it."""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.course import Course, check_id
from autograder.grade import require_students, table_rows
from autograder.results import Row
from autograder.scores import grade_columns

FIXED_COLUMNS = ["student_id", "status", "score", "max_score", "reason", "notes"]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def export(course: Course, assignment: str, out: str | Path,
           students: list[str] | None = None) -> list[Row]:
    """Write the scores of ``assignment`` to ``out`` (CSV) and return the rows.

    Columns: ``student_id``, ``status`` (graded, failed, needs_manual, tampered,
    flagged, missing), ``score`` (empty when there is none: failed or missing),
    ``max_score``, ``reason`` (why the status is not ``graded``), ``notes`` (what the
    autograder had to do: timeouts, restarted kernels, cut output), then one column
    per graded cell (``notebook:grade_id`` when the assignment has several notebooks).

    Parameters
    ----------
    course : Course
        The loaded course.
    assignment : str
        Assignment id.
    out : path
        The CSV file to write (its folder is created).
    students : list of str, optional
        Rows for these students only; default: the roster saved by ``collect``.
    """
    check_id("assignment", assignment)
    columns = grade_columns(course, assignment)
    single = len({c.notebook for c in columns}) <= 1
    max_score = sum(c.max_score for c in columns)
    rows = table_rows(course, assignment, require_students(course, assignment, students))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIXED_COLUMNS + [c.header(single) for c in columns])
        for row in rows:
            cells = [_number(row.cells.get((c.notebook, c.grade_id))) for c in columns]
            writer.writerow([row.student, row.status, _number(row.score), _number(max_score),
                             row.reason, row.notes, *cells])
    return rows
