"""nbgrader's converters, made to keep the exception they otherwise only log.

nbgrader catches a failing notebook's exception, logs it and raises a generic
error; the pipeline wants the original one to tell the instructor why.
"""

from __future__ import annotations

from nbgrader.converters import Autograde, GenerateFeedback


class _RemembersLastError:
    last_error: BaseException | None = None

    def convert_single_notebook(self, notebook_filename):
        try:
            super().convert_single_notebook(notebook_filename)
        except Exception as err:
            self.last_error = err
            raise


class RecordingAutograde(_RemembersLastError, Autograde):
    """``Autograde`` that remembers why a notebook failed, and hands each notebook the
    outputs a worker computed (``resources["autograder"]["outputs"]``)."""

    #: notebook name -> outputs of each cell, from :class:`autograder.grade.task.Outcome`
    replay: dict | None = None
    #: notebook name -> the release notebook (for the integrity repair)
    release: dict | None = None

    def init_single_notebook_resources(self, notebook_filename):
        resources = super().init_single_notebook_resources(notebook_filename)
        if self.replay is not None:
            name = resources["unique_key"]
            resources["autograder"] = {"outputs": self.replay.get(name),
                                       "release": (self.release or {}).get(name)}
        return resources

    def init_assignment(self, assignment_id, student_id):
        try:
            super().init_assignment(assignment_id, student_id)
        except Exception as err:
            self.last_error = err
            raise


class RecordingGenerateFeedback(_RemembersLastError, GenerateFeedback):
    """``GenerateFeedback`` that remembers the exception of the failing notebook and
    hands each notebook the student's row and the hidden lines (``resources
    ["autograder"]``, read by the feedback preprocessors)."""

    context: dict | None = None

    def init_single_notebook_resources(self, notebook_filename):
        resources = super().init_single_notebook_resources(notebook_filename)
        if self.context is not None:
            resources["autograder"] = self.context
        return resources
