"""nbgrader's converters, made to raise the exception behind a failure (nbgrader logs it
and raises a generic one), and to hand each notebook the pipeline's context in
``resources["autograder"]``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from nbgrader.converters import Autograde, GenerateFeedback


class _Caught(logging.Handler):
    """Keeps the exception being handled when an error is logged (as nbgrader logs one)."""

    error: BaseException | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.error = sys.exc_info()[1] or self.error


class _Recording:
    #: ``resources["autograder"]`` of a notebook, from its name
    context: Callable[[str], dict]

    def init_single_notebook_resources(self, notebook_filename):
        resources = super().init_single_notebook_resources(notebook_filename)
        resources["autograder"] = self.context(resources["unique_key"])
        return resources

    def run(self) -> None:
        """``start()``, raising the exception that made a notebook fail, not nbgrader's."""
        caught = _Caught(logging.ERROR)
        self.log.addHandler(caught)
        try:
            self.start()
        except Exception as err:
            raise (caught.error or err) from None
        finally:
            self.log.removeHandler(caught)


class RecordingAutograde(_Recording, Autograde):
    """``Autograde`` whose context gives each notebook the outputs a worker computed and the
    release notebook (``grade/record.py``)."""


class RecordingGenerateFeedback(_Recording, GenerateFeedback):
    """``GenerateFeedback`` whose context gives the student's row and the hidden lines (read
    by the feedback preprocessors)."""
