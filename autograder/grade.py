"""The ``grade`` verb: check, stage and autograde submissions in parallel, then report."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from autograder.collect import load_report
from autograder.course import Course, CourseError, check_id
from autograder.prepare import Release, prepare
from autograder.results import Row, StudentResult, decide, load_results, save_results
from autograder.sandbox import Isolation, choose_isolation
from autograder.scores import grade_columns, read_scores


@dataclass
class GradeRun:
    """The outcome of one ``grade`` call."""

    assignment: str
    results: dict[str, StudentResult] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    max_score: float = 0.0
    isolation: Isolation = field(default_factory=lambda: Isolation("none"))
    seconds: float = 0.0
    finished: set[str] = field(default_factory=set)


def submitted_students(course: Course, assignment: str) -> list[str]:
    """Students with a collected submission folder for ``assignment``."""
    root = course.step_root(course.coursedir.submitted_directory)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / assignment).is_dir())


def grade(
    course: Course,
    assignment: str,
    students: list[str] | None = None,
    workers: int | None = None,
    overrides: dict | None = None,
    progress: bool = True,
) -> GradeRun:
    """Autograde ``students`` (default: everyone collected) of ``assignment``.

    Parameters
    ----------
    course : Course
        The loaded course.
    assignment : str
        Assignment id (must be released: it has to be in the gradebook).
    students : list of str, optional
        Only these students.
    workers : int, optional
        Parallel worker processes (default: the setting, else one per core).
    overrides : dict, optional
        Configuration overrides passed on to the workers (``{"Autograder": {...}}``).
    progress : bool
        Show a progress bar with an ETA on stderr.
    """
    check_id("assignment", assignment)
    started = time.monotonic()
    columns = grade_columns(course, assignment)  # fails early if not released
    release = Release.load(course, assignment)
    available = submitted_students(course, assignment)
    wanted = [check_id("student id", s) for s in students] if students else available
    run = GradeRun(assignment, max_score=sum(c.max_score for c in columns))
    run.isolation = choose_isolation(course.settings.sandbox)
    to_grade: list[str] = []
    for student in wanted:
        if student not in available:
            continue  # reported as missing
        prepared = prepare(course, assignment, student, release)
        run.results[student] = prepared
        if prepared.ok:
            to_grade.append(student)
    try:
        if to_grade:
            _run_pool(course, assignment, to_grade, workers, overrides or {}, run, progress)
    finally:
        # interrupted or not, the students graded so far keep their records
        done = {s: r for s, r in run.results.items() if s not in to_grade or s in run.finished}
        save_results(course.report_dir(assignment), done)
    # the summary covers the roster (missing students too) unless students were named
    run.rows = table_rows(course, assignment, require_students(course, assignment, students))
    run.seconds = round(time.monotonic() - started, 1)
    return run


def _run_pool(course: Course, assignment: str, students: list[str], workers: int | None,
              overrides: dict, run: GradeRun, progress: bool) -> None:
    from autograder.pool import GradingPool

    size = workers or course.settings.effective_workers()
    s = course.settings
    limit = s.notebook_timeout * len(course.release_notebooks(assignment)) + s.worker_grace
    private = Path(tempfile.mkdtemp(prefix="autograder-"))
    bar = tqdm(total=len(students), desc=f"grading {assignment}", unit="student",
               disable=not progress, file=sys.stderr, dynamic_ncols=True)
    pool = GradingPool(str(course.root), overrides, size, str(private),
                       (run.isolation.mode, run.isolation.note), limit)

    def on_result(result: StudentResult) -> None:
        prepared = run.results[result.student]
        result.tampered = prepared.tampered + result.tampered
        result.flags = prepared.flags + result.flags
        result.notes = prepared.notes + result.notes
        run.results[result.student] = result
        run.finished.add(result.student)
        bar.set_postfix_str(f"{result.student}: {'ok' if result.ok else 'failed'}")
        bar.update(1)

    try:
        pool.run(assignment, students, on_result)
    finally:
        bar.close()
        shutil.rmtree(private, ignore_errors=True)


def table_rows(course: Course, assignment: str, students: list[str]) -> list[Row]:
    """Status rows for ``students`` from the stored records and the gradebook."""
    results = load_results(course.report_dir(assignment))
    scores = read_scores(course, assignment, students)
    collected = load_report(course, assignment)
    rows = []
    for student in students:
        missing = ""
        if collected is not None and student in collected.ambiguous:
            missing = "ambiguous submission: " + ", ".join(collected.ambiguous[student])
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
    """The students a report covers: those named, else the roster saved by collect, else
    everyone graded so far."""
    from autograder.collect import load_roster

    if students:
        return students
    if course.roster_path.is_file():
        return load_roster(course.roster_path)
    graded = sorted(load_results(course.report_dir(assignment)))
    if not graded:
        raise CourseError(f"nothing known about {assignment!r} yet: run collect and grade first")
    return graded
