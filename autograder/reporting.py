"""Reporting: per-student records, scores from the gradebook, status rows, the CSV.

A grading run stores, for each student, what the pipeline itself learned (failure
reason, tampering, scan findings, what the grader had to do); the gradebook stores
the scores. :func:`decide` combines both into one status, so that a failure, a
missing file or a tampered notebook is never confused with a real zero; ``export``
writes one CSV row per roster student and ``format_table`` the text table.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograder import cells as C
from autograder.course import Course, CourseError, check_id
from autograder.lms.exports import (
    FORMATS,
    GradeRow,
    write_blackboard,
    write_canvas,
    write_generic,
    write_moodle,
)
from autograder.lms.gradebook import grade_rows
from autograder.lms.intake import stored_roster
from autograder.lms.rosters import Roster


@dataclass(frozen=True)
class GradeColumn:
    """One graded cell of the assignment, in notebook order."""

    notebook: str
    grade_id: str
    max_score: float

    def header(self, single_notebook: bool) -> str:
        return self.grade_id if single_notebook else f"{self.notebook}:{self.grade_id}"


@dataclass
class SubmissionScores:
    """A student's scores: total, per cell, and the cells nbgrader left undecided."""

    score: float
    cells: dict[tuple[str, str], float | None] = field(default_factory=dict)
    needs_manual: list[str] = field(default_factory=list)
    ungraded_tests: list[str] = field(default_factory=list)


