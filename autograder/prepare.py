"""Before grading: read, check and repair each submission, then stage it for nbgrader.

The submitted file is never modified. The repaired copy goes to the staging folder,
which is the submitted directory the pipeline's nbgrader reads from.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder import cells as C
from autograder.course import Course
from autograder.integrity import check_and_repair
from autograder.reporting import StudentResult
from autograder.scan import scan_notebook


@dataclass
class Release:
    """The release notebooks of an assignment and the grade ids of their locked cells."""

    notebooks: dict[str, NotebookNode]
    locked_ids: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, course: Course, assignment: str) -> Release:
        notebooks = {p.stem: C.read_notebook(p) for p in course.release_notebooks(assignment)}
        locked = {
            C.grade_id(cell)
            for nb in notebooks.values()
            for cell in nb.cells
            if C.grade_id(cell) and C.is_locked(cell)
        }
        return cls(notebooks, locked)


def staged_dir(course: Course, assignment: str, student: str) -> Path:
    return course.staged_root() / student / assignment


def _fix_cell_ids(nb: NotebookNode) -> None:
    """Cell ids exist from nbformat 4.5 on: add missing ones, drop them before."""
    if (nb.nbformat, nb.nbformat_minor) >= (4, 5):
        seen: set[str] = set()
        for index, cell in enumerate(nb.cells):
            if not cell.get("id") or cell["id"] in seen:
                cell["id"] = f"cell-{index}"
            seen.add(cell["id"])
    else:
        for cell in nb.cells:
            cell.pop("id", None)


def prepare(course: Course, assignment: str, student: str, release: Release) -> StudentResult:
    """Check one student's submission and stage the repaired notebooks.

    Returns
    -------
    StudentResult
        ``ok`` is True when the submission is staged for grading; otherwise ``reason``
        says why it cannot be graded (unreadable notebook, nothing submitted).
    """
    result = StudentResult(student, ok=True)
    source = course.submitted_dir(student, assignment)
    target = staged_dir(course, assignment, student)
    if target.exists():
        shutil.rmtree(target)
    found = 0
    for stem, release_nb in release.notebooks.items():
        path = source / f"{stem}.ipynb"
        if not path.is_file():
            result.notes.append(f"{stem}.ipynb was not submitted")
            continue
        try:
            nb = C.read_notebook(path)
        except C.NotebookReadError as err:
            return StudentResult.failed(student, str(err), notes=result.notes)
        integrity = check_and_repair(nb, release_nb)
        result.tampered += integrity.tampered
        result.notes += integrity.notes
        result.flags += [f.describe() for f in scan_notebook(nb, release.locked_ids)]
        _fix_cell_ids(nb)
        target.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target / f"{stem}.ipynb")
        found += 1
    if not found:
        return StudentResult.failed(student, "no notebook of this assignment was submitted",
                                    notes=result.notes)
    return result
