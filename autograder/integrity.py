"""Integrity: find what a submission changed in its release's locked cells; put it back.

nbgrader grades a deleted test cell (or one stripped of its metadata) as nothing and
fails a student whose test cell metadata changed. Here each locked cell of the release
is found in the submission by grade id (or by source when the id is gone); a change is
put back and reported, so the student is ``tampered`` instead of silently losing or
gaining points.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from nbformat import NotebookNode

from autograder import cells as C

# nbgrader metadata keys that define what a cell is and how it is graded
_DEFINING_KEYS = ("grade", "solution", "locked", "points", "grade_id", "task")


@dataclass
class IntegrityReport:
    """Findings for one notebook; ``tampered`` entries make the student ``tampered``."""

    tampered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_and_repair(submitted: NotebookNode, release: NotebookNode) -> IntegrityReport:
    """Find tampering in ``submitted`` and repair it in place to match ``release``.

    Returns
    -------
    IntegrityReport
        ``tampered``: edited, deleted, retyped or re-labelled locked cells and duplicate
        grade ids; ``notes``: harmless repairs (a deleted answer cell).
    """
    report = IntegrityReport()
    seen: set[str] = set()
    for cell in submitted.cells:
        gid = C.grade_id(cell)
        if gid is None and C.meta(cell).get("grade_id") is not None:
            report.tampered.append("a cell's grade id is not text (its metadata removed)")
            del cell.metadata["nbgrader"]
        elif gid in seen:
            report.tampered.append(f"a second cell claims grade id '{gid}' (its metadata removed)")
            del cell.metadata["nbgrader"]
        elif gid:
            seen.add(gid)
    previous = -1  # where the last release cell with a grade id is in the submission
    for rcell in release.cells:
        gid = C.grade_id(rcell)
        if not gid:
            continue
        locked = C.is_locked(rcell)
        kind = "test cell" if C.is_test(rcell) else ("locked cell" if locked else "answer cell")
        index = _find(submitted, rcell, gid, locked)
        if index is not None:
            _repair(submitted.cells[index], rcell, gid, kind, locked, report)
        elif not (locked or C.is_grade(rcell)):
            # Putting the released stub back could shadow code the student moved
            # elsewhere; an ungraded answer cell carries no points of its own.
            report.notes.append(f"{kind} '{gid}' is missing (deleted or unlabelled)")
            continue
        else:  # put the released cell back after the previous one
            index = previous + 1
            submitted.cells.insert(index, _restored(rcell))
            if locked:
                report.tampered.append(f"{kind} '{gid}' was deleted (put back before grading)")
            else:
                report.notes.append(
                    f"{kind} '{gid}' was missing (the empty released one is graded)")
        previous = index
    return report


def _find(nb: NotebookNode, rcell: NotebookNode, gid: str, locked: bool) -> int | None:
    ids = [C.grade_id(cell) for cell in nb.cells]
    if gid in ids:
        return ids.index(gid)
    if not locked:
        return None  # an answer's text changes, so it cannot be found by its source
    wanted = C.normalized(rcell.source)
    return next((index for index, cell in enumerate(nb.cells)
                 if not C.meta(cell) and cell.cell_type == rcell.cell_type
                 and C.normalized(cell.source) == wanted), None)


def _defining(cell: NotebookNode) -> dict:
    return {k: v for k, v in C.meta(cell).items() if k in _DEFINING_KEYS}


def _restored(rcell: NotebookNode, cell_id: str | None = None) -> NotebookNode:
    """A fresh copy of a release cell (a deterministic cell id unless one is given)."""
    cell = copy.deepcopy(rcell)
    cell["id"] = cell_id or f"restored-{C.grade_id(rcell)}"[:64]
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def _repair(scell: NotebookNode, rcell: NotebookNode, gid: str, kind: str, locked: bool,
            report: IntegrityReport) -> None:
    """Put back what was changed in the submission's copy of a release cell."""
    if C.grade_id(scell) != gid:
        report.tampered.append(f"{kind} '{gid}' lost its nbgrader metadata (restored)")
        scell.setdefault("metadata", {})["nbgrader"] = copy.deepcopy(C.meta(rcell))
    if scell.cell_type != rcell.cell_type:
        retyped = f"{kind} '{gid}' was turned into a {scell.cell_type} cell (restored)"
        report.tampered.append(retyped)
        fresh = _restored(rcell, scell.get("id"))
        scell.clear()
        scell.update(fresh)
        return
    if _defining(scell) != _defining(rcell):
        report.tampered.append(f"{kind} '{gid}' had its nbgrader metadata changed (restored)")
        scell.metadata["nbgrader"] = copy.deepcopy(C.meta(rcell))
    if locked and C.normalized(scell.source) != C.normalized(rcell.source):
        report.tampered.append(f"{kind} '{gid}' was edited (the original was graded)")
        scell.source = rcell.source
