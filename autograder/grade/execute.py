"""TrustedExecute: nbgrader's execute step, split across the trust boundary.

nbgrader runs every cell of a submission, test cells included, in one kernel; a
student's code there can rebind the checks, patch NumPy or read the hidden tests.
Here each code cell goes where it belongs:

- the student's cells (answers, and cells the student added) run only in the
  sandboxed kernel (:mod:`autograder.grade.kernel`);
- the instructor's cells that are not tests (imports, data, helpers) run in the
  kernel as released, so the student's functions find their globals, *and* in the
  grader, from the instructor's copy;
- test cells (visible and hidden) run only in the grader, in a namespace built from
  the instructor's cells, where each name the student's cells defined (and the
  instructor's did not) is a stand-in for the kernel's object
  (:class:`~autograder.grade.kernel.RemoteFunction`).

The outputs of the grader's cells become the cell outputs nbgrader scores (an error
output fails the cell, as in nbgrader). A failing check inside the hidden tests says
so without showing their code. Per-notebook settings come in ``resources["autograder"]``
(see :func:`context`); what the grader had to do (timeouts, restarts) goes back in
``resources["autograder"]["events"]``.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import sys
import tempfile
import time
import traceback
import types
from importlib import resources as package_files
from pathlib import Path

from autograder.grade.kernel import CellTimeout, Kernel, KernelError
from autograder.grade.sandbox import Limits

HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
HIDDEN_FAILED = "(a check from the hidden tests failed here; its code is not shown)"


def context(submission_name: str, submission: bytes, support: list[Path], limits: Limits,
            sandboxed: bool, cell_timeout: float, notebook_timeout: float) -> dict:
    """The per-notebook settings TrustedExecute reads from ``resources["autograder"]``."""
    return {"submission_name": submission_name, "submission": submission,
            "support": [Path(p) for p in support], "limits": limits, "sandboxed": sandboxed,
            "cell_timeout": cell_timeout, "notebook_timeout": notebook_timeout, "events": []}


def _nbgrader(cell: dict) -> dict:
    value = cell.get("metadata", {}).get("nbgrader", {})
    return value if isinstance(value, dict) else {}


def cell_role(cell: dict) -> str:
    """``"student"``, ``"instructor"`` or ``"test"`` for a code cell."""
    meta = _nbgrader(cell)
    if meta.get("solution") or not meta:
        return "student"
    if meta.get("grade"):
        return "test"
    return "instructor"


def hidden_lines(source: str) -> set[int]:
    """1-based numbers of the lines inside hidden-test regions (markers included)."""
    inside, found = False, set()
    for number, line in enumerate(source.splitlines(), start=1):
        if HIDDEN_BEGIN in line:
            inside = True
        if inside:
            found.add(number)
        if HIDDEN_END in line:
            inside = False
    return found


def names_used(sources: list[str]) -> set[str]:
    """Global names the grader's cells (and functions defined in them) may look up.

    Only these names of the student's are ever bound to stand-ins, so a student who
    defines thousands of names cannot slow the grader down.
    """
    found: set[str] = set()
    codes = []
    for source in sources:
        try:
            codes.append(compile(source, "<cell>", "exec"))
        except SyntaxError:
            continue
    while codes:
        code = codes.pop()
        found.update(code.co_names)
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return found


class CappedText(io.StringIO):
    def __init__(self, limit: int):
        super().__init__()
        self.limit, self.dropped = limit, 0

    def write(self, text: str) -> int:
        room = max(0, self.limit - self.tell())
        self.dropped += max(0, len(text) - room)
        return super().write(text[:room]) if room else len(text)


def _runner_folder(where: Path) -> Path:
    """Copy the sandbox side (``autograder/run``) alone into a folder of its own."""
    folder = where / "run"
    folder.mkdir()
    for name in ("kernel.py", "wire.py"):
        (folder / name).write_bytes(package_files.files("autograder.run").joinpath(name)
                                    .read_bytes())
    return folder


def _close_figures() -> None:
    """Figures the instructor's cells drew in the grader are not kept (only scores are)."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


def stream_output(name: str, text: str) -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def error_output(ename: str, evalue: str, lines: list[str]) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue,
            "traceback": [*lines, f"{ename}: {evalue}"]}


