"""Grading on a real Dask cluster: a scheduler and two workers on loopback, one killed.

The workers start in a folder outside the course (they get the grading code from the
client, and each task carries the notebooks), one of them is killed while grading
runs, and every student must still be graded exactly once with the right score, in
the SQLite gradebook and in PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.__main__ import main as cli
from autograder.collect import collect
from autograder.demo import release_and_source, setup_course, synthetic, toy
from autograder.grade.sandbox import bwrap_works
from tests.test_autograder_postgres import postgres_url  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow

DASK = Path(sys.executable).with_name("dask")
CASES = [synthetic.Case("s001", "perfect"), synthetic.Case("s002", "partial"),
         synthetic.Case("s003", "raises"), synthetic.Case("s004", "infinite_loop"),
         synthetic.Case("s005", "os_exit"), synthetic.Case("s006", "perfect"),
         synthetic.Case("s007", "infinite_loop"), synthetic.Case("s008", "untouched")]
EXPECTED = {"s001": toy.EXPECTED_SCORE["perfect"], "s002": toy.EXPECTED_SCORE["partial"],
            "s003": toy.EXPECTED_SCORE["raises"], "s004": toy.MAX_SCORE, "s005": toy.MAX_SCORE,
            "s006": toy.EXPECTED_SCORE["perfect"], "s007": toy.MAX_SCORE,
            "s008": toy.EXPECTED_SCORE["untouched"]}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path_factory):
    if not DASK.exists():
        pytest.skip("the dask command line is not installed")
    away = tmp_path_factory.mktemp("dask-workers")  # not the course, not the repository
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "2"
    port = _port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--no-dashboard"], cwd=away, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    for index in range(2):
        scratch = away / f"tmp{index}"  # where this worker's tasks make their folders
        scratch.mkdir()
        procs.append(subprocess.Popen(
            [str(DASK), "worker", address, "--nworkers", "1", "--nthreads", "1", "--host",
             "127.0.0.1", "--no-dashboard", "--local-directory", str(away / f"dask{index}")],
            cwd=away, env={**env, "TMPDIR": str(scratch)}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True))
    from distributed import Client

    with Client(address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=120)
    yield address, procs, away / "tmp1"
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def _kill_when_busy(procs: list, scratch: Path, done: threading.Event) -> list[str]:
    """Kill the second worker (its whole process group) once it has started a task."""
    while not done.is_set():
        if any(p.name.startswith("autograder-") for p in scratch.iterdir()):
            os.killpg(procs[2].pid, signal.SIGKILL)
            return ["worker"]
        time.sleep(0.05)
    return []


def _grade_on(address: str, procs: list, scratch: Path, tmp_path: Path, settings: str):
    course, assignment = setup_course(tmp_path, toy.ASSIGNMENT, cell_timeout=3,
                                      extra_settings=settings)
    release, source = release_and_source(course, assignment)
    roster = synthetic.build_downloads(tmp_path / "downloads", assignment, release, source,
                                       CASES)
    collect(course, assignment, tmp_path / "downloads", roster)
    done = threading.Event()
    killed: list[str] = []
    killer = threading.Thread(target=lambda: killed.extend(
        _kill_when_busy(procs, scratch, done)))
    killer.start()
    unsafe = [] if bwrap_works() else ["--unsafe-no-sandbox"]
    try:
        status = cli(["--course-root", str(course.root), "grade", assignment, "--scheduler",
                      address, "--no-progress", *unsafe])
    finally:
        done.set()
        killer.join()
    assert status == 0
    assert killed == ["worker"], "the test meant to kill a worker while grading ran"
    return course, assignment


def _check_gradebook(url: str, course_id: str, assignment: str) -> None:
    with Gradebook(url, course_id) as gb:
        rows = [(s.student.id, float(s.score)) for s in gb.assignment_submissions(assignment)]
    assert sorted(sid for sid, _ in rows) == sorted(EXPECTED)  # exactly once each
    assert dict(rows) == EXPECTED


FAST = "c.Autograder.notebook_timeout = 120\n"


def test_a_cluster_that_loses_a_worker_grades_everyone_once(cluster, tmp_path):
    course, assignment = _grade_on(*cluster, tmp_path, FAST)
    _check_gradebook(course.db_url, course.coursedir.course_id, assignment)


def test_the_same_with_a_postgresql_gradebook(cluster, tmp_path, postgres_url):  # noqa: F811
    settings = FAST + f"c.CourseDirectory.db_url = {postgres_url!r}\n"
    course, assignment = _grade_on(*cluster, tmp_path, settings)
    assert not list(tmp_path.rglob("gradebook.db"))
    _check_gradebook(postgres_url, course.coursedir.course_id, assignment)


def _dies_for_the_killer(task):
    """Stands in for run_task: the worker process dies on one student, grades the others."""
    from autograder.grade.task import Outcome

    if task.student == "killer":
        os._exit(1)
    return Outcome(task.student)


def test_a_submission_that_keeps_killing_workers_fails_alone(monkeypatch):
    from autograder.grade import cluster
    from autograder.grade.sandbox import Limits
    from autograder.grade.task import Task

    monkeypatch.setattr(cluster, "run_task", _dies_for_the_killer)
    tasks = [Task(s, {}, Limits(), False, 1.0, 1.0) for s in ("a", "killer", "b")]
    outcomes = {}
    with cluster.connect(None, 2) as client:
        cluster.run(client, tasks, {}, {"killer": 10}, lambda o: outcomes.setdefault(o.student, o))
    assert sorted(outcomes) == ["a", "b", "killer"]
    assert outcomes["a"].error == outcomes["b"].error == ""
    assert outcomes["killer"].error.startswith(
        f"its grading worker died {cluster.ALLOWED_FAILURES + 1} times")
