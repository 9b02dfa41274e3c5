"""The autograder's rules as nbgrader plugins: ``nbgrader zip_collect`` and
``nbgrader export`` place files and write rows exactly as ``collect`` and ``export`` do.

Registered in ``nbgrader_config.py``::

    c.ZipCollectApp.collector_plugin = "autograder.plugins.RosterCollector"
    c.ExportApp.plugin_class = "autograder.plugins.StatusExport"
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.plugins import ExportPlugin, FileNameCollectorPlugin
from traitlets import Unicode

from autograder.collect import _skipped, load_roster, owners
from autograder.course import Course
from autograder.reporting import export


class RosterCollector(FileNameCollectorPlugin):
    """A download belongs to the roster id its name (or a folder above it) starts with;
    its notebook takes the released notebook's name, as ``collect`` does."""

    roster = Unicode("", help="CSV with a student_id column (default: the roster "
                     "`python -m autograder collect` saved)").tag(config=True)

    def collect(self, submitted_file: str) -> dict | None:
        path = Path(submitted_file)
        if path.suffix not in self.valid_ext or _skipped(path.parts):
            return None  # checkpoints, hidden files, __MACOSX: as collect skips them
        course = Course.load(".")
        ids = load_roster(self.roster or course.roster_path)
        student = next((found[0] for part in reversed(path.parts)
                        if len(found := owners(part, ids)) == 1), None)
        if student is None:
            return None
        file_id = path.name
        released = [course.release_dir(p) for p in path.parts
                    if course.release_dir(p).is_dir()]
        if path.suffix == ".ipynb" and released:
            notebooks = sorted(released[-1].glob("*.ipynb"))
            if len(notebooks) == 1:
                file_id = notebooks[0].name
        return {"student_id": student, "file_id": file_id}


class StatusExport(ExportPlugin):
    """``nbgrader export``: the autograder's rows (status, reason, notes, one column per
    graded cell), one CSV per assignment."""

    def export(self, gradebook) -> None:
        course = Course.load(".")
        assignments = list(self.assignment) or [a.name for a in gradebook.assignments]
        target = Path(self.to or "grades.csv")
        for assignment in assignments:
            out = target if len(assignments) == 1 else target.with_name(
                f"{target.stem}-{assignment}{target.suffix or '.csv'}")
            export(course, assignment, out, list(self.student) or None)
            self.log.info("wrote %s", out)
