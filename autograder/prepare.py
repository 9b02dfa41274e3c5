"""Before grading: read, check and repair each submission; the scan report.

The submitted file is never modified and nothing is copied: :func:`prepare` repairs
the notebooks in memory (they go to the workers), and nbgrader's own sanitize step
repeats the same repair with :class:`RepairSubmission`, so both see the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder import cells as C
from autograder.course import Course
from autograder.integrity import check_and_repair
from autograder.reporting import StudentResult
from autograder.scan import scan_notebook


@dataclass
class Release:
    """The release notebooks of an assignment, by name."""

    notebooks: dict[str, NotebookNode]

    @classmethod
    def load(cls, course: Course, assignment: str) -> Release:
        return cls({p.stem: C.read_notebook(p) for p in course.release_notebooks(assignment)})


def _fix_cell_ids(nb: NotebookNode) -> None:
    """Cell ids exist from nbformat 4.5 on: add missing ones, drop them before."""
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        if (nb.nbformat, nb.nbformat_minor) < (4, 5):
            cell.pop("id", None)
        elif not cell.get("id") or cell["id"] in seen:
            cell["id"] = f"cell-{index}"
        seen.add(cell.get("id"))


class RepairSubmission(NbGraderPreprocessor):
    """nbgrader sanitize step: put back the released locked and test cells, as
    :func:`prepare` did (the release comes in ``resources["autograder"]["release"]``)."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        release = (resources.get("autograder") or {}).get("release")
        if release is not None:
            check_and_repair(nb, release)
            _fix_cell_ids(nb)
        return nb, resources


def prepare(course: Course, assignment: str, student: str,
            release: Release) -> tuple[StudentResult, dict[str, NotebookNode]]:
    """Check one student's submission and repair its notebooks in memory.

    Returns
    -------
    StudentResult
        ``ok`` when there is something to grade, else ``reason`` says why (unreadable
        notebook, nothing submitted); with the tampering and the scan's findings.
    dict
        Notebook name -> the repaired notebook.
    """
    result = StudentResult(student, ok=True)
    repaired: dict[str, NotebookNode] = {}
    for stem, release_nb in release.notebooks.items():
        path = course.submitted_dir(student, assignment) / f"{stem}.ipynb"
        if not path.is_file():
            result.notes.append(f"{stem}.ipynb was not submitted")
            continue
        try:
            nb = C.read_notebook(path)
        except C.NotebookReadError as err:
            return StudentResult.failed(student, str(err), notes=result.notes), {}
        integrity = check_and_repair(nb, release_nb)
        result.tampered += integrity.tampered
        result.notes += integrity.notes
        result.flags += [f.describe() for f in scan_notebook(nb, release_nb)]
        _fix_cell_ids(nb)
        repaired[stem] = nb
    if not repaired:
        return StudentResult.failed(student, "no notebook of this assignment was submitted",
                                    notes=result.notes), {}
    return result, repaired
