"""SafeExecute: nbgrader's Execute preprocessor, hardened for untrusted notebooks.

On top of nbgrader's per-cell timeout it adds

- a whole-notebook time budget: cells after it runs out are marked as not run (so a
  test cell there scores zero instead of passing with no output);
- recovery from a kernel that dies (``os._exit``, ``exit()``, a crash) or that keeps
  running after an interrupt (a loop that swallows KeyboardInterrupt): the kernel is
  restarted, the cells that had completed are run again silently, and grading goes on
  with the next cell, so the student keeps the points of the other cells;
- a cap on the output kept per cell (the rest is dropped with a note);
- deterministic messages for the cells it had to stop, so two gradings of one
  submission give the same feedback;
- kernels started through the worker's :class:`~autograder.kernels.KernelLauncher`
  (sandbox, memory limit, reference guard).

What happened is recorded in :data:`LAST_EVENTS` for the grade report.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from time import monotonic

from IPython.core.inputtransformer2 import TransformerManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.api import Gradebook
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer, List, Type, Unicode

from autograder import cells as C
from autograder import kernels
from autograder.import_guard import cell_hash

#: notebook name -> list of sentences describing what SafeExecute had to do
LAST_EVENTS: dict[str, list[str]] = {}

NOT_RUN = "CellNotRun"
TIMEOUT = "CellTimeoutError"
KERNEL_DIED = "KernelDied"


def error_output(ename: str, evalue: str) -> NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


@functools.cache
def instructor_cell_hashes(db_url: str, assignment: str, notebook: str) -> frozenset[str]:
    """Hashes of the instructor's code cells (tests, locked set-up) from the gradebook."""
    with Gradebook(db_url) as gb:
        nb = gb.find_notebook(notebook, assignment)
        answers = {c.name for c in nb.solution_cells}
        graded = {c.name for c in nb.grade_cells} - answers
        sources = [
            c.source
            for c in nb.source_cells
            if c.cell_type == "code" and (c.locked or c.name in graded)
        ]
    translate = TransformerManager().transform_cell
    return frozenset(cell_hash(translate(s)) for s in sources)


