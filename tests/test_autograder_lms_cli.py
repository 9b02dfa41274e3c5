"""The instructor's LMS round trip through the command line (issue 13), end to end.

A small class downloaded from Canvas (its own file names, the "Download Submissions"
zip left unopened, a student zip inside it, a LATE file, a student who uploaded twice,
a name typed decomposed, a mixed-case login, a broken notebook, a missing student and
one who is not on the roster) with Canvas's gradebook export as roster is collected,
graded on the toy assignment (small-class settings of the pipeline tests) and exported
for Canvas and as the generic CSV. The late penalty is nbgrader's, computed by its
own ``AssignLatePenalties`` step from ``timestamp.txt`` and ``c.Lms.duedates``.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import unicodedata
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
import pytest

from autograder.__main__ import main as cli
from autograder.demo import REPO, release_and_source, setup_course, synthetic, toy
from autograder.grade.sandbox import bwrap_works
from autograder.release import generate

UNSAFE = ["--unsafe-no-sandbox"] if not bwrap_works() else []
DUE = "2026-12-04 23:59 UTC"
SETTINGS = f"""
c.Autograder.notebook_timeout = 120
c.Lms.duedates = {{"toy": "{DUE}"}}
c.Lms.canvas_late_minutes = 1
c.AssignLatePenalties.plugin_class = "autograder.lms.late.LatePenalty"
c.LatePenalty.grace_minutes = 0
c.LatePenalty.percent_per_period = 10
c.LatePenalty.period_hours = 24
"""


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# Canvas's gradebook export: a column for the assignment ("toy (4711)", 20 points
# possible in Canvas while the notebook has 5), the "Points Possible" row, the test
# student. The id column is SIS Login ID; the download names carry the Canvas user id.
CANVAS_ROSTER = (
    "Student,ID,SIS User ID,SIS Login ID,Section,toy (4711),Current Score\n"
    "    Points Possible,,,,,20.00,(read only)\n"
    f'"{nfd("Müller, Jörg")}",1001,S1001,{nfd("müllerjörg")},CNN 101,,\n'
    '"Doe, Jane",1002,S1002,jdoe,CNN 101,,\n'
    '"Late, Larry",1003,S1003,llate,CNN 101,,\n'
    '"Twice, Tom",1004,S1004,ttwice,CNN 101,,\n'
    '"Never, Nina",1005,S1005,nnever,CNN 101,,\n'
    '"Lee, Kim",1006,S1006,KLee,CNN 101,,\n'
    '"Broken, Bob",1007,S1007,bbroken,CNN 101,,\n'
    '"Student, Test",1099,,,CNN 101,,\n'
)
JOERG = nfc("müllerjörg")
ON_ROSTER = [JOERG, "jdoe", "llate", "ttwice", "nnever", "KLee", "bbroken"]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``python -m autograder ARGS`` in another process, started in ``cwd``."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lms-cli")
    course, assignment = setup_course(tmp, toy.ASSIGNMENT, cell_timeout=4,
                                      extra_settings=SETTINGS)
    release, source = release_and_source(course, assignment)

    def nb(kind: str) -> bytes:
        return nbformat.writes(synthetic.make_notebook(kind, release, source)).encode()

    roster = tmp / "canvas-gradebook.csv"
    roster.write_text(CANVAS_ROSTER, encoding="utf-8")
    downloads = tmp / "downloads"
    downloads.mkdir()
    first, second = nb("untouched"), nb("perfect")
    (downloads / "submissions.zip").write_bytes(zip_bytes({
        nfd("müllerjörg_1001_5001_toy.ipynb"): nb("perfect"),
        "doejane_1002_5002_toy.zip": zip_bytes({"work/toy.ipynb": nb("perfect")}),
        "latelarry_LATE_1003_5003_toy.ipynb": nb("perfect"),
        "twicetom_1004_5004_toy.ipynb": first,
        "twicetom_1004_5010_toy-1.ipynb": second,  # the later upload wins
        "leekim_1006_5006_relu.ipynb": nb("perfect"),  # renamed by the student
        "brokenbob_1007_5007_toy.ipynb": b"{ not a notebook",
        "strangerx_1200_5100_toy.ipynb": nb("perfect"),  # not on the roster
    }))
    collected = run(["collect", assignment, str(downloads), "--roster", str(roster),
                     "--course-root", str(course.root)], cwd=tmp)
    assert collected.returncode == 0, collected.stderr
    status = cli(["--course-root", str(course.root), "grade", assignment, "--workers", "2",
                  "--no-progress", *UNSAFE])
    assert status == 0
    return course, assignment, tmp, collected.stdout, (first, second)


def test_collect_places_canvas_downloads_by_roster_id(graded):
    course, assignment, _, report, (first, second) = graded
    placed = {sid: course.submitted_dir(sid, assignment) / "toy.ipynb" for sid in ON_ROSTER}
    assert {sid for sid, p in placed.items() if p.is_file()} == set(ON_ROSTER) - {"nnever"}
    assert placed["ttwice"].read_bytes() == second != first  # latest wins
    submitted = course.step_root(course.coursedir.submitted_directory)
    assert sorted(p.name for p in submitted.iterdir()) == sorted(set(ON_ROSTER) - {"nnever"})
    # Canvas only marks LATE: recorded canvas_late_minutes after the due date
    stamp = (course.submitted_dir("llate", assignment) / "timestamp.txt").read_text()
    assert datetime.fromisoformat(stamp.strip()[:19]) == datetime(2026, 12, 4, 23, 59) + \
        timedelta(minutes=1)
    assert not (course.submitted_dir("jdoe", assignment) / "timestamp.txt").exists()
    assert "roster column 'ID'" in report and "strangerx_1200_5100_toy.ipynb" in report


def test_export_canvas_scores_scaled_late_penalised_failed_and_missing_empty(graded):
    course, assignment, tmp, _, _ = graded
    out = tmp / "canvas-import.csv"
    assert cli(["--course-root", str(course.root), "export", assignment, "--format",
                "canvas", "--out", str(out)]) == 0
    table = read_csv(out)
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                        "toy (4711)"]
    assert table[1][0].strip() == "Points Possible" and table[1][-1] == "20.00"
    scores = {row[3]: row[-1] for row in table[2:]}
    # 5/5 is 20 Canvas points; Larry is one started day late: 10 % off (4.5/5 -> 18)
    assert scores == {JOERG: "20", "jdoe": "20", "llate": "18", "ttwice": "20",
                      "nnever": "", "KLee": "20", "bbroken": ""}


def test_export_generic_keeps_status_late_and_reason(graded):
    course, assignment, tmp, _, _ = graded
    out = tmp / "generic.csv"
    assert cli(["--course-root", str(course.root), "export", assignment, "--out",
                str(out)]) == 0
    with out.open(newline="", encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert list(rows) == ON_ROSTER  # roster order; the stranger and Canvas's test student out
    assert rows[JOERG]["name"] == nfc("Müller, Jörg")
    assert (rows["llate"]["status"], rows["llate"]["score"]) == ("graded", "4.5")
    assert rows["llate"]["late"] == "1 min late, penalty 0.5"
    assert (rows["llate"]["late_minutes"], rows["llate"]["late_penalty"]) == ("1", "0.5")
    for sid in (JOERG, "jdoe", "ttwice", "KLee"):
        assert (rows[sid]["status"], rows[sid]["score"], rows[sid]["late"]) == \
            ("graded", "5", ""), rows[sid]
    assert (rows["nnever"]["status"], rows["nnever"]["score"]) == ("missing", "")
    assert (rows["bbroken"]["status"], rows["bbroken"]["score"]) == ("failed", "")
    assert "not valid JSON" in rows["bbroken"]["reason"]
    assert all(r["max_score"] == "5" for r in rows.values())

    # `nbgrader export` (the StatusExport plugin) from the course root: the same rows
    again = tmp / "nbgrader-export.csv"
    done = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", str(again),
                           "--assignment", assignment], cwd=course.root,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert again.read_text() == out.read_text()


def test_rosters_are_per_assignment_and_course_root_works_from_anywhere(graded, tmp_path):
    course, assignment, tmp, _, _ = graded
    before = tmp_path / "before.csv"
    assert cli(["--course-root", str(course.root), "export", assignment, "--out",
                str(before)]) == 0
    # a second assignment (same notebook under another name) collected with 2 students
    other = "toy2"
    folder = course.source_dir(other)
    folder.mkdir(parents=True)
    nbformat.write(toy.source_notebook(), folder / f"{other}.ipynb")
    generate(course, other)
    short = tmp_path / "short.csv"
    short.write_text("student_id\njdoe\nllate\n")
    downloads = tmp_path / "toy2-downloads"
    downloads.mkdir()
    (downloads / "jdoe.ipynb").write_bytes(b"{}")
    # from a folder inside the course, without --course-root: found by walking up
    inside = course.root / "grading"
    done = run(["collect", other, str(downloads), "--roster", str(short)], cwd=inside)
    assert done.returncode == 0, done.stderr
    assert "1 placed, 1 missing" in done.stdout
    # ps1's export is unchanged; written from outside the course with --course-root
    after = tmp_path / "after.csv"
    done = run(["export", assignment, "--out", "after.csv", "--course-root",
                str(course.root)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert after.read_text() == before.read_text()
    assert len(read_csv(after)) == 1 + len(ON_ROSTER)
    # outside any course and without --course-root: a clear error, exit 2
    done = run(["export", assignment], cwd=tmp_path)
    assert done.returncode == 2 and "no nbgrader_config.py" in done.stderr


def test_collect_fails_naming_the_column_when_nothing_matches(graded, tmp_path, capsys):
    course, assignment, _, _, _ = graded
    roster = tmp_path / "other.csv"
    roster.write_text("student_id\nzz1\nzz2\n")
    downloads = tmp_path / "dl"
    downloads.mkdir()
    (downloads / "someone.ipynb").write_bytes(b"{}")
    assert cli(["--course-root", str(course.root), "collect", assignment, str(downloads),
                "--roster", str(roster)]) == 2
    assert "column 'student_id'" in capsys.readouterr().err
    # a roster whose ids differ only by case is refused, naming both
    clash = tmp_path / "clash.csv"
    clash.write_text(CANVAS_ROSTER.replace(",ttwice,", ",JDoe,"), encoding="utf-8")
    assert cli(["--course-root", str(course.root), "collect", assignment, str(downloads),
                "--roster", str(clash)]) == 2
    err = capsys.readouterr().err
    assert "'jdoe'" in err and "'JDoe'" in err
    # grade takes only students of the assignment's roster
    assert cli(["--course-root", str(course.root), "grade", assignment, "--student",
                "strangerx", "--no-progress", *UNSAFE]) == 2
    assert "not on the roster of toy: strangerx" in capsys.readouterr().err


def test_zip_collect_plugin_reads_canvas_names_like_collect(graded, monkeypatch):
    from autograder.plugins import RosterCollector

    course, assignment, _, _, _ = graded
    monkeypatch.chdir(course.root)  # nbgrader runs its plugins from the course root
    plugin = RosterCollector()  # default: the roster collect stored for the assignment
    extracted = course.root / "downloaded" / assignment / "extracted"
    found = plugin.collect(str(extracted / "latelarry_LATE_1003_5003_toy-1 (2).ipynb"))
    assert found == {"student_id": "llate", "file_id": "toy.ipynb"}
    found = plugin.collect(str(extracted / nfd("müllerjörg_1001_5001_mine.ipynb")))
    assert found == {"student_id": JOERG, "file_id": "toy.ipynb"}
    assert plugin.collect(str(extracted / "strangerx_1200_5100_toy.ipynb")) is None