class TrustedExecute:
    """Run a submission's cells on the side of the trust boundary each belongs to.

    It has a preprocessor's ``preprocess(nb, resources)``, but the worker calls it
    directly, on the notebook as plain JSON data (cells are dicts, sources strings),
    so that a worker never imports nbformat, nbconvert or nbgrader: about 2 s of CPU
    at each worker's start (``python -X importtime``), most of it jsonschema's.
    """

    def preprocess(self, nb: dict, resources: dict):
        ctx = resources.get("autograder")
        if not ctx:
            raise ValueError("TrustedExecute needs resources['autograder'] (see context())")
        with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
            scratch = Path(tmp) / "student"
            scratch.mkdir()
            scratch.chmod(0o777)
            (scratch / Path(ctx["submission_name"]).name).write_bytes(ctx["submission"])
            kernel = Kernel(scratch, ctx["support"], _runner_folder(Path(tmp)), ctx["limits"],
                            ctx["sandboxed"])
            try:
                self._run_all(nb, kernel, ctx)
            finally:
                kernel.close()
        return nb, resources

    def _run_all(self, nb: dict, kernel: Kernel, ctx: dict) -> None:
        events: list[str] = ctx["events"]
        namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
        student_names: set[str] = set()
        instructor_names: set[str] = set()
        wanted = names_used([c["source"] for c in nb["cells"]
                             if c["cell_type"] == "code" and cell_role(c) != "student"])
        budget_end = time.monotonic() + ctx["notebook_timeout"]
        code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
        # After the last test nothing can change a score; after the last student cell the
        # kernel needs no more of the instructor's cells (their names live in the grader).
        last_test = max((i for i in code if cell_role(nb["cells"][i]) == "test"), default=-1)
        last_student = max((i for i in code if cell_role(nb["cells"][i]) == "student"), default=-1)
        for index, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code" or index > last_test:
                continue
            cell["outputs"], cell["execution_count"] = [], index + 1
            name = _nbgrader(cell).get("grade_id") or f"#{index + 1}"
            if time.monotonic() >= budget_end:
                if cell_role(cell) == "test":
                    cell["outputs"] = [error_output(
                        "CellNotRun", "the notebook ran out of time before this cell", [])]
                    events.append(f"cell {name}: not run (notebook time limit)")
                continue
            kernel.deadline = min(budget_end, time.monotonic() + ctx["cell_timeout"])
            role = cell_role(cell)
            in_kernel = role == "student" or (role == "instructor" and index < last_student)
            if in_kernel and not hidden_lines(cell["source"]):
                kernel.sink = self._collector(cell, ctx, keep=role == "student")
                try:
                    result = kernel.run_cell(cell["source"])
                except CellTimeout:
                    events.append(f"cell {name}: did not stop when interrupted, kernel restarted")
                    if role == "student":
                        cell["outputs"].append(error_output(
                            "CellTimeoutError", f"the cell ran past {ctx['cell_timeout']:g} s",
                            []))
                    continue
                except KernelError as err:
                    events.append(f"cell {name}: kernel died, restarted ({err})")
                    if role == "student":
                        cell["outputs"].append(error_output("KernelDied", str(err), []))
                    continue
                if result["timeout"]:
                    events.append(f"cell {name}: timed out")
                if role == "student":
                    student_names.update(result["defined"])
                    if result["error"]:
                        err = result["error"]
                        cell["outputs"].append(error_output(
                            str(err.get("ename")), str(err.get("evalue")),
                            [str(line) for line in err.get("traceback", [])][-6:]))
                    continue
            if role == "student":
                continue
            for proxied in (student_names & wanted) - instructor_names:
                try:
                    found, value = kernel.get_global(proxied)
                except KernelError:
                    found = False
                if found:
                    namespace[proxied] = value
                else:
                    namespace.pop(proxied, None)
            before = {k: id(v) for k, v in namespace.items()}
            self._run_trusted(cell, index, namespace, kernel, ctx, events, name)
            instructor_names.update(k for k, v in namespace.items() if before.get(k) != id(v))

    def _collector(self, cell: dict, ctx: dict, keep: bool):
        def sink(out: str, err: str, dropped: int) -> None:
            if not keep:
                return
            for stream, text in (("stdout", out), ("stderr", err)):
                if text:
                    cell["outputs"].append(stream_output(stream, text))
            if dropped:
                ctx["events"].append(f"output cut to {ctx['limits'].max_output_chars} "
                                     f"characters ({dropped} dropped)")

        return sink

    def _run_trusted(self, cell: dict, index: int, namespace: dict, kernel: Kernel,
                     ctx: dict, events: list[str], name: str) -> None:
        out = CappedText(ctx["limits"].max_output_chars)
        kernel.sink = lambda o, e, d: out.write(o + e)
        filename = f"<cell {index}>"
        error = None
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                exec(compile(cell["source"], filename, "exec"), namespace)
            except CellTimeout as err:
                events.append(f"cell {name}: " + ("did not stop when interrupted, kernel "
                                                  "restarted" if err.killed else "timed out"))
                error = error_output("CellTimeoutError",
                                     f"the student's code ran past {ctx['cell_timeout']:g} s", [])
            except KernelError as err:
                events.append(f"cell {name}: kernel died, restarted ({err})")
                error = error_output("KernelDied", f"the student's code: {err}", [])
            except Exception as err:
                error = self._error(err, cell["source"], filename)
        if out.getvalue():
            cell["outputs"].append(stream_output("stdout", out.getvalue()))
        if out.dropped:
            events.append(f"cell {name}: output cut to {out.limit} characters "
                          f"({out.dropped} dropped)")
        _close_figures()
        if error is not None:
            cell["outputs"].append(error)

    @staticmethod
    def _error(err: Exception, source: str, filename: str) -> dict:
        frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == filename]
        ename, evalue = type(err).__name__, str(err)
        where: list[str] = []
        if frames:
            line = frames[-1].lineno or 0
            if line in hidden_lines(source):
                where = [HIDDEN_FAILED]
            else:
                code = source.splitlines()[line - 1].strip() if line else ""
                where = [f"In this cell, line {line}: {code}"]
        return error_output(ename, evalue, where)


