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
    """``Autograde`` that also remembers why setting up an assignment failed."""

    def init_assignment(self, assignment_id, student_id):
        try:
            super().init_assignment(assignment_id, student_id)
        except Exception as err:
            self.last_error = err
            raise


class RecordingGenerateFeedback(_RemembersLastError, GenerateFeedback):
    """``GenerateFeedback`` that remembers the exception of the failing notebook."""
