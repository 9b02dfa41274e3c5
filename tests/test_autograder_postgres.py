"""The gradebook on PostgreSQL: any SQLAlchemy URL works, not only SQLite.

A private PostgreSQL cluster is started under /tmp on a loopback port for the
test. It needs the server binaries (Debian's ``postgresql`` package) and, as
root, the ``postgres`` user to run them; without those the test is skipped.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.demo import run_demo, synthetic, toy

pytest.importorskip("psycopg2", reason="psycopg2-binary is part of the dev extra")


def _server_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_server_user() -> list[str]:
    """initdb refuses to run as root: run the server as ``postgres`` then."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' user to run the server")
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root without runuser")
    return [runuser, "-u", "postgres", "--"]


@pytest.fixture
def postgres_url():
    bindir = _server_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    prefix = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="gradebook-pg-"))
    if prefix:
        shutil.chown(folder, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = folder / "data"

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust", "-E", "UTF8")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
        "-o", f"-k {folder} -p {port} -h 127.0.0.1", "start")
    try:
        subprocess.run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                        "-U", "grader", "gradebook"], check=True, capture_output=True, timeout=60)
        yield f"postgresql+psycopg2://grader@127.0.0.1:{port}/gradebook"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def test_grading_with_a_postgresql_gradebook(tmp_path, postgres_url):
    cases = [synthetic.Case("s001", "perfect"), synthetic.Case("s002", "partial"),
             synthetic.Case("s003", "raises")]
    settings = (f"c.CourseDirectory.db_url = {postgres_url!r}\n"
                "c.Autograder.notebook_timeout = 120\n")
    run = run_demo(tmp_path, toy.ASSIGNMENT, workers=2, cases=cases, progress=False,
                   cell_timeout=3, extra_settings=settings, say=lambda *_: None)
    got = {r.student: (r.status, r.score) for r in run.graded.rows}
    assert got == {
        "s001": ("graded", toy.EXPECTED_SCORE["perfect"]),
        "s002": ("graded", toy.EXPECTED_SCORE["partial"]),
        "s003": ("graded", toy.EXPECTED_SCORE["raises"]),
    }
    # The scores live in PostgreSQL, and nowhere else.
    assert not list(tmp_path.rglob("gradebook.db"))
    with Gradebook(postgres_url, "demo") as gb:
        for student, (_, score) in got.items():
            assert gb.find_submission(toy.ASSIGNMENT, student).score == score
