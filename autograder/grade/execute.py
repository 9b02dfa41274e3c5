"""TrustedExecute: nbgrader's execute step, split across the trust boundary: the student's
cells run only in the sandboxed kernel, the test cells only in the grader, the instructor's
other cells in both (``autograder/README.md``: "How a notebook is graded")."""

from __future__ import annotations

import builtins
import contextlib
import sys
import tempfile
import time
import traceback
import types
from importlib import resources as package_files
from pathlib import Path
from typing import TYPE_CHECKING

from autograder import cells as C
from autograder.grade.kernel import CellTimeout, Kernel, KernelError
from autograder.run.wire import CappedText

if TYPE_CHECKING:
    from autograder.grade.task import Task

HIDDEN_FAILED = "(a check from the hidden tests failed here; its code is not shown)"


def cell_role(cell: dict) -> str:
    """``"student"``, ``"instructor"`` or ``"test"`` for a code cell."""
    if C.is_solution(cell) or not C.meta(cell):
        return "student"
    return "test" if C.is_grade(cell) else "instructor"


def names_used(sources: list[str]) -> set[str]:
    """Global names the grader's cells (and functions defined in them) may look up: only
    these of the student's become stand-ins (thousands of names cannot slow the grader)."""
    found: set[str] = set()
    codes = []
    for source in sources:
        with contextlib.suppress(SyntaxError):
            codes.append(compile(source, "<cell>", "exec"))
    while codes:
        code = codes.pop()
        found.update(code.co_names)
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return found


def stream_output(name: str, text: str) -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def error_output(ename: str, evalue: str, lines: tuple | list = ()) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue,
            "traceback": [*lines, f"{ename}: {evalue}"]}


