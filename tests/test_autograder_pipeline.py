"""The whole pipeline on the real release notebooks, graded once per session.

The demo's synthetic class (perfect, partial, wrong shapes, raising code, endless
loops, a memory hog, a kernel that kills itself, sys.exit, 10 MB of output, writes
outside the folder, four kinds of tampering, a reference import, a malformed file, a
renamed, a zipped and a folder submission, an untouched release, a missing and an
ambiguous student) is collected, graded by two workers, exported and given feedback.
Each student's status and score is checked exactly. Scores that depend on how the
course's tests treat half-done work come from an independent oracle: the notebook run
directly by nbclient with the instructor's test cells, adding the points of the test
cells that raise nothing.
"""

from __future__ import annotations

import copy
import csv
import difflib
import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from nbclient import NotebookClient
from nbgrader.api import Gradebook

from autograder import cells as C
from autograder.__main__ import main as cli
from autograder.demo import release_and_source, run_demo, setup_course, synthetic, toy
from autograder.feedback import feedback, hidden_lines
from autograder.grade.execute import HIDDEN_FAILED as HIDDEN_FRAME
from autograder.grade.sandbox import bwrap_works
from autograder.lms.exports import GENERIC_COLUMNS
from tools.paths import ASSIGNMENT_IDS

ASSIGNMENT = "ps1_convolution"
ESCAPE = Path("/tmp/autograder-escape.txt")
FAST = "c.Autograder.notebook_timeout = 120\n"
UNSAFE = not bwrap_works()  # where bubblewrap cannot work, grade in the explicit unsafe mode

# what each case must get when the score does not depend on the course's tests
FULL = {"perfect", "infinite_loop", "swallows_interrupt", "memory_hog", "os_exit", "sys_exit",
        "huge_output", "writes_outside"}
TAMPERED = {"tampered_test", "deleted_test", "stripped_metadata", "more_points"}
ORACLE = {"partial", "wrong_shapes", "raises", "untouched"}
UNANSWERED = {"partial", "untouched"}  # written answers left as released


def expectations(release) -> tuple[float, bool]:
    """Points of the autograded test cells, and whether some answers are graded by hand."""
    auto = sum(float(C.meta(c)["points"]) for c in release.cells if C.is_test(c))
    manual = any(C.is_grade(c) and C.is_solution(c) for c in release.cells)
    return auto, manual


def answered_status(kind: str, manual: bool) -> str:
    """A clean submission is graded, unless a written answer waits for a person."""
    return "needs_manual" if manual and kind not in UNANSWERED else "graded"


