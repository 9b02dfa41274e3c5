"""Release notebooks run top to bottom with the student kit alone.

Each release folder is copied to a temporary directory (the notebook and its
``convkit`` copy, as a student unzips them) and executed by a kernel whose
``PYTHONPATH`` starts with ``tests/kit_only``, where ``convref`` refuses to
import. The only errors allowed are the stubs' ``NotImplementedError``. Two
cells are appended to prove the setting: one checks that ``convkit`` came from
the folder and ``convref`` is out of reach, the other that a failed check shows
students one readable paragraph, not a traceback.
"""

from __future__ import annotations

import os
import shutil

import nbformat
import pytest
from nbclient import NotebookClient
from test_assignments_support import ASSIGNMENTS, KIT_ONLY, ROOT

from autograder.release import equip

pytestmark = pytest.mark.slow

PROBE = """
import sys, pathlib, convkit
assert pathlib.Path(convkit.__file__).parent == pathlib.Path.cwd() / "convkit", convkit.__file__
try:
    import convref
except ImportError as err:
    assert "students use convkit" in str(err), err
else:
    raise AssertionError("convref was importable next to a release notebook")
print("kit only")
"""

READABLE = """
from convkit.layer_checks import check_output_sizes
check_output_sizes(lambda W, F, S, P: None, {(7, 3, 1, 0): 5})
"""


def _run_as_student(assignment_id: str, tmp_path) -> nbformat.NotebookNode:
    folder = tmp_path / assignment_id
    shutil.copytree(
        ROOT / "assignments" / assignment_id, folder, ignore=shutil.ignore_patterns("__pycache__")
    )
    equip(folder)  # the kit copy is generated, not committed: write it as the release does
    notebook = nbformat.read(folder / f"{assignment_id}.ipynb", as_version=4)
    notebook.cells += [nbformat.v4.new_code_cell(PROBE), nbformat.v4.new_code_cell(READABLE)]
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(KIT_ONLY)  # the kernel inherits this environment
    try:
        client = NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(folder)}},
        )
        client.execute()
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    return notebook


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_release_runs_with_the_kit_alone(assignment_id, tmp_path):
    notebook = _run_as_student(assignment_id, tmp_path)
    *cells, probe, readable = notebook.cells
    errors = [
        (c.metadata.get("nbgrader", {}).get("grade_id"), o)
        for c in cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert errors, "the stubs should fail"
    assert {o.ename for _, o in errors} == {"NotImplementedError"}, [
        (g, o.ename, o.evalue) for g, o in errors if o.ename != "NotImplementedError"
    ]
    assert [o.text for o in probe.outputs if o.output_type == "stream"] == ["kit only\n"], (
        probe.outputs
    )
    (failure,) = [o for o in readable.outputs if o.output_type == "error"]
    assert failure.ename == "CheckFailed"
    assert len(failure.traceback) == 2, failure.traceback  # the message and its hint, nothing else
    assert "returned None" in failure.traceback[0] and "Hint" in failure.traceback[1]
