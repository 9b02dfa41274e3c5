"""The client's half of grading: nbgrader's ``Autograde`` scores the outputs a worker
computed (:class:`ReplayOutputs` is its execute step) and alone writes the gradebook."""

from __future__ import annotations

import copy
import time
import warnings

import sqlalchemy.exc
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbformat import from_dict
from nbgrader import preprocessors as nbp

from autograder.converters import RecordingAutograde
from autograder.course import Course
from autograder.grade.task import Outcome
from autograder.lms.intake import course_directory
from autograder.prepare import RepairSubmission
from autograder.reporting import StudentResult


class ReplayOutputs(nbp.NbGraderPreprocessor):
    """nbgrader's execute step, fed with the outputs a worker computed for each cell."""

    def preprocess(self, nb, resources):
        outputs = (resources.get("autograder") or {}).get("outputs")
        if outputs is None or len(outputs) != len(nb.cells):
            raise ValueError("the worker's outputs do not match this notebook's cells")
        for index, (cell, cell_outputs) in enumerate(zip(nb.cells, outputs, strict=True)):
            if cell.cell_type == "code":
                cell.outputs = [from_dict(o) for o in cell_outputs]
                cell.execution_count = index + 1
        return nb, resources


class Recorder:
    """Writes one student's outcome into the gradebook and the autograded folder."""

    def __init__(self, course: Course, release: dict):
        # nbgrader's gradebook code triggers SQLAlchemy 2 chatter on every student
        warnings.filterwarnings("ignore", category=sqlalchemy.exc.SAWarning)
        self.release = release  # notebook name -> the release notebook
        # nbgrader's steps: the integrity repair first among the sanitize steps, the
        # metadata checked once, ReplayOutputs as the execute step
        self.config = copy.deepcopy(course.config)
        self.config.Autograde.sanitize_preprocessors = [
            RepairSubmission, nbp.ClearOutput, nbp.DeduplicateIds, nbp.OverwriteKernelspec,
            nbp.OverwriteCells, nbp.CheckCellMetadata]
        self.config.Autograde.autograde_preprocessors = [
            ReplayOutputs, nbp.IgnorePattern, ClearMetadataPreprocessor, nbp.LimitOutput,
            nbp.SaveAutoGrades, nbp.AssignLatePenalties]
        self.coursedir = course_directory(course.root, self.config)

    def record(self, assignment: str, outcome: Outcome,
               result: StudentResult | None = None) -> StudentResult:
        """Score ``outcome`` into ``result`` (what the checks before grading found; by default
        a new one); never raises (a failure is a result with a reason)."""
        result = result or StudentResult(outcome.student)
        result.notes += outcome.events
        result.seconds = outcome.seconds
        result.reason = outcome.error or self._autograde(assignment, outcome)
        result.ok = not result.reason
        return result

    def _autograde(self, assignment: str, outcome: Outcome) -> str:
        """nbgrader's autograde of one student: "" when it worked, else why not. Three tries,
        2 s and 4 s apart, while the gradebook is locked."""
        self.coursedir.assignment_id = assignment
        self.coursedir.student_id = outcome.student
        for attempt in range(3):
            time.sleep(2.0 * attempt)
            app = RecordingAutograde(coursedir=self.coursedir, config=self.config)
            app.force = app.create_student = True
            app.context = lambda name: {"outputs": outcome.outputs.get(name),
                                        "release": self.release.get(name)}
            try:
                app.run()
                return ""
            except sqlalchemy.exc.OperationalError:
                continue  # the gradebook is locked
            except Exception as err:
                return f"{type(err).__name__}: {err}".strip()[:300]
        return "the gradebook stayed locked; grade this student again"
