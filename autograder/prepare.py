"""Before grading: check each submission against its release, repair it and scan it,
without a copy: :func:`prepare` repairs in memory (for the workers) and
:class:`RepairSubmission` repeats the repair as nbgrader's first sanitize step."""

from __future__ import annotations

import copy

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder import cells as C
from autograder.course import Course
from autograder.reporting import StudentResult
from autograder.scan import scan_notebook

# nbgrader metadata keys that define what a cell is and how it is graded
_DEFINING_KEYS = ("grade", "solution", "locked", "points", "grade_id", "task")


def load_release(course: Course, assignment: str) -> dict[str, NotebookNode]:
    """The release notebooks of an assignment, by name."""
    return {p.stem: C.read_notebook(p) for p in course.release_notebooks(assignment)}


def prepare(course: Course, assignment: str, student: str,
            release: dict[str, NotebookNode]) -> tuple[StudentResult, dict[str, NotebookNode]]:
    """Check one student's submission against ``release`` (:func:`load_release`) and repair
    its notebooks in memory; returns the record (``ok``, else ``reason`` says why; the
    tampering and the scan's findings) and the repaired notebooks by name."""
    result = StudentResult(student, ok=True)
    repaired: dict[str, NotebookNode] = {}
    for stem, release_nb in release.items():
        path = course.submitted_dir(student, assignment) / f"{stem}.ipynb"
        if not path.is_file():
            result.notes.append(f"{stem}.ipynb was not submitted")
            continue
        try:
            nb = C.read_notebook(path)
        except C.NotebookReadError as err:
            return StudentResult.failed(student, str(err), notes=result.notes), {}
        check_and_repair(nb, release_nb, result)
        result.flags += [f.describe() for f in scan_notebook(nb, release_nb)]
        repaired[stem] = nb
    if not repaired:
        return StudentResult.failed(student, "no notebook of this assignment was submitted",
                                    notes=result.notes), {}
    return result, repaired


class RepairSubmission(NbGraderPreprocessor):
    """nbgrader sanitize step: put back the released locked and test cells, as
    :func:`prepare` did (the release comes in ``resources["autograder"]["release"]``)."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        release = (resources.get("autograder") or {}).get("release")
        if release is not None:
            check_and_repair(nb, release)
        return nb, resources


def _fix_cell_ids(nb: NotebookNode) -> None:
    """Cell ids exist from nbformat 4.5 on: add missing ones, drop them before."""
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        if (nb.nbformat, nb.nbformat_minor) < (4, 5):
            cell.pop("id", None)
        elif not cell.get("id") or cell["id"] in seen:
            cell["id"] = f"cell-{index}"
        seen.add(cell.get("id"))


def check_and_repair(submitted: NotebookNode, release: NotebookNode,
                     found: StudentResult | None = None) -> StudentResult:
    """Repair ``submitted`` in place to match ``release`` (cell ids too); returns ``found`` (a
    new record when None) with what was put back: ``tampered``, edited, deleted, retyped or
    re-labelled locked cells and duplicate grade ids; ``notes``, harmless repairs."""
    report = found if found is not None else StudentResult("")
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
    _fix_cell_ids(submitted)
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
            report: StudentResult) -> None:
    """Put back what was changed in the submission's copy of a release cell (found by its
    grade id, or a locked cell without metadata by its source and type)."""
    if scell.cell_type != rcell.cell_type:
        retyped = f"{kind} '{gid}' was turned into a {scell.cell_type} cell (restored)"
        report.tampered.append(retyped)
        fresh = _restored(rcell, scell.get("id"))
        scell.clear()
        scell.update(fresh)
        return
    if _defining(scell) != _defining(rcell):
        how = "had its nbgrader metadata changed" if C.meta(scell) else "lost its nbgrader metadata"
        report.tampered.append(f"{kind} '{gid}' {how} (restored)")
        scell.setdefault("metadata", {})["nbgrader"] = copy.deepcopy(C.meta(rcell))
    if locked and C.normalized(scell.source) != C.normalized(rcell.source):
        report.tampered.append(f"{kind} '{gid}' was edited (the original was graded)")
        scell.source = rcell.source
