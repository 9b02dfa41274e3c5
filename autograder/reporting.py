"""Reporting: per-student grading records, scores from the gradebook, status rows, the
CSV export and the text table. :func:`decide` combines a record and the scores into one
status, so that a failure, a missing file or a tampered notebook is never a real zero."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograder import cells as C
from autograder.course import Course, CourseError, check_id
from autograder.lms import exports
from autograder.lms.gradebook import grade_rows
from autograder.lms.intake import stored_roster
from autograder.lms.rosters import Roster


@dataclass(frozen=True)
class GradeColumn:
    """One graded cell of the assignment, in notebook order."""

    notebook: str
    grade_id: str
    max_score: float


@dataclass
class SubmissionScores:
    """A student's scores: total, per cell, and the cells nbgrader left undecided."""

    score: float
    cells: dict[tuple[str, str], float | None] = field(default_factory=dict)
    needs_manual: list[str] = field(default_factory=list)
    ungraded_tests: list[str] = field(default_factory=list)


def grade_columns(course: Course, assignment: str) -> list[GradeColumn]:
    """The assignment's graded cells in release order, with their points."""
    with Gradebook(course.db_url, course.coursedir.course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"assignment {assignment!r} is not in the gradebook: "
                              f"run `python -m autograder release {assignment}` first") from None
        cells = [(path.stem, C.grade_id(cell)) for path in course.release_notebooks(assignment)
                 for cell in C.read_notebook(path).cells if C.is_grade(cell)]
        return [GradeColumn(stem, gid, float(gb.find_grade_cell(gid, stem, assignment).max_score))
                for stem, gid in cells]


def read_scores(course: Course, assignment: str, students: Iterable[str]
                ) -> dict[str, SubmissionScores]:
    """Scores of every listed student that has a graded submission in the gradebook."""
    found: dict[str, SubmissionScores] = {}
    with Gradebook(course.db_url, course.coursedir.course_id) as gb:
        for student in students:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            scores = found[student] = SubmissionScores(score=float(submission.score))
            for notebook in submission.notebooks:
                answers = {cell.name for cell in notebook.notebook.solution_cells}
                for grade in notebook.grades:
                    given = grade.auto_score is not None or grade.manual_score is not None
                    scores.cells[notebook.name, grade.name] = float(grade.score) if given else None
                    if grade.needs_manual_grade and grade.manual_score is None:
                        if grade.cell.cell_type == "code" and grade.name not in answers:
                            scores.ungraded_tests.append(grade.name)
                        else:
                            scores.needs_manual.append(grade.name)
    return found


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


def load_results(report_dir: Path) -> dict[str, StudentResult]:
    """The stored grading records (``grade.json``), by student."""
    path = report_dir / "grade.json"
    stored = json.loads(path.read_text()) if path.is_file() else {}
    return {sid: StudentResult(**record) for sid, record in stored.items()}


def save_results(report_dir: Path, results: dict[str, StudentResult],
                 forget: Iterable[str] = ()) -> None:
    """Merge ``results`` into the stored records (a partial re-grade keeps the others) and
    drop those of ``forget`` (students whose submission was replaced or removed)."""
    drop = set(forget)
    kept = {k: v for k, v in (load_results(report_dir) | results).items() if k not in drop}
    report_dir.mkdir(parents=True, exist_ok=True)
    tmp = report_dir / "grade.tmp"
    tmp.write_text(json.dumps({k: asdict(v) for k, v in sorted(kept.items())}, indent=2))
    os.replace(tmp, report_dir / "grade.json")


def assignment_roster(course: Course, assignment: str) -> Roster | None:
    """The roster ``collect`` stored for ``assignment``, or None before any collect."""
    stored = (course.rosters_dir() / f"{assignment}.roster").is_file()
    return stored_roster(course.rosters_dir(), assignment) if stored else None


def load_report(course: Course, assignment: str) -> dict | None:
    """The last collect report of ``assignment`` (JSON), if collect has run."""
    path = course.report_dir(assignment) / "collect.json"
    return json.loads(path.read_text()) if path.is_file() else None


