"""Grades back to the LMS: CSV files each LMS imports, one row per roster student.

The pipeline hands over plain :class:`GradeRow` values (student, score, maximum,
status, minutes late, late penalty, reason); the writers put them in the roster's own
layout:

:func:`write_canvas`
    Canvas's gradebook import: the roster's identity columns (``Student``, ``ID``,
    ``SIS User ID``, ``SIS Login ID``, ``Integration ID``, ``Section``) and ONE score
    column - the roster's column for this assignment when it has one (its header
    carries Canvas's assignment id, so Canvas updates that assignment), else a new
    column named after the assignment (Canvas then creates an assignment). The
    ``Points Possible`` row is kept. Canvas reads every other column as an
    assignment, so status and lateness are not written here: use the generic CSV.
:func:`write_moodle`
    Moodle's grading worksheet, as downloaded, with ``Grade`` filled in and the status
    and lateness in ``Feedback comments``; Moodle matches rows by ``Identifier`` and
    keeps ``Last modified (grade)`` to refuse overwriting newer grades.
:func:`write_blackboard`
    Blackboard's Grade Center upload: ``Last Name``, ``First Name``, ``Username`` and
    the item's column as the Grade Center download names it
    (``PS1 [Total Pts: 20 Score] |88123``, the ``|`` number being Blackboard's column
    id), scaled to its ``Total Pts``.
:func:`write_generic`
    ``student_id``, the roster's name, ``status``, ``score``, ``max_score``, ``late``
    (e.g. "95 min late, penalty 2"), ``late_minutes``, ``late_penalty``, ``reason``.

In every file a student with no score (failed, missing) gets an EMPTY cell, never 0:
a zero would be imported as a real grade. In the LMS files a student still waiting for
a hand grade (``needs_manual``) is empty too unless ``partial=True``: the autograded
part alone is not the grade. The generic CSV always has the score and the status.
Scores are after the late penalty; when the LMS's points possible differ from the
assignment's maximum, the score is scaled to the LMS's. Students not on the roster get
no row (:func:`align` lists them).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.lms.errors import LmsError
from autograder.lms.rosters import BLACKBOARD, CANVAS, MOODLE, Roster
from autograder.lms.text import fold

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Section"]
WAITING = "needs_manual"  # autograded, a hand grade still to come: not a final score
FORMATS = ("generic", "canvas", "moodle", "blackboard")
GENERIC_COLUMNS = ["student_id", "name", "status", "score", "max_score", "late",
                   "late_minutes", "late_penalty", "reason"]


@dataclass(frozen=True)
class GradeRow:
    """One student's result, as the pipeline knows it.

    Attributes
    ----------
    student_id : str
        nbgrader's student id (the roster's id column).
    score : float or None
        Points before any late penalty; None when there is no score (failed, missing).
    max_score : float or None
        The assignment's points.
    status : str
        ``graded``, ``failed``, ``needs_manual``, ``tampered``, ``flagged``, ``missing``.
    minutes_late : float or None
        None or 0 when on time.
    penalty : float or None
        Points taken off for lateness (nbgrader's late-submission penalty).
    reason : str
        Why the status is not ``graded``.
    """

    student_id: str
    score: float | None
    max_score: float | None
    status: str
    minutes_late: float | None = None
    penalty: float | None = None
    reason: str = ""

    @property
    def final(self) -> float | None:
        """The score after the late penalty (never below 0); None when there is none."""
        if self.score is None:
            return None
        return max(0.0, self.score - (self.penalty or 0.0))

    @property
    def late_text(self) -> str:
        if not self.minutes_late:
            return ""
        text = f"{number(self.minutes_late, 0)} min late"
        return text + (f", penalty {number(self.penalty)}" if self.penalty else "")


def number(value: float | None, places: int = 2) -> str:
    """A score as text: '' for None, at most ``places`` decimals, no trailing zeros."""
    if value is None:
        return ""
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def align(roster: Roster, rows: Iterable[GradeRow],
          max_score: float | None = None) -> list[GradeRow]:
    """Rows in roster order, a ``missing`` row for every roster student without one
    (rows of students not on the roster are left out)."""
    by_id = {row.student_id: row for row in rows}
    return [by_id.get(sid) or GradeRow(sid, None, max_score, "missing",
                                       reason="nothing collected")
            for sid in roster.ids]


def _scaled(row: GradeRow, points: float | None, partial: bool = False) -> str:
    final = row.final
    if final is None or (row.status == WAITING and not partial):
        return ""
    if points and row.max_score and abs(points - row.max_score) > 1e-9:
        final = final * points / row.max_score
    return number(final)


def _points(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except (AttributeError, ValueError):
        return None


def write_canvas(path: str | Path, roster: Roster, rows: Iterable[GradeRow],
                 assignment: str, column: str | None = None,
                 partial: bool = False) -> list[GradeRow]:
    """Write Canvas's gradebook import for one assignment; return the rows written.

    Parameters
    ----------
    path : path
        The CSV to write.
    roster : Roster
        A Canvas gradebook export (its identity columns and ``Points Possible``).
    rows : iterable of GradeRow
        The pipeline's results.
    assignment : str
        The assignment id, to find its column in the roster.
    column : str, optional
        The score column: a roster column or the start of one ("ps1" finds
        "ps1 (4711)"); default: the roster's column for the assignment, else the
        assignment id (Canvas then creates a new assignment).
    partial : bool
        Also write the autograded part for students still waiting for a hand grade
        (``needs_manual``); by default their cell stays empty until formgrader is done.
    """
    if roster.lms != CANVAS:
        raise LmsError(f"a Canvas export needs Canvas's gradebook export as roster; "
                       f"{roster.path} is a {roster.lms} roster")
    rows = list(rows)
    ordered = align(roster, rows, rows[0].max_score if rows else None)
    column = lms_column(roster, column or assignment) or column or assignment
    identity = [c for c in CANVAS_IDENTITY if c in roster.columns]
    max_score = next((r.max_score for r in ordered if r.max_score), None)
    points = None
    preamble = []
    for extra in roster.preamble:
        cells = [extra.get(c, "") for c in identity]
        value = extra.get(column, "")
        if fold(extra.get("Student", "")) == "points possible":
            points = _points(value) or max_score
            value = value or number(max_score)
        preamble.append([*cells, value])
    _write(path, [*identity, column], preamble + [
        [*(roster.row(r.student_id).get(c, "") for c in identity),
         _scaled(r, points, partial)]
        for r in ordered
    ])
    return ordered


def write_moodle(path: str | Path, roster: Roster, rows: Iterable[GradeRow],
                 partial: bool = False) -> list[GradeRow]:
    """Write Moodle's grading worksheet back with grades and comments; return the rows.

    ``partial`` as in :func:`write_canvas`.
    """
    if roster.lms != MOODLE:
        raise LmsError(f"a Moodle export needs Moodle's grading worksheet as roster; "
                       f"{roster.path} is a {roster.lms} roster")
    ordered = align(roster, rows)
    columns = list(roster.columns)
    if "Feedback comments" not in columns:
        columns.append("Feedback comments")
    records = []
    for row in ordered:
        cells = dict(roster.row(row.student_id))
        cells["Grade"] = _scaled(row, _points(cells.get("Maximum Grade", "")), partial)
        notes = [row.status] + [t for t in (row.reason, row.late_text) if t]
        cells["Feedback comments"] = "; ".join(notes)
        records.append([cells.get(c, "") for c in columns])
    _write(path, columns, records)
    return ordered


def lms_column(roster: Roster, assignment: str) -> str | None:
    """The roster's column for ``assignment``: named after it, followed by Canvas's
    ``(id)`` or Blackboard's ``[Total Pts: ...]`` (compared case-insensitively)."""
    wanted = fold(assignment)
    for column in roster.columns:
        name = fold(column)
        if name == wanted or name.startswith((wanted + " (", wanted + " [")):
            return column
    return None


def write_blackboard(path: str | Path, roster: Roster, rows: Iterable[GradeRow],
                     assignment: str, column: str | None = None,
                     partial: bool = False) -> list[GradeRow]:
    """Write a Grade Center upload for one item; return the rows written.

    ``column`` is a roster column or the start of one ("PS1" finds
    "PS1 [Total Pts: 20 Score] |88123", so Blackboard updates that item); default: the
    roster's column for the assignment, else the assignment id (Blackboard then adds a
    text column). ``partial`` as in :func:`write_canvas`.
    """
    if roster.lms != BLACKBOARD:
        raise LmsError(f"a Blackboard export needs the Grade Center download as roster; "
                       f"{roster.path} is a {roster.lms} roster")
    ordered = align(roster, rows)
    column = lms_column(roster, column or assignment) or column or assignment
    match = re.search(r"\[Total Pts:\s*([0-9.,]+)", column)
    points = _points(match.group(1)) if match else None
    identity = ["Last Name", "First Name", "Username"]
    _write(path, [*identity, column], [
        [*(roster.row(r.student_id).get(c, "") for c in identity),
         _scaled(r, points, partial)]
        for r in ordered
    ])
    return ordered


def write_generic(path: str | Path, roster: Roster, rows: Iterable[GradeRow],
                  extra_columns: Sequence[str] = (),
                  extra: Mapping[str, Sequence[str]] | None = None) -> list[GradeRow]:
    """Write the generic CSV (see the module docstring); return the rows written.

    ``extra_columns`` are appended to the header, ``extra[student_id]`` gives their
    cells (the pipeline's notes and per-cell scores); a student without one gets empty
    cells.
    """
    ordered = align(roster, rows)
    name_column = {"canvas": "Student", "moodle": "Full name"}.get(roster.lms, "name")
    records = []
    for row in ordered:
        info = roster.row(row.student_id)
        name = info.get(name_column) or " ".join(
            v for v in (info.get("First Name"), info.get("Last Name")) if v)
        records.append([row.student_id, name, row.status, number(row.final),
                        number(row.max_score), row.late_text,
                        number(row.minutes_late, 0) if row.minutes_late else "",
                        number(row.penalty) if row.minutes_late else "", row.reason,
                        *(extra or {}).get(row.student_id, [""] * len(extra_columns))])
    _write(path, [*GENERIC_COLUMNS, *extra_columns], records)
    return ordered


def _write(path: str | Path, header: list[str], records: list[list[str]]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(records)
