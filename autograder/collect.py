"""Collect: turn a learning-management-system download folder into nbgrader submissions.

Each entry of the download folder whose name starts with a roster id (``s001.ipynb``,
``s001_ps1 (1).ipynb``, ``s001-ps1-2.ipynb``, ``s001.zip``, a folder ``s001/``) is a
candidate for that student. A student's notebook is placed where nbgrader expects
it, under the assignment's notebook name. Everything that cannot be decided without
guessing (two different notebooks, an entry matching two ids) is reported instead.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.course import Course, CourseError, check_id

NOTEBOOK_SUFFIX = ".ipynb"
MAX_NOTEBOOK_BYTES = 100 * 1024 * 1024  # a larger "notebook" is a mistake or a zip bomb
_SKIP_PARTS = {"__MACOSX", ".ipynb_checkpoints"}


@dataclass
class Candidate:
    """One notebook found for a student: where it came from and its bytes."""

    origin: str
    data: bytes = field(repr=False)

    @property
    def stem(self) -> str:
        return Path(self.origin.split(":")[-1]).stem

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class CollectReport:
    """What collect did and what it refused to decide."""

    assignment: str
    placed: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)

    def note(self, student: str, text: str) -> None:
        self.notes.setdefault(student, []).append(text)

    def to_dict(self) -> dict:
        return asdict(self)

    def summary_lines(self) -> list[str]:
        lines = [f"collect {self.assignment}: {len(self.placed)} placed "
                 f"({len(self.renamed)} under a new name)"]
        lines += [f"  missing      {sid}" for sid in self.missing]
        lines += [
            f"  ambiguous    {sid}: {', '.join(files)} (nothing placed; keep one file)"
            for sid, files in sorted(self.ambiguous.items())
        ]
        lines += [
            f"  duplicate    {sid}: identical copies {', '.join(files)}"
            for sid, files in sorted(self.duplicates.items())
        ]
        lines += [f"  unknown      {name} (no roster id matches)" for name in self.unknown]
        lines += [f"  ignored      {name}" for name in self.ignored]
        for sid, texts in sorted(self.notes.items()):
            lines += [f"  note         {sid}: {text}" for text in texts]
        return lines


def load_roster(path: str | Path) -> list[str]:
    """Student ids from a CSV file with a ``student_id`` column, in file order.

    Raises
    ------
    CourseError
        If the file is missing, has no ``student_id`` column, repeats an id or holds an
        id that cannot be a folder name.
    """
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"roster {path} does not exist")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = [c.strip() for c in (reader.fieldnames or [])]
        if "student_id" not in columns:
            raise CourseError(
                f"roster {path} has no 'student_id' column "
                f"(columns: {', '.join(columns) or 'none'})"
            )
        reader.fieldnames = columns
        ids: list[str] = []
        for row in reader:
            sid = (row.get("student_id") or "").strip()
            if not sid:
                continue
            check_id("student id", sid)
            if sid in ids:
                raise CourseError(f"roster {path} lists student id {sid!r} twice")
            ids.append(sid)
    if not ids:
        raise CourseError(f"roster {path} lists no students")
    return ids


def owners(entry_name: str, roster: list[str]) -> list[str]:
    """Roster ids that ``entry_name`` starts with, followed by a non-alphanumeric or the end."""
    lowered = entry_name.lower()
    found = []
    for sid in roster:
        key = sid.lower()
        if lowered == key or (
            lowered.startswith(key) and not lowered[len(key)].isalnum()
        ):
            found.append(sid)
    return found


def _skipped(parts: tuple[str, ...]) -> bool:
    return any(p in _SKIP_PARTS or p.startswith(".") for p in parts)


def notebooks_in(entry: Path) -> tuple[list[Candidate], list[str]]:
    """Notebooks inside one download entry (file, zip or folder) and the extra files seen."""
    found: list[Candidate] = []
    extras: list[str] = []
    if entry.is_dir():
        for path in sorted(entry.rglob("*")):
            rel = path.relative_to(entry)
            if not path.is_file() or _skipped(rel.parts):
                continue
            if path.suffix.lower() == NOTEBOOK_SUFFIX:
                found.append(Candidate(f"{entry.name}/{rel.as_posix()}", _read_capped(path)))
            else:
                extras.append(f"{entry.name}/{rel.as_posix()}")
    elif entry.suffix.lower() == ".zip":
        found, extras = _notebooks_in_zip(entry)
    elif entry.suffix.lower() == NOTEBOOK_SUFFIX:
        found.append(Candidate(entry.name, _read_capped(entry)))
    else:
        extras.append(entry.name)
    return found, extras


def _read_capped(path: Path) -> bytes:
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise CourseError(f"{path} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB")
    return path.read_bytes()


def _notebooks_in_zip(entry: Path) -> tuple[list[Candidate], list[str]]:
    found: list[Candidate] = []
    extras: list[str] = []
    try:
        with zipfile.ZipFile(entry) as archive:
            for info in archive.infolist():
                parts = tuple(p for p in info.filename.split("/") if p)
                if info.is_dir() or not parts or _skipped(parts):
                    continue
                label = f"{entry.name}:{'/'.join(parts)}"
                if not parts[-1].lower().endswith(NOTEBOOK_SUFFIX):
                    extras.append(label)
                    continue
                if info.file_size > MAX_NOTEBOOK_BYTES:
                    raise CourseError(f"{label} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB")
                found.append(Candidate(label, archive.read(info)))
    except (zipfile.BadZipFile, RuntimeError) as err:
        # RuntimeError: encrypted members
        raise CourseError(f"{entry.name} cannot be read as a zip file: {err}") from None
    return found, extras


def gather(downloads: Path, roster: list[str], report: CollectReport) -> dict[str, list[Candidate]]:
    """Candidates per roster student; unknown, ambiguous and extra entries go to ``report``."""
    if not downloads.is_dir():
        raise CourseError(f"download folder {downloads} does not exist")
    per_student: dict[str, list[Candidate]] = {sid: [] for sid in roster}
    for entry in sorted(downloads.iterdir()):
        if entry.name.startswith(".") or entry.name in _SKIP_PARTS:
            continue
        matches = owners(entry.name, roster)
        if len(matches) > 1:
            report.unknown.append(f"{entry.name} (matches several ids: {', '.join(matches)})")
            continue
        if not matches:
            if entry.is_dir() or entry.suffix.lower() in (NOTEBOOK_SUFFIX, ".zip"):
                report.unknown.append(entry.name)
            else:
                report.ignored.append(entry.name)
            continue
        sid = matches[0]
        try:
            found, extras = notebooks_in(entry)
        except CourseError as err:
            report.note(sid, str(err))
            continue
        per_student[sid].extend(found)
        report.ignored.extend(extras)
    return per_student


def choose(
    candidates: list[Candidate], expected: list[str]
) -> tuple[dict[str, Candidate], list[str], list[str]]:
    """Pick each expected notebook from a student's candidates without guessing.

    Returns
    -------
    chosen : dict
        Expected notebook stem -> candidate.
    duplicates : list of str
        Origins of byte-identical copies that were collapsed.
    problem : list of str
        Origins of the candidates when no unique choice exists (then ``chosen`` is empty).
    """
    groups: dict[str, list[Candidate]] = {}
    for cand in candidates:
        groups.setdefault(cand.digest, []).append(cand)
    duplicates = [c.origin for group in groups.values() if len(group) > 1 for c in group]
    distinct = [group[0] for group in groups.values()]
    if len(expected) == 1 and len(distinct) == 1:
        return {expected[0]: distinct[0]}, duplicates, []
    chosen: dict[str, Candidate] = {}
    for stem in expected:
        exact = [c for c in distinct if c.stem == stem]
        if len(exact) == 1:
            chosen[stem] = exact[0]
    if len(chosen) == len(expected):
        return chosen, duplicates, []
    return {}, duplicates, [c.origin for c in distinct]


def collect(
    course: Course, assignment: str, downloads: str | Path, roster_file: str | Path
) -> CollectReport:
    """Place every roster student's notebook under nbgrader's submitted folder.

    Parameters
    ----------
    course : Course
        The loaded course.
    assignment : str
        Assignment id; its release notebooks give the expected file names.
    downloads : path
        The folder the learning-management system handed over.
    roster_file : path
        CSV with a ``student_id`` column; copied into the grading records for ``export``.
    """
    check_id("assignment", assignment)
    roster = load_roster(roster_file)
    expected = [p.stem for p in course.release_notebooks(assignment)]
    report = CollectReport(assignment)
    per_student = gather(Path(downloads), roster, report)
    for sid in roster:
        target = course.submitted_dir(sid, assignment)
        if target.exists():
            shutil.rmtree(target)
        candidates = per_student[sid]
        if not candidates:
            report.missing.append(sid)
            continue
        chosen, duplicates, problem = choose(candidates, expected)
        if duplicates:
            report.duplicates[sid] = duplicates
        if problem:
            report.ambiguous[sid] = problem
            continue
        target.mkdir(parents=True)
        origins = []
        for stem, cand in chosen.items():
            (target / f"{stem}{NOTEBOOK_SUFFIX}").write_bytes(cand.data)
            origins.append(cand.origin)
            if cand.stem != stem:
                report.renamed[sid] = f"{cand.origin} -> {stem}{NOTEBOOK_SUFFIX}"
        report.placed[sid] = ", ".join(origins)
    _save(course, assignment, roster_file, report)
    return report


def _save(course: Course, assignment: str, roster_file: str | Path, report: CollectReport) -> None:
    course.data_dir.mkdir(parents=True, exist_ok=True)
    if Path(roster_file).resolve() != course.roster_path:
        shutil.copyfile(roster_file, course.roster_path)
    folder = course.report_dir(assignment)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "collect.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")


def load_report(course: Course, assignment: str) -> CollectReport | None:
    """The last collect report of ``assignment``, if collect has run."""
    path = course.report_dir(assignment) / "collect.json"
    if not path.is_file():
        return None
    return CollectReport(**json.loads(path.read_text()))
