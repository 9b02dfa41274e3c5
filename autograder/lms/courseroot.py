"""Find the nbgrader course root, so ``python -m autograder`` works from any directory,
and the student folders nbgrader keeps under it (:func:`student_folders`).

The course root is the folder holding ``nbgrader_config.py``. It is taken from
``--course-root DIR`` when given, else found by walking up from the current directory
(like git finds its repository). nbgrader itself must then run with the course root
as its working directory (elsewhere it creates an empty ``gradebook.db`` where it
stands): :func:`in_course_root` does that for a block of code.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
from collections.abc import Iterator
from pathlib import Path

from autograder.lms.errors import LmsError

CONFIG_NAME = "nbgrader_config.py"


def find_course_root(given: str | os.PathLike[str] | None = None,
                     start: str | os.PathLike[str] | None = None) -> Path:
    """The course root: ``given`` if set (it must hold the config), else the nearest
    folder at or above ``start`` (default: the current directory) that holds it.

    Raises
    ------
    LmsError
        With the folder(s) looked at, when no ``nbgrader_config.py`` is found.
    """
    if given is not None:
        root = Path(given).expanduser().resolve()
        if not (root / CONFIG_NAME).is_file():
            raise LmsError(f"--course-root {given}: no {CONFIG_NAME} in {root}")
        return root
    here = Path(start if start is not None else os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise LmsError(f"no {CONFIG_NAME} in {here} or any folder above it: run from inside "
                   "the course or pass --course-root DIR")


def add_course_root_option(parser: argparse.ArgumentParser, verb: bool = False) -> None:
    """Add ``--course-root DIR`` to a command-line parser (default: found from cwd).

    Add it to the main parser, and with ``verb=True`` to every verb's parser, so both
    ``python -m autograder --course-root DIR collect ...`` and
    ``python -m autograder collect ... --course-root DIR`` work (a verb's parser then
    leaves the value alone when the option is not repeated after the verb).
    """
    parser.add_argument(
        "--course-root", metavar="DIR", default=argparse.SUPPRESS if verb else None,
        help=f"the course folder (holding {CONFIG_NAME}); default: the current folder "
             "or the nearest one above it that holds it",
    )


@contextlib.contextmanager
def in_course_root(root: str | os.PathLike[str]) -> Iterator[Path]:
    """Run a block with the course root as the working directory, then go back."""
    before = os.getcwd()
    os.chdir(root)
    try:
        yield Path(root)
    finally:
        os.chdir(before)


def student_folders(coursedir, directory: str, assignment: str) -> dict[str, Path]:
    """Student id -> folder of every student who has ``assignment`` in nbgrader's
    ``directory`` step (e.g. ``coursedir.submitted_directory``), sorted by id.

    ``coursedir`` is nbgrader's ``CourseDirectory``; its ``directory_structure`` decides
    where the student id sits in the path. The course root is matched literally, so a
    root whose name holds ``[`` or ``*`` is not read as a pattern.
    """
    pattern = coursedir.format_path(directory, "*", assignment)
    root = str(coursedir.root)
    if pattern.startswith(root):
        pattern = glob.escape(root) + pattern[len(root):]
    star = Path(pattern).parts.index("*")
    found = {Path(p).parts[star]: Path(p) for p in glob.glob(pattern) if os.path.isdir(p)}
    return dict(sorted(found.items()))
