"""One grading task, run on a Dask worker: a student's notebooks, the instructor's and
the released kit in, as bytes; the outputs of every cell and the grader's notes out."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import cells as C
from autograder.grade.execute import TrustedExecute
from autograder.grade.sandbox import Limits, bwrap_works


@dataclass
class Task:
    """What a worker needs to grade one student."""

    student: str
    #: notebook name -> (the student's notebook, the instructor's notebook), as bytes
    notebooks: dict[str, tuple[bytes, bytes]]
    limits: Limits
    sandboxed: bool
    cell_timeout: float
    notebook_timeout: float
    #: released files next to the notebook (relative path -> bytes)
    support: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Outcome:
    """What a worker sends back: outputs per cell, per notebook, and notes."""

    student: str
    outputs: dict[str, list[list[dict]]] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0


def read_cells(data: bytes) -> dict:
    """A notebook (nbformat 4 JSON) as plain data, each cell's source one string."""
    nb = json.loads(data.decode("utf-8"))
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or type(nb.get("cells")) is not list:
        raise ValueError("not an nbformat 4 notebook")
    for cell in nb["cells"]:
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return nb


def trusted_notebook(student: bytes, instructor: bytes) -> dict:
    """The student's cells, with every locked and test cell taken from the instructor's copy
    (by grade id), as nbgrader's OverwriteCells does from the gradebook."""
    nb = read_cells(student)
    theirs = {gid: c for gid, c in C.cells_by_id(read_cells(instructor)).items() if C.is_locked(c)}
    for cell in nb["cells"]:
        original = theirs.get(C.grade_id(cell))
        if original is not None and original["cell_type"] == cell["cell_type"]:
            cell["source"] = original["source"]
            cell["metadata"]["nbgrader"] = dict(original["metadata"]["nbgrader"])
    return nb


def _write_support(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Write the kit, readable by the kernel's user; returns the paths at its top."""
    for rel, data in files.items():
        path = (folder / rel).resolve()
        if folder.resolve() not in path.parents:
            raise ValueError(f"support file outside its folder: {rel}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return sorted({folder / Path(rel).parts[0] for rel in files})


def run_task(task: Task) -> Outcome:
    """Grade one student; never raises for the student's sake (errors go in ``error``)."""
    started = time.monotonic()
    if task.sandboxed and not bwrap_works():
        host = f"{socket.gethostname()}:{os.getpid()}"
        return Outcome(task.student, error=f"bubblewrap does not work on the grading worker {host}")
    outcome = Outcome(task.student)
    with tempfile.TemporaryDirectory(prefix="autograder-kit-") as kit:
        try:
            support = _write_support(Path(kit), task.support)
            for name, (student, instructor) in task.notebooks.items():
                nb = trusted_notebook(student, instructor)
                outcome.events += TrustedExecute(task).run(nb, name, student, support)
                outcome.outputs[name] = [cell.get("outputs", []) for cell in nb["cells"]]
        except Exception as err:  # a notebook the grader cannot even read
            outcome.error = f"{type(err).__name__}: {err}"[:300]
    outcome.seconds = round(time.monotonic() - started, 2)
    return outcome
