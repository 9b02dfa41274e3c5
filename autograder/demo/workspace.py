"""Throw-away courses for the demo, the tests and the benchmark: the real course's
layout, with their own ``nbgrader_config.py`` and gradebook."""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.course import Course, CourseError

CONFIG_TEMPLATE = '''"""nbgrader configuration of a throw-away autograder course (demo or tests)."""
import os
import sys

c = get_config()  # noqa: F821
if {repo!r} not in sys.path:  # the autograder's nbgrader plugins
    sys.path.insert(0, {repo!r})
from autograder.course import ensure_tools_on_path  # noqa: E402

ensure_tools_on_path()  # nbgrader finds its alembic without an activated venv
c.ZipCollectApp.collector_plugin = "autograder.plugins.RosterCollector"
c.ExportApp.plugin_class = "autograder.plugins.StatusExport"
HERE = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.db_url = (
    "sqlite:///" + os.path.join(HERE, "grading", "gradebook.db") + "?timeout=60"
)
{extra}
'''


def make_course(root: Path, course_id: str = "demo", extra_config: str = "") -> Course:
    """Create an empty course folder at ``root`` (which must not hold a course yet)."""
    root.mkdir(parents=True, exist_ok=True)
    if (root / "nbgrader_config.py").exists():
        raise CourseError(f"{root} already holds a course")
    (root / "grading").mkdir(exist_ok=True)
    (root / "nbgrader_config.py").write_text(
        CONFIG_TEMPLATE.format(course_id=course_id, extra=extra_config,
                               repo=str(Path(__file__).resolve().parents[2]))
    )
    return Course.load(root)


def add_source(course: Course, assignment: str, source_folder: Path) -> None:
    """Copy an assignment's source folder (notebooks and files) into the course."""
    target = course.source_dir(assignment)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source_folder, target,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
