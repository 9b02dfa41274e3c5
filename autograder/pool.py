"""A supervisor for grading workers that survives whatever student code does to them.

Each worker has its own pipe (no shared queue whose lock a killed worker could hold).
A worker that dies (killed by student code, out of memory) or exceeds the time limit
costs only the student it was grading: that student gets a ``failed`` result with the
reason, and a fresh worker takes over the remaining students.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait

from autograder.results import StudentResult
from autograder.worker import worker_main


@dataclass
class _Worker:
    index: int
    process: mp.process.BaseProcess
    conn: object
    student: str | None = None
    started: float = 0.0
    ready: bool = False


class GradingPool:
    """Runs ``(assignment, student)`` tasks on ``size`` worker processes.

    Parameters
    ----------
    course_root : str
        The course folder (each worker loads the course itself).
    overrides : dict
        Configuration overrides (``{"Autograder": {...}}``) for the workers.
    size : int
        Number of worker processes.
    private_root : str
        Folder for the workers' run folders.
    isolation : tuple of str
        Resolved sandbox mode and note, passed to every worker.
    time_limit : float
        Seconds after which a worker still busy with one student is killed.
    """

    def __init__(self, course_root: str, overrides: dict, size: int, private_root: str,
                 isolation: tuple[str, str], time_limit: float):
        self.args = (course_root, overrides, private_root, isolation)
        self.size = size
        self.time_limit = time_limit
        self.ctx = mp.get_context("spawn")
        self.workers: dict[int, _Worker] = {}
        self._next_index = 0

    def _start(self) -> _Worker:
        parent, child = self.ctx.Pipe()
        course_root, overrides, private_root, isolation = self.args
        index = self._next_index
        self._next_index += 1
        process = self.ctx.Process(
            target=worker_main, name=f"autograder-worker-{index}", daemon=True,
            args=(child, course_root, overrides, index, private_root, isolation),
        )
        process.start()
        child.close()
        worker = _Worker(index, process, parent)
        self.workers[index] = worker
        return worker

    def run(self, assignment: str, students: list[str],
            on_result: Callable[[StudentResult], None]) -> None:
        """Grade ``students``; ``on_result`` is called once per student, in completion order."""
        queue = deque(students)
        for _ in range(min(self.size, len(queue))):
            self._start()
        try:
            while self.workers:
                self._step(assignment, queue, on_result)
        finally:
            self.shutdown()

    def _step(self, assignment: str, queue: deque, on_result) -> None:
        for worker in list(self.workers.values()):
            if worker.ready and worker.student is None:
                if queue:
                    worker.student = queue.popleft()
                    worker.started = time.monotonic()
                    worker.conn.send((assignment, worker.student))
                else:
                    self._retire(worker)
        if not self.workers:
            return
        handles = [w.conn for w in self.workers.values()]
        handles += [w.process.sentinel for w in self.workers.values()]
        ready = wait(handles, timeout=1.0)
        for worker in list(self.workers.values()):
            if worker.conn in ready:
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    message = ("dead",)
                self._handle(worker, message, queue, on_result)
            elif worker.process.sentinel in ready:
                self._handle(worker, ("dead",), queue, on_result)
            elif worker.student and time.monotonic() - worker.started > self.time_limit:
                worker.process.kill()
                worker.process.join()
                self._lost(worker, f"grading took longer than {self.time_limit:g} s; the "
                           "grading process was stopped", queue, on_result)

    def _handle(self, worker: _Worker, message: tuple, queue: deque, on_result) -> None:
        kind = message[0]
        if kind == "ready":
            worker.ready = True
        elif kind == "done":
            worker.student = None
            on_result(message[1])
        elif kind == "crashed":
            last_line = message[1].strip().splitlines()[-1]
            self._lost(worker, f"the grading process crashed: {last_line}", queue, on_result)
        else:
            worker.process.join(timeout=5)
            self._lost(worker, "the grading process was killed while grading this "
                       "submission (student code ended it or it ran out of memory)",
                       queue, on_result)

    def _lost(self, worker: _Worker, reason: str, queue: deque, on_result) -> None:
        self.workers.pop(worker.index, None)
        if worker.student is not None:
            on_result(StudentResult.failed(worker.student, reason))
        elif not worker.ready:
            # died before grading anything: the setup itself is broken; do not loop
            while queue:
                on_result(StudentResult.failed(queue.popleft(), reason))
            return
        if queue and len(self.workers) < self.size:
            self._start()

    def _retire(self, worker: _Worker) -> None:
        try:
            worker.conn.send(None)
        except OSError:
            pass
        worker.process.join(timeout=30)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        self.workers.pop(worker.index, None)

    def shutdown(self) -> None:
        for worker in list(self.workers.values()):
            if worker.process.is_alive():
                worker.process.kill()
            worker.process.join()
        self.workers.clear()