def decide(student: str, result: StudentResult | None, scores: SubmissionScores | None,
           missing_reason: str = "") -> Row:
    """The export row of one roster student from its grading record and gradebook scores
    (either None when there is none); ``missing_reason``: why collect found nothing."""
    if result is None:
        if scores is None:
            return Row(student, "missing", missing_reason or "no submission collected")
        return Row(student, "failed", "not graded by this pipeline (run `grade`)")
    notes = "; ".join(result.notes)
    if not result.ok:
        return Row(student, "failed", result.reason or "grading failed", notes)
    if scores is None:
        return Row(student, "failed", "graded, but the gradebook has no scores", notes)
    # the first that applies wins; nbgrader not scoring a test cell is never a zero
    found = [
        ("failed", ["no score for test cell(s) " + ", ".join(scores.ungraded_tests)]
         if scores.ungraded_tests else []),
        ("tampered", result.tampered),
        ("flagged", ["suspicious code: " + f for f in result.flags]),
        ("needs_manual", ["manual grading needed: " + ", ".join(scores.needs_manual)]
         if scores.needs_manual else []),
    ]
    status = next((status for status, why in found if why), "graded")
    return Row(student, status, "; ".join(r for _, why in found for r in why), notes,
               None if scores.ungraded_tests else scores.score, dict(scores.cells))


def table_rows(course: Course, assignment: str, students: list[str]) -> list[Row]:
    """Status rows for ``students`` from the stored records and the gradebook."""
    # whatever older records say, a student without a submission folder has none now
    present = {s for s in students if course.submitted_dir(s, assignment).is_dir()}
    results = load_results(course.report_dir(assignment))
    scores = read_scores(course, assignment, present)
    ambiguous = (load_report(course, assignment) or {}).get("ambiguous", {})
    return [decide(s, results.get(s) if s in present else None, scores.get(s),
                   f"ambiguous submission: {ambiguous[s]}" if s in ambiguous else "")
            for s in students]


def format_table(rows: list[Row], max_score: float, width: int = 60,
                 labels: dict[str, str] | None = None) -> str:
    """A plain-text table: student, status, score, reason (cut at ``width``); then the
    count per status. ``labels``: an extra column (the demo's case names), by student."""
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
    counts = Counter(row.status for row in rows)
    lines += ["-" * len(header), "  ".join(f"{k}: {v}" for k, v in sorted(counts.items()))]
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


def export(course: Course, assignment: str, out: str | Path, students: list[str] | None = None,
           fmt: str = "generic") -> list[Row]:
    """Write the rows of ``students`` (default: the roster) to the CSV ``out`` in the layout
    ``fmt`` (see :data:`autograder.lms.exports.FORMATS`); returns the rows. ``generic`` also
    has ``notes`` and one column per graded cell (``notebook:grade_id`` when several)."""
    check_id("assignment", assignment)
    if fmt not in exports.FORMATS:
        raise CourseError(f"unknown export format {fmt!r}: use one of {', '.join(exports.FORMATS)}")
    columns = grade_columns(course, assignment)
    ids = require_students(course, assignment, students)
    rows = table_rows(course, assignment, ids)
    # the gradebook's rows carry the maximum and late work; the status is the pipeline's
    gradebook = {r.student_id: r for r in grade_rows(course.config, assignment, ids)}
    grades = [replace(gradebook[row.student], score=row.score, status=row.status,
                      reason=row.reason) for row in rows]
    roster = assignment_roster(course, assignment) or Roster(  # none before any collect
        Path("-"), "plain", ["student_id"], [{"student_id": s} for s in ids], "student_id")
    roster = replace(roster, rows=[r for r in roster.rows if r[roster.id_column] in ids])
    if fmt == "generic":
        single = len({c.notebook for c in columns}) <= 1
        names = [c.grade_id if single else f"{c.notebook}:{c.grade_id}" for c in columns]
        exports.write_generic(out, roster, grades, ["notes", *names], {
            row.student: [row.notes, *("" if (v := row.cells.get((c.notebook, c.grade_id)))
                                       is None else f"{v:g}" for c in columns)] for row in rows})
    elif fmt == "moodle":
        exports.write_moodle(out, roster, grades)
    else:  # canvas and blackboard name the assignment's column
        writer = exports.write_canvas if fmt == "canvas" else exports.write_blackboard
        writer(out, roster, grades, assignment)
    return rows
