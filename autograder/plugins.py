"""The autograder's rules as nbgrader plugins (registered in ``nbgrader_config.py``):
``nbgrader zip_collect`` recognises downloads as ``collect`` does, and ``nbgrader
export`` writes ``export``'s generic rows."""

from __future__ import annotations

from pathlib import Path

from nbgrader.plugins import ExportPlugin, FileNameCollectorPlugin
from traitlets import Unicode

from autograder.course import Course
from autograder.lms.archives import skipped_name
from autograder.lms.downloads import parse_lms_name, plain_naming, split_copy_suffixes
from autograder.lms.rosters import load_roster
from autograder.reporting import assignment_roster, export


class RosterCollector(FileNameCollectorPlugin):
    """A file belongs to the roster student its name (or the nearest folder above it)
    names, read the way ``collect`` reads Canvas, Moodle, Blackboard and plain names;
    a notebook takes the released notebook's name when the assignment has one."""

    roster = Unicode("", help="Roster file (plain CSV or an LMS export; default: the assignment's "
                     "roster stored by `python -m autograder collect`)").tag(config=True)

    def collect(self, submitted_file: str) -> dict | None:
        path = Path(submitted_file)
        if path.suffix not in self.valid_ext or any(skipped_name(p) for p in path.parts):
            return None  # checkpoints, hidden files, __MACOSX: as collect skips them
        course = Course.load(".")
        assignment = next((p for p in reversed(path.parts) if course.release_dir(p).is_dir()), None)
        if self.roster:
            roster = load_roster(self.roster)
        elif assignment is None or (roster := assignment_roster(course, assignment)) is None:
            return None
        for part in reversed(path.parts):
            naming = parse_lms_name(part) or plain_naming(part)
            owners = roster.match_column([naming.tokens]).owners(naming.tokens)
            if len(owners) == 1:
                break
        else:
            return None
        file_id = split_copy_suffixes(naming.rest or path.name)[0] + path.suffix
        if path.suffix == ".ipynb" and assignment:
            notebooks = sorted(course.release_dir(assignment).glob("*.ipynb"))
            if len(notebooks) == 1:
                file_id = notebooks[0].name
        return {"student_id": owners[0], "file_id": file_id}


class StatusExport(ExportPlugin):
    """``nbgrader export``: the generic rows of ``python -m autograder export`` (status,
    late work, reason, notes, one column per graded cell), one CSV per assignment."""

    def export(self, gradebook) -> None:
        course = Course.load(".")
        assignments = list(self.assignment) or [a.name for a in gradebook.assignments]
        target = Path(self.to or "grades.csv")
        for assignment in assignments:
            out = target if len(assignments) == 1 else target.with_name(
                f"{target.stem}-{assignment}{target.suffix or '.csv'}")
            export(course, assignment, out, list(self.student) or None)
            self.log.info("wrote %s", out)
