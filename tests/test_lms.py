"""The LMS round trip: rosters and downloads from Canvas, Moodle and Blackboard in,
late work, grades back out (autograder/lms).

Each class below is written by hand the way the LMS names its files and lays out its
roster (see the docstrings of autograder/lms/downloads.py and rosters.py), with a
Unicode student, a late one, one who handed in twice, a case clash and a missing one.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
import tarfile
import unicodedata
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from traitlets.config import Config

from autograder.lms.archives import Limits, walk
from autograder.lms.courseroot import find_course_root
from autograder.lms.downloads import (
    parse_lms_name,
    place,
    scan_downloads,
    split_copy_suffixes,
)
from autograder.lms.errors import LmsError
from autograder.lms.exports import GradeRow, write_canvas, write_generic, write_moodle
from autograder.lms.late import (
    LatePenalty,
    duedate,
    penalty,
    submission_time,
    timestamp_text,
)
from autograder.lms.rosters import load_roster

ROOT = Path(__file__).resolve().parents[1]
NB = "ps1_convolution"


def notebook(marker: str) -> bytes:
    """A small valid notebook whose one cell says ``marker`` (to tell files apart)."""
    return json.dumps({
        "cells": [{"cell_type": "markdown", "id": "a1", "metadata": {}, "source": marker}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }).encode()


def marker_of(data: bytes) -> str:
    return json.loads(data)["cells"][0]["source"]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def tar_bytes(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


# --- Canvas ------------------------------------------------------------------------------
# The gradebook export: identity columns, one column per assignment ("name (id)"), a
# "Points Possible" row under the header, Canvas's test student at the end. Jörg's
# name is typed decomposed (as macOS does), to prove the roster is NFC-normalised.
CANVAS_ROSTER = (
    "Student,ID,SIS User ID,SIS Login ID,Section,ps1_convolution (4711),Current Score\n"
    "    Points Possible,,,,,20.00,(read only)\n"
    f'"{nfd("Müller, Jörg")}",1001,S1001,{nfd("müllerjörg")},CNN 101,,\n'
    '"Doe, Jane",1002,S1002,jdoe,CNN 101,,\n'
    '"Late, Larry",1003,S1003,llate,CNN 101,,\n'
    '"Twice, Tom",1004,S1004,ttwice,CNN 101,,\n'
    '"Never, Nina",1005,S1005,nnever,CNN 101,,\n'
    '"Student, Test",1099,,,CNN 101,,\n'
)


@pytest.fixture
def canvas_class(tmp_path: Path):
    roster = tmp_path / "canvas-grades.csv"
    roster.write_text(CANVAS_ROSTER, encoding="utf-8")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    # Canvas's "Download Submissions" zip, left unopened in the download folder.
    (downloads / "submissions.zip").write_bytes(zip_bytes({
        nfd("müllerjörg_1001_5001_ps1_convolution.ipynb"): notebook("joerg"),
        # a student zip inside the Canvas zip, the notebook in a folder
        "doejane_1002_5002_ps1.zip": zip_bytes({"ps1/ps1_convolution.ipynb":
                                                notebook("jane")}),
        "latelarry_LATE_1003_5003_ps1_convolution.ipynb": notebook("larry"),
        # Tom uploaded twice; Canvas gave the second upload the larger file id and "-1"
        "twicetom_1004_5004_ps1_convolution.ipynb": notebook("tom first"),
        "twicetom_1004_5010_ps1_convolution-1.ipynb": notebook("tom second"),
        "strangerx_1200_5100_ps1_convolution.ipynb": notebook("stranger"),
        "__MACOSX/._doejane_1002_5002_ps1.zip": b"resource fork",
    }))
    # Larry's file also downloaded on its own, twice by the browser: identical bytes
    (downloads / "latelarry_LATE_1003_5003_ps1_convolution (1).ipynb").write_bytes(
        notebook("larry"))
    (downloads / "notes.txt").write_text("not a submission")
    return load_roster(roster), downloads


def test_canvas_roster_keeps_its_columns_and_points_possible(canvas_class) -> None:
    roster, _ = canvas_class
    assert roster.lms == "canvas"
    assert roster.id_column == "SIS Login ID"
    assert roster.ids == ["müllerjörg", "jdoe", "llate", "ttwice", "nnever"]
    assert unicodedata.is_normalized("NFC", roster.row("müllerjörg")["Student"])
    assert [r["Student"] for r in roster.preamble] == ["Points Possible"]
    assert roster.preamble[0]["ps1_convolution (4711)"] == "20.00"
    assert roster.skipped == ["line 8: Canvas's test student"]


def test_canvas_download_placement(canvas_class, tmp_path: Path) -> None:
    roster, downloads = canvas_class
    report = scan_downloads(downloads, roster, [NB])
    assert report.column.column == "ID"  # Canvas's user id is in every file name
    assert report.column.matched == 6  # the stranger and Tom's copies: 7 notebooks, 6 ours
    assert {sid: marker_of(s.notebooks[NB].data) for sid, s in report.placed.items()} == {
        "müllerjörg": "joerg", "jdoe": "jane", "llate": "larry", "ttwice": "tom second"}
    assert report.placed["jdoe"].origins == (
        "submissions.zip:doejane_1002_5002_ps1.zip:ps1/ps1_convolution.ipynb")
    assert report.missing == ["nnever"]
    (replaced,) = report.superseded["ttwice"]
    assert "twicetom_1004_5004_ps1_convolution.ipynb replaced by the later" in replaced
    assert "5010" in replaced and "Canvas's upload order" in replaced
    assert len(report.duplicates["llate"]) == 2
    assert [u[0] for u in report.unknown] == [
        "submissions.zip:strangerx_1200_5100_ps1_convolution.ipynb"]
    assert "notes.txt" in report.ignored
    assert report.placed["llate"].late and not report.placed["jdoe"].late
    assert any("placed       müllerjörg" in line for line in report.summary_lines())
    json.dumps(report.to_dict())  # the record the pipeline keeps is JSON

    written = place(report, lambda sid: tmp_path / "submitted" / sid / NB, roster.ids,
                    {"llate": "2026-12-04 23:00:00.000000 UTC"})
    assert len(written) == 4
    assert marker_of((tmp_path / "submitted/ttwice" / NB / f"{NB}.ipynb").read_bytes()) == (
        "tom second")
    assert (tmp_path / "submitted/llate" / NB / "timestamp.txt").read_text().strip() == (
        "2026-12-04 23:00:00.000000 UTC")


def test_recollect_replaces_and_drops(canvas_class, tmp_path: Path) -> None:
    roster, downloads = canvas_class
    target = tmp_path / "submitted"
    old = target / "nnever" / NB
    old.mkdir(parents=True)
    (old / f"{NB}.ipynb").write_bytes(notebook("stale"))
    place(scan_downloads(downloads, roster, [NB]), lambda sid: target / sid / NB, roster.ids)
    assert not old.exists()  # missing now: nothing left to grade
    assert sorted(p.parent.name for p in target.glob(f"*/{NB}")) == [
        "jdoe", "llate", "müllerjörg", "ttwice"]


def test_canvas_late_marker_with_due_date(canvas_class) -> None:
    roster, downloads = canvas_class
    report = scan_downloads(downloads, roster, [NB])
    config = Config()
    config.Lms.duedates = {NB: "2026-12-04 23:59 Europe/Berlin"}
    due = duedate(config, NB)
    assert due == datetime(2026, 12, 4, 22, 59)  # naive UTC, as nbgrader stores it
    larry = submission_time(report.placed["llate"], roster.row("llate"), config, due)
    assert larry.when == due + timedelta(minutes=1)
    assert "LATE" in larry.source
    jane = submission_time(report.placed["jdoe"], roster.row("jdoe"), config, due)
    assert jane.when is None
    assert timestamp_text(larry.when) == "2026-12-04 23:00:00.000000 UTC"
    from nbgrader.utils import parse_utc

    assert parse_utc(timestamp_text(larry.when)) == larry.when  # nbgrader reads it back
    config.AssignLatePenalties.plugin_class = "autograder.lms.late.LatePenalty"
    config.LatePenalty.percent_per_period = 25
    seconds = (larry.when - due).total_seconds()
    assert penalty(config, "llate", 16.0, seconds) == pytest.approx(16.0 * 0.25)
    assert penalty(config, "jdoe", 16.0, 0) is None  # on time: no penalty at all


def test_canvas_export_keeps_roster_columns_and_leaves_failures_empty(
        canvas_class, tmp_path: Path) -> None:
    roster, _ = canvas_class
    rows = [
        GradeRow("müllerjörg", 20, 20, "graded"),
        GradeRow("jdoe", None, 20, "failed", reason="not valid JSON"),
        GradeRow("llate", 16, 20, "graded", minutes_late=1, penalty=1.6),
        GradeRow("ttwice", 0, 20, "graded"),
        GradeRow("ghost", 20, 20, "graded"),  # not on this roster: no row
    ]
    out = tmp_path / "canvas-import.csv"
    write_canvas(out, roster, rows, NB)
    assert read_csv(out) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ps1_convolution (4711)"],
        ["Points Possible", "", "", "", "", "20.00"],
        ["Müller, Jörg", "1001", "S1001", "müllerjörg", "CNN 101", "20"],
        ["Doe, Jane", "1002", "S1002", "jdoe", "CNN 101", ""],
        ["Late, Larry", "1003", "S1003", "llate", "CNN 101", "14.4"],
        ["Twice, Tom", "1004", "S1004", "ttwice", "CNN 101", "0"],
        ["Never, Nina", "1005", "S1005", "nnever", "CNN 101", ""],
    ]
    generic = tmp_path / "generic.csv"
    write_generic(generic, roster, rows)
    table = read_csv(generic)
    assert table[0] == ["student_id", "name", "status", "score", "max_score", "late",
                        "late_minutes", "late_penalty", "reason"]
    assert table[2] == ["jdoe", "Doe, Jane", "failed", "", "20", "", "", "", "not valid JSON"]
    assert table[3] == ["llate", "Late, Larry", "graded", "14.4", "20",
                        "1 min late, penalty 1.6", "1", "1.6", ""]
    assert table[5] == ["nnever", "Never, Nina", "missing", "", "", "", "", "",
                        "nothing collected"]
    assert len(table) == 6


def test_canvas_numeric_ids_as_plain_roster(canvas_class, tmp_path: Path) -> None:
    """The issue's case: Canvas's user ids as ``student_id`` now match the file names."""
    _, downloads = canvas_class
    plain = tmp_path / "plain.csv"
    plain.write_text("student_id\n1001\n1002\n1003\n1004\n1005\n")
    report = scan_downloads(downloads, load_roster(plain), [NB])
    assert sorted(report.placed) == ["1001", "1002", "1003", "1004"]


def test_nothing_matched_names_the_column(canvas_class, tmp_path: Path) -> None:
    _, downloads = canvas_class
    plain = tmp_path / "plain.csv"
    plain.write_text("student_id,name\ns001,Ann One\ns002,Bob Two\n")
    with pytest.raises(LmsError, match=r"roster column 'student_id' named the student of 0 of 7 notebooks.*"
                                       r"also tried: 'name' 0.*submissions.zip"):
        scan_downloads(downloads, load_roster(plain), [NB])


# --- Moodle ------------------------------------------------------------------------------
# The grading worksheet: "Identifier" is "Participant N", N is in the folder names;
# the submission time is in "Last modified (submission)" (the site's time zone).
MOODLE_ROSTER = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
    "Last modified (submission),Last modified (grade),Feedback comments\n"
    'Participant 77,Jörg Müller,jörg.müller@uni.example,Submitted for grading,,100.00,Yes,'
    '"Friday, 4 December 2026, 11:50 PM",-,\n'
    'Participant 78,Jane Doe,jdoe@uni.example,Submitted for grading,,100.00,Yes,'
    '"Saturday, 5 December 2026, 1:30 AM",-,\n'
    "Participant 79,Nina Never,nnever@uni.example,No submission,,100.00,Yes,-,-,\n"
)


def moodle_config() -> Config:
    config = Config()
    config.Lms.duedates = {NB: "2026-12-04 23:59 Europe/Berlin"}
    config.Lms.timezone = "Europe/Berlin"
    config.AssignLatePenalties.plugin_class = "autograder.lms.late.LatePenalty"
    config.LatePenalty.grace_minutes = 15
    config.LatePenalty.percent_per_period = 10
    return config


@pytest.fixture
def moodle_class(tmp_path: Path):
    roster = tmp_path / "grading-worksheet.csv"
    roster.write_text(MOODLE_ROSTER, encoding="utf-8")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "CNN101-PS1-4242.zip").write_bytes(zip_bytes({
        "Jörg Müller_77_assignsubmission_file_/ps1_convolution.ipynb": notebook("joerg"),
        "Jane Doe_78_assignsubmission_file_/ps1_convolution.ipynb": notebook("jane"),
        "Jane Doe_78_assignsubmission_onlinetext_/onlinetext.html": b"<p>hi</p>",
    }))
    return load_roster(roster), downloads


def test_moodle_placement_late_minutes_and_penalty(moodle_class) -> None:
    roster, downloads = moodle_class
    assert roster.lms == "moodle" and roster.id_column == "Email address"
    report = scan_downloads(downloads, roster, [NB])
    assert report.column.column == "Identifier"
    assert sorted(report.placed) == ["jdoe@uni.example", "jörg.müller@uni.example"]
    assert report.missing == ["nnever@uni.example"]
    config = moodle_config()
    due = duedate(config, NB)
    jane = submission_time(report.placed["jdoe@uni.example"], roster.row("jdoe@uni.example"),
                           config, due)
    # 01:30 Berlin (UTC+1) on the 5th is 00:30 UTC; due 22:59 UTC on the 4th: 91 minutes
    assert jane.when == datetime(2026, 12, 5, 0, 30)
    seconds = (jane.when - due).total_seconds()
    assert seconds == 91 * 60
    # the configured plugin: 15 minutes' grace, then 10 % of the score per started day
    expected = 20 * 0.10 * math.ceil((91 - 15) / (24 * 60))
    assert penalty(config, "jdoe@uni.example", 20.0, seconds) == pytest.approx(expected)
    joerg = submission_time(report.placed["jörg.müller@uni.example"],
                            roster.row("jörg.müller@uni.example"), config, due)
    assert joerg.when < due


def test_moodle_export_worksheet(moodle_class, tmp_path: Path) -> None:
    roster, _ = moodle_class
    rows = [GradeRow("jörg.müller@uni.example", 20, 20, "graded"),
            GradeRow("jdoe@uni.example", 20, 20, "graded", minutes_late=91, penalty=2)]
    out = tmp_path / "worksheet.csv"
    write_moodle(out, roster, rows)
    table = read_csv(out)
    assert table[0] == roster.columns
    grade, comments = table[0].index("Grade"), table[0].index("Feedback comments")
    # scaled to Moodle's maximum grade 100: 20/20 -> 100, (20 - 2)/20 -> 90
    assert [r[grade] for r in table[1:]] == ["100", "90", ""]
    assert table[2][comments] == "graded; 91 min late, penalty 2"
    assert table[3][comments] == "missing; nothing collected"
    assert [r[0] for r in table[1:]] == ["Participant 77", "Participant 78", "Participant 79"]


def test_moodle_time_that_cannot_be_read_is_reported(moodle_class) -> None:
    roster, downloads = moodle_class
    report = scan_downloads(downloads, roster, [NB])
    row = dict(roster.row("jdoe@uni.example"))
    row["Last modified (submission)"] = "Samstag, 5. Dezember 2026, 01:30"
    when = submission_time(report.placed["jdoe@uni.example"], row, moodle_config(),
                           duedate(moodle_config(), NB))
    assert when.when is None and when.doubtful
    assert "could not be read" in when.source


def test_moodle_flat_names_are_recognised() -> None:
    naming = parse_lms_name("Jane Doe_78_assignsubmission_file_ps1_convolution.ipynb")
    assert naming.lms == "moodle" and naming.tokens == ("78", "Jane Doe")
    assert naming.rest == "ps1_convolution.ipynb"


# --- Blackboard --------------------------------------------------------------------------
# Grade Center download: tab-separated UTF-16 (Blackboard's ".xls"), items as
# "Name [Total Pts: N Score] |column id". Files: Assignment_user_attempt_time_name.
BLACKBOARD_ROSTER = (
    '"Last Name"\t"First Name"\t"Username"\t"Student ID"\t"Last Access"\t"Availability"\t'
    '"PS1 [Total Pts: 20 Score] |88123"\n'
    '"Doe"\t"Jane"\t"jdoe"\t"1002"\t"2026-12-01"\t"Available"\t""\n'
    '"Smith"\t"Jo"\t"j_smith"\t"1003"\t"2026-12-01"\t"Available"\t""\n'
    '"Brontë"\t"Zoë"\t"zbronte"\t"1004"\t"2026-12-01"\t"Available"\t""\n'
)


@pytest.fixture
def blackboard_class(tmp_path: Path):
    roster = tmp_path / "gc_CNN101_fullgc.xls"
    roster.write_bytes(BLACKBOARD_ROSTER.encode("utf-16"))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    first = "PS1_jdoe_attempt_2026-12-04-23-10-00"
    (downloads / f"{first}_ps1_convolution.ipynb").write_bytes(notebook("jane 1"))
    (downloads / f"{first}.txt").write_text("Name: Jane Doe (jdoe)\n")
    (downloads / "PS1_jdoe_attempt_2026-12-05-09-00-00_ps1_convolution.ipynb").write_bytes(
        notebook("jane 2"))
    # a username with an underscore, a tarball with the notebook in a folder
    (downloads / "PS1_j_smith_attempt_2026-12-04-20-00-00_ps1.tar.gz").write_bytes(
        tar_bytes({"work/ps1_convolution.ipynb": notebook("jo")}))
    return load_roster(roster), downloads


def test_blackboard_attempts_tarball_and_late(blackboard_class) -> None:
    roster, downloads = blackboard_class
    assert roster.lms == "blackboard" and roster.id_column == "Username"
    assert roster.row("zbronte")["Last Name"] == "Brontë"
    report = scan_downloads(downloads, roster, [NB])
    assert report.column.column == "Username"
    assert marker_of(report.placed["jdoe"].notebooks[NB].data) == "jane 2"
    assert "Blackboard's attempt time" in report.superseded["jdoe"][0]
    assert marker_of(report.placed["j_smith"].notebooks[NB].data) == "jo"
    assert report.missing == ["zbronte"]
    assert "PS1_jdoe_attempt_2026-12-04-23-10-00.txt" in report.ignored
    config = Config()
    config.Lms.timezone = "America/New_York"
    config.Lms.duedates = {NB: "2026-12-05 08:00 America/New_York"}
    due = duedate(config, NB)
    jane = submission_time(report.placed["jdoe"], roster.row("jdoe"), config, due)
    assert jane.when == datetime(2026, 12, 5, 14, 0)  # 09:00 EST
    assert (jane.when - due) == timedelta(hours=1)
    config.AssignLatePenalties.plugin_class = "autograder.lms.late.LatePenalty"
    config.LatePenalty.max_percent = 5  # 10 % per started day, capped at 5 %
    assert penalty(config, "jdoe", 20.0, 3600) == pytest.approx(1.0)


# --- Rosters: ids ------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "content", "encoding", "pair"), [
    ("plain.csv", "student_id\nAB\ncd\nab\n", "utf-8", "'AB' and 'ab'"),
    ("canvas.csv", CANVAS_ROSTER.replace("ttwice", "JDoe"), "utf-8", "'jdoe' and 'JDoe'"),
    ("moodle.csv", MOODLE_ROSTER.replace("nnever@", "JDOE@"), "utf-8",
     "'jdoe@uni.example' and 'JDOE@uni.example'"),
    ("gc.xls", BLACKBOARD_ROSTER.replace('"zbronte"', '"JDoe"'), "utf-16", "'jdoe' and 'JDoe'"),
])
def test_case_clash_is_an_error_naming_both(tmp_path: Path, name: str, content: str,
                                            encoding: str, pair: str) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    with pytest.raises(LmsError, match=f"{pair} differ only by case"):
        load_roster(path)


@pytest.mark.parametrize(("content", "message"), [
    ("name,email\nA,a@x\n", "not a layout I know"),
    ("student_id\n../etc\n", "not usable as a folder name"),
    ("student_id\ns1\ns1\n", "twice"),
])
def test_bad_rosters(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "r.csv"
    path.write_text(content)
    with pytest.raises(LmsError, match=message):
        load_roster(path)


def test_roster_saved_with_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("student_id;name\ns001;Ann One\ns002;\"Two; Bob\"\n")
    roster = load_roster(path)
    assert roster.ids == ["s001", "s002"] and roster.row("s002")["name"] == "Two; Bob"


def test_roster_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("student_id\nmüller\n".encode("latin-1"))
    with pytest.raises(LmsError, match="not UTF-8"):
        load_roster(path)


def test_copy_suffixes() -> None:
    assert split_copy_suffixes("ps1-1 (2).ipynb", canvas=True) == ("ps1", 1, 2)
    assert split_copy_suffixes("ps1-1.ipynb") == ("ps1-1", 0, 0)


def test_plain_downloads_with_copies_folders_and_two_notebooks(tmp_path: Path) -> None:
    roster_path = tmp_path / "r.csv"
    roster_path.write_text("student_id\ns001\ns002\nmüllerjörg\n", encoding="utf-8")
    roster = load_roster(roster_path)
    dl = tmp_path / "dl"
    (dl / "s002").mkdir(parents=True)
    (dl / "s001_ps1.ipynb").write_bytes(notebook("one"))
    (dl / "s001_ps1 (1).ipynb").write_bytes(notebook("one again"))
    (dl / "s002" / "ps1_convolution.ipynb").write_bytes(notebook("two"))
    (dl / "s002" / "scratch.ipynb").write_bytes(notebook("two scratch"))
    (dl / nfd("müllerjörg.tar.gz")).write_bytes(tar_bytes({"ps1_convolution.ipynb":
                                                           notebook("jörg")}))
    report = scan_downloads(dl, roster, [NB])
    assert marker_of(report.placed["s001"].notebooks[NB].data) == "one again"
    assert "no order between them" in report.ambiguous["s002"]  # nothing guessed
    assert marker_of(report.placed["müllerjörg"].notebooks[NB].data) == "jörg"


# --- Hostile archives --------------------------------------------------------------------
def test_hostile_archive_members_are_refused(tmp_path: Path) -> None:
    dl = tmp_path / "dl"
    dl.mkdir()
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../escape.ipynb", notebook("x"))
        zf.writestr("/etc/abs.ipynb", notebook("x"))
        zf.writestr("C:\\win.ipynb", notebook("x"))
        link = zipfile.ZipInfo("link.ipynb")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
        zf.writestr("big.ipynb", b"0" * 50_000)  # 50 kB of zeros, compresses to ~100 B
        zf.writestr("s001_ps1_convolution.ipynb", notebook("fine"))
    (dl / "evil.zip").write_bytes(evil.getvalue())
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w:gz") as tf:
        info = tarfile.TarInfo("../../tar-escape.ipynb")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"{}"))
        sym = tarfile.TarInfo("sym.ipynb")
        sym.type, sym.linkname = tarfile.SYMTYPE, "/etc/shadow"
        tf.addfile(sym)
        hard = tarfile.TarInfo("hard.ipynb")
        hard.type, hard.linkname = tarfile.LNKTYPE, "sym.ipynb"
        tf.addfile(hard)
    (dl / "evil.tar.gz").write_bytes(tar.getvalue())
    secret = tmp_path / "secret.ipynb"
    secret.write_bytes(notebook("secret"))
    os.symlink(secret, dl / "s001_link.ipynb")
    found = walk(dl, lambda n: n.endswith(".ipynb"), Limits(file_bytes=10_000))
    refused = dict(found.refused)
    assert refused["evil.zip:../escape.ipynb"] == "path leaves the archive ('..')"
    assert refused["evil.zip:/etc/abs.ipynb"] == "absolute path in the archive"
    assert refused["evil.zip:C:\\win.ipynb"] == "absolute path in the archive"
    assert refused["evil.zip:link.ipynb"] == "symbolic link, not followed"
    assert refused["evil.zip:big.ipynb"] == "larger than 10000 bytes (50000 bytes declared)"
    assert refused["evil.tar.gz:../../tar-escape.ipynb"] == "path leaves the archive ('..')"
    assert refused["evil.tar.gz:sym.ipynb"] == "link, not followed"
    assert refused["evil.tar.gz:hard.ipynb"] == "link, not followed"
    assert refused["s001_link.ipynb"] == "symbolic link, not followed"
    assert [leaf.origin for leaf in found.leaves] == ["evil.zip:s001_ps1_convolution.ipynb"]
    assert not (tmp_path / "escape.ipynb").exists()
    assert not (tmp_path.parent / "tar-escape.ipynb").exists()


def test_zip_bomb_stops_at_the_read_limit(tmp_path: Path) -> None:
    """A member whose header understates its size is never inflated past that size
    (zipfile reads the declared length only, then the checksum fails): refused."""
    dl = tmp_path / "dl"
    dl.mkdir()
    data = zip_bytes({"s001.ipynb": b" " * 3_000_000})
    # rewrite the declared sizes (local header and central directory) to 10 bytes
    real = (3_000_000).to_bytes(4, "little")
    lying = (10).to_bytes(4, "little")
    (dl / "bomb.zip").write_bytes(data.replace(real, lying))
    found = walk(dl, lambda n: n.endswith(".ipynb"), Limits(file_bytes=1_000_000))
    assert not found.leaves
    ((origin, reason),) = found.refused
    assert origin.startswith("bomb.zip")
    assert reason.startswith("cannot be read")


def test_tarball_too_big_to_pass_over_stops_reading(tmp_path: Path) -> None:
    """Passing over a tar member decompresses it, read or not: it counts."""
    dl = tmp_path / "dl"
    dl.mkdir()
    (dl / "big.tar.gz").write_bytes(tar_bytes({"data.bin": b"\0" * 300_000,
                                               "s001.ipynb": notebook("late in the tar")}))
    found = walk(dl, lambda n: n.endswith(".ipynb"), Limits(total_bytes=200_000))
    assert not found.leaves
    assert found.refused == [("big.tar.gz:data.bin",
                              "the archive holds more than 200000 bytes; the rest was not read")]
    roomy = walk(dl, lambda n: n.endswith(".ipynb"), Limits(total_bytes=400_000))
    assert [leaf.origin for leaf in roomy.leaves] == ["big.tar.gz:s001.ipynb"]


def test_nested_archives_stop_at_the_depth_limit(tmp_path: Path) -> None:
    dl = tmp_path / "dl"
    dl.mkdir()
    inner = zip_bytes({"s001.ipynb": notebook("deep")})
    for level in range(5):
        inner = zip_bytes({f"level{level}.zip": inner})
    (dl / "outer.zip").write_bytes(inner)
    found = walk(dl, lambda n: n.endswith(".ipynb"), Limits(depth=3))
    assert not found.leaves
    assert "nested more than 3 deep" in found.refused[0][1]


# --- Late penalties through nbgrader itself ----------------------------------------------
def test_late_penalty_plugin_formula() -> None:
    plugin = LatePenalty(config=moodle_config())
    assert plugin.late_submission_penalty("s", 10.0, 10 * 60) == 0.0  # inside the grace
    assert plugin.late_submission_penalty("s", 10.0, 16 * 60) == pytest.approx(1.0)
    assert plugin.late_submission_penalty("s", 10.0, (15 + 1441) * 60) == pytest.approx(2.0)
    config = moodle_config()
    config.LatePenalty.penalty_method = "zero"
    assert LatePenalty(config=config).late_submission_penalty("s", 10.0, 60) == 10.0


TOY_CONFIG = """
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "toycourse"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.Lms.duedates = {{"toy": "2026-12-04 23:59 Europe/Berlin"}}
c.Lms.timezone = "Europe/Berlin"
c.AssignLatePenalties.plugin_class = "autograder.lms.late.LatePenalty"
c.LatePenalty.grace_minutes = 15
c.LatePenalty.percent_per_period = 10
"""


def toy_source() -> dict:
    def cell(kind, source, **nbgrader):
        meta = {"nbgrader": {"schema_version": 3, "grade": False, "solution": False,
                             "locked": False, "task": False, **nbgrader}} if nbgrader else {}
        out = {"cell_type": kind, "id": nbgrader.get("grade_id", "x") if nbgrader else "m",
               "metadata": meta, "source": source}
        if kind == "code":
            out |= {"outputs": [], "execution_count": None}
        return out
    return {"cells": [
        cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                     "    ### END SOLUTION", solution=True, grade_id="double"),
        cell("code", "assert double(3) == 6", grade=True, locked=True, points=10,
             grade_id="test_double"),
    ], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}


@pytest.mark.slow
def test_late_penalty_applied_by_nbgrader_autograde(tmp_path: Path) -> None:
    """Moodle class -> timestamp.txt -> nbgrader's due date and AssignLatePenalties with
    our plugin -> the gradebook -> the generic export's late column."""
    from autograder.lms.gradebook import grade_rows, set_duedates
    from autograder.lms.late import load_config

    course = tmp_path / "course"
    (course / "source" / "toy").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(TOY_CONFIG.format(root=str(course)))
    (course / "source/toy/toy.ipynb").write_text(json.dumps(toy_source()))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    bindir = Path(sys.executable).parent
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"

    def nbgrader(*args: str) -> None:
        done = subprocess.run([str(bindir / "nbgrader"), *args], cwd=course, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr

    nbgrader("generate_assignment", "toy", "--force")
    config = load_config(course)
    assert set_duedates(config) == {"toy": datetime(2026, 12, 4, 22, 59)}

    roster_path = tmp_path / "worksheet.csv"
    roster_path.write_text(MOODLE_ROSTER, encoding="utf-8")
    roster = load_roster(roster_path)
    dl = tmp_path / "dl"
    dl.mkdir()
    solved = (course / "source/toy/toy.ipynb").read_bytes()
    (dl / "moodle.zip").write_bytes(zip_bytes({
        "Jörg Müller_77_assignsubmission_file_/toy.ipynb": solved,
        "Jane Doe_78_assignsubmission_file_/toy.ipynb": solved,
    }))
    report = scan_downloads(dl, roster, ["toy"])
    due = duedate(config, "toy")
    stamps = {}
    for sid, sub in report.placed.items():
        when = submission_time(sub, roster.row(sid), config, due).when
        stamps[sid] = timestamp_text(when)
    place(report, lambda sid: course / "submitted" / sid / "toy", roster.ids, stamps)
    nbgrader("autograde", "toy", "--force")

    rows = {r.student_id: r for r in grade_rows(config, "toy", roster.ids)}
    jane, joerg, nina = (rows["jdoe@uni.example"], rows["jörg.müller@uni.example"],
                         rows["nnever@uni.example"])
    assert (jane.score, jane.max_score, jane.status) == (10.0, 10.0, "graded")
    assert jane.minutes_late == pytest.approx(91)
    assert jane.penalty == pytest.approx(1.0)  # 10 % of 10 for the first started day
    assert (joerg.score, joerg.minutes_late, joerg.penalty) == (10.0, None, None)
    assert nina.status == "missing" and nina.score is None
    out = tmp_path / "generic.csv"
    write_generic(out, roster, rows.values())
    table = {r[0]: r for r in read_csv(out)[1:]}
    assert table["jdoe@uni.example"][2:8] == ["graded", "9", "10", "91 min late, penalty 1",
                                              "91", "1"]
    assert table["nnever@uni.example"][3] == ""


# --- The course root ---------------------------------------------------------------------
def test_course_root_from_argument_or_parents(tmp_path: Path) -> None:
    (tmp_path / "course" / "a" / "b").mkdir(parents=True)
    (tmp_path / "course" / "nbgrader_config.py").write_text("c = get_config()\n")
    assert find_course_root(start=tmp_path / "course" / "a" / "b") == tmp_path / "course"
    assert find_course_root(str(tmp_path / "course")) == tmp_path / "course"
    with pytest.raises(LmsError, match="--course-root"):
        find_course_root(tmp_path / "course" / "a")
    with pytest.raises(LmsError, match="any folder above it"):
        find_course_root(start=tmp_path)
    assert find_course_root(start=ROOT / "autograder") == ROOT


# --- Collect as the pipeline calls it: placement, times, re-collect ---------------------
# nbgrader's own update_or_create_submission trips an SQLAlchemy autoflush warning
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_collect_downloads_and_recollect(canvas_class, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.lms.intake import collect_downloads, store_roster, stored_roster

    # nbgrader runs `alembic` from PATH when it creates a gradebook
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    roster, downloads = canvas_class
    course = tmp_path / "course"
    course.mkdir()
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.db_url = f"sqlite:///{course}/gradebook.db"
    config.Lms.duedates = {NB: "2026-12-04 23:59 UTC"}

    first = collect_downloads(course, config, NB, downloads, roster, [NB])
    assert sorted(first.report.placed) == ["jdoe", "llate", "müllerjörg", "ttwice"]
    assert first.times["llate"].when == datetime(2026, 12, 5, 0, 0)
    stamp = course / "submitted" / "llate" / NB / "timestamp.txt"
    assert stamp.read_text().strip() == "2026-12-05 00:00:00.000000 UTC"
    assert not (course / "submitted" / "jdoe" / NB / "timestamp.txt").exists()
    with Gradebook(config.CourseDirectory.db_url) as gb:
        assert gb.find_assignment(NB).duedate == datetime(2026, 12, 4, 23, 59)
        for sid in ("jdoe", "ttwice", "müllerjörg"):  # pretend they were graded
            gb.update_or_create_student(sid)
            gb.update_or_create_submission(NB, sid)
    (course / "autograded" / "ttwice" / NB).mkdir(parents=True)

    # Tom uploads a third time; Jane leaves the course (a new roster without her)
    with zipfile.ZipFile(downloads / "submissions.zip", "a") as zf:
        zf.writestr("twicetom_1004_5020_ps1_convolution-2.ipynb", notebook("tom third"))
    shorter = tmp_path / "roster-2.csv"
    shorter.write_text(CANVAS_ROSTER.replace('"Doe, Jane",1002,S1002,jdoe,CNN 101,,\n', ""),
                       encoding="utf-8")
    second = collect_downloads(course, config, NB, downloads, load_roster(shorter), [NB])
    assert second.replaced == ["ttwice"]
    assert second.dropped == ["jdoe"]
    assert second.unchanged == ["llate", "müllerjörg"]
    assert not (course / "submitted" / "jdoe" / NB).exists()
    assert not (course / "autograded" / "ttwice" / NB).exists()
    with Gradebook(config.CourseDirectory.db_url) as gb:
        gb.find_submission(NB, "müllerjörg")  # unchanged: kept
        for gone in ("ttwice", "jdoe"):
            with pytest.raises(MissingEntry):
                gb.find_submission(NB, gone)
    assert any(line.startswith("  dropped      jdoe") for line in second.summary_lines())
    json.dumps(second.to_dict())

    # one roster per assignment: storing ps3's does not touch ps1's
    records = tmp_path / "records"
    store_roster(roster, records, NB)
    store_roster(load_roster(shorter), records, "ps3_fc_to_conv")
    assert stored_roster(records, NB).ids == roster.ids
    assert "jdoe" not in stored_roster(records, "ps3_fc_to_conv").ids
    with pytest.raises(LmsError, match="collect it first"):
        stored_roster(records, "ps2_pooling")


def test_blackboard_export(blackboard_class, tmp_path: Path) -> None:
    from autograder.lms.exports import write_blackboard

    roster, _ = blackboard_class
    rows = [GradeRow("jdoe", 10, 10, "graded", minutes_late=60, penalty=1),
            GradeRow("j_smith", None, 10, "failed")]
    out = tmp_path / "bb.csv"
    write_blackboard(out, roster, rows, NB, column="PS1")
    assert read_csv(out) == [
        ["Last Name", "First Name", "Username", "PS1 [Total Pts: 20 Score] |88123"],
        ["Doe", "Jane", "jdoe", "18"],  # (10 - 1) / 10 of 20 points
        ["Smith", "Jo", "j_smith", ""],
        ["Brontë", "Zoë", "zbronte", ""],
    ]


def test_lms_files_wait_for_the_hand_grade(canvas_class, tmp_path: Path) -> None:
    canvas, _ = canvas_class
    waiting = GradeRow("jdoe", 12, 20, "needs_manual", reason="written answer")
    out = tmp_path / "c.csv"
    write_canvas(out, canvas, [waiting], NB)
    assert read_csv(out)[3][-1] == ""  # Jane's row: the autograded part is not her grade
    write_canvas(out, canvas, [waiting], NB, partial=True)
    assert read_csv(out)[3][-1] == "12"
    (tmp_path / "worksheet.csv").write_text(MOODLE_ROSTER, encoding="utf-8")
    moodle = load_roster(tmp_path / "worksheet.csv")
    write_moodle(out, moodle, [GradeRow("jdoe@uni.example", 12, 20, "needs_manual")])
    assert read_csv(out)[2][4] == ""
    write_generic(out, canvas, [waiting])
    assert read_csv(out)[2][2:4] == ["needs_manual", "12"]


def test_canvas_manual_posting_row_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    lines = CANVAS_ROSTER.splitlines(keepends=True)
    lines.insert(1, ",,,,,Manual Posting,\n")
    path.write_text("".join(lines), encoding="utf-8")
    roster = load_roster(path)
    out = tmp_path / "out.csv"
    write_canvas(out, roster, [GradeRow("jdoe", 5, 20, "graded")], NB)
    table = read_csv(out)
    assert table[1] == ["", "", "", "", "", "Manual Posting"]
    assert table[2] == ["Points Possible", "", "", "", "", "20.00"]
    assert table[4] == ["Doe, Jane", "1002", "S1002", "jdoe", "CNN 101", "5"]


@pytest.mark.parametrize("structure", ["{nbgrader_step}/{student_id}/{assignment_id}",
                                       "{nbgrader_step}/{assignment_id}/{student_id}"])
def test_student_folders_follow_the_layout_and_read_the_root_literally(
        tmp_path: Path, structure: str) -> None:
    from nbgrader.coursedir import CourseDirectory

    from autograder.lms.courseroot import student_folders

    root = tmp_path / "course [2026]*"  # glob characters in the course root
    coursedir = CourseDirectory(root=str(root), directory_structure=structure)

    def folder(sid: str, assignment: str) -> Path:
        return Path(coursedir.format_path(coursedir.submitted_directory, sid, assignment))

    for sid in ("bob", "alice"):
        folder(sid, NB).mkdir(parents=True)
    folder("carol", "ps2_pooling").mkdir(parents=True)  # another assignment
    folder("dan", NB).parent.mkdir(parents=True, exist_ok=True)
    folder("dan", NB).write_text("a file, not a submission")
    found = student_folders(coursedir, coursedir.submitted_directory, NB)
    assert found == {"alice": folder("alice", NB), "bob": folder("bob", NB)}
    assert list(found) == ["alice", "bob"]


def test_course_root_option_before_or_after_the_verb(tmp_path: Path) -> None:
    import argparse

    from autograder.lms.courseroot import add_course_root_option

    parser = argparse.ArgumentParser()
    add_course_root_option(parser)
    verbs = parser.add_subparsers(dest="verb")
    collect = verbs.add_parser("collect")
    collect.add_argument("assignment")
    add_course_root_option(collect, verb=True)
    assert parser.parse_args(["collect", "ps1"]).course_root is None
    assert parser.parse_args(["--course-root", "A", "collect", "ps1"]).course_root == "A"
    assert parser.parse_args(["collect", "ps1", "--course-root", "B"]).course_root == "B"


def test_the_course_config_sets_a_due_date_per_assignment_and_our_penalty() -> None:
    """The course's own nbgrader_config.py: a due date for every assignment of
    solutions/, and nbgrader's late-penalty step uses our plugin."""
    from autograder.lms.late import load_config, penalty_plugin, settings
    from tools.paths import ASSIGNMENT_IDS

    config = load_config(ROOT)
    assert set(settings(config).duedates) == set(ASSIGNMENT_IDS)
    assert settings(config).duedates["ps2_pooling"] == "2026-12-11 23:59 Europe/Berlin"
    assert duedate(config, "ps2_pooling") == datetime(2026, 12, 11, 22, 59)
    plugin = penalty_plugin(config)
    assert isinstance(plugin, LatePenalty) and plugin.grace_minutes == 15


# --- Property: every student's file finds its student, whatever the ids look like ------
_ID_CHARS = st.characters(categories=("Ll", "Lu", "Nd"), max_codepoint=0x2FF)
_IDS = st.lists(st.text(_ID_CHARS, min_size=1, max_size=6).map(
    lambda t: unicodedata.normalize("NFC", t)), min_size=1, max_size=6,
    unique_by=lambda t: t.casefold()).filter(
    lambda ids: len({i.casefold() for i in ids}) == len(ids)
    and all(i.casefold() == unicodedata.normalize("NFC", i).casefold() for i in ids))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=_IDS, decompose=st.booleans(), data=st.data())
def test_plain_and_canvas_names_find_their_student(tmp_path: Path, ids: list[str],
                                                   decompose: bool, data) -> None:
    """Ids that are prefixes of each other ("s1", "s10"), of any case and script, typed
    composed or decomposed: each file lands with its own student and no other."""
    case = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
    (case / "dl").mkdir(parents=True)
    style = data.draw(st.sampled_from(["plain", "canvas"]))
    if style == "canvas":  # the roster holds Canvas's numeric user ids ("s1" vs "s10" too)
        ids = data.draw(st.lists(st.from_regex(r"[1-9][0-9]{0,3}", fullmatch=True),
                                 min_size=1, max_size=6, unique=True))
    roster_path = case / "r.csv"
    roster_path.write_text("student_id\n" + "\n".join(ids) + "\n", encoding="utf-8")
    roster = load_roster(roster_path)
    for n, sid in enumerate(ids):
        shown = nfd(sid) if decompose else sid
        # another case of the same id (not "ı" -> "I", which is another letter)
        shown = data.draw(st.sampled_from([v for v in (shown, shown.upper(), shown.lower())
                                           if v.casefold() == shown.casefold()]))
        if style == "plain":
            name = f"{shown}{data.draw(st.sampled_from(['', '_ps1', '-ps1', ' (1)']))}.ipynb"
        else:  # Canvas: the user id is what the roster's student_id holds here
            late = data.draw(st.sampled_from(["", "_LATE"]))
            name = f"{ids[-1 - n]}x{late}_{shown}_{7000 + n}_ps1_convolution.ipynb"
        (case / "dl" / name).write_bytes(notebook(sid))
    report = scan_downloads(case / "dl", roster, [NB])
    assert {sid: marker_of(sub.notebooks[NB].data) for sid, sub in report.placed.items()} == {
        sid: sid for sid in ids}
    assert not report.unknown and not report.ambiguous
