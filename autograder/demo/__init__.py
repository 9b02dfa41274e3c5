"""The ``demo`` verb (:func:`run_demo`: the whole pipeline on a synthetic class) and the
throw-away courses it, the tests and the benchmark grade in; the real course is never
touched."""

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
from autograder.feedback import feedback
from autograder.grade.verb import GradeRun, grade, mode_line
from autograder.release import equip, generate
from autograder.reporting import export, format_table

REPO = Path(__file__).resolve().parents[2]
# A throw-away course's nbgrader_config.py, filled in by make_course.
CONFIG_TEMPLATE = Path(__file__).with_name("nbgrader_config.py.in")
# Short limits: the endless loops of the synthetic class cost one cell timeout each.
DEMO_SETTINGS = "c.Autograder.cell_timeout = {}\nc.Autograder.notebook_timeout = 300\n"


@dataclass
class DemoRun:
    """What :func:`run_demo` made: the course, the grading run, the CSV and its rows."""

    course: Course
    assignment: str
    graded: GradeRun
    csv: Path
    rows: list


def make_course(root: Path, course_id: str = "demo", extra_config: str = "") -> Course:
    """An empty course at ``root`` (which must not hold one yet): the real course's
    layout, with its own ``nbgrader_config.py`` and gradebook."""
    if (root / "nbgrader_config.py").exists():
        raise CourseError(f"{root} already holds a course")
    (root / "grading").mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(CONFIG_TEMPLATE.read_text().format(
        course_id=course_id, extra=extra_config, repo=str(REPO)))
    return Course.load(root)


def setup_course(workdir: Path, assignment: str, cell_timeout: float = 10.0,
                 extra_settings: str = "") -> tuple[Course, str]:
    """A course in ``workdir / "course"`` with ``assignment`` (or the toy assignment)
    released, kit included; returns it and the assignment's name."""
    course = make_course(workdir / "course",
                         extra_config=DEMO_SETTINGS.format(cell_timeout) + extra_settings)
    source = REPO / "solutions" / assignment
    if not (source / f"{assignment}.ipynb").is_file():
        assignment, source = toy.ASSIGNMENT, toy.SOURCE.parent
    shutil.copytree(source, course.source_dir(assignment),
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    generate(course, assignment)
    equip(course.release_dir(assignment), REPO)  # the student kit next to the notebook
    return course, assignment


def release_and_source(course: Course, assignment: str) -> tuple[NotebookNode, NotebookNode]:
    """The release notebook of ``assignment`` and the instructor's source of it: what
    :func:`autograder.demo.synthetic.make_notebook` writes submissions from."""
    path = course.release_notebooks(assignment)[0]
    return C.read_notebook(path), C.read_notebook(course.source_dir(assignment) / path.name)


def run_demo(workdir: Path, assignment: str = "ps1_convolution", workers: int | None = None,
             cases: list[synthetic.Case] | None = None, progress: bool = True,
             cell_timeout: float = 10.0, extra_settings: str = "", unsafe: bool = False,
             say: Callable[[str], None] = print, scheduler: str | None = None) -> DemoRun:
    """:func:`setup_course` and the downloads of ``cases`` (by default the synthetic
    ``CLASS``) in ``workdir``, then collect, grade (``workers`` to ``scheduler`` as for
    :func:`autograder.grade.verb.grade`), export and feedback; the report goes to ``say``."""
    cases = synthetic.CLASS if cases is None else cases
    course, assignment = setup_course(workdir, assignment, cell_timeout, extra_settings)
    downloads = workdir / "downloads"
    release, source = release_and_source(course, assignment)
    roster = synthetic.build_downloads(downloads, assignment, release, source, cases)
    say(f"course: {course.root}\nassignment: {assignment}\ndownloads: {downloads}\n")
    say("\n".join(collect(course, assignment, downloads, roster).summary_lines()) + "\n")
    graded = grade(course, assignment, workers=workers, progress=progress, unsafe=unsafe,
                   scheduler=scheduler)
    csv_path = workdir / f"{assignment}-scores.csv"
    rows = export(course, assignment, csv_path)
    feedback(course, assignment, progress=progress)
    kinds = {c.student: c.kind + ("" if c.delivery == "file" else f" ({c.delivery})")
             for c in cases}
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
