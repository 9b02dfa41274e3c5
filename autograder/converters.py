"""nbgrader's converters, made to keep the exception they otherwise only log (to tell
the instructor why a notebook failed), and to hand each notebook the pipeline's
context in ``resources["autograder"]``."""

from __future__ import annotations

from nbgrader.converters import Autograde, GenerateFeedback


class _Recording:
    last_error: BaseException | None = None
    #: ``resources["autograder"]``: one dict for every notebook, or a function of its name
    context = None

    def init_single_notebook_resources(self, notebook_filename):
        resources = super().init_single_notebook_resources(notebook_filename)
        if self.context is not None:
            context = self.context
            resources["autograder"] = (context(resources["unique_key"]) if callable(context)
                                       else context)
        return resources

    def _remembered(self, step, *args):
        try:
            return step(*args)
        except Exception as err:
            self.last_error = err
            raise

    def init_assignment(self, assignment_id, student_id):
        self._remembered(super().init_assignment, assignment_id, student_id)

    def convert_single_notebook(self, notebook_filename):
        self._remembered(super().convert_single_notebook, notebook_filename)


class RecordingAutograde(_Recording, Autograde):
    """``Autograde`` that remembers why a notebook failed; its context gives each notebook
    the outputs a worker computed and the release notebook (``grade/record.py``)."""


class RecordingGenerateFeedback(_Recording, GenerateFeedback):
    """``GenerateFeedback`` that remembers why a notebook failed; its context gives the
    student's row and the hidden lines (read by the feedback preprocessors)."""
