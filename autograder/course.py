"""The course on disk (the folder holding ``nbgrader_config.py``): nbgrader's
configuration and folders, and the autograder's settings (``c.Autograder.*``, which
plain nbgrader ignores) and records."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets import Float, Integer, Unicode
from traitlets.config import Config, Configurable
from traitlets.config.loader import PyFileConfigLoader

from autograder.lms.courseroot import CONFIG_NAME

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class CourseError(RuntimeError):
    """The course folder, its configuration or an id given on the command line is unusable."""


def check_id(kind: str, value: str) -> str:
    """``value`` if it is safe as a folder name, else a :class:`CourseError` naming ``kind``."""
    if not _SAFE_ID.match(value) or ".." in value:
        raise CourseError(f"{kind} {value!r} is not usable as a folder name: use letters, "
                          "digits, '.', '_' and '-' only, starting with a letter or digit")
    return value


def ensure_tools_on_path() -> None:
    """Put this interpreter's ``bin`` folder on PATH, so that nbgrader finds ``alembic``
    when it creates a gradebook without the virtual environment activated (the one
    place this is done: ``nbgrader_config.py`` calls it)."""
    bindir = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir, *parts])


class Autograder(Configurable):
    """Grading limits and locations; every value can be set in ``nbgrader_config.py``."""

    data_directory = Unicode(
        "grading/work", help="Where the pipeline keeps its records (roster, collect and grade "
        "reports), relative to the course root. Keep it out of git.").tag(config=True)
    cell_timeout = Float(
        30.0, help="Seconds one cell may run before it is interrupted.").tag(config=True)
    notebook_timeout = Float(
        600.0, help="Seconds a whole notebook may run; later cells are not run.").tag(config=True)
    startup_timeout = Float(
        60.0, help="Seconds a grading kernel may take to start.").tag(config=True)
    memory_limit_mb = Integer(4096, help="Address-space limit of each grading kernel (MiB); "
                              "0 turns it off.").tag(config=True)
    file_size_limit_mb = Integer(
        256, help="Largest file a grading kernel may write (MiB); 0 turns it off.").tag(config=True)
    max_output_chars = Integer(20_000, help="Printed characters kept per cell; the rest is "
                               "dropped with a note.").tag(config=True)
    process_limit = Integer(
        64, help="Processes a grading kernel may run at once (applied when grading runs "
        "as root, where the kernel gets its own user id).").tag(config=True)
    scheduler = Unicode(
        "", help="Address of a running Dask scheduler (tcp://HOST:PORT); empty: grade on "
        "a LocalCluster started on this machine.").tag(config=True)
    workers = Integer(
        0, help="Parallel grading processes; 0 means one per CPU core.").tag(config=True)

    def effective_workers(self) -> int:
        """Number of worker processes to start (at least one)."""
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)


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
    def load(cls, root: str | os.PathLike[str], overrides: Config | None = None) -> Course:
        """Load the course whose ``nbgrader_config.py`` is in ``root``; ``overrides``
        (command-line options) win over the file."""
        folder = Path(root).resolve()
        if not (folder / CONFIG_NAME).is_file():
            raise CourseError(f"no {CONFIG_NAME} in {folder}: run the autograder from the course "
                              "root (the repository root) or pass --course-root")
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

    def rosters_dir(self) -> Path:
        """Where ``collect`` keeps one roster per assignment."""
        return self.data_dir / "rosters"

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
