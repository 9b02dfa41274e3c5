"""Reading scores back from the nbgrader gradebook."""

from __future__ import annotations

from dataclasses import dataclass, field

from nbgrader.api import Gradebook, MissingEntry

from autograder import cells as C
from autograder.course import Course, CourseError


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
