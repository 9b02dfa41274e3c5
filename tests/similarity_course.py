"""A throw-away nbgrader course for the similarity tests, built from similarity_corpus."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from similarity_corpus import CELLS, KINDS

ASSIGNMENT = "toy"
CONFIG = '''c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.feedback_directory = "grading/feedback"
# every pair that shares anything is listed, so the tests see the whole ranking
c.Similarity.list_threshold = 0.01
'''
STUB_ONLY = ("stub_only_1", "stub_only_2", "stub_commented")
MALFORMED = "broken_json"


def student_id(cell: str, kind: str, name: str) -> str:
    """Each corpus answer is handed in by its own student: ``<cell>-<i|p>-<name>``."""
    return f"{cell}-{kind}-{name}"


def family(cell: str) -> set[str]:
    """The planted copies of ``cell`` and the answer they were copied from."""
    _, _, origin, planted = CELLS[cell]
    return {student_id(cell, "i", origin)} | {student_id(cell, "p", n) for n in planted}


def _notebook(answers: dict[str, str]) -> nbformat.NotebookNode:
    cells = [new_markdown_cell("# Toy assignment"), new_code_cell("import numpy as np")]
    for grade_id, source in answers.items():
        make = new_markdown_cell if KINDS.get(grade_id) == "markdown" else new_code_cell
        cells.append(make(source, metadata={"nbgrader": {
            "grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3,
            "solution": True, "task": False}}))
        cells.append(new_code_cell(f"assert True  # tests of {grade_id}", metadata={
            "nbgrader": {"grade": True, "grade_id": f"test_{grade_id}", "locked": True,
                         "points": 1, "schema_version": 3, "solution": False, "task": False}}))
    return new_notebook(cells=cells)


def build(root: Path) -> dict[str, dict[str, str]]:
    """Write the course under ``root``; returns student -> {grade_id: answer}."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(CONFIG.format(root=str(root)))
    stubs = {cell: spec[0] for cell, spec in CELLS.items()}
    release = root / "release" / ASSIGNMENT
    release.mkdir(parents=True)
    nbformat.write(_notebook(stubs), release / f"{ASSIGNMENT}.ipynb")

    students: dict[str, dict[str, str]] = {}
    for cell, (_, independent, _, planted) in CELLS.items():
        for kind, answers in (("i", independent), ("p", planted)):
            for name, source in answers.items():
                # the other cells are left as released
                students[student_id(cell, kind, name)] = stubs | {cell: source}
    students[STUB_ONLY[0]] = dict(stubs)
    students[STUB_ONLY[1]] = dict(stubs)
    students[STUB_ONLY[2]] = {
        cell: "# I did not get this one\n\n" + stub.replace("raise", "# tried\n    raise")
        if cell not in KINDS else stub
        for cell, stub in stubs.items()
    }
    for sid, answers in students.items():
        folder = root / "grading" / "submitted" / sid / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(_notebook(answers), folder / f"{ASSIGNMENT}.ipynb")
    broken = root / "grading" / "submitted" / MALFORMED / ASSIGNMENT
    broken.mkdir(parents=True)
    (broken / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [')
    return students
