"""Manual grading in formgrader, in a real browser (Chromium driven by Playwright).

In a throw-away copy of the course (``solutions/`` and ``nbgrader_config.py``) the test
releases ps2 with plain ``nbgrader generate_assignment``, autogrades one submission
with plain ``nbgrader autograde``, starts formgrader the way autograder/README.md
tells instructors to (``jupyter server`` from the course root, loopback, a token),
opens the manual-grading page of the submission, types the points of the written
answer (``pooling_answer``), and reads them back through nbgrader's ``Gradebook``
and through the generic export. Every request that leaves 127.0.0.1 is blocked.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from book_helpers import chromium, only_local
from jupyter_helpers import jupyter_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ps2_pooling"
WRITTEN = "pooling_answer"  # the hand-graded markdown cell, 2 points
STUDENT = "s001"
BIN = Path(sys.executable).parent


def _env(course: Path) -> dict[str, str]:
    """The venv's tools first; no user-level Jupyter or nbgrader config (~/.jupyter)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["JUPYTER_CONFIG_DIR"] = str(course / ".jupyter")
    env["JUPYTER_RUNTIME_DIR"] = str(course / ".runtime")
    return env


def _nbgrader(course: Path, *args: str) -> None:
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=_env(course),
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout}{done.stderr}"


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the course with ps2 released and one submission autograded."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "solutions", root / "solutions")
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    _nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    release = json.loads((root / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    for cell in release["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == WRITTEN:
            cell["source"] = "Pooling throws away where a feature was; strided convolutions "
            cell["source"] += "can shrink the map and learn what to keep."
    target = root / "grading" / "submitted" / STUDENT / ASSIGNMENT
    target.mkdir(parents=True)
    (target / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(release))
    _nbgrader(root, "autograde", ASSIGNMENT, "--force")
    return root


@pytest.fixture(scope="module")
def formgrader(course: Path) -> Iterator[tuple[str, str]]:
    """formgrader started from the course root, as the README says; (base URL, token)."""
    command = [str(BIN / "jupyter"), "server"]
    with jupyter_server(
        command, cwd=course, env=_env(course), log=course / "server.log", name="formgrader"
    ) as server:
        yield server.base, server.token


def test_written_answer_graded_in_formgrader(course: Path, formgrader, tmp_path: Path) -> None:
    from nbgrader.api import Gradebook

    from autograder.lms.exports import write_generic
    from autograder.lms.gradebook import grade_rows
    from autograder.lms.late import load_config
    from autograder.lms.rosters import load_roster

    config = load_config(course)
    db_url = config.CourseDirectory.db_url
    with Gradebook(db_url) as gb:
        submission_id = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, STUDENT).id
        before = gb.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, STUDENT)
        assert before.needs_manual_grade and before.manual_score is None
        auto = gb.find_submission(ASSIGNMENT, STUDENT).score  # the autograded part

    base, token = formgrader
    blocked: list[str] = []
    with chromium() as browser:
        # the token in a header, as jupyter_server accepts it (XHRs to the API included)
        context = browser.new_context(extra_http_headers={"Authorization": f"token {token}"})
        only_local(context, base, blocked)
        page = context.new_page()
        page.goto(f"{base}/formgrader/submissions/{submission_id}/")
        # formgrader's script marks the field once it has loaded the grade from its API
        score = page.locator(f"input.score.needs_manual_grade#{WRITTEN}")
        score.wait_for(state="visible", timeout=30_000)
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                                  and r.request.method == "PUT") as saved:
            score.fill("1.5")
            score.press("Tab")  # leaving the field saves it, as the instructor does
        assert saved.value.ok, saved.value.status
        page.reload()
        graded = page.locator(f"input.score#{WRITTEN}:not(.needs_manual_grade)")
        graded.wait_for(state="visible", timeout=30_000)
        page.wait_for_function(f"document.getElementById('{WRITTEN}').value === '1.5'")
    # formgrader's page asks a CDN for MathJax (nbconvert's default); nothing else leaves
    assert all("mathjax" in url.lower() for url in blocked), blocked

    with Gradebook(db_url) as gb:
        grade = gb.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, STUDENT)
        assert grade.manual_score == 1.5
        assert not grade.needs_manual_grade
        total = gb.find_submission(ASSIGNMENT, STUDENT).score
    assert total == pytest.approx(auto + 1.5)

    roster_path = tmp_path / "roster.csv"
    roster_path.write_text(f"student_id\n{STUDENT}\ns002\n")
    roster = load_roster(roster_path)
    rows = grade_rows(config, ASSIGNMENT, roster.ids)
    out = tmp_path / "grades.csv"
    write_generic(out, roster, rows)
    with out.open(newline="") as fh:
        table = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert table[STUDENT]["status"] == "graded"
    assert float(table[STUDENT]["score"]) == pytest.approx(auto + 1.5)
    assert table[STUDENT]["max_score"] == "14"
    assert table["s002"]["status"] == "missing" and table["s002"]["score"] == ""
