"""The few things the LMS layer asks of nbgrader's gradebook.

Due dates go in as nbgrader's ``Assignment.duedate``; a re-collected student's old
submission (and its scores) is removed; scores, late seconds and late penalties come
back out as :class:`autograder.lms.exports.GradeRow` for the export writers.
"""

from __future__ import annotations

from datetime import datetime

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from autograder.lms.exports import GradeRow
from autograder.lms.late import duedate as configured_duedate
from autograder.lms.late import settings


def _open(config: Config) -> Gradebook:
    """nbgrader's gradebook of the course, found the way nbgrader finds it."""
    coursedir = CourseDirectory(config=config)
    return Gradebook(coursedir.db_url, coursedir.course_id)


def set_duedates(config: Config, assignments: list[str] | None = None) -> dict[str, datetime]:
    """Write ``c.Lms.duedates`` into the gradebook (nbgrader's own due dates).

    Run it before autograding: nbgrader compares each ``timestamp.txt`` with this date.
    Returns the dates written (naive UTC).
    """
    written = {}
    names = assignments if assignments is not None else list(settings(config).duedates)
    with _open(config) as gb:
        for name in names:
            due = configured_duedate(config, name)
            if due is not None:
                gb.update_or_create_assignment(name, duedate=due)
                written[name] = due
    return written


def forget_submission(config: Config, assignment: str, student: str) -> bool:
    """Remove one student's graded submission of ``assignment`` from the gradebook.

    Call it for every student a re-collect replaces or drops, so that no old score
    survives. Returns whether there was one.
    """
    with _open(config) as gb:
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            return False
    return True


def grade_rows(config: Config, assignment: str, students: list[str]) -> list[GradeRow]:
    """Scores, late seconds and nbgrader's late penalty of each student, from the gradebook.

    A student without a submission is ``missing``; one whose notebook waits for a hand
    grade is ``needs_manual`` with the points given so far. The pipeline's own statuses
    (failed, tampered, flagged) are richer; it builds its rows itself and uses this for
    the late columns.
    """
    rows = []
    with _open(config) as gb:
        max_score = gb.find_assignment(assignment).max_score
        for sid in students:
            try:
                sub = gb.find_submission(assignment, sid)
            except MissingEntry:
                rows.append(GradeRow(sid, None, max_score, "missing",
                                     reason="no submission in the gradebook"))
                continue
            status = "needs_manual" if sub.needs_manual_grade else "graded"
            late = sub.total_seconds_late
            rows.append(GradeRow(
                sid, sub.score, max_score, status,
                minutes_late=late / 60.0 if late else None,
                penalty=sub.late_submission_penalty if late else None,
            ))
    return rows
