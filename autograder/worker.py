"""Grading inside a long-lived worker process, through nbgrader's own converter.

A worker imports nbgrader once and grades many students with nbgrader's ``Autograde``
converter called in-process (no command start-up per student), reading the staged
notebooks and writing to the shared gradebook.
"""

from __future__ import annotations

import copy
import io
import logging
import math
import os
import time
import traceback
import warnings
from multiprocessing.connection import Connection
from pathlib import Path

import sqlalchemy.exc
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)
from traitlets.config import Config

from autograder import execute, kernels, speedups
from autograder.converters import RecordingAutograde
from autograder.course import Course
from autograder.results import StudentResult
from autograder.sandbox import Isolation


def grading_config(course: Course) -> Config:
    """nbgrader configuration for the pipeline: the course's, with SafeExecute in charge."""
    cfg = copy.deepcopy(course.config)
    s = course.settings
    cfg.Autograde.autograde_preprocessors = [
        execute.SafeExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    cfg.SafeExecute.timeout = max(1, math.ceil(s.cell_timeout))
    cfg.SafeExecute.notebook_timeout = s.notebook_timeout
    cfg.SafeExecute.iopub_timeout = max(1, math.ceil(s.iopub_timeout))
    cfg.SafeExecute.startup_timeout = max(1, math.ceil(s.startup_timeout))
    cfg.SafeExecute.max_output_chars = s.max_output_chars
    cfg.SafeExecute.max_output_bytes = s.max_output_bytes
    # the student kit and any other files students received next to the notebook
    release = os.path.join(course.coursedir.release_directory, "{assignment}")
    cfg.SafeExecute.support_folders = [str(course.root / release)]
    cfg.SafeExecute.interrupt_on_timeout = True
    cfg.SafeExecute.shutdown_kernel = "immediate"
    return cfg


class NotebookGrader:
    """Grades one student at a time with nbgrader, in this process."""

    def __init__(self, course: Course, retries: int = 3):
        speedups.apply()
        self.course = course
        self.config = grading_config(course)
        self.retries = retries
        self.coursedir = CourseDirectory(config=self.config)
        self.coursedir.root = str(course.root)
        staged = course.staged_root()
        self.coursedir.submitted_directory = os.path.relpath(staged, course.root)

    def grade(self, assignment: str, student: str) -> StudentResult:
        """Autograde; never raises (a failure is a result with a reason)."""
        start = time.monotonic()
        for attempt in range(self.retries):
            result = self._attempt(assignment, student)
            if result.reason != "busy" or attempt == self.retries - 1:
                break
            time.sleep(2.0 * (attempt + 1))  # the gradebook was locked for too long
        if result.reason == "busy":
            result.reason = "the gradebook stayed locked; grade this student again"
        result.seconds = round(time.monotonic() - start, 2)
        return result

    def _attempt(self, assignment: str, student: str) -> StudentResult:
        execute.LAST_EVENTS.clear()
        self.coursedir.assignment_id = assignment
        self.coursedir.student_id = student
        app = RecordingAutograde(coursedir=self.coursedir, config=self.config)
        app.force = True
        app.create_student = True
        buffer = io.StringIO()
        handler = logging.StreamHandler(buffer)
        handler.setLevel(logging.ERROR)
        app.log.addHandler(handler)
        try:
            app.start()
            ok, reason = True, ""
        except Exception as err:
            ok, reason = False, _reason(app.last_error or err, buffer.getvalue())
            if isinstance(app.last_error, sqlalchemy.exc.OperationalError):
                reason = "busy"
        finally:
            app.log.removeHandler(handler)
        notes = [event for events in execute.LAST_EVENTS.values() for event in events]
        return StudentResult(student, ok=ok, reason=reason, notes=notes)


def _reason(err: BaseException, log: str) -> str:
    text = f"{type(err).__name__}: {err}".strip()
    if type(err).__name__ == "NbGraderException" and log:
        # nbgrader's own message is generic; the logged traceback's last line is not
        lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
        tail = [ln for ln in lines if not ln.startswith(("[", "File ", "Traceback"))]
        if tail:
            text = tail[-1]
    return text[:300]


def worker_main(conn: Connection, course_root: str, overrides: dict, index: int,
                private_root: str, isolation: tuple[str, str]) -> None:
    """Entry point of a worker process: grade whatever the supervisor sends."""
    launcher = None
    # nbgrader's gradebook code triggers SQLAlchemy 2 deprecation chatter on every student
    warnings.filterwarnings("ignore", category=sqlalchemy.exc.SAWarning)
    try:
        course = Course.load(course_root, Config(overrides))
        private = Path(private_root)
        launcher = kernels.make_launcher(
            course, private / f"w{index}", private, log=private / f"w{index}.log",
            isolation=Isolation(*isolation),
        )
        kernels.set_active_launcher(launcher)
        grader = NotebookGrader(course)
        conn.send(("ready", index))
        while True:
            task = conn.recv()
            if task is None:
                break
            assignment, student = task
            conn.send(("done", grader.grade(assignment, student)))
    except (EOFError, KeyboardInterrupt):
        pass
    except Exception:
        conn.send(("crashed", traceback.format_exc()))
    finally:
        if launcher is not None:
            launcher.close()
