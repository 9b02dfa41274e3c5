"""The ``demo`` verb: the whole pipeline on a synthetic class, in a throw-away course.

It copies one assignment's source from the repository (``ps1_convolution`` by
default; the built-in toy assignment when no source exists yet) into a new course
folder, releases it, writes a class of synthetic submissions as a learning-management
system would hand them over (see :mod:`autograder.demo.synthetic`), then runs ``collect``,
``grade``, ``export`` and ``feedback`` and prints the score table. The real course's
gradebook and folders are never touched.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import cells as C
from autograder.collect import collect
from autograder.course import Course, CourseError
from autograder.demo import synthetic, toy
from autograder.demo.workspace import add_source, make_course
from autograder.feedback import feedback
from autograder.grade import GradeRun, grade, mode_line
from autograder.lms.intake import Collected
from autograder.release import generate as generate_release
from autograder.reporting import export, format_table

REPO = Path(__file__).resolve().parents[2]

DEFAULT_WORKDIR = REPO / "grading" / "demo"

# Short limits: the endless loops of the synthetic class cost one cell timeout each.
DEMO_SETTINGS = """
c.Autograder.cell_timeout = {cell_timeout}
c.Autograder.notebook_timeout = 300
"""


@dataclass
class DemoRun:
    course: Course
    assignment: str
    collected: Collected
    graded: GradeRun
    csv: Path
    rows: list
    feedback: list[Path]


def setup_course(workdir: Path, assignment: str, cell_timeout: float = 10.0,
                 extra_settings: str = "") -> tuple[Course, str]:
    """A released course in ``workdir`` with ``assignment`` (or the toy assignment)."""
    source = REPO / "solutions" / assignment
    settings = DEMO_SETTINGS.format(cell_timeout=cell_timeout)
    settings += extra_settings
    course = make_course(workdir / "course", course_id="demo", extra_config=settings)
    if (source / f"{assignment}.ipynb").is_file():
        add_source(course, assignment, source)
    else:
        assignment = toy.ASSIGNMENT
        course.source_dir(assignment).mkdir(parents=True)
        nbformat.write(toy.source_notebook(),
                       course.source_dir(assignment) / f"{assignment}.ipynb")
    generate_release(course, assignment)
    kit = REPO / "assignments" / assignment
    if kit.is_dir():  # the files students receive next to the notebook (the kit)
        shutil.copytree(kit, course.release_dir(assignment), dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    return course, assignment


def run_demo(workdir: Path, assignment: str = "ps1_convolution", workers: int | None = None,
             cases: list[synthetic.Case] | None = None, progress: bool = True,
             cell_timeout: float = 10.0, extra_settings: str = "",
             say: Callable[[str], None] = print, unsafe: bool = False,
             scheduler: str | None = None) -> DemoRun:
    """Build the course and the class, then collect, grade, export and give feedback.

    Parameters
    ----------
    workdir : Path
        A new folder for the course, the downloads and the CSV.
    assignment : str
        Which assignment's source to copy from the repository.
    workers : int, optional
        Grading processes (default: one per core).
    cases : list of Case, optional
        The synthetic class (default: :data:`autograder.demo.synthetic.CLASS`).
    progress : bool
        Progress bars on stderr.
    cell_timeout : float
        Seconds per cell (the endless loops of the class wait this long).
    extra_settings : str
        More ``nbgrader_config.py`` lines for the throw-away course.
    say : callable
        Where the report goes (``print``).
    unsafe, scheduler :
        As for :func:`autograder.grade.grade`.
    """
    course, assignment = setup_course(workdir, assignment, cell_timeout, extra_settings)
    release_path = course.release_notebooks(assignment)[0]
    release = C.read_notebook(release_path)
    source = C.read_notebook(course.source_dir(assignment) / release_path.name)
    downloads = workdir / "downloads"
    roster = synthetic.build_downloads(downloads, assignment, release, source, cases)
    say(f"course: {course.root}\nassignment: {assignment}\ndownloads: {downloads}\n")

    collected = collect(course, assignment, downloads, roster)
    say("\n".join(collected.summary_lines()) + "\n")
    graded = grade(course, assignment, workers=workers, progress=progress, unsafe=unsafe,
                   scheduler=scheduler)
    csv_path = workdir / f"{assignment}-scores.csv"
    rows = export(course, assignment, csv_path)
    pages = feedback(course, assignment, progress=progress)
    kinds = {c.student: f"{c.kind}" + ("" if c.delivery == "file" else f" ({c.delivery})")
             for c in (cases or synthetic.CLASS)}
    say(format_table(rows, graded.max_score, width=70, labels=kinds))
    say(f"\ngraded in {graded.seconds:g} s; mode: {mode_line(graded.mode)}")
    say(f"scores: {csv_path}\nfeedback: {course.step_root(course.coursedir.feedback_directory)}")
    return DemoRun(course, assignment, collected, graded, csv_path, rows, pages)


def main(workdir: str | None, assignment: str, workers: int | None, unsafe: bool = False) -> int:
    """``python -m autograder demo``: everything under ``workdir`` (replaced if it exists)."""
    folder = Path(workdir) if workdir else DEFAULT_WORKDIR
    if folder.exists():
        if not (folder / "course" / "nbgrader_config.py").is_file():
            raise CourseError(f"{folder} exists and is not a demo folder; choose another --workdir")
        shutil.rmtree(folder)
    run_demo(folder, assignment, workers, unsafe=unsafe)
    return 0
