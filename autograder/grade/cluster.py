"""Grading tasks on Dask: a ``LocalCluster`` on this machine, or a cluster already running
(README, "Grading on Dask")."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import dask
from distributed import Client, LocalCluster, as_completed
from distributed.scheduler import KilledWorker

from autograder.grade.task import Outcome, Task, run_task

ROOT = Path(__file__).resolve().parents[1]  # the autograder package
#: worker deaths one task may cause before its student is failed
ALLOWED_FAILURES = 2


@contextmanager
def connect(scheduler: str | None, workers: int) -> Iterator[Client]:
    """A client for ``scheduler`` (``tcp://HOST:PORT``), else for a new LocalCluster."""
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        local = nullcontext() if scheduler else LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=logging.ERROR)
        with local as cluster, Client(scheduler or cluster, timeout="30s") as client:
            if scheduler:  # the autograder package; a LocalCluster's workers import it
                # from this process's path
                with tempfile.TemporaryDirectory(prefix="autograder-code-") as folder:
                    client.upload_file(shutil.make_archive(
                        f"{folder}/autograder_code", "zip", ROOT.parent, ROOT.name))
            yield client


def run(client: Client, tasks: list[Task], support: dict[str, bytes],
        priorities: dict[str, float], on_outcome: Callable[[Outcome], None]) -> None:
    """Run ``tasks`` (highest priority first); ``on_outcome`` sees each as it finishes.
    Ctrl-C cancels what has not finished (what finished was already handed over)."""
    futures = {}
    for task in tasks:
        # each task carries the kit itself: no shared data a dying worker could take along
        task.support = support
        future = client.submit(run_task, task, key=f"grade-{task.student}-{os.urandom(4).hex()}",
                               priority=int(priorities.get(task.student, 0)))
        futures[future] = task.student
    try:
        for future in as_completed(futures):
            student = futures[future]
            try:
                outcome = future.result()
            except KilledWorker as err:
                outcome = Outcome(student, error=(
                    f"its grading worker died {ALLOWED_FAILURES + 1} times while grading it "
                    f"({err.last_worker.address if err.last_worker else 'unknown worker'})"))
            except Exception as err:
                error = f"grading failed: {type(err).__name__}: {err}"
                outcome = Outcome(student, error=error[:300])
            on_outcome(outcome)
    finally:
        client.cancel([f for f in futures if not f.done()])
