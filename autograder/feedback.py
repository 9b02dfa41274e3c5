"""The ``feedback`` verb: per-student HTML that never shows the hidden tests.

nbgrader's feedback shows hidden tests unless ``ClearHiddenTests`` runs, and even
then a failing hidden assert still appears as a traceback line. Here the feedback
notebook goes through, in order:

1. :class:`AutograderBanner` - a first cell with the student's status and what the
   autograder had to do (timeouts, restarted kernel, tampering found);
2. :class:`RedactHiddenTests` - in every cell holding hidden tests, traceback frames
   from that cell are replaced by one line saying a hidden check failed;
3. nbgrader's ``ClearHiddenTests`` - the hidden region leaves the source;
4. :class:`CheckNoHiddenTests` - a last check over every source and output; if any
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
from autograder import speedups
from autograder.converters import RecordingGenerateFeedback
from autograder.course import Course, check_id
from autograder.grade import require_students, table_rows
from autograder.results import Row, load_results

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FRAME_LINE = re.compile(r"^\s*(?:-*>\s*)?\d+\s?")
_ARROW = re.compile(r"^\s*-+>")
HIDDEN_FRAME = "(a check from the hidden tests failed here; its code is not shown)"


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


def _code_of(frame_line: str) -> str:
    """The code on one line of an IPython traceback frame, without the line number."""
    return _FRAME_LINE.sub("", frame_line, count=1).strip()


class AutograderBanner(NbGraderPreprocessor):
    """Put the student's status and the autograder's notes in a first cell."""

    #: student id -> export row; set by :func:`feedback` before nbgrader runs
    rows: dict[str, Row] = {}

    def preprocess(self, nb: NotebookNode, resources: dict):
        student = resources.get("nbgrader", {}).get("student", "")
        row = self.rows.get(student)
        if row is not None:
            lines = [f"**Autograder status: {row.status}**"]
            if row.reason:
                lines.append(f"\n{row.reason}")
            if row.notes:
                lines.append(f"\nNotes: {row.notes}")
            nb.cells.insert(0, new_markdown_cell("\n".join(lines)))
        return nb, resources


class RedactHiddenTests(NbGraderPreprocessor):
    """Remove the hidden tests' lines from the tracebacks of the cells that hold them.

    A traceback frame whose failing line is hidden becomes one line saying a hidden
    check failed; in a frame that failed on a visible line, the hidden lines shown
    around it are dropped.
    """

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        if cell.cell_type != "code" or not C.has_hidden_tests(cell.source):
            return cell, resources
        hidden = {line.strip() for line in C.hidden_test_lines(cell.source) if line.strip()}
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = self.redact(output.get("traceback", []), hidden)
        return cell, resources

    @staticmethod
    def redact(traceback: list[str], hidden: set[str]) -> list[str]:
        """``traceback`` (IPython's list of frames) without the ``hidden`` code lines."""
        kept: list[str] = []
        for entry in traceback:
            lines = entry.split("\n")
            plain = [_plain(line) for line in lines]
            secret = {
                i for i, line in enumerate(plain)
                if _code_of(line) in hidden or C.HIDDEN_BEGIN in line or C.HIDDEN_END in line
            }
            if not secret:
                kept.append(entry)
            elif any(i in secret for i, line in enumerate(plain) if _ARROW.match(line)):
                if not kept or kept[-1] != HIDDEN_FRAME:
                    kept.append(HIDDEN_FRAME)
            else:
                kept.append("\n".join(line for i, line in enumerate(lines) if i not in secret))
        return kept


class CheckNoHiddenTests(NbGraderPreprocessor):
    """Refuse the page if a hidden test line survived anywhere (the last safety net)."""

    min_length = Integer(12, help="Shorter hidden lines are too common to prove a leak.").tag(
        config=True
    )
    #: hidden-test lines of the assignment; set by :func:`feedback` before nbgrader runs
    hidden_lines: set[str] = set()

    def preprocess(self, nb: NotebookNode, resources: dict):
        text = "\n".join(_texts(nb))
        flat = re.sub(r"\s+", " ", text)
        # a line the student typed in their own cells is theirs to see
        own = {
            line.strip()
            for cell in nb.cells
            if not C.is_test(cell)
            for line in cell.source.splitlines()
        }
        for line in self.hidden_lines - own:
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
    speedups.apply()
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
        GetGrades, AutograderBanner, RedactHiddenTests, ClearHiddenTests, CheckNoHiddenTests,
        CSSHTMLHeaderPreprocessor,
    ]
    AutograderBanner.rows = rows
    CheckNoHiddenTests.hidden_lines = secret
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(course.root)
    coursedir.assignment_id = assignment
    coursedir.student_id = student
    app = RecordingGenerateFeedback(coursedir=coursedir, config=config)
    app.force = True
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
