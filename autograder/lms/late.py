"""Late work: due dates from ``nbgrader_config.py``, submission times from the LMS,
nbgrader's ``timestamp.txt``, and the late-penalty plugin nbgrader applies.

nbgrader already knows how to handle late work; this module only feeds it:

1. the due date of each assignment goes into nbgrader's gradebook
   (:func:`autograder.lms.gradebook.set_duedates`, nbgrader's
   ``Assignment.duedate``), read from a section of ``nbgrader_config.py``::

       c.Lms.duedates = {"ps1_convolution": "2026-12-04 23:59 Europe/Berlin"}
       c.Lms.timezone = "Europe/Berlin"  # zone of LMS times written without one

2. each submission's time, taken from what the LMS gave (:func:`submission_time`), is
   written as nbgrader's ``timestamp.txt`` beside the notebook (:func:`timestamp_text`);
3. ``nbgrader autograde`` then computes the seconds late itself and calls its
   ``AssignLatePenalties`` preprocessor, whose plugin class is set in the config::

       c.AssignLatePenalties.plugin_class = "autograder.lms.late.LatePenalty"
       c.LatePenalty.percent_per_period = 10   # of the score, per started day late
       c.LatePenalty.grace_minutes = 15

   :class:`LatePenalty` is a :class:`nbgrader.plugins.LateSubmissionPlugin`; nbgrader
   stores its penalty with the notebook's scores, and the export reads it back
   (:func:`autograder.lms.gradebook.grade_rows`).

What each LMS tells about time: Blackboard writes the attempt time into every file
name (server time, no zone: ``c.Lms.timezone``); Moodle puts it in the grading
worksheet's ``Last modified (submission)`` column; Canvas's download only marks a
late file ``LATE``, without its time - such a submission is recorded
``c.Lms.canvas_late_minutes`` after the due date (default 1) and the report says the
exact time is unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import dateutil.parser
import dateutil.tz
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.utils import parse_utc
from traitlets import Dict, Float, Unicode
from traitlets.config import Config, Configurable
from traitlets.config.loader import PyFileConfigLoader
from traitlets.utils.importstring import import_item

from autograder.lms.courseroot import CONFIG_NAME
from autograder.lms.downloads import BLACKBOARD, CANVAS, MOODLE, Submission
from autograder.lms.errors import LmsError

MOODLE_TIME_COLUMN = "Last modified (submission)"


class Lms(Configurable):
    """The ``c.Lms`` section of ``nbgrader_config.py`` (plain nbgrader ignores it)."""

    duedates = Dict(
        key_trait=Unicode(), value_trait=Unicode(),
        help="Assignment id -> due date, e.g. '2026-12-04 23:59 Europe/Berlin' (a zone "
             "name or offset; none means UTC).",
    ).tag(config=True)
    timezone = Unicode(
        "UTC", help="Time zone of the times an LMS writes without one (Blackboard file "
                    "names, Moodle's worksheet).",
    ).tag(config=True)
    canvas_late_minutes = Float(
        1.0, help="Minutes after the due date recorded for a file Canvas marked LATE "
                  "(Canvas's download does not say when it came).",
    ).tag(config=True)


class LatePenalty(LateSubmissionPlugin):
    """nbgrader late-submission plugin: a share of the score per started period late.

    With ``grace_minutes = 15``, ``percent_per_period = 10``, ``period_hours = 24``: up
    to 15 minutes late costs nothing, then every started day costs 10 % of the
    notebook's score, at most ``max_percent``. ``penalty_method = 'zero'`` (nbgrader's
    own option) still means "late is zero".
    """

    grace_minutes = Float(0.0, help="Minutes late that cost nothing.").tag(config=True)
    percent_per_period = Float(10.0, help="Percent of the score per started period."
                               ).tag(config=True)
    period_hours = Float(24.0, help="Length of one period in hours.").tag(config=True)
    max_percent = Float(100.0, help="Largest penalty, percent of the score.").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float,
                                total_seconds_late: float) -> float | None:
        if self.penalty_method == "zero":
            return super().late_submission_penalty(student_id, score, total_seconds_late)
        minutes = total_seconds_late / 60.0
        if minutes <= self.grace_minutes:
            return 0.0
        periods = math.ceil((minutes - self.grace_minutes) / (self.period_hours * 60.0))
        percent = min(self.max_percent, periods * self.percent_per_period)
        return score * percent / 100.0


def load_config(course_root: str | Path) -> Config:
    """The traitlets config of the course's ``nbgrader_config.py``."""
    root = Path(course_root)
    if not (root / CONFIG_NAME).is_file():
        raise LmsError(f"no {CONFIG_NAME} in {root}")
    return PyFileConfigLoader(CONFIG_NAME, path=str(root)).load_config()


