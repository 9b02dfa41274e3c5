"""Reading a submitted notebook, and nbgrader's cell metadata read defensively (a
submission's metadata may be anything). Plain dicts work as well as nbformat's nodes:
a Dask worker uses this module without importing nbformat or nbgrader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbformat import NotebookNode

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_END = "END HIDDEN TESTS"


class NotebookReadError(ValueError):
    """A submitted file is not a readable Jupyter notebook."""


def read_notebook(path: str | Path) -> NotebookNode:
    """Read a notebook as nbformat 4 (older formats are upgraded); raise
    :class:`NotebookReadError` with the reason."""
    import nbformat

    name = Path(path).name
    try:
        data = json.loads(Path(path).read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise NotebookReadError(f"{name} is not UTF-8 text: {err}") from None
    except json.JSONDecodeError as err:
        raise NotebookReadError(
            f"{name} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
            "the file is probably truncated or was edited by hand") from None
    if not isinstance(data, dict) or not ("cells" in data or "worksheets" in data):
        raise NotebookReadError(f"{name} is JSON but not a Jupyter notebook")
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as err:  # nbformat raises several unrelated types
        raise NotebookReadError(f"{name} is not a valid notebook: {err}") from None
    if not all(isinstance(cell.get("source"), str) for cell in nb.cells):
        raise NotebookReadError(f"{name} is not a valid notebook: a cell's source is not text")
    return nb


def meta(cell: dict) -> dict:
    """The cell's nbgrader metadata (empty when it has none)."""
    value = cell.get("metadata", {}).get("nbgrader", {})
    return value if isinstance(value, dict) else {}


def grade_id(cell: dict) -> str | None:
    """The cell's grade id; None when it has none or it is not text."""
    value = meta(cell).get("grade_id")
    return value if isinstance(value, str) else None


def is_grade(cell: dict) -> bool:
    return bool(meta(cell).get("grade"))


def is_solution(cell: dict) -> bool:
    return bool(meta(cell).get("solution"))


def is_locked(cell: dict) -> bool:
    """Whether nbgrader puts the instructor's source back (``nbgrader.utils.is_locked``)."""
    return not is_solution(cell) and (is_grade(cell) or bool(meta(cell).get("locked")))


def is_test(cell: dict) -> bool:
    """An autograder test cell: graded, code, not an answer."""
    return cell.get("cell_type") == "code" and is_grade(cell) and not is_solution(cell)


def cells_by_id(nb: dict) -> dict[str, dict]:
    """Map grade_id -> cell for the cells that carry one (first occurrence wins)."""
    found: dict[str, dict] = {}
    for cell in nb["cells"]:
        if grade_id(cell):
            found.setdefault(grade_id(cell), cell)
    return found


def normalized(source: str) -> str:
    """Source text compared modulo line endings and trailing whitespace."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def hidden_test_lines(source: str) -> list[str]:
    """The lines of ``source`` inside hidden-test regions (markers excluded)."""
    lines, inside = [], False
    for line in source.splitlines():
        if HIDDEN_BEGIN in line or HIDDEN_END in line:
            inside = HIDDEN_BEGIN in line
        elif inside:
            lines.append(line)
    return lines
