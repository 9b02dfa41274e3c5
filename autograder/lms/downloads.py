"""Recognise the submissions in an LMS download folder and decide each student's notebook.

How each LMS names what it hands over (described here in our words; the tests build
classes this way):

Canvas ("Download Submissions")
    One zip with one file per uploaded file, named
    ``<name>_<userid>_<fileid>_<original name>``, with ``_LATE`` after the name when
    Canvas counted the submission late. ``<name>`` is the sortable name squeezed to
    lower-case letters ("Müller, Jörg" -> ``müllerjörg``), ``<userid>`` the number in
    the gradebook's ``ID`` column, ``<fileid>`` Canvas's id of the uploaded file (it
    grows with every upload, so it orders a student's files). A file uploaded again
    under the same name gets ``-1``, ``-2`` before its extension.
Moodle ("Download all submissions")
    One zip holding, per student, a folder
    ``<Full Name>_<participant>_assignsubmission_file_/`` with the files inside (or,
    with folders turned off, files with that prefix followed by their own name).
    ``<participant>`` is the number of the worksheet's ``Identifier`` column
    ("Participant 77"). The times are in the worksheet, not the names.
Blackboard ("Assignment File Download")
    One zip with ``<Assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<original
    name>`` per file (plus a ``.txt`` receipt per attempt); the time is the server's
    local time.
Anything else
    Loose notebooks, folders or archives whose name starts with a roster value
    (``s001.ipynb``, ``s001_ps1 (1).ipynb``, ``s001/``, ``s001.tar.gz``). A browser
    that downloads a file twice adds `` (1)``.

Archives are opened wherever they are (a Canvas zip inside the folder, a student's
zip inside the Canvas zip, tarballs), safely: see :mod:`autograder.lms.archives`.
Which roster column the names use is found by trying them all
(:meth:`Roster.match_column`). Two different files for one student: the later by the
LMS's time or order wins and the report says which file replaced which; when the LMS
gives no order, nothing is guessed and the student is reported ambiguous.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from autograder.lms.archives import Findings, Leaf, Limits, walk
from autograder.lms.errors import LmsError
from autograder.lms.rosters import BLACKBOARD, CANVAS, MOODLE, PLAIN, ColumnMatch, Roster
from autograder.lms.text import fold

NOTEBOOK = ".ipynb"

_CANVAS = re.compile(
    r"^(?P<name>[^_]+?)(?P<late>_(?i:late))?_(?P<uid>\d+)_(?P<fid>\d+)_(?P<rest>.+)$")
_MOODLE = re.compile(
    r"^(?P<name>.+?)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)$")
_BLACKBOARD = re.compile(
    r"^(?P<head>.+)_attempt_(?P<when>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)(?:_(?P<rest>.+))?$")
_COPY = re.compile(r"^(?P<stem>.*?) \((?P<n>\d+)\)$")  # "ps1 (1)": a browser's second copy
_AGAIN = re.compile(r"^(?P<stem>.*?)-(?P<n>\d+)$")  # "ps1-1": Canvas's re-upload
_SEPARATORS = set("_- .()")


@dataclass(frozen=True)
class Naming:
    """What one path component says about its student.

    Attributes
    ----------
    lms : str
        ``canvas``, ``moodle``, ``blackboard`` or ``plain``.
    tokens : tuple of str
        Values that may identify the student (user id and name, username, prefixes).
    order : tuple or None
        Sorts a student's files from one LMS, later last; None: the LMS gives none.
    late : bool
        Canvas marked the submission ``LATE``.
    submitted : datetime or None
        The time the LMS wrote in the name (Blackboard; naive, the server's zone).
    rest : str
        The student's own file name, the LMS's prefix removed ('' for a folder).
    """

    lms: str
    tokens: tuple[str, ...]
    order: tuple | None = None
    late: bool = False
    submitted: datetime | None = None
    rest: str = ""


def split_copy_suffixes(name: str, canvas: bool = False) -> tuple[str, int, int]:
    """``'ps1-1 (2).ipynb'`` -> ``('ps1', 1, 2)``: stem, re-upload number, copy number.

    The re-upload number (``-N``) is only read for Canvas names, where Canvas adds it.
    """
    stem = name[: -len(NOTEBOOK)] if name.lower().endswith(NOTEBOOK) else name
    for suffix in (".zip", ".tar.gz", ".tgz", ".tar"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    copy = again = 0
    if match := _COPY.match(stem):
        stem, copy = match["stem"], int(match["n"])
    if canvas and (match := _AGAIN.match(stem)):
        stem, again = match["stem"], int(match["n"])
    return stem, again, copy


def parse_lms_name(name: str) -> Naming | None:
    """The naming of Canvas, Moodle or Blackboard in one file or folder name, else None."""
    if match := _MOODLE.match(name):
        return Naming(MOODLE, (match["pid"], match["name"]), None, rest=match["rest"])
    if match := _BLACKBOARD.match(name):
        words = match["head"].split("_")
        tokens = tuple("_".join(words[i:]) for i in range(1, len(words)))
        when = datetime.strptime(match["when"], "%Y-%m-%d-%H-%M-%S")
        _, _, copy = split_copy_suffixes(match["rest"] or "")
        return Naming(BLACKBOARD, tokens, (when, copy), submitted=when,
                      rest=match["rest"] or "")
    if match := _CANVAS.match(name):
        _, again, copy = split_copy_suffixes(match["rest"], canvas=True)
        return Naming(CANVAS, (match["uid"], match["name"]),
                      (int(match["fid"]), again, copy), late=bool(match["late"]),
                      rest=match["rest"])
    return None


def plain_naming(name: str) -> Naming:
    """A name no LMS wrote: every prefix that ends before a separator may be an id."""
    stem, again, copy = split_copy_suffixes(name)
    tokens = [stem[:i] for i in range(1, len(stem)) if stem[i] in _SEPARATORS]
    tokens.append(stem)
    return Naming(PLAIN, tuple(dict.fromkeys(t for t in tokens if t.strip())),
                  (copy, again), rest=name)


@dataclass(frozen=True)
class Candidate:
    """A notebook found for a student."""

    student: str
    origin: str
    data: bytes = field(repr=False)
    naming: Naming
    file_stem: str  # the student's own notebook name, LMS prefix and copy numbers removed

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Submission:
    """What was decided for one student: a notebook per expected name, and its LMS facts."""

    student: str
    notebooks: dict[str, Candidate]

    @property
    def lms(self) -> str:
        return next(iter(self.notebooks.values())).naming.lms

    @property
    def late(self) -> bool:
        """Canvas's LATE marker on any of the chosen files."""
        return any(c.naming.late for c in self.notebooks.values())

    @property
    def submitted(self) -> datetime | None:
        """The latest time the LMS wrote in a chosen file's name (Blackboard)."""
        times = [c.naming.submitted for c in self.notebooks.values() if c.naming.submitted]
        return max(times) if times else None

    @property
    def origins(self) -> str:
        return ", ".join(c.origin for c in self.notebooks.values())


@dataclass
class DownloadReport:
    """Placed, replaced, ambiguous, unknown and refused entries, each with its reason."""

    column: ColumnMatch
    placed: dict[str, Submission] = field(default_factory=dict)
    superseded: dict[str, list[str]] = field(default_factory=dict)
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    ambiguous: dict[str, str] = field(default_factory=dict)
    unknown: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        lines = [f"{len(self.placed)} placed, {len(self.missing)} missing, "
                 f"{len(self.ambiguous)} ambiguous, {len(self.unknown)} unknown, "
                 f"{len(self.refused)} refused; {self.column.describe()}"]
        for sid, sub in self.placed.items():
            lines.append(f"  placed       {sid}: {sub.origins}")
        lines += [f"  replaced     {sid}: {text}" for sid, texts in self.superseded.items()
                  for text in texts]
        lines += [f"  duplicate    {sid}: identical copies {', '.join(o)}"
                  for sid, o in self.duplicates.items()]
        lines += [f"  ambiguous    {sid}: {why}" for sid, why in self.ambiguous.items()]
        lines += [f"  missing      {sid}" for sid in self.missing]
        lines += [f"  unknown      {origin}: {why}" for origin, why in self.unknown]
        lines += [f"  refused      {origin}: {why}" for origin, why in self.refused]
        return lines

    def to_dict(self) -> dict:
        """A JSON-ready record (notebook bytes left out)."""
        return {
            "column": self.column.column,
            "column_report": self.column.describe(),
            "placed": {sid: {"origins": s.origins, "lms": s.lms, "late": s.late,
                             "submitted": s.submitted.isoformat() if s.submitted else None}
                       for sid, s in self.placed.items()},
            "superseded": self.superseded,
            "duplicates": self.duplicates,
            "ambiguous": self.ambiguous,
            "unknown": [list(u) for u in self.unknown],
            "refused": [list(r) for r in self.refused],
            "ignored": self.ignored,
            "missing": self.missing,
        }


def _namings(leaf: Leaf) -> list[tuple[int, Naming]]:
    """How the leaf's path may name its student: the LMS naming nearest the top if
    any part has one, else every part's plain naming, outermost first."""
    for i, part in enumerate(leaf.parts):
        naming = parse_lms_name(part)
        if naming is not None:
            return [(i, naming)]
    return [(i, plain_naming(part)) for i, part in enumerate(leaf.parts)]


def _owners(namings: list[tuple[int, Naming]],
            column: ColumnMatch) -> tuple[list[str], int, Naming]:
    """The students the outermost part that names anyone names (with that part)."""
    for at, naming in namings:
        owners = column.owners(naming.tokens)
        if owners:
            return owners, at, naming
    return [], *namings[0]


def _file_stem(leaf: Leaf, naming: Naming, at: int) -> str:
    own = naming.rest if at == len(leaf.parts) - 1 else leaf.parts[-1]
    return split_copy_suffixes(own, canvas=naming.lms == CANVAS)[0]


def scan_downloads(folder: str | Path, roster: Roster, notebooks: list[str],
                   limits: Limits | None = None) -> DownloadReport:
    """Find every roster student's notebooks in an LMS download folder.

    Parameters
    ----------
    folder : path
        The download folder (the LMS's zip can be left unopened inside it).
    roster : Roster
        This assignment's roster.
    notebooks : list of str
        The assignment's notebook names without ``.ipynb`` (from its release).
    limits : Limits, optional
        Caps on archive reading.

    Returns
    -------
    DownloadReport
        With a :class:`Submission` for every student placed.

    Raises
    ------
    LmsError
        If the folder does not exist, or no notebook in it names a roster student (the
        message says which roster column was tried and what the names looked like).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LmsError(f"download folder {folder} does not exist")
    found: Findings = walk(folder, lambda name: name.lower().endswith(NOTEBOOK), limits)
    namings = [_namings(leaf) for leaf in found.leaves]
    column = roster.match_column([tuple(t for _, n in ns for t in n.tokens) for ns in namings])
    report = DownloadReport(column, refused=found.refused, ignored=found.ignored)
    per_student: dict[str, list[Candidate]] = {sid: [] for sid in roster.ids}
    for leaf, options in zip(found.leaves, namings, strict=True):
        owners, at, naming = _owners(options, column)
        if len(owners) > 1:
            report.unknown.append((leaf.origin, f"names several students: {', '.join(owners)}"))
        elif not owners:
            report.unknown.append((leaf.origin, f"no roster value in column "
                                   f"'{column.column}' matches {', '.join(naming.tokens)}"))
        else:
            per_student[owners[0]].append(Candidate(owners[0], leaf.origin, leaf.data, naming,
                                                    _file_stem(leaf, naming, at)))
    if not any(per_student.values()):
        shown = ", ".join(leaf.origin for leaf in found.leaves[:3]) or "no notebooks at all"
        raise LmsError(
            f"no download in {folder} matched a roster student: {column.describe()}; "
            f"the notebooks found were: {shown}. Is this the roster of this assignment, "
            "and does it have the column the LMS uses in file names?"
        )
    for sid in roster.ids:
        _decide(sid, per_student[sid], notebooks, report)
    return report


def _decide(sid: str, candidates: list[Candidate], expected: list[str],
            report: DownloadReport) -> None:
    if not candidates:
        report.missing.append(sid)
        return
    groups: dict[str, list[Candidate]] = {}
    if len(expected) == 1:
        groups[expected[0]] = candidates
    else:
        by_fold = {fold(name): name for name in expected}
        for cand in candidates:
            name = by_fold.get(fold(cand.file_stem))
            if name is None:
                report.unknown.append((cand.origin, f"{sid}'s file is none of the "
                                       f"notebooks {', '.join(expected)}"))
            else:
                groups.setdefault(name, []).append(cand)
        if absent := [name for name in expected if name not in groups]:
            report.ambiguous[sid] = (f"no file for notebook(s) {', '.join(absent)} among "
                                     f"{', '.join(c.origin for c in candidates)}")
            return
    chosen: dict[str, Candidate] = {}
    for name, group in groups.items():
        distinct: dict[str, Candidate] = {}
        for cand in group:
            if cand.digest in distinct:
                report.duplicates.setdefault(sid, []).extend(
                    o for o in (distinct[cand.digest].origin, cand.origin)
                    if o not in report.duplicates.get(sid, []))
            else:
                distinct[cand.digest] = cand
        winner, why = _latest(list(distinct.values()))
        if winner is None:
            report.ambiguous[sid] = why
            return
        chosen[name] = winner
        for cand in distinct.values():
            if cand is not winner:
                report.superseded.setdefault(sid, []).append(
                    f"{cand.origin} replaced by the later {winner.origin} ({why})")
    report.placed[sid] = Submission(sid, chosen)


def _latest(cands: list[Candidate]) -> tuple[Candidate | None, str]:
    """The one latest candidate by the LMS's order, or None and the reason."""
    if len(cands) == 1:
        return cands[0], ""
    names = ", ".join(c.origin for c in cands)
    kinds = {c.naming.lms for c in cands}
    if len(kinds) > 1 or any(c.naming.order is None for c in cands):
        return None, (f"different files {names} and no order between them from the LMS; "
                      "nothing placed - keep one")
    ordered = sorted(cands, key=lambda c: c.naming.order)
    if ordered[-1].naming.order == ordered[-2].naming.order:
        return None, (f"different files {names} and no order between them (the same "
                      "time, upload or copy number); nothing placed - keep one")
    how = {CANVAS: "Canvas's upload order", BLACKBOARD: "Blackboard's attempt time",
           PLAIN: "the download's copy number"}[ordered[-1].naming.lms]
    return ordered[-1], how


def place(report: DownloadReport, submitted_dir: Callable[[str], Path],
          roster_ids: list[str], timestamps: dict[str, str] | None = None) -> list[Path]:
    """Write every placed student's notebooks where nbgrader expects them.

    Every roster student's old submission folder is removed first, so a re-collect
    replaces what was there (and a student who is now missing has nothing left to be
    graded). ``timestamps`` (student -> the text of nbgrader's ``timestamp.txt``, from
    :func:`autograder.lms.late.timestamp_text`) are written next to the notebooks.

    Parameters
    ----------
    report : DownloadReport
        From :func:`scan_downloads`.
    submitted_dir : callable
        ``submitted_dir(student) -> Path``, nbgrader's submitted folder of this
        assignment for that student.
    roster_ids : list of str
        The roster's students (their folders are cleared).
    timestamps : dict, optional
        Submission times to record.

    Returns
    -------
    list of Path
        The folders written.
    """
    written = []
    for sid in roster_ids:
        target = submitted_dir(sid)
        if target.exists():
            shutil.rmtree(target)
        sub = report.placed.get(sid)
        if sub is None:
            continue
        target.mkdir(parents=True)
        for name, cand in sub.notebooks.items():
            (target / f"{name}{NOTEBOOK}").write_bytes(cand.data)
        if timestamps and sid in timestamps:
            (target / "timestamp.txt").write_text(timestamps[sid] + "\n", encoding="utf-8")
        written.append(target)
    return written


__all__ = ["Candidate", "DownloadReport", "Naming", "Submission",
           "parse_lms_name", "place", "plain_naming", "scan_downloads",
           "split_copy_suffixes"]
