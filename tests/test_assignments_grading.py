"""The assignments grade as they should, through nbgrader itself.

Fake students (see ``test_assignments_support``) are autograded in a temporary
course: the instructor's source notebook earns full marks, the untouched
release earns zero and fails only on the stubs' NotImplementedError, and a
wrong version of one function costs exactly that function's points, with the
failing check naming the mistake.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from test_assignments_support import (
    ASSIGNMENTS,
    WRONG,
    cell_text,
    error_outputs,
    function_cells,
    graded_cells,
    graded_course,
    load,
    source_notebook,
    ungraded_solution_cells,
)

pytestmark = pytest.mark.slow

WRONG_CASES = [(a, f) for a in ASSIGNMENTS for f in WRONG[a]]


@pytest.fixture(scope="module")
def course():
    return graded_course()


def _written_answers(notebook: dict) -> set[str]:
    return {
        c["metadata"]["nbgrader"]["grade_id"]
        for c in notebook["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("grade")
        and c["metadata"]["nbgrader"].get("solution")
    }


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_source_notebook_autogrades_to_full_marks(course, assignment_id):
    source = load(source_notebook(assignment_id))
    manual = _written_answers(source)
    scores = course.scores[(assignment_id, "perfect")]
    assert set(scores) == set(graded_cells(source)), course.autograde_log[assignment_id][-2000:]
    for cell, (score, max_score) in scores.items():
        if cell in manual:
            assert score is None, f"{cell} is a written answer: nbgrader leaves it to a person"
        else:
            assert score == max_score, f"{assignment_id}: {cell} scored {score} of {max_score}"
    assert not error_outputs(course.autograded(assignment_id, "perfect"))


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_answering_only_the_graded_cells_earns_full_marks(course, assignment_id):
    """No graded cell depends on an ungraded one (problem set 3's Part 0 left blank)."""
    source = load(source_notebook(assignment_id))
    manual = _written_answers(source)
    scores = course.scores[(assignment_id, "graded-only")]
    assert set(scores) == set(graded_cells(source))
    lost = {c: (s, m) for c, (s, m) in scores.items() if c not in manual and s != m}
    assert not lost, f"{assignment_id}: graded cells that need ungraded work: {lost}"
    notebook = course.autograded(assignment_id, "graded-only")
    failing = {cell for cell, _ in error_outputs(notebook)}
    assert not failing & set(graded_cells(source)), failing


def test_a_wrong_part_0_costs_nothing_and_the_demonstrations_point_at_it(course):
    source = load(source_notebook("ps3_fc_to_conv"))
    scores = course.scores[("ps3_fc_to_conv", "broken-part0")]
    assert all(score == max_score for score, max_score in scores.values()), scores
    errors = dict(error_outputs(course.autograded("ps3_fc_to_conv", "broken-part0")))
    assert not set(errors) & set(graded_cells(source)), errors
    assert {"equivalence", "compare", "dense"} <= set(errors)
    for cell in ("equivalence", "compare", "dense"):
        assert errors[cell]["ename"] == "AssertionError" and "Part 0" in errors[cell]["evalue"]


def test_problem_set_3_has_an_ungraded_part_to_leave_blank():
    """The test above is only meaningful where some solution cell earns no points."""
    assert ungraded_solution_cells(load(source_notebook("ps3_fc_to_conv"))) == ["your_layers"]


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_untouched_release_scores_zero_and_fails_only_on_stubs(course, assignment_id):
    scores = course.scores[(assignment_id, "untouched")]
    assert scores and all(score == 0 for score, _ in scores.values()), scores
    errors = error_outputs(course.autograded(assignment_id, "untouched"))
    names = {output["ename"] for _, output in errors}
    assert names == {"NotImplementedError"}, errors
    # every autograded test cell ran and hit a stub (none was skipped or empty)
    failed_cells = {cell for cell, _ in errors}
    tests = set(graded_cells(load(source_notebook(assignment_id)))) - _written_answers(
        load(source_notebook(assignment_id))
    )
    assert tests <= failed_cells


@pytest.mark.parametrize(("assignment_id", "function"), WRONG_CASES)
def test_wrong_function_loses_exactly_its_points(course, assignment_id, function):
    source = load(source_notebook(assignment_id))
    manual = _written_answers(source)
    own = set(function_cells(source, function))
    assert own, f"no graded cell tests {function}"
    scores = course.scores[(assignment_id, f"wrong-{function}")]
    for cell, (score, max_score) in scores.items():
        if cell in own:
            assert score == 0, f"the wrong {function} still earned {score} in {cell}"
        elif cell not in manual:
            assert score == max_score, (
                f"the wrong {function} cost {cell} {max_score - score} points"
            )
    lost = sum(
        max_score - (score or 0)
        for cell, (score, max_score) in scores.items()
        if cell not in manual
    )
    assert lost == sum(graded_cells(source)[c] for c in own)


@pytest.mark.parametrize(("assignment_id", "function"), WRONG_CASES)
def test_failing_check_names_the_mistake(course, assignment_id, function):
    _, phrase = WRONG[assignment_id][function]
    notebook = course.autograded(assignment_id, f"wrong-{function}")
    errors = dict(error_outputs(notebook))
    visible = next(
        c
        for c in function_cells(load(source_notebook(assignment_id)), function)
        if not c.endswith("_hidden")
    )
    assert visible in errors, f"the visible check of {function} did not fail"
    output = errors[visible]
    assert output["ename"] == "CheckFailed"
    # one readable paragraph instead of a traceback through the kit
    assert len(output["traceback"]) <= 2, output["traceback"]
    if phrase:
        assert phrase in "\n".join(output["traceback"]), output["traceback"]


def test_every_graded_function_has_a_wrong_version():
    for assignment_id in ASSIGNMENTS:
        source = load(source_notebook(assignment_id))
        tested = {
            c["metadata"]["nbgrader"]["grade_id"]
            for c in source["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")
            and c["cell_type"] == "code"
            and function_cells(source, c["metadata"]["nbgrader"]["grade_id"])
        }
        assert tested == set(WRONG[assignment_id]), assignment_id


def _seconds(cell: dict) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    if "iopub.execute_input" not in timing or "shell.execute_reply" not in timing:
        return None
    start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_notebook_and_hidden_test_cells_are_fast(course, assignment_id):
    notebook = course.autograded(assignment_id, "perfect")
    timed = [(c, _seconds(c)) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(t is not None for _, t in timed), "nbgrader recorded no execution times"
    assert sum(t for _, t in timed) < 60, f"{assignment_id} needs {sum(t for _, t in timed):.1f} s"
    for cell, seconds in timed:
        if "BEGIN HIDDEN TESTS" in cell_text(cell) or cell["metadata"].get("nbgrader", {}).get(
            "grade"
        ):
            grade_id = cell["metadata"]["nbgrader"]["grade_id"]
            assert seconds < 10, f"{grade_id} takes {seconds:.1f} s; the grading timeout is tight"
