"""Unit tests of the autograder's parts that need no grading kernel.

Collect, integrity repair, the static scan, statuses, feedback redaction, the
reference guard, the sandbox arguments, memory limits, the worker supervisor and the
command line. The full pipeline is exercised in test_autograder_pipeline.py.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from autograder import cells as C
from autograder import collect as collect_mod
from autograder.__main__ import main as cli
from autograder.course import Course, CourseError, check_id
from autograder.demo import make_course, toy
from autograder.demo.synthetic import make_notebook
from autograder.feedback import CheckNoHiddenTests
from autograder.grade.execute import HIDDEN_FAILED, TrustedExecute
from autograder.lms.errors import LmsError
from autograder.prepare import check_and_repair
from autograder.reporting import (
    StudentResult,
    SubmissionScores,
    assignment_roster,
    decide,
    load_report,
)
from autograder.scan import scan_source

ROOT = Path(__file__).resolve().parents[1]


def release_of(source):
    """The student version of a source notebook, as nbgrader makes it (no gradebook)."""
    nb = copy.deepcopy(source)
    nb, _ = ClearSolutions().preprocess(nb, {})
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    return nb


@pytest.fixture(scope="module")
def toy_pair():
    source = toy.source_notebook()
    return release_of(source), source


# -- collect ---------------------------------------------------------------------------

def _roster(folder: Path, ids: list[str]) -> Path:
    path = folder / "roster.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student_id"])
        writer.writerows([[i] for i in ids])
    return path


@pytest.fixture
def toy_course(tmp_path, toy_pair):
    course = make_course(tmp_path / "course", course_id="unit")
    release, _ = toy_pair
    folder = course.release_dir("toy")
    folder.mkdir(parents=True)
    nbformat.write(release, folder / "toy.ipynb")
    return course


def test_collect_places_every_form_of_download(tmp_path, toy_course, toy_pair):
    release, source = toy_pair
    good = nbformat.writes(make_notebook("perfect", release, source)).encode()
    other = nbformat.writes(make_notebook("partial", release, source)).encode()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "s1.ipynb").write_bytes(good)
    (downloads / "s2_toy (1).ipynb").write_bytes(good)
    with zipfile.ZipFile(downloads / "s3.zip", "w") as archive:
        archive.writestr("deep/inside/toy.ipynb", good)
        archive.writestr("__MACOSX/deep/._toy.ipynb", b"junk")
        archive.writestr("deep/readme.txt", "hi")
    (downloads / "s4" / ".ipynb_checkpoints").mkdir(parents=True)
    (downloads / "s4" / "work.ipynb").write_bytes(good)
    (downloads / "s4" / ".ipynb_checkpoints" / "work-checkpoint.ipynb").write_bytes(other)
    (downloads / "s5-1.ipynb").write_bytes(good)
    (downloads / "s5-2.ipynb").write_bytes(other)  # two different tries: ambiguous
    (downloads / "s6.ipynb").write_bytes(good)
    (downloads / "s6 (copy).ipynb").write_bytes(good)  # same bytes twice: a duplicate
    (downloads / "s99.ipynb").write_bytes(good)  # not on the roster
    (downloads / "grades.csv").write_text("x\n")
    roster = _roster(tmp_path, ["s1", "s2", "s3", "s4", "s5", "s6", "s7"])

    result = collect_mod.collect(toy_course, "toy", downloads, roster)
    report = result.report

    assert sorted(report.placed) == ["s1", "s2", "s3", "s4", "s6"]
    for sid in report.placed:
        placed = toy_course.submitted_dir(sid, "toy") / "toy.ipynb"
        assert placed.read_bytes() == good, sid
        assert [p.name for p in placed.parent.iterdir()] == ["toy.ipynb"]
    assert report.placed["s3"].origins == "s3.zip:deep/inside/toy.ipynb"
    assert report.missing == ["s7"]
    assert set(report.ambiguous) == {"s5"}  # two tries, and plain names give no order
    assert not toy_course.submitted_dir("s5", "toy").exists()
    assert sorted(report.duplicates["s6"]) == ["s6 (copy).ipynb", "s6.ipynb"]
    assert [origin for origin, _ in report.unknown] == ["s99.ipynb"]
    # the roster (per assignment) and the report are kept for grade and export
    assert load_report(toy_course, "toy")["missing"] == ["s7"]
    assert assignment_roster(toy_course, "toy").ids == ["s1", "s2", "s3", "s4", "s5", "s6",
                                                       "s7"]


def test_collect_refuses_a_broken_zip_and_fails_when_nothing_is_placed(tmp_path, toy_course):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "s1.zip").write_bytes(b"not a zip")
    with pytest.raises(LmsError, match="column 'student_id'"):
        collect_mod.collect(toy_course, "toy", downloads, _roster(tmp_path, ["s1"]))
    (downloads / "s1.zip").unlink()
    (downloads / "s1-a.ipynb").write_text('{"a": 1}')
    (downloads / "s1-b.ipynb").write_text('{"b": 2}')  # two notebooks, no order: ambiguous
    with pytest.raises(LmsError, match="nothing placed for toy: roster column 'student_id'"):
        collect_mod.collect(toy_course, "toy", downloads, _roster(tmp_path, ["s1"]))


# -- integrity -------------------------------------------------------------------------

def test_untouched_submission_is_not_tampered(toy_pair):
    release, source = toy_pair
    nb = make_notebook("perfect", release, source)
    before = copy.deepcopy(nb)
    report = check_and_repair(nb, release)
    assert report.tampered == [] and report.notes == []
    assert nb == before


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("tampered_test", "test cell 'test_relu' was edited"),
        ("deleted_test", "test cell 'test_relu' was deleted"),
        ("stripped_metadata", "test cell 'test_relu' lost its nbgrader metadata"),
        ("more_points", "test cell 'test_relu' had its nbgrader metadata changed"),
    ],
)
def test_tampering_is_found_and_undone(toy_pair, kind, message):
    release, source = toy_pair
    nb = make_notebook(kind, release, source)
    report = check_and_repair(nb, release)
    assert len(report.tampered) == 1 and report.tampered[0].startswith(message)
    # after the repair the test cells are the released ones, in the released order
    released_tests = [(C.grade_id(c), c.source, C.meta(c)) for c in release.cells if C.is_test(c)]
    repaired = [(C.grade_id(c), c.source, C.meta(c)) for c in nb.cells if C.is_test(c)]
    assert repaired == released_tests
    order = [C.grade_id(c) for c in nb.cells if C.grade_id(c)]
    assert order == [C.grade_id(c) for c in release.cells if C.grade_id(c)]


def test_other_repairs(toy_pair):
    release, source = toy_pair
    nb = make_notebook("perfect", release, source)
    relu = C.cells_by_id(nb)["relu"]
    nb.cells.remove(relu)  # a deleted answer cell carries no points: a note, no stub
    copy_of_test = copy.deepcopy(C.cells_by_id(nb)["test_out_size"])
    nb.cells.append(copy_of_test)  # a second cell claiming a test's grade id
    setup = C.cells_by_id(nb)["setup"]
    setup.cell_type = "markdown"
    report = check_and_repair(nb, release)
    assert report.notes == ["answer cell 'relu' is missing (deleted or unlabelled)"]
    assert "a second cell claims grade id 'test_out_size' (its metadata removed)" in report.tampered
    assert any("'setup' was turned into a markdown cell" in t for t in report.tampered)
    assert "relu" not in C.cells_by_id(nb)
    assert C.cells_by_id(nb)["setup"].cell_type == "code"
    assert C.meta(nb.cells[-1]) == {}


def test_a_grade_id_that_is_not_text_is_taken_off(toy_pair):
    release, source = toy_pair
    nb = make_notebook("perfect", release, source)
    C.cells_by_id(nb)["relu"].metadata.nbgrader["grade_id"] = ["relu"]  # unhashable
    report = check_and_repair(nb, release)
    assert report.tampered == ["a cell's grade id is not text (its metadata removed)"]
    assert report.notes == ["answer cell 'relu' is missing (deleted or unlabelled)"]
    assert all(isinstance(C.meta(c).get("grade_id", ""), str) for c in nb.cells)


def test_a_cell_source_that_is_not_text_fails_reading(tmp_path, toy_pair):
    release, source = toy_pair
    data = json.loads(nbformat.writes(make_notebook("perfect", release, source)))
    data["cells"][1]["source"] = 5
    path = tmp_path / "toy.ipynb"
    path.write_text(json.dumps(data))
    with pytest.raises(C.NotebookReadError, match="a cell's source is not text"):
        C.read_notebook(path)


# -- static scan -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("import convref", "imports the reference solutions"),
        ("from convref.conv_naive import conv_forward_naive", "imports the reference solutions"),
        ("def f(x):\n    return convref.relu_forward(x)", "names the reference solutions"),
        ("m = getattr(mod, 'conv' 'ref')", "names the reference solutions"),
        ("import importlib", "import machinery"),
        ("f = __import__('os')", "import machinery"),
        ("import sys\nsys.modules['x']", "import machinery"),
        ("from sys import modules", "import machinery"),
        ("exec('x = 1')", "code built at run time"),
        ("y = eval('2')", "code built at run time"),
        ("ref = globals()['reference']", "introspection of other cells"),
        ("import inspect", "introspection of other cells"),
        ("open('../../solutions/ps1/ps1.ipynb').read()", "refers to course files"),
        ("open('/x/autograder/gradebook.db', 'rb')", "refers to course files"),
        ("!cat ../../gradebook.db", "IPython magic or shell command"),
        ("import subprocess", "subprocess"),
        ("import os\nos.system('ls')", "subprocess"),
    ],
)
def test_scan_flags_reaching_for_the_reference(code, rule):
    assert rule in [f.rule for f in scan_source(code, "answer")]


@pytest.mark.parametrize(
    "code",
    [
        "import numpy as np\ndef relu(x):\n    return np.maximum(x, 0)",
        "from convkit import rel_error\nmodel.eval()\nprint('done')",
        "def f(x):\n    out = {'pad': 1}\n    return x[..., ::2]",
        "this is not python (",
    ],
)
def test_scan_leaves_ordinary_code_alone(code):
    assert scan_source(code, "answer") == []


# -- statuses --------------------------------------------------------------------------

def test_status_of_each_situation():
    scores = SubmissionScores(4.0, {("nb", "t1"): 4.0, ("nb", "t2"): 0.0})
    ok = StudentResult("s", ok=True)
    assert decide("s", None, None).status == "missing"
    assert decide("s", None, None, "ambiguous submission: a, b").reason.startswith("ambiguous")
    failed = decide("s", StudentResult.failed("s", "boom"), scores)
    assert (failed.status, failed.reason, failed.score) == ("failed", "boom", None)
    assert decide("s", ok, scores).status == "graded" and decide("s", ok, scores).score == 4.0
    assert decide("s", ok, None).status == "failed"  # never a silent zero
    tampered = StudentResult("s", ok=True, tampered=["test cell 't1' was edited"],
                             flags=["cell a, line 1: imports the reference solutions (x)"])
    row = decide("s", tampered, scores)
    assert row.status == "tampered" and "was edited" in row.reason and "suspicious" in row.reason
    flagged = StudentResult("s", ok=True, flags=["cell a, line 1: x"])
    assert decide("s", flagged, scores).status == "flagged"
    manual = SubmissionScores(4.0, needs_manual=["essay"])
    assert decide("s", ok, manual).status == "needs_manual"
    ungraded = SubmissionScores(4.0, ungraded_tests=["t2"])
    row = decide("s", ok, ungraded)
    assert row.status == "failed" and row.score is None and "t2" in row.reason
    assert decide("s", None, scores).status == "failed"  # in the gradebook, not graded here


# -- failing checks and the feedback safety net ------------------------------------------

HIDDEN_CELL = (
    "assert relu(x).shape == (2, 2)\n"
    "### BEGIN HIDDEN TESTS\n"
    "secret_expected = np.array([[0.0, 2.0], [3.0, 0.0]])\n"
    "assert np.array_equal(relu(x), secret_expected), 'wrong values'\n"
    "### END HIDDEN TESTS"
)


def test_a_failing_hidden_check_is_reported_without_its_code():
    namespace = {"np": np, "relu": lambda v: v, "x": np.array([[-1.0, 2.0], [3.0, -4.0]])}
    try:
        exec(compile(HIDDEN_CELL, "<cell 3>", "exec"), namespace)
    except AssertionError as err:
        hidden = TrustedExecute._error(err, HIDDEN_CELL, "<cell 3>")
    namespace["x"] = np.zeros(3)
    try:
        exec(compile(HIDDEN_CELL, "<cell 3>", "exec"), namespace)
    except AssertionError as err:
        visible = TrustedExecute._error(err, HIDDEN_CELL, "<cell 3>")
    assert hidden["traceback"] == [HIDDEN_FAILED, "AssertionError: wrong values"]
    assert "secret_expected" not in str(hidden) and "array_equal" not in str(hidden)
    assert visible["traceback"][0] == "In this cell, line 1: assert relu(x).shape == (2, 2)"
    assert "secret_expected" not in str(visible)


def test_last_safety_net_refuses_a_leak():
    cell = nbformat.v4.new_code_cell("assert relu(x).shape == (2, 2)")
    cell.outputs = [nbformat.v4.new_output(
        "stream", name="stdout", text="secret_expected = np.array([[0.0, 2.0], [3.0, 0.0]])")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    check = CheckNoHiddenTests()
    resources = {"autograder": {
        "hidden_lines": {"secret_expected = np.array([[0.0, 2.0], [3.0, 0.0]])"}}}
    with pytest.raises(RuntimeError, match="hidden test code would appear"):
        check.preprocess(nb, resources)
    cell.outputs = []
    check.preprocess(nb, resources)  # nothing left: no complaint


# -- course and command line -----------------------------------------------------------

def test_ids_and_course_errors(tmp_path):
    assert check_id("student id", "s-01.x") == "s-01.x"
    for bad in ("", "../x", "a/b", ".hidden", "a b"):
        with pytest.raises(CourseError):
            check_id("student id", bad)
    with pytest.raises(CourseError, match="no nbgrader_config.py"):
        Course.load(tmp_path)


def test_cli_reports_errors_with_exit_status_2(tmp_path, capsys, toy_course):
    assert cli(["--course-root", str(tmp_path), "grade", "toy"]) == 2
    assert "no nbgrader_config.py" in capsys.readouterr().err
    root = str(toy_course.root)
    assert cli(["--course-root", root, "grade", "toy", "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert cli(["--course-root", root, "grade", "nope"]) == 2
    assert "not in the gradebook" in capsys.readouterr().err
    assert cli(["--course-root", root, "collect", "toy", str(tmp_path / "none"),
                "--roster", str(_roster(tmp_path, ["s1"]))]) == 2
    assert "download folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli(["grade"])  # argparse: the assignment is required


def test_repository_config_holds_grading_settings():
    course = Course.load(ROOT)
    assert course.settings.cell_timeout == 30
    assert course.settings.scheduler == ""
    assert course.db_url == f"sqlite:///{ROOT / 'grading' / 'gradebook.db'}?timeout=60"
    # runtime data lives in one ignored folder at the course root, never in autograder/
    assert course.data_dir == ROOT / "grading" / "work"
    for step in ("submitted", "autograded", "feedback"):
        assert course.step_root(getattr(course.coursedir, f"{step}_directory")) == (
            ROOT / "grading" / step)


def test_synthetic_cases_are_built_by_code(toy_pair):
    release, source = toy_pair
    perfect = make_notebook("perfect", release, source)
    assert "np.maximum" in C.cells_by_id(perfect)["relu"].source
    assert "BEGIN SOLUTION" not in nbformat.writes(perfect)
    assert make_notebook("untouched", release, source) == release
    stream = io.StringIO(nbformat.writes(make_notebook("wrong_shapes", release, source)))
    assert "relu = _demo_wrong_shape(relu)" in stream.getvalue()


def test_release_verb_hands_over_to_the_release_step(monkeypatch, capsys):
    import autograder.release as release_step

    calls = []

    def fake_release(assignment_ids, course_root):
        calls.append((assignment_ids, course_root))
        return [course_root / "assignments" / "x" / "x.ipynb"]

    monkeypatch.setattr(release_step, "release", fake_release)
    assert cli(["--course-root", str(ROOT), "release", "ps1_convolution", "ps2_pooling"]) == 0
    assert cli(["--course-root", str(ROOT), "release"]) == 0
    assert calls == [(["ps1_convolution", "ps2_pooling"], ROOT), (None, ROOT)]
    assert "released" in capsys.readouterr().out


def test_grade_refuses_to_run_student_code_without_the_sandbox(monkeypatch, capsys, toy_course):
    import autograder.grade.verb as grade_mod

    monkeypatch.setattr(grade_mod, "bwrap_works", lambda: False)
    assert cli(["--course-root", str(toy_course.root), "grade", "toy"]) == 2
    err = capsys.readouterr().err
    assert "bubblewrap" in err and "--unsafe-no-sandbox" in err
    assert grade_mod.sandbox_mode(unsafe=True) == "unsafe"
    assert "UNSAFE" in grade_mod.mode_line("unsafe")
