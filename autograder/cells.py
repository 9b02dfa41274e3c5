"""Small helpers over nbgrader's cell metadata and notebook files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbformat import NotebookNode

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_END = "END HIDDEN TESTS"
SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"


class NotebookReadError(ValueError):
    """A submitted file is not a readable Jupyter notebook."""


def read_notebook(path: str | Path) -> NotebookNode:
    """Read a notebook as nbformat 4 (older formats are upgraded), raising
    :class:`NotebookReadError` with the reason.

    Parameters
    ----------
    path : path
        The ``.ipynb`` file.
    """
    raw = Path(path).read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise NotebookReadError(f"{Path(path).name} is not UTF-8 text: {err}") from None
    except json.JSONDecodeError as err:
        raise NotebookReadError(
            f"{Path(path).name} is not valid JSON (line {err.lineno}, column {err.colno}: "
            f"{err.msg}); the file is probably truncated or was edited by hand"
        ) from None
    if not isinstance(data, dict) or not ("cells" in data or "worksheets" in data):
        raise NotebookReadError(f"{Path(path).name} is JSON but not a Jupyter notebook")
    try:
        return nbformat.reads(json.dumps(data), as_version=4)
    except Exception as err:  # nbformat raises several unrelated types
        raise NotebookReadError(f"{Path(path).name} is not a valid notebook: {err}") from None


def meta(cell: NotebookNode) -> dict:
    """The cell's nbgrader metadata (empty when it has none)."""
    value = cell.get("metadata", {}).get("nbgrader", {})
    return value if isinstance(value, dict) else {}


def grade_id(cell: NotebookNode) -> str | None:
    return meta(cell).get("grade_id")


def is_solution(cell: NotebookNode) -> bool:
    return bool(meta(cell).get("solution"))


def is_grade(cell: NotebookNode) -> bool:
    return bool(meta(cell).get("grade"))


def is_locked(cell: NotebookNode) -> bool:
    """Locked cells are instructor cells; grade cells that are not answers are locked too."""
    m = meta(cell)
    return bool(m.get("locked")) or (bool(m.get("grade")) and not m.get("solution"))


def is_test(cell: NotebookNode) -> bool:
    """An autograder test cell: graded, code, not an answer."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def cells_by_id(nb: NotebookNode) -> dict[str, NotebookNode]:
    """Map grade_id -> cell for the cells that carry one (first occurrence wins)."""
    found: dict[str, NotebookNode] = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid and gid not in found:
            found[gid] = cell
    return found


def hidden_test_lines(source: str) -> list[str]:
    """The lines of ``source`` inside hidden-test regions (markers excluded)."""
    lines, inside = [], False
    for line in source.splitlines():
        if HIDDEN_BEGIN in line:
            inside = True
        elif HIDDEN_END in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def has_hidden_tests(source: str) -> bool:
    return HIDDEN_BEGIN in source


def strip_solution_markers(source: str) -> str:
    """The instructor's answer with nbgrader's solution markers removed."""
    kept = [
        line
        for line in source.splitlines()
        if line.strip() not in (SOLUTION_BEGIN, SOLUTION_END)
    ]
    return "\n".join(kept)


def normalized(source: str) -> str:
    """Source text compared modulo line endings and trailing whitespace."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def code_cells(nb: NotebookNode) -> Iterator[tuple[int, NotebookNode]]:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            yield index, cell
