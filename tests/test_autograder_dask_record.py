"""The client's recording step (many students through one Recorder, the metadata check),
and the priority of student code beside the grading processes.

The client records every student itself, one after the other, so a failure must stay
with its student, and the cheaper metadata check must reject exactly what nbgrader's
own ``CheckCellMetadata`` rejects.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import cells as C
from autograder.demo import setup_course, synthetic, toy
from autograder.grade.kernel import Kernel
from autograder.grade.record import Recorder
from autograder.grade.sandbox import Limits, bwrap_works
from autograder.grade.task import run_task
from autograder.grade.verb import make_task, support_files
from autograder.prepare import load_release, prepare

RUN = Path(__file__).resolve().parents[1] / "autograder" / "run"


def test_one_recorder_records_many_students_and_a_failure_stays_alone(tmp_path):
    course, assignment = setup_course(tmp_path, toy.ASSIGNMENT, cell_timeout=5)
    release_path = course.release_notebooks(assignment)[0]
    release_nb = C.read_notebook(release_path)
    source = C.read_notebook(course.source_dir(assignment) / release_path.name)
    kinds = {"s1": "perfect", "s2": "partial", "s3": "perfect", "s4": "raises",
             "s5": "wrong_shapes"}
    for student, kind in kinds.items():
        folder = course.submitted_dir(student, assignment)
        folder.mkdir(parents=True)
        nbformat.write(synthetic.make_notebook(kind, release_nb, source),
                       folder / release_path.name)
    release = load_release(course, assignment)
    support = support_files(course, assignment)
    instructor = {p.stem: p.read_bytes() for p in course.source_notebooks(assignment)}
    outcomes = {}
    for student in kinds:
        _, repaired = prepare(course, assignment, student, release)
        task = make_task(course, student, repaired, instructor, bwrap_works())
        task.support = support
        outcomes[student] = run_task(task)
    # s3's outputs are cut short: nbgrader cannot score them, and it must fail alone
    broken = copy.deepcopy(outcomes["s3"])
    broken.outputs[assignment] = broken.outputs[assignment][:-1]

    recorder = Recorder(course, release)
    results = {s: recorder.record(assignment, broken if s == "s3" else o)
               for s, o in outcomes.items()}
    again = recorder.record(assignment, outcomes["s1"])  # a second record of one student

    assert not results["s3"].ok and "do not match" in results["s3"].reason
    assert all(r.ok for s, r in results.items() if s != "s3") and again.ok
    with Gradebook(course.db_url, course.coursedir.course_id) as gb:
        scores = {s.student.id: float(s.score) for s in gb.assignment_submissions(assignment)}
    graded = {s: toy.EXPECTED_SCORE[k] for s, k in kinds.items() if s != "s3"}
    assert {s: v for s, v in scores.items() if s in graded} == graded
    assert sorted(scores).count("s1") == 1
    assert not (course.autograded_dir("s3", assignment) / release_path.name).exists()
    for student in graded:
        assert (course.autograded_dir(student, assignment) / release_path.name).is_file()


@pytest.mark.parametrize("sandboxed", [True, False])
def test_student_code_yields_the_cpu_to_the_grader(tmp_path, sandboxed):
    """A spinning student kernel must not slow down the grading processes beside it."""
    if sandboxed and not bwrap_works():
        pytest.skip("bubblewrap does not work here")
    scratch = tmp_path / "student"
    scratch.mkdir()
    scratch.chmod(0o777)
    kernel = Kernel(scratch, [], RUN, Limits(memory_mb=1024, processes=32), sandboxed)
    kernel.deadline = float("inf")
    try:
        kernel.run_cell("import os\nniceness = os.nice(0)\n")
        found, niceness = kernel.get_global("niceness")
    finally:
        kernel.close()
    assert found and niceness == os.nice(0) + Limits().nice and Limits().nice >= 10


def test_a_worker_reads_notebooks_as_plain_data_as_nbformat_does():
    """Workers parse notebooks without nbformat: the cells must be nbformat's cells."""
    from autograder.grade.task import read_cells, trusted_notebook

    source = toy.source_notebook()
    split = nbformat.writes(source).encode()  # nbformat stores sources as lists of lines
    assert '"source": [' in split.decode()
    ours = read_cells(split)
    theirs = nbformat.reads(split.decode(), as_version=4)
    assert [(c["cell_type"], c["source"], c["metadata"]) for c in ours["cells"]] == \
        [(c.cell_type, c.source, c.metadata) for c in theirs.cells]
    for bad in (b"{", b'{"nbformat": 3, "worksheets": []}', b"[]"):
        with pytest.raises(ValueError):
            read_cells(bad)
    # an edited test cell is replaced by the instructor's, a student's answer is kept
    student = copy.deepcopy(source)
    student.cells[3].source = "pass  # the student emptied the test"
    student.cells[2].source = "def relu(x):\n    return x"
    nb = trusted_notebook(nbformat.writes(student).encode(), split)
    assert nb["cells"][3]["source"] == source.cells[3].source
    assert nb["cells"][2]["source"] == "def relu(x):\n    return x"


def test_the_worker_side_imports_no_notebook_library():
    """A worker imports ``grade/task.py`` (and ``cells.py`` through it) alone: nbformat,
    nbconvert, nbgrader and jsonschema cost about 2 s of CPU at each worker's start."""
    import subprocess
    import sys

    probe = ("import sys, autograder.grade.task\n"
             "print(sorted({m.split('.')[0] for m in sys.modules}))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout
    for heavy in ("nbformat", "nbconvert", "nbgrader", "jsonschema"):
        assert f"'{heavy}'" not in loaded, heavy