class TrustedExecute:
    """Run one notebook's cells (plain JSON data: a worker never imports nbformat) on the
    side of the trust boundary each belongs to; ``events``: timeouts, restarts, cut output."""

    def __init__(self, task: Task):
        self.task, self.events = task, []

    def run(self, nb: dict, name: str, submission: bytes, support: list[Path]) -> list[str]:
        """Put each code cell's outputs into ``nb``; returns the events."""
        with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
            scratch = Path(tmp) / "student"
            scratch.mkdir()
            scratch.chmod(0o777)
            (scratch / f"{Path(name).name}.ipynb").write_bytes(submission)
            # the sandbox side alone, copied out of the package (which may be a zip)
            runner = Path(tmp) / "run"
            runner.mkdir()
            for file in ("kernel.py", "wire.py"):
                (runner / file).write_bytes(
                    package_files.files("autograder.run").joinpath(file).read_bytes())
            self.kernel = Kernel(scratch, support, runner, self.task.limits, self.task.sandboxed)
            try:
                self._run_all(nb)
            finally:
                self.kernel.close()
        return self.events

    def _run_all(self, nb: dict) -> None:
        cells = [(i, c, cell_role(c)) for i, c in enumerate(nb["cells"])
                 if c["cell_type"] == "code"]
        namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
        student_names: set[str] = set()
        instructor_names: set[str] = set()
        wanted = names_used([c["source"] for _, c, role in cells if role != "student"])
        budget_end = time.monotonic() + self.task.notebook_timeout
        # After the last test nothing can change a score; after the last student cell the
        # kernel needs no more of the instructor's cells (their names live in the grader).
        last_test = max((i for i, _, role in cells if role == "test"), default=-1)
        last_student = max((i for i, _, role in cells if role == "student"), default=-1)
        for index, cell, role in cells:
            if index > last_test:
                break
            cell["outputs"], cell["execution_count"] = [], index + 1
            name = C.grade_id(cell) or f"#{index + 1}"
            if time.monotonic() >= budget_end:
                if role == "test":
                    cell["outputs"] = [error_output(
                        "CellNotRun", "the notebook ran out of time before this cell")]
                    self.events.append(f"cell {name}: not run (notebook time limit)")
                continue
            self.kernel.deadline = min(budget_end, time.monotonic() + self.task.cell_timeout)
            in_kernel = role == "student" or (role == "instructor" and index < last_student)
            if in_kernel and C.HIDDEN_BEGIN not in cell["source"]:
                defined = self._run_in_kernel(cell, name, keep=role == "student")
                if defined is None:
                    continue
                if role == "student":
                    student_names.update(defined)
            if role == "student":
                continue
            for proxied in (student_names & wanted) - instructor_names:
                namespace.pop(proxied, None)
                with contextlib.suppress(KernelError):
                    found, value = self.kernel.get_global(proxied)
                    if found:
                        namespace[proxied] = value
            before = {k: id(v) for k, v in namespace.items()}
            self._run_trusted(cell, index, namespace, name)
            instructor_names.update(k for k, v in namespace.items() if before.get(k) != id(v))

    def _trouble(self, err: KernelError, name: str, trusted: bool) -> dict:
        """Note a kernel that ran out of time or died; the error output for the cell."""
        if isinstance(err, CellTimeout):
            self.events.append(f"cell {name}: " + ("did not stop when interrupted, kernel "
                                                   "restarted" if err.killed else "timed out"))
            who = "the student's code" if trusted else "the cell"
            return error_output("CellTimeoutError", f"{who} ran past {self.task.cell_timeout:g} s")
        self.events.append(f"cell {name}: kernel died, restarted ({err})")
        return error_output("KernelDied", f"the student's code: {err}" if trusted else str(err))

    def _run_in_kernel(self, cell: dict, name: str, keep: bool) -> list[str] | None:
        """Run a cell in the kernel; its output is kept for a student's cell (``keep``).
        Returns the names it defined, None when the kernel ran out of time or died."""

        def sink(out: str, err: str, dropped: int) -> None:
            cell["outputs"].extend(stream_output(stream, text)
                                   for stream, text in (("stdout", out), ("stderr", err)) if text)
            if dropped:
                self.events.append(f"output cut to {self.task.limits.max_output_chars} "
                                   f"characters ({dropped} dropped)")

        self.kernel.sink = sink if keep else (lambda out, err, dropped: None)
        try:
            result = self.kernel.run_cell(cell["source"])
        except KernelError as err:
            trouble = self._trouble(err, name, trusted=False)
            if keep:
                cell["outputs"].append(trouble)
            return None
        if result["timeout"]:
            self.events.append(f"cell {name}: timed out")
        if keep and result["error"]:
            err = result["error"]
            cell["outputs"].append(error_output(
                str(err.get("ename")), str(err.get("evalue")),
                [str(line) for line in err.get("traceback", [])][-6:]))
        return result["defined"]

    def _run_trusted(self, cell: dict, index: int, namespace: dict, name: str) -> None:
        out = CappedText(self.task.limits.max_output_chars)
        self.kernel.sink = lambda o, e, d: out.write(o + e)
        filename = f"<cell {index}>"
        error = None
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                exec(compile(cell["source"], filename, "exec"), namespace)
            except KernelError as err:
                error = self._trouble(err, name, trusted=True)
            except Exception as err:
                error = self._error(err, cell["source"], filename)
        if out.getvalue():
            cell["outputs"].append(stream_output("stdout", out.getvalue()))
        if out.dropped:
            self.events.append(f"cell {name}: output cut to {out.limit} characters "
                               f"({out.dropped} dropped)")
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:  # figures the grader's cells drew are not kept (only scores are)
            plt.close("all")
        if error is not None:
            cell["outputs"].append(error)

    @staticmethod
    def _error(err: Exception, source: str, filename: str) -> dict:
        """The error output of a failing check: its line, unless the line is hidden."""
        frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == filename]
        where: list[str] = []
        if frames:
            number = frames[-1].lineno or 0
            line = source.splitlines()[number - 1] if number else ""
            # hidden: a marker's line, a line inside a region, and one that reads like it
            markers = C.HIDDEN_BEGIN in line or C.HIDDEN_END in line
            hidden = markers or line in C.hidden_test_lines(source)
            where = [HIDDEN_FAILED if hidden else f"In this cell, line {number}: {line.strip()}"]
        return error_output(type(err).__name__, str(err), where)
