"""The ``feedback`` verb: per-student HTML that never shows the hidden tests. nbgrader
writes a graded student's pages, with the status first and a last check that no hidden
test line is left (else the page is withheld); the others get a page saying why."""

from __future__ import annotations

import html
import sys
from pathlib import Path

from nbconvert.filters import strip_ansi
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor
from tqdm import tqdm
from traitlets import Integer

from autograder import cells as C
from autograder.converters import RecordingGenerateFeedback
from autograder.course import Course, check_id
from autograder.lms.intake import course_directory
from autograder.reporting import Row, require_students, table_rows
from tools.solution_scan import normalize

# The page of a failed or missing student; {title}, {status}, {reason}, {notes} filled in.
PAGE = Path(__file__).with_name("feedback_page.html")


class AutograderBanner(NbGraderPreprocessor):
    """A first cell: the status, reason and notes of ``resources["autograder"]["row"]``."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        row = resources.get("autograder", {}).get("row")
        if row is not None:
            parts = [f"**Autograder status: {row.status}**", row.reason,
                     f"Notes: {row.notes}" if row.notes else ""]
            nb.cells.insert(0, new_markdown_cell("\n\n".join(p for p in parts if p)))
        return nb, resources


class CheckNoHiddenTests(NbGraderPreprocessor):
    """Refuse the page if a hidden test line (``resources["autograder"]["hidden_lines"]``)
    survived anywhere (the last safety net)."""

    min_length = Integer(
        12, help="Shorter hidden lines are too common to prove a leak.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        hidden = resources.get("autograder", {}).get("hidden_lines", set())
        flat = normalize("\n".join(_texts(nb)))
        # a line the student typed in their own cells is theirs to see
        own = {line.strip() for cell in nb.cells if not C.is_test(cell)
               for line in cell.source.splitlines()}
        for line in hidden - own:
            if len(line) >= self.min_length and normalize(line) in flat:
                raise RuntimeError(f"hidden test code would appear in the feedback: {line!r}")
        return nb, resources


def _texts(nb: NotebookNode):
    for cell in nb.cells:
        yield cell.source
        for output in cell.get("outputs", []):  # stream, error or display: what it has
            data = output.get("data", {})
            yield from (output.get("text", ""), output.get("evalue", ""),
                        data.get("text/plain", ""), data.get("text/html", ""))
            yield from map(strip_ansi, output.get("traceback", []))


def hidden_lines(course: Course, assignment: str) -> set[str]:
    """Hidden-test lines of the source notebooks that appear nowhere in the release."""
    visible = {line.strip() for path in course.release_notebooks(assignment)
               for cell in C.read_notebook(path).cells for line in cell.source.splitlines()}
    found = {line.strip() for path in course.source_notebooks(assignment)
             for cell in C.read_notebook(path).cells
             for line in C.hidden_test_lines(cell.source)}
    return {line for line in found - visible if line}


def feedback(course: Course, assignment: str, students: list[str] | None = None,
             progress: bool = True) -> list[Path]:
    """Write feedback pages for ``students`` (default: the roster); returns their paths."""
    check_id("assignment", assignment)
    students = require_students(course, assignment, students)
    secret = hidden_lines(course, assignment)
    notebooks = [p.stem for p in course.release_notebooks(assignment)]
    pages: list[Path] = []
    for row in tqdm(table_rows(course, assignment, students), desc=f"feedback {assignment}",
                    unit="student", disable=not progress, file=sys.stderr):
        if row.status not in ("failed", "missing"):  # graded: nbgrader writes the pages
            try:
                pages += _nbgrader_feedback(course, assignment, row, secret)
                continue
            except Exception as err:  # a page is withheld rather than leak anything
                row = Row(row.student, row.status, f"feedback could not be produced safely ({err})")
        pages += _plain_pages(course, assignment, notebooks, row)
    return pages


def _nbgrader_feedback(course: Course, assignment: str, row: Row, secret: set[str]) -> list[Path]:
    config = course.config.copy()
    config.GenerateFeedback.preprocessors = [GetGrades, AutograderBanner, ClearHiddenTests,
                                             CheckNoHiddenTests, CSSHTMLHeaderPreprocessor]
    coursedir = course_directory(course.root, config)
    coursedir.assignment_id, coursedir.student_id = assignment, row.student
    app = RecordingGenerateFeedback(coursedir=coursedir, config=config)
    app.force = True
    app.context = lambda name: {"row": row, "hidden_lines": secret}
    app.run()
    return sorted(course.feedback_dir(row.student, assignment).glob("*.html"))


def _plain_pages(course: Course, assignment: str, notebooks: list[str], row: Row) -> list[Path]:
    page = PAGE.read_text(encoding="utf-8")
    out = course.feedback_dir(row.student, assignment)
    out.mkdir(parents=True, exist_ok=True)
    notes = f"<p>Notes: {html.escape(row.notes)}</p>" if row.notes else ""
    for stem in notebooks:
        (out / f"{stem}.html").write_text(page.format(
            title=html.escape(f"{assignment}: {stem} ({row.student})"), status=row.status,
            reason=html.escape(row.reason or "no notebook was graded"), notes=notes))
    return [out / f"{stem}.html" for stem in notebooks]
