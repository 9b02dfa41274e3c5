"""The ``demo`` verb: the whole pipeline on a synthetic class, in a throw-away course.

It copies one assignment's source (``ps1_convolution`` by default; the built-in toy
assignment when there is no such source) into a new course folder, releases it, writes
a class of synthetic submissions as a learning-management system hands them over
(:mod:`autograder.demo.synthetic`), runs ``collect``, ``grade``, ``export`` and
``feedback`` and prints the score table. The real course is never touched.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from autograder import cells as C
from autograder.collect import collect
from autograder.course import Course, CourseError
from autograder.demo import synthetic, toy
from autograder.demo.workspace import add_source, make_course
from autograder.feedback import feedback
from autograder.grade import GradeRun, grade, mode_line
from autograder.release import generate
from autograder.reporting import export, format_table

REPO = Path(__file__).resolve().parents[2]

# Short limits: the endless loops of the synthetic class cost one cell timeout each.
DEMO_SETTINGS = """
c.Autograder.cell_timeout = {cell_timeout}
c.Autograder.notebook_timeout = 300
"""


@dataclass
class DemoRun:
    course: Course
    assignment: str
    graded: GradeRun
    csv: Path
    rows: list


def setup_course(workdir: Path, assignment: str, cell_timeout: float = 10.0,
                 extra_settings: str = "") -> tuple[Course, str]:
    """A released course in ``workdir`` with ``assignment`` (or the toy assignment)."""
    course = make_course(workdir / "course", course_id="demo",
                         extra_config=DEMO_SETTINGS.format(cell_timeout=cell_timeout)
                         + extra_settings)
    source = REPO / "solutions" / assignment
    if not (source / f"{assignment}.ipynb").is_file():  # the built-in toy assignment
        assignment, source = toy.ASSIGNMENT, toy.SOURCE.parent
    add_source(course, assignment, source)
    generate(course, assignment)
    kit = REPO / "assignments" / assignment
    if kit.is_dir():  # the files students receive next to the notebook (the kit)
        shutil.copytree(kit, course.release_dir(assignment), dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    return course, assignment


def release_and_source(course: Course, assignment: str) -> tuple[NotebookNode, NotebookNode]:
    """The release notebook of ``assignment`` and the instructor's source of it: what
    :func:`autograder.demo.synthetic.make_notebook` writes submissions from."""
    path = course.release_notebooks(assignment)[0]
    return C.read_notebook(path), C.read_notebook(course.source_dir(assignment) / path.name)


def run_demo(workdir: Path, assignment: str = "ps1_convolution", workers: int | None = None,
             cases: list[synthetic.Case] | None = None, progress: bool = True,
             cell_timeout: float = 10.0, extra_settings: str = "",
             say: Callable[[str], None] = print, unsafe: bool = False,
             scheduler: str | None = None) -> DemoRun:
    """Build the course (:func:`setup_course`) and the class, then collect, grade, export
    and give feedback.

    Parameters
    ----------
    workdir : Path
        A new folder for the course, the downloads and the CSV.
    cases : list of Case, optional
        The synthetic class (default: :data:`autograder.demo.synthetic.CLASS`).
    say : callable
        Where the report goes.
    workers, progress, unsafe, scheduler :
        As for :func:`autograder.grade.grade`.
    """
    course, assignment = setup_course(workdir, assignment, cell_timeout, extra_settings)
    release, source = release_and_source(course, assignment)
    downloads = workdir / "downloads"
    roster = synthetic.build_downloads(downloads, assignment, release, source, cases)
    say(f"course: {course.root}\nassignment: {assignment}\ndownloads: {downloads}\n")
    say("\n".join(collect(course, assignment, downloads, roster).summary_lines()) + "\n")
    graded = grade(course, assignment, workers=workers, progress=progress, unsafe=unsafe,
                   scheduler=scheduler)
    csv_path = workdir / f"{assignment}-scores.csv"
    rows = export(course, assignment, csv_path)
    feedback(course, assignment, progress=progress)
    kinds = {c.student: c.kind + ("" if c.delivery == "file" else f" ({c.delivery})")
             for c in (cases or synthetic.CLASS)}
    say(format_table(rows, graded.max_score, width=70, labels=kinds))
    say(f"\ngraded in {graded.seconds:g} s; mode: {mode_line(graded.mode)}")
    say(f"scores: {csv_path}\nfeedback: {course.step_root(course.coursedir.feedback_directory)}")
    return DemoRun(course, assignment, graded, csv_path, rows)


def main(workdir: str | None, assignment: str, workers: int | None, unsafe: bool = False) -> int:
    """``python -m autograder demo``: everything under ``workdir`` (replaced if it exists)."""
    folder = Path(workdir) if workdir else REPO / "grading" / "demo"
    if folder.exists():
        if not (folder / "course" / "nbgrader_config.py").is_file():
            raise CourseError(f"{folder} exists and is not a demo folder; choose another --workdir")
        shutil.rmtree(folder)
    run_demo(folder, assignment, workers, unsafe=unsafe)
    return 0