def grade_columns(course: Course, assignment: str) -> list[GradeColumn]:
    """The assignment's graded cells in release order, with their points."""
    columns = []
    with Gradebook(course.db_url, course.coursedir.course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(
                f"assignment {assignment!r} is not in the gradebook: "
                f"run `python -m autograder release {assignment}` first"
            ) from None
        for path in course.release_notebooks(assignment):
            nb = C.read_notebook(path)
            for cell in nb.cells:
                if C.is_grade(cell):
                    gid = C.grade_id(cell)
                    max_score = gb.find_grade_cell(gid, path.stem, assignment).max_score
                    columns.append(GradeColumn(path.stem, gid, float(max_score)))
    return columns


def read_scores(
    course: Course, assignment: str, students: list[str]
) -> dict[str, SubmissionScores]:
    """Scores of every listed student that has a graded submission in the gradebook."""
    found: dict[str, SubmissionScores] = {}
    with Gradebook(course.db_url, course.coursedir.course_id) as gb:
        for student in students:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            scores = SubmissionScores(score=float(submission.score))
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    key = (notebook.name, grade.name)
                    undecided = grade.auto_score is None and grade.manual_score is None
                    scores.cells[key] = None if undecided else float(grade.score)
                    if grade.needs_manual_grade and grade.manual_score is None:
                        if grade.cell.cell_type == "code" and not _is_answer(gb, grade, assignment):
                            scores.ungraded_tests.append(grade.name)
                        else:
                            scores.needs_manual.append(grade.name)
            found[student] = scores
    return found


def _is_answer(gb: Gradebook, grade, assignment: str) -> bool:
    try:
        gb.find_solution_cell(grade.name, grade.notebook.name, assignment)
    except MissingEntry:
        return False
    return True


STATUSES = ("graded", "failed", "needs_manual", "tampered", "flagged", "missing")


@dataclass
class StudentResult:
    """What grading one student's submission produced (scores live in the gradebook)."""

    student: str
    ok: bool = False
    reason: str = ""
    tampered: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @classmethod
    def failed(cls, student: str, reason: str, **kw) -> StudentResult:
        return cls(student, ok=False, reason=reason, **kw)


@dataclass
class Row:
    """One line of the export: status and the reason behind it."""

    student: str
    status: str
    reason: str = ""
    notes: str = ""
    score: float | None = None
    cells: dict[tuple[str, str], float | None] = field(default_factory=dict)


def results_path(report_dir: Path) -> Path:
    return report_dir / "grade.json"


def load_results(report_dir: Path) -> dict[str, StudentResult]:
    path = results_path(report_dir)
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return {sid: StudentResult(**rec) for sid, rec in data.items()}


def save_results(report_dir: Path, results: dict[str, StudentResult]) -> None:
    """Merge ``results`` into the stored records (a partial re-grade keeps the others)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    merged = load_results(report_dir)
    merged.update(results)
    path = results_path(report_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({k: asdict(v) for k, v in sorted(merged.items())}, indent=2))
    os.replace(tmp, path)


def forget_results(report_dir: Path, students: list[str]) -> None:
    """Drop the records of ``students`` (their submission was replaced or removed)."""
    kept = load_results(report_dir)
    if any(s in kept for s in students):
        path = results_path(report_dir)
        data = {k: asdict(v) for k, v in sorted(kept.items()) if k not in students}
        path.write_text(json.dumps(data, indent=2))


def rosters_dir(course: Course) -> Path:
    """Where ``collect`` keeps one roster per assignment."""
    return course.data_dir / "rosters"


def assignment_roster(course: Course, assignment: str) -> Roster | None:
    """The roster ``collect`` stored for ``assignment``, or None before any collect."""
    if not (rosters_dir(course) / f"{assignment}.roster").is_file():
        return None
    return stored_roster(rosters_dir(course), assignment)


def load_report(course: Course, assignment: str) -> dict | None:
    """The last collect report of ``assignment`` (JSON), if collect has run."""
    path = course.report_dir(assignment) / "collect.json"
    return json.loads(path.read_text()) if path.is_file() else None


def decide(
    student: str,
    result: StudentResult | None,
    scores: SubmissionScores | None,
    missing_reason: str = "",
) -> Row:
    """The export row of one roster student.

    Parameters
    ----------
    student : str
        Student id.
    result : StudentResult or None
        The last grading record (None: never graded).
    scores : SubmissionScores or None
        The gradebook's scores (None: no submission there).
    missing_reason : str
        Why collect found nothing, when it did not.
    """
    if result is None:
        if scores is None:
            return Row(student, "missing", missing_reason or "no submission collected")
        return Row(student, "failed", "not graded by this pipeline (run `grade`)")
    notes = "; ".join(result.notes)
    if not result.ok:
        return Row(student, "failed", result.reason or "grading failed", notes)
    if scores is None:
        return Row(student, "failed", "graded, but the gradebook has no scores", notes)
    row = Row(student, "graded", "", notes, scores.score, dict(scores.cells))
    reasons = []
    if scores.ungraded_tests:
        # nbgrader could not score a test cell: never report that as a zero
        row.status = "failed"
        reasons.append("no score for test cell(s) " + ", ".join(scores.ungraded_tests))
        row.score = None
    if result.tampered:
        row.status = row.status if row.status == "failed" else "tampered"
        reasons += result.tampered
    if result.flags:
        row.status = row.status if row.status != "graded" else "flagged"
        reasons += ["suspicious code: " + f for f in result.flags]
    if scores.needs_manual:
        row.status = row.status if row.status != "graded" else "needs_manual"
        reasons.append("manual grading needed: " + ", ".join(scores.needs_manual))
    row.reason = "; ".join(reasons)
    return row


def table_rows(course: Course, assignment: str, students: list[str]) -> list[Row]:
    """Status rows for ``students`` from the stored records and the gradebook."""
    results = load_results(course.report_dir(assignment))
    scores = read_scores(course, assignment, students)
    collected = load_report(course, assignment)
    rows = []
    for student in students:
        missing = ""
        if collected is not None and student in collected.get("ambiguous", {}):
            missing = "ambiguous submission: " + collected["ambiguous"][student]
        if not course.submitted_dir(student, assignment).is_dir():
            # whatever older records say, there is no submission now
            rows.append(decide(student, None, None, missing))
            continue
        rows.append(decide(student, results.get(student), scores.get(student), missing))
    return rows


def format_table(rows: list[Row], max_score: float, width: int = 60,
                 labels: dict[str, str] | None = None) -> str:
    """A plain-text table: student, status, score, reason; then the count per status.

    Parameters
    ----------
    rows : list of Row
        From :func:`table_rows`.
    max_score : float
        The assignment's maximum.
    width : int
        Longest reason shown (longer ones are cut).
    labels : dict, optional
        An extra column (the demo's case names), by student id.
    """
    extra = max((len(v) for v in (labels or {}).values()), default=0)
    head = f"{'student':<10} " + (f"{'case':<{extra}} " if labels else "")
    header = head + f"{'status':<12} {'score':>9}  reason / notes"
    lines = [header, "-" * len(header)]
    for row in rows:
        score = "" if row.score is None else f"{row.score:g}/{max_score:g}"
        why = "; ".join(t for t in (row.reason, row.notes) if t)
        if len(why) > width:
            why = why[: width - 3] + "..."
        label = f"{labels.get(row.student, ''):<{extra}} " if labels else ""
        lines.append(f"{row.student:<10} {label}{row.status:<12} {score:>9}  {why}")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    lines.append("-" * len(header))
    lines.append("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    return "\n".join(lines)


def require_students(course: Course, assignment: str, students: list[str] | None) -> list[str]:
    """The students a report covers: those named, else the assignment's roster stored by
    collect, else everyone graded so far."""
    if students:
        return students
    roster = assignment_roster(course, assignment)
    if roster is not None:
        return roster.ids
    graded = sorted(load_results(course.report_dir(assignment)))
    if not graded:
        raise CourseError(f"nothing known about {assignment!r} yet: run collect and grade first")
    return graded


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def export(course: Course, assignment: str, out: str | Path, students: list[str] | None = None,
           fmt: str = "generic") -> list[Row]:
    """Write the scores of ``assignment`` to ``out`` in an LMS's layout; return the rows.

    ``generic`` (:func:`autograder.lms.exports.write_generic`): ``student_id``, ``name``,
    ``status`` (graded, failed, needs_manual, tampered, flagged, missing), ``score``
    (after the late penalty; EMPTY when there is none: failed or missing), ``max_score``,
    ``late``, ``late_minutes``, ``late_penalty``, ``reason``, then ``notes`` (what the
    autograder had to do: timeouts, restarted kernels, cut output) and one column per
    graded cell (``notebook:grade_id`` when the assignment has several notebooks).
    ``canvas``, ``moodle``, ``blackboard``: the file that LMS imports, built from the
    roster it exported (see ``autograder/README.md``).

    Parameters
    ----------
    course : Course
        The loaded course.
    assignment : str
        Assignment id.
    out : path
        The CSV file to write (its folder is created).
    students : list of str, optional
        Rows for these students only (generic format); default: the assignment's roster.
    fmt : str
        One of :data:`FORMATS`.
    """
    check_id("assignment", assignment)
    if fmt not in FORMATS:
        raise CourseError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    columns = grade_columns(course, assignment)
    single = len({c.notebook for c in columns}) <= 1
    max_score = sum(c.max_score for c in columns)
    ids = require_students(course, assignment, students)
    rows = table_rows(course, assignment, ids)
    late = {r.student_id: r for r in grade_rows(course.config, assignment, ids)}
    grades = [GradeRow(row.student, row.score, max_score, row.status,
                       late[row.student].minutes_late, late[row.student].penalty,
                       row.reason) for row in rows]
    roster = assignment_roster(course, assignment)
    if roster is None:
        roster = Roster(path=Path("-"), lms="plain", id_column="student_id",
                        columns=["student_id"], rows=[{"student_id": s} for s in ids])
    elif students:
        roster = replace(roster, rows=[r for r in roster.rows if r[roster.id_column] in ids])
    if fmt == "generic":
        extra = {row.student: [row.notes, *(_number(row.cells.get((c.notebook, c.grade_id)))
                                            for c in columns)] for row in rows}
        write_generic(out, roster, grades, ["notes", *(c.header(single) for c in columns)],
                      extra)
    elif fmt == "canvas":
        write_canvas(out, roster, grades, assignment)
    elif fmt == "moodle":
        write_moodle(out, roster, grades)
    else:
        write_blackboard(out, roster, grades, assignment)
    return rows

