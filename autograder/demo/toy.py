"""A built-in five-point assignment for the tests, the benchmark and the demo's fallback:
a ReLU and the notes' output-size formula, each with a test cell holding hidden tests
(the second compares with the reference package, as the real assignments do). The
points give every synthetic case one exact expected score."""

from __future__ import annotations

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ASSIGNMENT = "toy"
MAX_SCORE = 5.0


def _meta(grade_id: str, **flags) -> dict:
    data = {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3,
            "solution": False, "task": False}
    data.update(flags)
    return {"nbgrader": data}


def source_notebook() -> NotebookNode:
    """The instructor's version (answers between solution markers, hidden tests)."""
    cells = [
        new_markdown_cell(
            "# A tiny assignment\nWrite a ReLU and the output size of a convolution.",
            metadata=_meta("intro", locked=True),
        ),
        new_code_cell("import numpy as np", metadata=_meta("setup", locked=True)),
        new_code_cell(
            "def relu(x):\n"
            "    ### BEGIN SOLUTION\n"
            "    return np.maximum(x, 0)\n"
            "    ### END SOLUTION",
            metadata=_meta("relu", solution=True),
        ),
        new_code_cell(
            "x = np.array([[-1.0, 2.0], [3.0, -4.0]])\n"
            "assert relu(x).shape == (2, 2)\n"
            "### BEGIN HIDDEN TESTS\n"
            "assert np.array_equal(relu(x), np.array([[0.0, 2.0], [3.0, 0.0]])), 'wrong values'\n"
            "### END HIDDEN TESTS",
            metadata=_meta("test_relu", grade=True, locked=True, points=2),
        ),
        new_code_cell(
            "def out_size(W, F, S, P):\n"
            "    ### BEGIN SOLUTION\n"
            "    return (W - F + 2 * P) // S + 1\n"
            "    ### END SOLUTION",
            metadata=_meta("out_size", solution=True),
        ),
        new_code_cell(
            "assert out_size(5, 3, 2, 1) == 3\n"
            "### BEGIN HIDDEN TESTS\n"
            "from convref import conv_output_size as reference_size\n"
            "assert out_size(227, 11, 4, 0) == reference_size(227, 11, 4, 0) == 55\n"
            "### END HIDDEN TESTS",
            metadata=_meta("test_out_size", grade=True, locked=True, points=3),
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


# Expected score of each synthetic case (see autograder.demo.synthetic) on this assignment.
EXPECTED_SCORE = {
    "perfect": 5.0,
    "partial": 2.0,        # relu solved, out_size left as released
    "wrong_shapes": 3.0,   # relu's array loses a column; out_size returns an int
    "raises": 0.0,
    "untouched": 0.0,
}