class SafeExecute(Execute):
    """Execute preprocessor with a notebook budget, kernel recovery and output caps."""

    timeout = Integer(30, allow_none=True, help="Seconds one cell may run.").tag(config=True)
    notebook_timeout = Float(600.0, help="Seconds the whole notebook may run.").tag(config=True)
    max_output_chars = Integer(20_000, help="Text output characters kept per cell.").tag(
        config=True)
    max_output_bytes = Integer(
        5_000_000, help="Rich output (images, HTML) kept per cell, in characters of JSON."
    ).tag(config=True)
    support_folders = List(
        Unicode(),
        help="Folders copied into the kernel's working folder before the graded notebook's "
        "own (``{assignment}`` is replaced), e.g. the release folder with the student kit.",
    ).tag(config=True)
    kernel_manager_class = Type(kernels.GradingKernelManager).tag(config=True)
    record_timing = Bool(False)  # timestamps would make two gradings differ

    def __init__(self, *args, **kwargs):
        # nbgrader's Execute forces AsyncKernelManager unless a class is given
        kwargs.setdefault("kernel_manager_class", kernels.GradingKernelManager)
        super().__init__(*args, **kwargs)

    # -- notebook level ------------------------------------------------------------------
    def preprocess(self, nb: NotebookNode, resources: dict, km=None):
        info = resources.get("nbgrader", {})
        self._events: list[str] = []
        LAST_EVENTS[info.get("notebook", "?")] = self._events
        self._deadline = monotonic() + self.notebook_timeout
        self._gave_up: str | None = None
        self._completed: list[int] = []
        self._last_index: int | None = None
        self._launcher = kernels.active_launcher()
        allowed: frozenset[str] = frozenset()
        if "db_url" in info:
            allowed = instructor_cell_hashes(info["db_url"], info["assignment"], info["notebook"])
        folders = [Path(p) for p in self.support_folders]
        if info.get("assignment"):
            folders = [Path(p.format(assignment=info["assignment"])) for p in self.support_folders]
        folder = resources.get("metadata", {}).get("path")
        if folder:
            folders.append(Path(folder))
        self._run = self._launcher.new_run(folders, set(allowed))
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self._launcher.finish()

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        km.launcher = self._launcher
        km.run = self._run
        return km

    # -- cell level ----------------------------------------------------------------------
    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self._gave_up is None and self._last_index is not None and not self._alive():
            # exit() replies normally and then stops the kernel
            self._blame(self._last_index, "the kernel stopped right after this cell "
                        "(exit() or quit()); it was restarted")
            self._recover()
        if self._gave_up is None and monotonic() >= self._deadline:
            self._gave_up = (f"the notebook's time budget ({self.notebook_timeout:g} s) "
                             "ran out before this cell")
            self._events.append(f"time budget of {self.notebook_timeout:g} s ran out")
        if self._gave_up is not None:
            cell.outputs = [error_output(NOT_RUN, self._gave_up)]
            return cell, resources
        self._timed_out = False
        self._kept_chars = 0
        self._kept_rich = 0
        self._dropped_chars = 0
        label = self._label(cell, index)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            # what arrived before the kernel died depends on timing: keep only the message
            cell.execution_count = None
            cell.outputs = [error_output(KERNEL_DIED, (
                "the kernel stopped while running this cell (os._exit(), exit(), a crash or "
                "the memory limit); it was restarted and the cells above were run again"))]
            self._dropped_chars = 0
            self._events.append(f"{label}: kernel died, restarted")
            self._recover()
        except CellTimeoutError:
            cell.execution_count = None
            cell.outputs = [error_output(TIMEOUT, (
                f"{self._timeout_reason()}; it did not stop when interrupted, so the kernel "
                "was restarted and the cells above were run again"))]
            self._dropped_chars = 0
            self._events.append(f"{label}: did not stop when interrupted, kernel restarted")
            self._recover()
        else:
            if self._timed_out:
                # what it printed before being stopped depends on timing: drop it
                cell.outputs = [error_output(TIMEOUT, f"{self._timeout_reason()} and was stopped")]
                self._dropped_chars = 0
                self._events.append(f"{label}: timed out")
            else:
                self._completed.append(index)
        self._scrub_paths(cell)
        if self._dropped_chars:
            cell.outputs.append(new_output("stream", name="stderr", text=(
                f"\n[autograder: {self._dropped_chars} more characters of output "
                "were not kept]\n")))
            self._events.append(f"{label}: output cut to {self.max_output_chars} characters")
        self._last_index = index
        return cell, resources

    def _scrub_paths(self, cell: NotebookNode) -> None:
        """Show the kernel's private folder as the student's own: ``convkit/x.py``.

        Its real path changes from one grading to the next (and says where the grader
        keeps its files); tracebacks through the student kit would differ otherwise.
        """
        work, folder = str(self._run.work), str(self._run.folder)

        def scrub(text: str) -> str:
            return text.replace(work + "/", "").replace(work, ".").replace(folder, "...")

        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = scrub(output["text"])
            if "traceback" in output:
                output["traceback"] = [scrub(line) for line in output["traceback"]]
            if "evalue" in output:
                output["evalue"] = scrub(output["evalue"])
            data = output.get("data", {})
            for key in ("text/plain", "text/html"):
                if isinstance(data.get(key), str):
                    data[key] = scrub(data[key])

    def _label(self, cell: NotebookNode, index: int) -> str:
        return f"cell {C.grade_id(cell) or '#' + str(index + 1)}"

    def _timeout_reason(self) -> str:
        if self._cell_timeout_used < self.timeout:
            return (f"this cell was still running when the notebook's time budget "
                    f"({self.notebook_timeout:g} s) ran out")
        return f"this cell ran for more than {self.timeout:g} s"

    def _blame(self, index: int, text: str) -> None:
        cell = self.nb.cells[index]
        cell.outputs.append(error_output(KERNEL_DIED, text))
        if index in self._completed:
            self._completed.remove(index)
        self._events.append(f"{self._label(cell, index)}: kernel exited, restarted")

    # -- nbclient hooks ------------------------------------------------------------------
    def _get_timeout(self, cell):
        remaining = max(1.0, self._deadline - monotonic())
        self._cell_timeout_used = min(float(self.timeout or remaining), remaining)
        return self._cell_timeout_used

    async def _async_handle_timeout(self, timeout, cell=None):
        self._timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        payload = kwargs["execute_reply"].get("content", {}).get("payload", [])
        if any(p.get("source") == "ask_exit" for p in payload):
            self._events.append("exit() called")

    def output(self, outs, msg, display_id, cell_index):
        kind = msg["msg_type"]
        content = msg["content"]
        if kind == "stream":
            return self._capped(outs, msg, display_id, cell_index, len(content.get("text", "")),
                                "_kept_chars", self.max_output_chars)
        if kind in ("display_data", "execute_result"):
            size = len(json.dumps(content.get("data", {})))
            return self._capped(outs, msg, display_id, cell_index, size, "_kept_rich",
                                self.max_output_bytes)
        return super().output(outs, msg, display_id, cell_index)

    def _capped(self, outs, msg, display_id, cell_index, size, counter, cap):
        kept = getattr(self, counter, 0)
        room = cap - kept
        if size <= room:
            setattr(self, counter, kept + size)
            return super().output(outs, msg, display_id, cell_index)
        if msg["msg_type"] == "stream" and room > 0:
            # cut at a fixed character count, wherever the kernel's chunks ended
            msg = copy.deepcopy(msg)
            msg["content"]["text"] = msg["content"]["text"][:room]
            setattr(self, counter, cap)
            self._dropped_chars += size - room
            return super().output(outs, msg, display_id, cell_index)
        self._dropped_chars += size
        return None

    # -- recovery ------------------------------------------------------------------------
    def _alive(self) -> bool:
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def _recover(self) -> None:
        try:
            run_sync(self._async_recover)()
        except Exception as err:  # any failure here means: stop running this notebook
            self._gave_up = f"the kernel could not be brought back after a crash ({err})"
            self._events.append("kernel could not be restored; later cells not run")

    async def _async_recover(self) -> None:
        if self.kc is not None:
            await ensure_async(self.kc.stop_channels())
        await ensure_async(self.km.restart_kernel(now=True))
        self.kc = self.km.client()
        await ensure_async(self.kc.start_channels())
        await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))
        self.kc.allow_stdin = False
        for index in list(self._completed):
            remaining = self._deadline - monotonic()
            if remaining <= 0:
                raise RuntimeError("the time budget ran out while re-running earlier cells")
            reply = await self.kc.execute_interactive(
                self.nb.cells[index].source, store_history=False, allow_stdin=False,
                stop_on_error=False, timeout=min(float(self.timeout or remaining), remaining),
                output_hook=lambda _msg: None,
            )
            if not await ensure_async(self.km.is_alive()):
                raise RuntimeError(f"the kernel stopped again re-running cell #{index + 1}")
            del reply
