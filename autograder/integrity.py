"""Integrity: compare a submission with the release it came from, and repair it.

nbgrader restores an edited locked cell from the gradebook, but it grades a deleted
test cell (or one whose metadata was stripped) as nothing at all, and it fails a
student whose test cell metadata was changed. Here every locked cell of the release
is looked up in the submission by its grade id (or, when the id is gone, by its
source); what was changed is reported as tampering and put back, so nbgrader grades
the submission as released and the student is reported ``tampered`` rather than
silently losing or gaining points.
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


def _defining(cell: NotebookNode) -> dict:
    m = C.meta(cell)
    return {k: m.get(k) for k in _DEFINING_KEYS if k in m}


def _restored(release_cell: NotebookNode) -> NotebookNode:
    """A fresh copy of a release cell, with a deterministic cell id."""
    cell = copy.deepcopy(release_cell)
    cell["id"] = f"restored-{C.grade_id(release_cell)}"[:64]
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def check_and_repair(submitted: NotebookNode, release: NotebookNode) -> IntegrityReport:
    """Find tampering in ``submitted`` (modified in place to match the release's cells).

    Parameters
    ----------
    submitted : NotebookNode
        The student's notebook; repaired in place.
    release : NotebookNode
        The notebook the student received.

    Returns
    -------
    IntegrityReport
        ``tampered``: edited, deleted, retyped or re-labelled locked cells and duplicate
        grade ids; ``notes``: harmless repairs (a deleted answer cell).
    """
    report = IntegrityReport()
    _drop_duplicate_ids(submitted, report)
    position: dict[str, int] = {}  # grade id -> index in submitted, kept up to date
    previous: str | None = None
    for rcell in release.cells:
        gid = C.grade_id(rcell)
        if not gid:
            continue
        index = _find(submitted, rcell, gid)
        locked = C.is_locked(rcell)
        kind = "test cell" if C.is_test(rcell) else ("locked cell" if locked else "answer cell")
        if index is None:
            if not (locked or C.is_grade(rcell)):
                # Putting the released stub back could shadow code the student moved
                # elsewhere; an ungraded answer cell carries no points of its own.
                report.notes.append(f"{kind} '{gid}' is missing (deleted or unlabelled)")
                continue
            index = _insert_after(submitted, position, previous, _restored(rcell))
            if locked:
                report.tampered.append(f"{kind} '{gid}' was deleted (put back before grading)")
            else:
                report.notes.append(
                    f"{kind} '{gid}' was missing (the empty released one is graded)"
                )
        else:
            scell = submitted.cells[index]
            if C.grade_id(scell) != gid:
                report.tampered.append(f"{kind} '{gid}' lost its nbgrader metadata (restored)")
                scell.setdefault("metadata", {})["nbgrader"] = copy.deepcopy(C.meta(rcell))
            _compare(scell, rcell, gid, kind, locked, report)
        position[gid] = index
        previous = gid
    return report


def _drop_duplicate_ids(nb: NotebookNode, report: IntegrityReport) -> None:
    seen: set[str] = set()
    for cell in nb.cells:
        gid = C.grade_id(cell)
        if not gid:
            continue
        if gid in seen:
            report.tampered.append(f"a second cell claims grade id '{gid}' (its metadata removed)")
            del cell.metadata["nbgrader"]
        seen.add(gid)


def _find(nb: NotebookNode, rcell: NotebookNode, gid: str) -> int | None:
    for index, cell in enumerate(nb.cells):
        if C.grade_id(cell) == gid:
            return index
    if not C.is_locked(rcell):
        return None  # an answer's text changes, so it cannot be found by its source
    wanted = C.normalized(rcell.source)
    for index, cell in enumerate(nb.cells):
        if not C.meta(cell) and cell.cell_type == rcell.cell_type:
            if C.normalized(cell.source) == wanted:
                return index
    return None


def _insert_after(
    nb: NotebookNode, position: dict[str, int], previous: str | None, cell: NotebookNode
) -> int:
    index = position[previous] + 1 if previous is not None else 0
    nb.cells.insert(index, cell)
    for key, value in position.items():
        if value >= index:
            position[key] = value + 1
    return index


def _compare(
    scell: NotebookNode,
    rcell: NotebookNode,
    gid: str,
    kind: str,
    locked: bool,
    report: IntegrityReport,
) -> None:
    if scell.cell_type != rcell.cell_type:
        report.tampered.append(
            f"{kind} '{gid}' was turned into a {scell.cell_type} cell (restored)"
        )
        _replace_with(scell, rcell)
        return
    if _defining(scell) != _defining(rcell):
        report.tampered.append(f"{kind} '{gid}' had its nbgrader metadata changed (restored)")
        scell.metadata["nbgrader"] = copy.deepcopy(C.meta(rcell))
    if locked and C.normalized(scell.source) != C.normalized(rcell.source):
        report.tampered.append(f"{kind} '{gid}' was edited (the original was graded)")
        scell.source = rcell.source


def _replace_with(scell: NotebookNode, rcell: NotebookNode) -> None:
    fresh = _restored(rcell)
    fresh["id"] = scell.get("id", fresh["id"])
    scell.clear()
    scell.update(fresh)