def settings(config: Config) -> Lms:
    return Lms(config=config)


def duedate(config: Config, assignment: str) -> datetime | None:
    """The due date of ``assignment`` from ``c.Lms.duedates``, naive UTC (nbgrader's way)."""
    text = settings(config).duedates.get(assignment)
    if not text:
        return None
    try:
        return parse_utc(text)
    except (ValueError, OverflowError) as err:
        raise LmsError(f"c.Lms.duedates[{assignment!r}] = {text!r} is not a date: {err}"
                       ) from None


def _local_to_utc(when: datetime, zone: str) -> datetime:
    tz = dateutil.tz.gettz(zone)
    if tz is None:
        raise LmsError(f"c.Lms.timezone = {zone!r} is not a time zone")
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(dateutil.tz.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class SubmissionTime:
    """When a submission came in (naive UTC, or None when unknown) and how we know."""

    when: datetime | None
    source: str
    doubtful: bool = False  # the LMS had a time, or a LATE mark, that could not be used


def submission_time(sub: Submission, roster_row: dict[str, str], config: Config,
                    due: datetime | None) -> SubmissionTime:
    """The submission time the LMS gave for ``sub``.

    Parameters
    ----------
    sub : Submission
        What collect decided for the student (its LMS and the chosen files).
    roster_row : dict
        The student's roster row (Moodle's worksheet has the time).
    config : Config
        The course config (``c.Lms``).
    due : datetime or None
        The assignment's due date (naive UTC), for Canvas's LATE marker.
    """
    lms = settings(config)
    if sub.lms == BLACKBOARD and sub.submitted is not None:
        return SubmissionTime(_local_to_utc(sub.submitted, lms.timezone),
                              "Blackboard's attempt time")
    if sub.lms == MOODLE:
        text = roster_row.get(MOODLE_TIME_COLUMN, "").strip()
        if text and text != "-":
            try:
                when = dateutil.parser.parse(text)
            except (ValueError, OverflowError):
                return SubmissionTime(None, f"Moodle's time {text!r} could not be read",
                                      doubtful=True)
            return SubmissionTime(_local_to_utc(when, lms.timezone), "Moodle's worksheet")
    if sub.lms == CANVAS and sub.late:
        if due is None:
            return SubmissionTime(None, "Canvas marked it LATE, but no due date is set "
                                        "in c.Lms.duedates", doubtful=True)
        return SubmissionTime(
            due + timedelta(minutes=lms.canvas_late_minutes),
            f"Canvas marked it LATE without a time; counted as "
            f"{lms.canvas_late_minutes:g} minute(s) late")
    if sub.lms == CANVAS:
        return SubmissionTime(None, "Canvas: on time (no LATE marker)")
    return SubmissionTime(None, "no time from the LMS")


def timestamp_text(when: datetime) -> str:
    """``when`` (naive UTC) as nbgrader writes ``timestamp.txt``; nbgrader reads it back."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC"


def minutes_late(when: datetime | None, due: datetime | None) -> float:
    """Minutes after the due date (0 when on time or either is unknown)."""
    if when is None or due is None:
        return 0.0
    return max(0.0, (when - due).total_seconds() / 60.0)


def penalty_plugin(config: Config) -> LateSubmissionPlugin:
    """The plugin nbgrader's ``AssignLatePenalties`` would use with this config."""
    section = config.get("AssignLatePenalties", {})
    cls = section.get("plugin_class", LateSubmissionPlugin)
    if isinstance(cls, str):
        cls = import_item(cls)
    return cls(config=config)


def penalty(config: Config, student: str, score: float, seconds_late: float) -> float | None:
    """The penalty nbgrader would record: the plugin's value, clamped to [0, score] the way
    ``AssignLatePenalties`` does; None when on time or when the plugin gives none."""
    if seconds_late <= 0:
        return None
    value = penalty_plugin(config).late_submission_penalty(student, score, seconds_late)
    if value is None:
        return None
    return min(max(value, 0.0), score)
