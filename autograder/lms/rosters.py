"""Rosters: who is in the class for one assignment, read from what the LMS exports.

Four layouts are recognised from their header row:

``plain``
    Any CSV with a ``student_id`` column (other columns are kept).
``canvas``
    Canvas's gradebook export: ``Student`` (sortable name, "Last, First"), ``ID``
    (Canvas's numeric user id, the number in download file names), ``SIS User ID``,
    ``SIS Login ID``, ``Section`` and one column per assignment. Under the header
    Canvas writes rows that are not students: a ``Points Possible`` row (and, in some
    versions, a row of "Manual Posting"/"(read only)" markers). They are kept as the
    roster's :attr:`Roster.preamble` so an export can write them back. Canvas's own
    "Student, Test" account is left out.
``moodle``
    Moodle's assignment grading worksheet: ``Identifier`` ("Participant 123", the
    number in the download folder names), ``Full name``, ``Email address``,
    ``Status``, ``Grade``, ``Maximum Grade``, ``Last modified (submission)``...
``blackboard``
    Blackboard's Grade Center download: ``Last Name``, ``First Name``, ``Username``
    (the name in download file names), ``Student ID`` and one column per item;
    comma-separated, or tab-separated UTF-16 (Blackboard's ``.xls`` download).

Every cell is NFC-normalised (names typed on a Mac arrive decomposed). The student id
nbgrader uses is taken from one column (:attr:`Roster.id_column`, chosen per layout or
given); ids must be usable as folder names, and two ids that differ only by case are
an error naming both (they would share a folder on macOS and Windows).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from autograder.lms.errors import LmsError
from autograder.lms.text import ascii_slug, fold, nfc, slug

PLAIN, CANVAS, MOODLE, BLACKBOARD = "plain", "canvas", "moodle", "blackboard"

# Which column becomes nbgrader's student id, best first (the first one filled in for
# every student wins). Canvas's own number comes last; Moodle's participant number is
# never used: it changes from one assignment to the next.
ID_PREFERENCE = {
    PLAIN: ["student_id"],
    CANVAS: ["SIS Login ID", "SIS User ID", "ID"],
    MOODLE: ["ID number", "Username", "Email address"],
    BLACKBOARD: ["Username", "Student ID"],
}
# Columns that may name a student in download file names, in the order ties are broken.
MATCH_COLUMNS = {
    PLAIN: ["student_id", "username", "login", "email", "sis_id", "lms_id", "name"],
    CANVAS: ["ID", "SIS Login ID", "SIS User ID", "Integration ID", "Student"],
    MOODLE: ["Identifier", "ID number", "Username", "Email address", "Full name"],
    BLACKBOARD: ["Username", "Student ID"],
}
# Columns holding a person's name: compared as letters only ("Müller, Jörg" is
# "müllerjörg", the way Canvas writes it in file names).
NAME_COLUMNS = {"Student", "Full name", "name", "full_name"}
_ID_EXTRA_CHARS = set("._-@+")


@dataclass(frozen=True)
class ColumnMatch:
    """The roster column that names the students in a download, and how well it did.

    Attributes
    ----------
    column : str
        The chosen column.
    matched : int
        Notebooks found whose names point to exactly one student through it.
    total : int
        Notebooks found in the download.
    tried : list of (column, matched)
        Every column tried, best first.
    """

    column: str
    matched: int
    total: int
    tried: list[tuple[str, int]]
    index: dict[str, set[str]] = field(repr=False)

    def owners(self, tokens: Iterable[str]) -> list[str]:
        """Student ids that any of ``tokens`` (names seen in a download) refers to."""
        return sorted(_owners(self.index, tokens))

    def describe(self) -> str:
        others = ", ".join(f"'{c}' {n}" for c, n in self.tried[1:])
        text = (f"roster column '{self.column}' named the student of {self.matched} of "
                f"{self.total} notebooks in the download")
        return text + (f" (also tried: {others})" if others else "")


@dataclass
class Roster:
    """One assignment's class list, with the LMS's own columns kept for the export.

    Attributes
    ----------
    path : Path
        Where it was read from.
    lms : str
        ``plain``, ``canvas``, ``moodle`` or ``blackboard``.
    columns : list of str
        The header, as the LMS wrote it (NFC).
    rows : list of dict
        One per student, in file order, every column kept.
    id_column : str
        The column whose value is nbgrader's student id.
    preamble : list of dict
        Rows under the header that are not students (Canvas's ``Points Possible``).
    skipped : list of str
        Rows left out, with the reason (no id, Canvas's test student).
    """

    path: Path
    lms: str
    columns: list[str]
    rows: list[dict[str, str]]
    id_column: str
    preamble: list[dict[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        """nbgrader student ids, in file order."""
        return [row[self.id_column] for row in self.rows]

    def row(self, student_id: str) -> dict[str, str]:
        """The roster row of ``student_id`` (KeyError if not on the roster)."""
        return self._by_id[student_id]

    @cached_property
    def _by_id(self) -> dict[str, dict[str, str]]:
        # built on first use: the exports look up every student, some once per column
        by_id: dict[str, dict[str, str]] = {}
        for row in self.rows:
            by_id.setdefault(row[self.id_column], row)  # the first, as a scan would find
        return by_id

    def match_columns(self) -> list[str]:
        """Columns that may name students in download names, in tie-break order."""
        preferred = [c for c in MATCH_COLUMNS[self.lms] if c in self.columns]
        if self.id_column not in preferred:
            preferred.insert(0, self.id_column)
        return preferred

    def match_column(self, entries: Sequence[Sequence[str]]) -> ColumnMatch:
        """Pick the column whose values the download names use, and say which.

        Parameters
        ----------
        entries : sequence of sequences of str
            For each download entry, the names it could identify a student by (a
            Canvas file gives its user id and name, a Moodle folder its participant
            number and full name, a loose file the prefixes of its name).

        Returns
        -------
        ColumnMatch
            The column under which most entries name exactly one student (ties go to
            the earlier column of :meth:`match_columns`), with every column's count.
        """
        results = []
        for rank, column in enumerate(self.match_columns()):
            index = self._index(column)
            matched = sum(len(_owners(index, tokens)) == 1 for tokens in entries)
            results.append((matched, -rank, column, index))
        results.sort(key=lambda r: (r[0], r[1]), reverse=True)
        best = results[0]
        return ColumnMatch(best[2], best[0], len(entries),
                           [(r[2], r[0]) for r in results], best[3])

    def _index(self, column: str) -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        for row in self.rows:
            for form in _value_forms(column, row.get(column, "")):
                index.setdefault(form, set()).add(row[self.id_column])
        return index


def _value_forms(column: str, value: str) -> set[str]:
    """Index keys of one roster cell: ``=`` + the case-folded value; for name columns
    also ``~`` + its letters-only forms (so a file name's slug can only meet a name)."""
    if not value:
        return set()
    forms = {"=" + fold(value)}
    if column in NAME_COLUMNS:
        forms |= {"~" + f for f in (slug(value), ascii_slug(value)) if f}
    if column == "Identifier" and value.lower().startswith("participant"):
        forms.add("=" + value.split()[-1])  # Moodle: "Participant 77" is folder "..._77_..."
    return forms


def _token_forms(token: str) -> set[str]:
    """Lookup keys of a name seen in a download (see :func:`_value_forms`)."""
    forms = {"=" + fold(token)} if fold(token) else set()
    return forms | {"~" + f for f in (slug(token), ascii_slug(token)) if f}


def _owners(index: dict[str, set[str]], tokens: Iterable[str]) -> set[str]:
    """Student ids of ``index`` (a column's :meth:`Roster._index`) that any token names."""
    found: set[str] = set()
    for token in tokens:
        for form in _token_forms(token):
            found |= index.get(form, set())
    return found


def check_student_id(value: str, where: str) -> str:
    """Return ``value`` if it can be a folder name and an nbgrader id, else raise.

    Letters and digits of any script, and ``. _ - @ +``, starting with a letter or
    digit.
    """
    if not value or not value[0].isalnum() or not all(
        ch.isalnum() or ch in _ID_EXTRA_CHARS for ch in value
    ):
        raise LmsError(
            f"{where}: student id {value!r} is not usable as a folder name (letters, "
            "digits and . _ - @ + only, starting with a letter or digit)"
        )
    return value


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LmsError(
            f"roster {path} is not UTF-8 ({err.reason} at byte {err.start}); save it "
            "from the spreadsheet as 'CSV UTF-8'"
        ) from None


def _detect(columns: list[str]) -> str:
    have = set(columns)
    if "student_id" in have:
        return PLAIN
    if {"Student", "ID"} <= have and have & {"SIS User ID", "SIS Login ID"}:
        return CANVAS
    if {"Identifier", "Full name"} <= have:
        return MOODLE
    if {"Username", "Last Name", "First Name"} <= have:
        return BLACKBOARD
    return ""


def _choose_id_column(lms: str, columns: list[str], rows: list[dict[str, str]]) -> str:
    present = [c for c in ID_PREFERENCE[lms] if c in columns]
    for column in present:
        if rows and all(row.get(column) for row in rows):
            return column
    if not present:
        raise LmsError(f"the {lms} roster has none of the id columns "
                       f"{', '.join(ID_PREFERENCE[lms])}; pass id_column")
    return present[0]


def load_roster(path: str | Path, id_column: str | None = None) -> Roster:
    """Read a roster in any of the four layouts (see the module docstring).

    Parameters
    ----------
    path : path
        The CSV (or Blackboard's tab-separated ``.xls``) file.
    id_column : str, optional
        The column to use as nbgrader's student id; default: per layout, the first of
        :data:`ID_PREFERENCE` that every student has.

    Raises
    ------
    LmsError
        Unknown layout, unreadable encoding, no students, an id that cannot be a
        folder name, an id listed twice, or two ids differing only by case.
    """
    path = Path(path)
    if not path.is_file():
        raise LmsError(f"roster {path} does not exist")
    text = _decode(path)
    first = text.splitlines()[0] if text.strip() else ""
    # comma; tab in Blackboard's .xls; semicolon from spreadsheets in comma-decimal locales
    delimiter = max((",", "\t", ";"), key=first.count)
    records = [[nfc(cell) for cell in rec] for rec in csv.reader(io.StringIO(text),
                                                                 delimiter=delimiter)]
    records = [rec for rec in records if any(rec)]
    if not records:
        raise LmsError(f"roster {path} is empty")
    columns = records[0]
    lms = _detect(columns)
    if not lms:
        raise LmsError(
            f"roster {path} is not a layout I know (columns: {', '.join(columns)}); use a "
            "CSV with a 'student_id' column, or the gradebook export of Canvas "
            "(Student, ID, SIS User ID, SIS Login ID, Section), Moodle's grading "
            "worksheet (Identifier, Full name, ...) or Blackboard's Grade Center "
            "(Last Name, First Name, Username, ...)"
        )
    rows: list[dict[str, str]] = []
    preamble: list[dict[str, str]] = []
    skipped: list[str] = []
    for number, rec in enumerate(records[1:], start=2):
        row = dict(zip(columns, rec + [""] * (len(columns) - len(rec)), strict=False))
        if lms == CANVAS and not row.get("ID"):
            preamble.append(row)  # "Points Possible", "Manual Posting" markers
        elif lms == CANVAS and fold(row.get("Student", "")) == "student, test":
            skipped.append(f"line {number}: Canvas's test student")
        else:
            rows.append(row)
    if not rows:
        raise LmsError(f"roster {path} lists no students")
    if id_column is None:
        id_column = _choose_id_column(lms, columns, rows)
    elif id_column not in columns:
        raise LmsError(f"roster {path} has no column {id_column!r} "
                       f"(columns: {', '.join(columns)})")
    kept = []
    for row in rows:
        value = row.get(id_column, "")
        if not value:
            skipped.append(f"{row.get(_name_column(lms), '?')}: no {id_column!r}")
            continue
        check_student_id(value, f"roster {path}")
        kept.append(row)
    _check_unique(path, id_column, kept)
    return Roster(path, lms, columns, kept, id_column, preamble, skipped)


def _name_column(lms: str) -> str:
    return {CANVAS: "Student", MOODLE: "Full name", BLACKBOARD: "Last Name"}.get(lms, "name")


def _check_unique(path: Path, id_column: str, rows: list[dict[str, str]]) -> None:
    seen: dict[str, str] = {}
    for row in rows:
        value = row[id_column]
        other = seen.get(value.casefold())
        if other == value:
            raise LmsError(f"roster {path} lists student id {value!r} twice")
        if other is not None:
            raise LmsError(
                f"roster {path}: student ids {other!r} and {value!r} differ only by case; "
                "they would share one folder on macOS and Windows and one LMS login - "
                "fix the roster"
            )
        seen[value.casefold()] = value
