"""The course on disk: nbgrader's configuration, directories and gradebook URL.

Everything the pipeline does starts from a :class:`Course`, loaded from the folder
holding ``nbgrader_config.py`` (the repository root for the real course, a temporary
folder for the demo and the tests).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.settings import Autograder

CONFIG_NAME = "nbgrader_config.py"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class CourseError(RuntimeError):
    """The course folder, its configuration or an id given on the command line is unusable."""


def check_id(kind: str, value: str) -> str:
    """Return ``value`` if it is safe as a folder name, else raise :class:`CourseError`.

    Parameters
    ----------
    kind : str
        What the id names ("student id", "assignment"), for the message.
    value : str
        The id to check.
    """
    if not _SAFE_ID.match(value) or ".." in value:
        raise CourseError(
            f"{kind} {value!r} is not usable as a folder name: use letters, digits, "
            "'.', '_' and '-' only, starting with a letter or digit"
        )
    return value


def ensure_tools_on_path() -> None:
    """Put this interpreter's ``bin`` folder on PATH (the one place this is done;
    ``nbgrader_config.py`` calls it, so it runs whenever a course is loaded).

    nbgrader runs the ``alembic`` command when it creates a gradebook; without the
    virtual environment activated that command is not found.
    """
    bindir = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir, *parts])


@dataclass
class Course:
    """A loaded course: nbgrader config plus the autograder's settings."""

    root: Path
    config: Config
    settings: Autograder = field(init=False)
    coursedir: CourseDirectory = field(init=False)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.settings = Autograder(config=self.config)
        self.coursedir = CourseDirectory(config=self.config)
        self.coursedir.root = str(self.root)

    @classmethod
    def load(cls, root: str | os.PathLike[str] | None = None, overrides: Config | None = None):
        """Load the course whose ``nbgrader_config.py`` is in ``root`` (default: cwd).

        Parameters
        ----------
        root : path, optional
            The course root; defaults to the current directory.
        overrides : traitlets Config, optional
            Values that win over the file (command-line options, tests).
        """
        folder = Path(root if root is not None else os.getcwd()).resolve()
        cfg_file = folder / CONFIG_NAME
        if not cfg_file.is_file():
            raise CourseError(
                f"no {CONFIG_NAME} in {folder}: run the autograder from the course root "
                "(the repository root) or pass --course-root"
            )
        config = PyFileConfigLoader(CONFIG_NAME, path=str(folder)).load_config()
        if overrides is not None:
            config.merge(overrides)
        return cls(folder, config)

    # nbgrader's folders -------------------------------------------------------------
    def step_path(self, step: str, student: str, assignment: str) -> Path:
        """nbgrader's path for ``step`` (a directory setting) of one student/assignment."""
        return Path(self.coursedir.format_path(step, student, assignment))

    def source_dir(self, assignment: str) -> Path:
        return self.step_path(self.coursedir.source_directory, ".", assignment)

    def release_dir(self, assignment: str) -> Path:
        return self.step_path(self.coursedir.release_directory, ".", assignment)

    def submitted_dir(self, student: str, assignment: str) -> Path:
        return self.step_path(self.coursedir.submitted_directory, student, assignment)

    def autograded_dir(self, student: str, assignment: str) -> Path:
        return self.step_path(self.coursedir.autograded_directory, student, assignment)

    def feedback_dir(self, student: str, assignment: str) -> Path:
        return self.step_path(self.coursedir.feedback_directory, student, assignment)

    def step_root(self, step: str) -> Path:
        """The top folder of one nbgrader step (e.g. all submissions)."""
        return (self.root / step).resolve()

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    @property
    def sqlite_path(self) -> Path | None:
        """The gradebook file when the gradebook is SQLite, else None."""
        match = re.match(r"^sqlite:///([^?]+)", self.db_url)
        return Path(match.group(1)) if match else None

    # the autograder's own records ------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return (self.root / self.settings.data_directory).resolve()

    def report_dir(self, assignment: str) -> Path:
        return self.data_dir / "reports" / assignment

    # notebooks ---------------------------------------------------------------------------
    def release_notebooks(self, assignment: str) -> list[Path]:
        """The release notebooks of ``assignment``, sorted; raises if there are none."""
        folder = self.release_dir(assignment)
        found = sorted(p for p in folder.glob("*.ipynb"))
        if not found:
            raise CourseError(
                f"assignment {assignment!r} has no release notebooks in {folder}: "
                f"run `python -m autograder release {assignment}` first"
            )
        return found

    def source_notebooks(self, assignment: str) -> list[Path]:
        folder = self.source_dir(assignment)
        found = sorted(p for p in folder.glob("*.ipynb"))
        if not found:
            raise CourseError(f"assignment {assignment!r} has no source notebooks in {folder}")
        return found
