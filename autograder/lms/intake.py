"""One call for the pipeline's ``collect``: an LMS download in, nbgrader's folders out.

:func:`collect_downloads` runs the steps of the LMS layer in order - find the
submissions (:func:`~autograder.lms.downloads.scan_downloads`), work out their times
(:func:`~autograder.lms.late.submission_time`), write the notebooks and
``timestamp.txt`` where nbgrader's ``CourseDirectory`` says, put the due date into the
gradebook, and make a re-collect honest:

- a student whose notebook or time changed loses the old graded copy, feedback and
  gradebook scores (nbgrader's ``remove_submission``), so no stale score survives;
- a student whose download is byte-for-byte what was collected before keeps them
  (hand grades given in formgrader are not thrown away by collecting twice);
- a student collected before but no longer on this assignment's roster is removed
  the same way, so nobody off the roster is graded.

The roster is stored per assignment (:func:`store_roster`), so collecting ps3 with a
short roster never shrinks ps1's export.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from autograder.lms.archives import Limits
from autograder.lms.courseroot import student_folders
from autograder.lms.downloads import NOTEBOOK, DownloadReport, place, scan_downloads
from autograder.lms.errors import LmsError
from autograder.lms.gradebook import forget_submission, set_duedates
from autograder.lms.late import SubmissionTime, duedate, submission_time, timestamp_text
from autograder.lms.rosters import Roster, load_roster


@dataclass
class Collected:
    """What :func:`collect_downloads` did, for the collect report."""

    report: DownloadReport
    times: dict[str, SubmissionTime] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)  # kept their grades
    replaced: list[str] = field(default_factory=list)  # old grades removed
    dropped: list[str] = field(default_factory=list)  # off the roster now: removed

    def summary_lines(self) -> list[str]:
        lines = self.report.summary_lines()
        lines += [f"  time         {sid}: {t.when:%Y-%m-%d %H:%M} UTC ({t.source})"
                  for sid, t in self.times.items() if t.when is not None]
        lines += [f"  no time      {sid}: {t.source} - nbgrader will count it on time"
                  for sid, t in self.times.items() if t.when is None and t.doubtful]
        lines += [f"  unchanged    {sid} (same file as last time: grades kept)"
                  for sid in self.unchanged]
        lines += [f"  replaced     {sid} (new file, or none now: old scores removed)"
                  for sid in self.replaced]
        lines += [f"  dropped      {sid} (not on this roster: submission and scores removed)"
                  for sid in self.dropped]
        return lines

    def to_dict(self) -> dict:
        record = self.report.to_dict()
        record["times"] = {sid: {"when": t.when.isoformat() if t.when else None,
                                 "source": t.source} for sid, t in self.times.items()}
        record |= {"unchanged": self.unchanged, "replaced": self.replaced,
                   "dropped": self.dropped}
        return record


def course_directory(course_root: str | Path, config: Config) -> CourseDirectory:
    """nbgrader's ``CourseDirectory`` of the course, rooted at ``course_root``."""
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(Path(course_root).resolve())
    return coursedir


def _snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.name.endswith((NOTEBOOK, "timestamp.txt"))}


def collect_downloads(course_root: str | Path, config: Config, assignment: str,
                      downloads: str | Path, roster: Roster, notebooks: list[str],
                      limits: Limits | None = None) -> Collected:
    """Place every roster student's notebooks (and times) for nbgrader; see the module.

    Parameters
    ----------
    course_root : path
        The folder holding ``nbgrader_config.py``.
    config : Config
        Its loaded config (:func:`autograder.lms.late.load_config`).
    assignment : str
        The assignment id.
    downloads : path
        The LMS download folder.
    roster : Roster
        This assignment's roster (:func:`autograder.lms.rosters.load_roster`).
    notebooks : list of str
        The assignment's notebook names, without ``.ipynb``.
    limits : Limits, optional
        Caps on reading archives.
    """
    coursedir = course_directory(course_root, config)

    def submitted(sid: str) -> Path:
        return Path(coursedir.format_path(coursedir.submitted_directory, sid, assignment))

    report = scan_downloads(downloads, roster, notebooks, limits)
    due = duedate(config, assignment)
    if due is not None:
        set_duedates(config, [assignment])
    result = Collected(report)
    stamps: dict[str, str] = {}
    for sid, sub in report.placed.items():
        when = submission_time(sub, roster.row(sid), config, due)
        result.times[sid] = when
        if when.when is not None:
            stamps[sid] = timestamp_text(when.when)
    on_roster = set(roster.ids)
    before_ids = set(student_folders(coursedir, coursedir.submitted_directory, assignment))
    before = {sid: _snapshot(submitted(sid)) for sid in before_ids | on_roster}
    place(report, submitted, sorted(on_roster | before_ids), stamps)
    for sid, old in sorted(before.items()):
        if sid not in on_roster:
            result.dropped.append(sid)
        elif not old:
            continue
        elif _snapshot(submitted(sid)) == old:
            result.unchanged.append(sid)
            continue
        else:
            result.replaced.append(sid)
        forget_submission(config, assignment, sid)
        for step in (coursedir.autograded_directory, coursedir.feedback_directory):
            stale = Path(coursedir.format_path(step, sid, assignment))
            if stale.is_dir():
                shutil.rmtree(stale)
    return result


def store_roster(roster: Roster, folder: str | Path, assignment: str) -> Path:
    """Keep a copy of ``assignment``'s roster (as the LMS wrote it) in ``folder``.

    ``folder/<assignment>.roster`` is the file, ``folder/<assignment>.roster.json`` the
    chosen id column; :func:`stored_roster` reads them back for the export.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{assignment}.roster"
    if roster.path.resolve() != target.resolve():
        shutil.copyfile(roster.path, target)
    (folder / f"{assignment}.roster.json").write_text(
        json.dumps({"id_column": roster.id_column, "lms": roster.lms,
                    "source": str(roster.path)}, indent=2) + "\n")
    return target


def stored_roster(folder: str | Path, assignment: str) -> Roster:
    """The roster :func:`store_roster` kept for ``assignment``."""
    folder = Path(folder)
    target = folder / f"{assignment}.roster"
    if not target.is_file():
        raise LmsError(f"no roster stored for {assignment} in {folder}: collect it first")
    meta = json.loads((folder / f"{assignment}.roster.json").read_text())
    return load_roster(target, id_column=meta["id_column"])
