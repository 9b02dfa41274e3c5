"""Read the answer cells of the release and of every submission, through nbgrader's paths.

Answer cells are the cells nbgrader marks ``solution`` (code or markdown), matched
by their ``grade_id``. A submission that cannot be read, or lacks a cell, is noted
for that student; it never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.coursedir import CourseDirectory

from autograder.lms.courseroot import student_folders
from autograder.similarity.compare import CellTask


class SimilarityError(ValueError):
    """The assignment cannot be compared at all (nothing released, nothing submitted)."""


@dataclass
class Collected:
    """The cells to compare, the students found and what went wrong per student."""

    tasks: list[CellTask]
    students: list[str]
    problems: dict[str, list[str]] = field(default_factory=dict)


def answer_cells(nb: nbformat.NotebookNode) -> dict[str, tuple[str, str]]:
    """grade_id -> (cell type, source) of every answer cell of a notebook."""
    found = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") and cell.cell_type in ("code", "markdown"):
            found[meta["grade_id"]] = (cell.cell_type, cell.source)
    return found


def collect_answers(coursedir: CourseDirectory, assignment: str, step: str) -> Collected:
    """Answer cells of ``assignment`` from the release and from every student's ``step``.

    Parameters
    ----------
    coursedir : CourseDirectory
        nbgrader's folders (root, release, submitted, autograded...).
    assignment : str
        The assignment id.
    step : str
        ``coursedir``'s attribute naming the students' folders: "submitted_directory"
        or "autograded_directory".
    """
    release = coursedir.format_path(coursedir.release_directory, ".", assignment)
    release_notebooks = sorted(Path(release).glob("*.ipynb"))
    if not release_notebooks:
        raise SimilarityError(
            f"assignment {assignment!r} has no release notebook in {release}: release it first"
        )
    directory = getattr(coursedir, step)
    folders = student_folders(coursedir, directory, assignment)
    if not folders:
        where = coursedir.format_path(directory, "<student>", assignment)
        first = "grade" if step == "autograded_directory" else "collect"
        raise SimilarityError(f"no submissions of {assignment!r} found ({where}): {first} first")

    problems: dict[str, list[str]] = {}
    tasks = []
    several = len(release_notebooks) > 1
    for release_nb in release_notebooks:
        stubs = answer_cells(nbformat.read(release_nb, as_version=4))
        answers: dict[str, dict[str, str]] = {grade_id: {} for grade_id in stubs}
        for student, folder in folders.items():
            cells = _read_cells(folder / release_nb.name, problems.setdefault(student, []))
            for grade_id, (_, source) in cells.items():
                if grade_id in answers:
                    answers[grade_id][student] = source
            if cells:
                missing = [g for g in stubs if g not in cells]
                if missing:
                    problems[student].append(
                        f"{release_nb.name}: answer cell(s) {', '.join(missing)} missing"
                    )
        for grade_id, (kind, stub) in stubs.items():
            name = f"{release_nb.stem}/{grade_id}" if several else grade_id
            tasks.append(CellTask(name, kind, stub, answers[grade_id]))
    return Collected(tasks, list(folders), {s: p for s, p in problems.items() if p})


def _read_cells(path: Path, problems: list[str]) -> dict[str, tuple[str, str]]:
    if not path.is_file():
        problems.append(f"no {path.name} in the submission")
        return {}
    try:
        return answer_cells(nbformat.read(path, as_version=4))
    except Exception as err:  # any unreadable notebook fails this student alone
        problems.append(f"{path.name} could not be read ({type(err).__name__}: {err})"[:300])
        return {}