def oracle_score(nb, source, kit: Path) -> float:
    """Points of the test cells that raise nothing when ``nb`` runs with the real tests."""
    nb = copy.deepcopy(nb)
    tests = C.cells_by_id(source)
    for cell in nb.cells:
        if C.is_test(cell):
            cell.source = tests[C.grade_id(cell)].source
    folder = Path(tempfile.mkdtemp(prefix="oracle-"))
    try:
        if kit.is_dir():
            shutil.copytree(kit, folder, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.ipynb"))
        NotebookClient(nb, timeout=60, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return sum(
        float(C.meta(cell)["points"])
        for cell in nb.cells
        if C.is_test(cell) and not any(o.output_type == "error" for o in cell.outputs)
    )


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    ESCAPE.unlink(missing_ok=True)
    run = run_demo(tmp_path_factory.mktemp("demo"), ASSIGNMENT, workers=2, progress=False,
                   unsafe=UNSAFE,
                   cell_timeout=4, extra_settings=FAST, say=lambda *_: None)
    release, source = release_and_source(run.course, run.assignment)
    kit = run.course.release_dir(run.assignment)
    expected = {kind: oracle_score(synthetic.make_notebook(kind, release, source), source, kit)
                for kind in ORACLE}
    rows = {row.student: row for row in run.rows}
    return run, rows, expected, expectations(release)


def _case(kind: str, delivery: str = "file") -> str:
    return next(c.student for c in synthetic.CLASS if c.kind == kind and c.delivery == delivery)


def test_every_student_gets_the_exact_status_and_score(demo):
    run, rows, expected, (top, manual) = demo
    assert 0 < top <= run.graded.max_score
    for case in synthetic.CLASS:
        row = rows[case.student]
        where = f"{case.student} ({case.kind}, {case.delivery}): {row.reason} {row.notes}"
        if case.delivery in ("none", "ambiguous"):
            assert (row.status, row.score) == ("missing", None), where
        elif case.kind == "malformed":
            assert (row.status, row.score) == ("failed", None), where
            assert "not valid JSON" in row.reason, where
        elif case.kind in TAMPERED:
            assert (row.status, row.score) == ("tampered", top), where
        elif case.kind == "reference_import":
            assert (row.status, row.score) == ("flagged", top), where
            assert "imports the reference solutions" in row.reason, where
        elif case.kind in ORACLE:
            status = answered_status(case.kind, manual)
            assert (row.status, row.score) == (status, expected[case.kind]), where
        else:
            assert case.kind in FULL, where
            assert (row.status, row.score) == (answered_status(case.kind, manual), top), where
    # the oracle cases really differ from a perfect score
    assert expected["raises"] < top and expected["untouched"] < top
    assert rows[_case("missing", "none")].reason == "no submission collected"
    assert rows[_case("perfect", "ambiguous")].reason.startswith("ambiguous submission")


def test_each_hard_case_gets_a_clear_message(demo):
    _, rows, _, _ = demo
    assert "timed out" in rows[_case("infinite_loop")].notes
    # the grader's time limit is not a KeyboardInterrupt: swallowing those changes nothing
    assert "timed out" in rows[_case("swallows_interrupt")].notes
    assert "kernel died, restarted" in rows[_case("os_exit")].notes
    assert "output cut to" in rows[_case("huge_output")].notes
    assert rows[_case("perfect")].notes == ""
    assert rows[_case("untouched")].reason == ""


def _outputs(run, student):
    path = run.course.autograded_dir(student, run.assignment) / f"{run.assignment}.ipynb"
    nb = C.read_notebook(path)
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def _errors(run, student):
    return [f"{o.ename}: {o.evalue}" for o in _outputs(run, student) if o.output_type == "error"]


def test_untrusted_code_is_contained(demo):
    run, _, _, _ = demo
    assert any(e.startswith("MemoryError") for e in _errors(run, _case("memory_hog")))
    if not UNSAFE:
        refused = _errors(run, _case("reference_import"))
        assert any("No module named 'convref'" in e for e in refused)
    printed = sum(len(o.get("text", "")) for o in _outputs(run, _case("huge_output"))
                  if o.output_type == "stream")
    assert printed < 25_000  # 10 MB were printed; 20,000 characters and a note are kept
    if not UNSAFE:
        assert not ESCAPE.exists()  # it wrote to the sandbox's own /tmp, gone with it


def test_gradebook_holds_one_submission_per_graded_student(demo):
    run, rows, _, _ = demo
    course = run.course
    with Gradebook(course.db_url, course.coursedir.course_id) as gb:
        submissions = {s.student.id: float(s.score)
                       for s in gb.assignment_submissions(run.assignment)}
    graded = {sid: row.score for sid, row in rows.items() if row.score is not None}
    assert submissions == graded


def test_export_has_one_row_per_roster_student(demo):
    run, rows, _, _ = demo
    with run.csv.open(newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [r["student_id"] for r in table] == [c.student for c in synthetic.CLASS]
    columns = list(table[0])
    assert columns[:10] == [*GENERIC_COLUMNS, "notes"]
    release = C.read_notebook(run.course.release_notebooks(run.assignment)[0])
    tests = columns[10:]
    assert tests == [C.grade_id(c) for c in release.cells if C.is_grade(c)]
    for record in table:
        row = rows[record["student_id"]]
        assert record["status"] == row.status
        if row.score is None:
            assert record["score"] == "" and all(record[t] == "" for t in tests)
        else:
            cells = [float(record[t]) for t in tests if record[t] != ""]
            assert float(record["score"]) == row.score == sum(cells)
        assert float(record["max_score"]) == run.graded.max_score


def _page_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def test_feedback_never_shows_hidden_tests(demo):
    run, rows, _, _ = demo
    secrets = [s for s in hidden_lines(run.course, run.assignment) if len(s) >= 12]
    assert secrets
    redacted = 0
    for case in synthetic.CLASS:
        pages = list(run.course.feedback_dir(case.student, run.assignment).glob("*.html"))
        assert len(pages) == 1, case.student
        text = re.sub(r"\s+", " ", _page_text(pages[0]))
        assert f"Autograder status: {rows[case.student].status}" in text
        submitted = run.course.submitted_dir(case.student, run.assignment)
        own = "".join(p.read_text(errors="replace") for p in submitted.glob("*.ipynb"))
        for secret in secrets:
            if secret in own:
                continue  # the student typed it (the reference-import case): not a leak
            assert re.sub(r"\s+", " ", secret) not in text, (case.student, secret)
        assert "BEGIN HIDDEN TESTS" not in text
        redacted += text.count(HIDDEN_FRAME)
    # the raising answers fail inside hidden tests: their frames were replaced
    assert HIDDEN_FRAME in _page_text(next(
        run.course.feedback_dir(_case("raises"), run.assignment).glob("*.html")))
    assert redacted > 0


TIMED = re.compile(r"perf_counter|time\.time\(|timeit|best_time")  # they measure the grader


def _cell_outputs(run, student):
    """Outputs per code cell, except instructor cells that print measured times."""
    path = run.course.autograded_dir(student, run.assignment) / f"{run.assignment}.ipynb"
    return [(C.grade_id(c), c.outputs) for c in C.read_notebook(path).cells
            if c.cell_type == "code" and not (C.is_locked(c) and not C.is_test(c)
                                              and TIMED.search(c.source))]


def _feedback_text(run, student):
    """The feedback page's text with measured times (decimal numbers, padded) masked."""
    page = next(run.course.feedback_dir(student, run.assignment).glob("*.html"))
    masked = re.sub(r"\d+\.\d+", "#", _page_text(page))
    return "\n".join(re.sub(r"\s+", " ", line).strip() for line in masked.splitlines())


def test_grading_again_gives_the_same_scores_and_feedback(demo):
    run, rows, _, _ = demo
    again = [_case(k) for k in ("perfect", "raises", "infinite_loop", "os_exit", "huge_output")]
    before = {s: (_cell_outputs(run, s), _feedback_text(run, s)) for s in again}
    args = ["--course-root", str(run.course.root), "grade", run.assignment, "--workers", "2",
            "--no-progress"]
    for student in again:
        args += ["--student", student]
    assert cli(args) == 0
    feedback(run.course, run.assignment, again, progress=False)
    from autograder.reporting import table_rows

    for row in table_rows(run.course, run.assignment, again):
        assert (row.status, row.score, row.notes) == (
            rows[row.student].status, rows[row.student].score, rows[row.student].notes)
        outputs, page = before[row.student]
        assert _cell_outputs(run, row.student) == outputs, row.student
        now = _feedback_text(run, row.student)
        changed = [line for line in difflib.unified_diff(page.splitlines(), now.splitlines(),
                                                         lineterm="", n=0)]
        assert now == page, (row.student, changed[:12])


@pytest.mark.parametrize("assignment", [a for a in ASSIGNMENT_IDS if a != "ps1_convolution"])
def test_the_other_assignments_grade_the_same_way(tmp_path, assignment):
    cases = [synthetic.Case("s001", "perfect"), synthetic.Case("s002", "raises"),
             synthetic.Case("s003", "tampered_test"), synthetic.Case("s004", "reference_import"),
             synthetic.Case("s005", "malformed"), synthetic.Case("s006", "partial")]
    run = run_demo(tmp_path, assignment, workers=2, cases=cases, progress=False, unsafe=UNSAFE,
                   cell_timeout=10, extra_settings=FAST, say=lambda *_: None)
    release, source = release_and_source(run.course, assignment)
    kit = run.course.release_dir(assignment)
    top, manual = expectations(release)
    got = {r.student: (r.status, r.score) for r in run.graded.rows}
    assert got == {
        "s001": (answered_status("perfect", manual), top),
        "s002": (answered_status("raises", manual), oracle_score(
            synthetic.make_notebook("raises", release, source), source, kit)),
        "s003": ("tampered", top),
        "s004": ("flagged", top),
        "s005": ("failed", None),
        "s006": ("graded", oracle_score(
            synthetic.make_notebook("partial", release, source), source, kit)),
    }
    assert got["s002"][1] < top


def test_the_unsafe_mode_grades_the_same_and_says_so(tmp_path):
    """The toy assignment's exact scores without the sandbox, each row marked unsandboxed."""
    cases = [synthetic.Case("s001", "perfect"), synthetic.Case("s002", "raises"),
             synthetic.Case("s003", "os_exit"), synthetic.Case("s004", "swallows_interrupt"),
             synthetic.Case("s005", "reference_import"), synthetic.Case("s006", "partial")]
    run = run_demo(tmp_path, toy.ASSIGNMENT, workers=2, cases=cases, progress=False,
                   cell_timeout=3, extra_settings=FAST, say=lambda *_: None, unsafe=True)
    got = {r.student: (r.status, r.score) for r in run.graded.rows}
    assert got == {
        "s001": ("graded", toy.EXPECTED_SCORE["perfect"]),
        "s002": ("graded", toy.EXPECTED_SCORE["raises"]),
        "s003": ("graded", toy.MAX_SCORE),
        "s004": ("graded", toy.MAX_SCORE),
        "s005": ("flagged", toy.MAX_SCORE),
        "s006": ("graded", toy.EXPECTED_SCORE["partial"]),
    }
    assert run.graded.mode == "unsafe"
    assert all("graded unsandboxed" in r.notes for r in run.graded.rows)
    with open(run.csv, newline="") as fh:
        assert all("graded unsandboxed" in row["notes"] for row in csv.DictReader(fh))


def test_tampered_notebooks_are_graded_with_the_instructors_tests(demo):
    run, _, _, _ = demo
    source = C.read_notebook(run.course.source_notebooks(run.assignment)[0])
    wanted = {C.grade_id(c): C.normalized(c.source) for c in source.cells if C.is_test(c)}
    assert any(C.HIDDEN_BEGIN in s for s in wanted.values())
    for kind in sorted(TAMPERED):
        student = _case(kind)
        path = run.course.autograded_dir(student, run.assignment) / f"{run.assignment}.ipynb"
        graded = {C.grade_id(c): C.normalized(c.source)
                  for c in C.read_notebook(path).cells if C.is_test(c)}
        assert graded == wanted, kind


def test_plain_nbgrader_export_gives_the_same_rows(demo, tmp_path):
    """`nbgrader export` runs the autograder's export plugin: the same rows, with status."""
    run, _, _, _ = demo
    out = tmp_path / "nbgrader-export.csv"
    done = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", str(out),
                           "--assignment", run.assignment], cwd=run.course.root,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.read_text() == run.csv.read_text()


def test_plain_nbgrader_zip_collect_places_files_like_collect(tmp_path):
    course, assignment = setup_course(tmp_path, toy.ASSIGNMENT)
    release, source = release_and_source(course, assignment)
    cases = [synthetic.Case("s001", "perfect"), synthetic.Case("s002", "partial", "renamed"),
             synthetic.Case("s003", "raises", "folder")]
    archive = course.root / "downloaded" / assignment / "archive"
    roster = synthetic.build_downloads(archive, assignment, release, source, cases)
    with (course.root / "nbgrader_config.py").open("a") as fh:
        fh.write(f"c.RosterCollector.roster = {str(roster)!r}\n")
    done = subprocess.run([sys.executable, "-m", "nbgrader", "zip_collect", assignment,
                           "--force"], cwd=course.root, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for case in cases:
        placed = course.submitted_dir(case.student, assignment) / f"{assignment}.ipynb"
        assert placed.is_file(), (case, done.stderr[-2000:])
