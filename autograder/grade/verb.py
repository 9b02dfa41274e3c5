"""The ``grade`` verb, on the client: check each submission, grade them on Dask, record
each outcome as it arrives, report."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import nbformat
from tqdm import tqdm

from autograder import reporting
from autograder.course import Course, CourseError, check_id
from autograder.grade.sandbox import Limits, bwrap_works
from autograder.grade.task import Outcome, Task
from autograder.lms.gradebook import set_duedates
from autograder.lms.rosters import check_student_id
from autograder.prepare import load_release, prepare


@dataclass
class GradeRun:
    """The outcome of one ``grade`` call."""

    max_score: float
    mode: str
    #: the records of the students graded (or failed before grading) in this call
    results: dict[str, reporting.StudentResult] = field(default_factory=dict)
    rows: list[reporting.Row] = field(default_factory=list)
    seconds: float = 0.0
    #: seconds the client spent writing outcomes into nbgrader (serial, on the client)
    record_seconds: float = 0.0
    #: CPU seconds of that (the client's main thread only: load-independent)
    record_cpu: float = 0.0
    #: wall seconds of the Dask part: cluster start-up, grading, shutdown
    phases: dict[str, float] = field(default_factory=dict)


def mode_line(mode: str) -> str:
    """The sentence ``grade`` prints about how student code ran."""
    if mode == "bwrap":
        return "sandboxed (bubblewrap: no network, only the student's folder, limits)"
    return "UNSAFE: student code ran without a sandbox (--unsafe-no-sandbox)"


def sandbox_mode(unsafe: bool) -> str:
    """``"bwrap"``, or ``"unsafe"`` when asked; a CourseError when bwrap does not work."""
    if unsafe:
        return "unsafe"
    if not bwrap_works():
        raise CourseError(
            "bubblewrap (bwrap) is missing or cannot create namespaces here, and student "
            "code is never run outside its sandbox by default: install it (apt-get install "
            "bubblewrap), or pass --unsafe-no-sandbox to grade without isolation")
    return "bwrap"


def support_files(course: Course, assignment: str) -> dict[str, bytes]:
    """The released files next to the notebooks (the student kit), as bytes."""
    release = course.release_dir(assignment)
    found = {path.relative_to(release): path for path in release.rglob("*") if path.is_file()}
    return {str(rel): path.read_bytes() for rel, path in sorted(found.items())
            if path.suffix != ".ipynb" and "__pycache__" not in rel.parts
            and not any(part.startswith(".") for part in rel.parts)}


def make_task(course: Course, student: str, repaired: dict, instructor: dict[str, bytes],
              sandboxed: bool) -> Task:
    """The task for one student: their repaired notebooks and the instructor's, as bytes."""
    s = course.settings
    notebooks = {stem: (nbformat.writes(nb).encode(), instructor[stem])
                 for stem, nb in repaired.items() if stem in instructor}
    limits = Limits(memory_mb=s.memory_limit_mb, file_size_mb=s.file_size_limit_mb,
                    cpu_seconds=int(s.notebook_timeout) + 60, processes=s.process_limit,
                    max_output_chars=s.max_output_chars, startup_seconds=s.startup_timeout)
    return Task(student, notebooks, limits, sandboxed, s.cell_timeout, s.notebook_timeout)


def grade(course: Course, assignment: str, students: list[str] | None = None,
          workers: int | None = None, progress: bool = True, scheduler: str | None = None,
          unsafe: bool = False) -> GradeRun:
    """Autograde ``students`` (default: every roster student collected) on Dask.

    Only students on the roster ``collect`` stored are graded; ``assignment`` must be
    released. The due date from ``c.Lms.duedates`` goes into the gradebook first, for
    nbgrader's late-penalty step (run by the recorder). Dask: the ``scheduler`` of a
    running cluster (default ``c.Autograder.scheduler``), else a LocalCluster of
    ``workers`` (default: the setting, else one per core). ``unsafe``: run student code
    without the sandbox (every row then says so).
    """
    check_id("assignment", assignment)
    started = time.monotonic()
    columns = reporting.grade_columns(course, assignment)  # fails early if not released
    mode = sandbox_mode(unsafe)
    release = load_release(course, assignment)
    submitted = course.step_root(course.coursedir.submitted_directory)
    available = sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    roster = reporting.assignment_roster(course, assignment)
    if roster is not None:
        off = sorted(set(students or []) - set(roster.ids))
        if off:
            raise CourseError(f"not on the roster of {assignment}: {', '.join(off)}")
        available = [s for s in available if s in roster.ids]
    named = [check_student_id(s, "--student") for s in students] if students else available
    wanted = [s for s in named if s in available]  # the others are reported as missing
    set_duedates(course.config, [assignment])
    run = GradeRun(sum(c.max_score for c in columns), mode)
    tasks: list[Task] = []
    prepared: dict[str, reporting.StudentResult] = {}
    instructor = {p.stem: p.read_bytes() for p in course.source_notebooks(assignment)}
    for student in wanted:
        result, repaired = prepare(course, assignment, student, release)
        if mode == "unsafe":
            result.notes.append("graded unsandboxed")
        if result.ok:
            prepared[student] = result
            tasks.append(make_task(course, student, repaired, instructor, mode == "bwrap"))
        else:
            run.results[student] = result
    try:
        if tasks:
            _run_tasks(course, assignment, release, tasks, prepared, run, workers, scheduler,
                       progress)
    finally:  # interrupted or not, the students graded so far keep their records
        reporting.save_results(course.report_dir(assignment), run.results)
    # the summary covers the roster (missing students too) unless students were named
    students = reporting.require_students(course, assignment, students)
    run.rows = reporting.table_rows(course, assignment, students)
    run.seconds = round(time.monotonic() - started, 1)
    return run


def _run_tasks(course: Course, assignment: str, release: dict, tasks: list[Task],
               prepared: dict[str, reporting.StudentResult], run: GradeRun, workers: int | None,
               scheduler: str | None, progress: bool) -> None:
    from autograder.grade import cluster
    from autograder.grade.record import Recorder

    recorder = Recorder(course, release)
    bar = tqdm(total=len(tasks), desc=f"grading {assignment}", unit="student",
               disable=not progress, file=sys.stderr, dynamic_ncols=True)

    def on_outcome(outcome: Outcome) -> None:
        if outcome.student in run.results:
            return  # a task that ran twice is recorded once
        began, cpu = time.monotonic(), time.thread_time()
        result = recorder.record(assignment, outcome, prepared[outcome.student])
        run.record_seconds += time.monotonic() - began
        run.record_cpu += time.thread_time() - cpu
        run.results[result.student] = result
        bar.set_postfix_str(f"{result.student}: {'ok' if result.ok else 'failed'}")
        bar.update(1)

    # longest first: the last grading time when known, else the notebooks' size
    before = reporting.load_results(course.report_dir(assignment))
    priorities = {t.student: before[t.student].seconds * 1e6
                  if t.student in before and before[t.student].seconds
                  else sum(len(mine) for mine, _ in t.notebooks.values()) for t in tasks}
    began = time.monotonic()
    try:
        with cluster.connect(scheduler or course.settings.scheduler or None,
                             workers or course.settings.effective_workers()) as client:
            run.phases["start"] = time.monotonic() - began
            cluster.run(client, tasks, support_files(course, assignment), priorities, on_outcome)
            run.phases["grading"] = time.monotonic() - began - run.phases["start"]
    finally:
        bar.close()
        run.phases["shutdown"] = time.monotonic() - began - sum(run.phases.values())
