"""The course on disk (the folder holding ``nbgrader_config.py``): nbgrader's
configuration and folders, and the autograder's settings and records."""

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
    """``value`` if it is safe as a folder name, else a :class:`CourseError` naming ``kind``."""
    if not _SAFE_ID.match(value) or ".." in value:
        raise CourseError(
            f"{kind} {value!r} is not usable as a folder name: use letters, digits, "
            "'.', '_' and '-' only, starting with a letter or digit"
        )
    return value


def ensure_tools_on_path() -> None:
    """Put this interpreter's ``bin`` folder on PATH, so that nbgrader finds ``alembic``
    when it creates a gradebook without the virtual environment activated (the one
    place this is done: ``nbgrader_config.py`` calls it)."""
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
        """Load the course whose ``nbgrader_config.py`` is in ``root`` (default: the
        current folder); ``overrides`` (command-line options, tests) win over the file."""
        folder = Path(root if root is not None else os.getcwd()).resolve()
        if not (folder / CONFIG_NAME).is_file():
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

    # the autograder's own records ------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return (self.root / self.settings.data_directory).resolve()

    def report_dir(self, assignment: str) -> Path:
        return self.data_dir / "reports" / assignment

    # notebooks ---------------------------------------------------------------------------
    def release_notebooks(self, assignment: str) -> list[Path]:
        """The release notebooks of ``assignment``, sorted; raises if there are none."""
        return _notebooks(self.release_dir(assignment), assignment, "release",
                          f": run `python -m autograder release {assignment}` first")

    def source_notebooks(self, assignment: str) -> list[Path]:
        return _notebooks(self.source_dir(assignment), assignment, "source")


def _notebooks(folder: Path, assignment: str, kind: str, hint: str = "") -> list[Path]:
    found = sorted(folder.glob("*.ipynb"))
    if not found:
        raise CourseError(f"assignment {assignment!r} has no {kind} notebooks in {folder}{hint}")
    return found
