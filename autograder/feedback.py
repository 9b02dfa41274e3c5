"""The ``feedback`` verb: per-student HTML that never shows the hidden tests.

The outputs of test cells were written by the grader, which never quotes hidden
code (a failing hidden check says so without it). The feedback notebook goes
through, in order:

1. :class:`AutograderBanner` - a first cell with the student's status and what the
   autograder had to do (timeouts, restarted kernel, tampering found);
2. nbgrader's ``ClearHiddenTests`` - the hidden region leaves the source;
3. :class:`CheckNoHiddenTests` - a last check over every source and output; if any
   hidden line is still there, the page is not written.

Students whose notebook could not be graded (or was not collected) get a short page
saying why.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor
from tqdm import tqdm
from traitlets import Integer

from autograder import cells as C
from autograder.converters import RecordingGenerateFeedback
from autograder.course import Course, check_id
from autograder.reporting import Row, load_results, require_students, table_rows

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


class AutograderBanner(NbGraderPreprocessor):
    """Put the student's status and the autograder's notes (``resources["autograder"]
    ["row"]``) in a first cell."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        row = resources.get("autograder", {}).get("row")
        if row is not None:
            lines = [f"**Autograder status: {row.status}**"]
            if row.reason:
                lines.append(f"\n{row.reason}")
            if row.notes:
                lines.append(f"\nNotes: {row.notes}")
            nb.cells.insert(0, new_markdown_cell("\n".join(lines)))
        return nb, resources


class CheckNoHiddenTests(NbGraderPreprocessor):
    """Refuse the page if a hidden test line survived anywhere (the last safety net)."""

    min_length = Integer(12, help="Shorter hidden lines are too common to prove a leak.").tag(
        config=True
    )
    def preprocess(self, nb: NotebookNode, resources: dict):
        """The assignment's hidden lines come in ``resources["autograder"]["hidden_lines"]``."""
        hidden = resources.get("autograder", {}).get("hidden_lines", set())
        text = "\n".join(_texts(nb))
        flat = re.sub(r"\s+", " ", text)
        # a line the student typed in their own cells is theirs to see
        own = {
            line.strip()
            for cell in nb.cells
            if not C.is_test(cell)
            for line in cell.source.splitlines()
        }
        for line in hidden - own:
            if len(line) >= self.min_length and re.sub(r"\s+", " ", line) in flat:
                raise RuntimeError(f"hidden test code would appear in the feedback: {line!r}")
        return nb, resources


def _texts(nb: NotebookNode):
    for cell in nb.cells:
        yield cell.source
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                yield output.get("text", "")
            elif kind == "error":
                yield output.get("evalue", "")
                yield from (_plain(t) for t in output.get("traceback", []))
            else:
                data = output.get("data", {})
                yield data.get("text/plain", "")
                yield data.get("text/html", "")


def hidden_lines(course: Course, assignment: str) -> set[str]:
    """Hidden-test lines of the source notebooks that appear nowhere in the release."""
    visible = set()
    for path in course.release_notebooks(assignment):
        for cell in C.read_notebook(path).cells:
            visible.update(line.strip() for line in cell.source.splitlines())
    found = set()
    for path in course.source_notebooks(assignment):
        for cell in C.read_notebook(path).cells:
            found.update(line.strip() for line in C.hidden_test_lines(cell.source))
    return {line for line in found - visible if line}


def feedback(course: Course, assignment: str, students: list[str] | None = None,
             progress: bool = True) -> list[Path]:
    """Write feedback pages for ``students`` (default: the roster); returns their paths."""
    check_id("assignment", assignment)
    students = require_students(course, assignment, students)
    rows = {row.student: row for row in table_rows(course, assignment, students)}
    results = load_results(course.report_dir(assignment))
    secret = hidden_lines(course, assignment)
    notebooks = [p.stem for p in course.release_notebooks(assignment)]
    pages: list[Path] = []
    for student in tqdm(students, desc=f"feedback {assignment}", unit="student",
                        disable=not progress, file=sys.stderr):
        row = rows[student]
        result = results.get(student)
        graded = result is not None and result.ok and row.status != "failed"
        if graded:
            try:
                pages += _nbgrader_feedback(course, assignment, student, rows, secret)
                continue
            except Exception as err:  # a page is withheld rather than leak anything
                row = Row(student, row.status, f"feedback could not be produced safely ({err})")
        pages += _plain_pages(course, assignment, student, notebooks, row)
    return pages


def _nbgrader_feedback(course: Course, assignment: str, student: str, rows: dict[str, Row],
                       secret: set[str]) -> list[Path]:
    config = course.config.copy()
    config.GenerateFeedback.preprocessors = [
        GetGrades, AutograderBanner, ClearHiddenTests, CheckNoHiddenTests,
        CSSHTMLHeaderPreprocessor,
    ]
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(course.root)
    coursedir.assignment_id = assignment
    coursedir.student_id = student
    app = RecordingGenerateFeedback(coursedir=coursedir, config=config)
    app.force = True
    app.context = {"row": rows[student], "hidden_lines": secret}
    out = course.feedback_dir(student, assignment)
    try:
        app.start()
    except Exception as err:
        raise app.last_error or err from None
    return sorted(out.glob("*.html"))


PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>
<p><strong>Autograder status: {status}</strong></p>
<p>{reason}</p>
{notes}
</body></html>
"""


def _plain_pages(course: Course, assignment: str, student: str, notebooks: list[str],
                 row: Row) -> list[Path]:
    out = course.feedback_dir(student, assignment)
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for stem in notebooks:
        page = out / f"{stem}.html"
        notes = f"<p>Notes: {html.escape(row.notes)}</p>" if row.notes else ""
        page.write_text(PAGE.format(
            title=html.escape(f"{assignment}: {stem} ({student})"), status=row.status,
            reason=html.escape(row.reason or "no notebook was graded"), notes=notes,
        ))
        pages.append(page)
    return pages
