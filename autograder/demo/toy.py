"""The built-in five-point toy assignment for the tests, the benchmark and the demo's
fallback. Its source is ``solutions/toy/toy.ipynb`` here (a ReLU and the notes' output-size
formula, each with hidden tests); its points give every synthetic case one exact score."""

from __future__ import annotations

from pathlib import Path

import nbformat

ASSIGNMENT = "toy"
SOURCE = Path(__file__).with_name("solutions") / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
MAX_SCORE = 5.0

# Expected score of each synthetic case (see autograder.demo.synthetic) on this assignment.
EXPECTED_SCORE = {
    "perfect": 5.0,
    "partial": 2.0,        # relu solved, out_size left as released
    "wrong_shapes": 3.0,   # relu's array loses a column; out_size returns an int
    "raises": 0.0,
    "untouched": 0.0,
}


def source_notebook() -> nbformat.NotebookNode:
    """The instructor's version (answers between solution markers, hidden tests)."""
    return nbformat.read(SOURCE, as_version=4)
