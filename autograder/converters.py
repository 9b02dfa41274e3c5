"""nbgrader's converters, raising the exception behind a failure (nbgrader logs it and
raises a generic one) and handing each notebook the pipeline's ``resources["autograder"]``."""

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
    """``Autograde``; the context: the outputs a worker computed, the release notebook."""


class RecordingGenerateFeedback(_Recording, GenerateFeedback):
    """``GenerateFeedback``; the context: the student's row, the hidden lines."""
