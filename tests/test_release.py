"""The committed student release is what nbgrader generates, and holds no secrets."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from test_assignments_support import (
    ASSIGNMENTS,
    ROOT,
    cell_text,
    graded_cells,
    load,
    release_notebook,
    released_course,
    source_notebook,
)

from autograder.release import ReleaseError, find_assignments, leaks, release, secret_lines, verify

KIT = ROOT / "src" / "convkit"
SKIPPED = {"__pycache__", ".ipynb_checkpoints"}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not SKIPPED.intersection(p.relative_to(folder).parts)
        and p.suffix != ".pyc"
    }


def test_assignment_ids_are_the_three_problem_sets():
    assert find_assignments(ROOT) == sorted(ASSIGNMENTS)


@pytest.mark.slow
def test_committed_release_is_what_release_generates():
    """Regenerate into a temporary course and compare byte for byte."""
    regenerated = released_course()
    assert [p.name for p in regenerated.released] == [f"{a}.ipynb" for a in ASSIGNMENTS]
    committed = _files(ROOT / "assignments")
    fresh = _files(regenerated.root / "assignments")
    assert sorted(committed) == sorted(fresh), "files differ: run autograder.release.release()"
    stale = [name for name in committed if committed[name] != fresh[name]]
    assert not stale, f"out of date, regenerate the release: {stale}"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_release_carries_the_student_kit(assignment_id):
    copy = _files(ROOT / "assignments" / assignment_id / "convkit")
    assert copy == _files(KIT)
    imports = re.compile(rb"^\s*(import|from)\s+convref\b", re.MULTILINE)
    assert not [name for name, text in copy.items() if imports.search(text)]


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_committed_release_leaks_nothing(assignment_id):
    verify(ROOT / "solutions" / assignment_id, ROOT / "assignments" / assignment_id)
    text = release_notebook(assignment_id).read_text(encoding="utf-8")
    assert "convref" not in text, "the release must run without the reference package"


def test_site_scan_finds_no_reference_code_in_the_release():
    """The book's scanner also knows every line of convref; none may reach students."""
    scan = pytest.importorskip("tools.solution_scan")
    secrets = scan.all_secrets(ROOT / "solutions", ROOT / "src" / "convref")
    assert scan.scan_tree(ROOT / "assignments", secrets) == []


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_every_solution_is_a_stub_in_the_release(assignment_id):
    released = load(release_notebook(assignment_id))
    code_solutions = [
        c
        for c in released["cells"]
        if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution")
    ]
    assert code_solutions
    for cell in code_solutions:
        assert "raise NotImplementedError()" in cell_text(cell), cell["metadata"]["nbgrader"]


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_header_states_the_total_points(assignment_id):
    for path in (source_notebook(assignment_id), release_notebook(assignment_id)):
        notebook = load(path)
        header = cell_text(notebook["cells"][0])
        stated = re.search(r"\*\*Total: (\d+) points\*\*", header)
        assert stated, f"{path.name}: the header does not state the total points"
        assert int(stated.group(1)) == sum(graded_cells(notebook).values())


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_source_notebooks_are_stored_without_outputs(assignment_id):
    for cell in load(source_notebook(assignment_id))["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_every_function_has_hidden_tests_against_the_reference(assignment_id):
    source = load(source_notebook(assignment_id))
    functions = [
        c["metadata"]["nbgrader"]["grade_id"]
        for c in source["cells"]
        if c["cell_type"] == "code"
        and c["metadata"].get("nbgrader", {}).get("solution")
        and any(
            g.startswith(f"test_{c['metadata']['nbgrader']['grade_id']}")
            for g in graded_cells(source)
        )
    ]
    assert functions
    for function in functions:
        hidden = [
            cell_text(c)
            for c in source["cells"]
            if c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith(f"test_{function}")
            and "### BEGIN HIDDEN TESTS" in cell_text(c)
        ]
        assert hidden, f"{function} has no hidden tests"
        assert any("import convref" in h for h in hidden)


# ------------------------------------------------------------------ the API and its guard


def _fake_release(tmp_path: Path, assignment_id: str = "ps1_convolution") -> tuple[Path, Path]:
    source = tmp_path / "solutions" / assignment_id
    target = tmp_path / "assignments" / assignment_id
    shutil.copytree(ROOT / "solutions" / assignment_id, source)
    shutil.copytree(ROOT / "assignments" / assignment_id, target)
    return source, target


def _edit_notebook(path: Path, change) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    change(notebook)
    path.write_text(json.dumps(notebook), encoding="utf-8")


def test_verify_accepts_the_clean_release(tmp_path):
    source, target = _fake_release(tmp_path)
    verify(source, target)


@pytest.mark.parametrize(
    ("what", "plant", "expected"),
    [
        ("marker", "### BEGIN SOLUTION", "marker 'BEGIN SOLUTION'"),
        (
            "solution line",
            "    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))",
            "solution or hidden-test line",
        ),
        (
            "hidden test line",
            "        check_im2col(im2col, x_h, field_h, stride_h, pad_h, expected_h, positions_h)",
            "solution or hidden-test line",
        ),
        ("reference import", "import convref", "imports the reference package"),
    ],
)
def test_verify_catches_what_students_must_not_see(tmp_path, what, plant, expected):
    source, target = _fake_release(tmp_path)
    notebook = target / "ps1_convolution.ipynb"
    _edit_notebook(notebook, lambda nb: nb["cells"][-1].update(source=plant + "\n"))
    with pytest.raises(ReleaseError, match=re.escape(expected)):
        verify(source, target)


def test_verify_catches_outputs_and_a_leaking_kit(tmp_path):
    source, target = _fake_release(tmp_path)

    def add_output(nb: dict) -> None:
        code = next(c for c in nb["cells"] if c["cell_type"] == "code")
        code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi"}]

    _edit_notebook(target / "ps1_convolution.ipynb", add_output)
    (target / "convkit" / "extra.py").write_text("from convref import im2col\n", encoding="utf-8")
    found = leaks(target, secret_lines([source / "ps1_convolution.ipynb"]))
    assert any("holds outputs" in f for f in found)
    assert any(f.startswith("convkit/extra.py") and "reference package" in f for f in found)


def test_secret_lines_cover_solution_and_hidden_regions():
    secrets = secret_lines([source_notebook("ps2_pooling")])
    assert "winner = np.argmax(window) # argmax returns the first maximum, row-major" in secrets
    assert any("reference_switches(x_h, param_h)" in s for s in secrets)
    # a written answer cell is replaced whole, so all of its lines are secret
    assert any("All Convolutional Net" in s for s in secrets)


def test_release_refuses_unknown_assignments():
    with pytest.raises(ValueError, match="ps9_nothing"):
        release(["ps9_nothing"])


def test_release_needs_the_student_kit(tmp_path):
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path)
    with pytest.raises(ReleaseError, match="student kit is missing"):
        release(course_root=tmp_path)
