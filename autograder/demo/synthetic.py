"""Synthetic submissions made from an assignment's release and source: "perfect" holds the
instructor's answers, every other kind breaks one thing a real class breaks
(:data:`MODIFIERS`); :func:`build_downloads` writes a class as an LMS hands it over."""

from __future__ import annotations

import ast
import copy
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell

from autograder import cells as C


@dataclass(frozen=True)
class Case:
    """One synthetic student: an id, what it tests, and how the file is delivered."""

    student: str
    kind: str
    delivery: str = "file"  # file, renamed, zipped, folder, none, ambiguous


def answer_cells(nb: NotebookNode) -> list[NotebookNode]:
    """Code answers (the functions students write)."""
    return [c for c in nb.cells if c.cell_type == "code" and C.is_solution(c)]


def _extend(cell: NotebookNode, code: str) -> None:
    """Add ``code`` to the end of a cell, after a blank line."""
    cell.source = cell.source.rstrip("\n") + "\n\n" + code.strip("\n")


def _new_cell(nb: NotebookNode, code: str) -> None:
    """Insert a cell of ``code`` after the first answer cell."""
    nb.cells.insert(nb.cells.index(answer_cells(nb)[0]) + 1, new_code_cell(code.strip("\n")))


def _per_function(nb: NotebookNode, helper: str, template: str) -> None:
    """Append ``helper`` and ``template`` for each function it defines to every code answer."""
    for cell in answer_cells(nb):
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        if names := [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]:
            _extend(cell, helper + "\n".join(template.format(name=name) for name in names))


def _first_test(nb: NotebookNode) -> NotebookNode:
    return next(c for c in nb.cells if C.is_test(c))


# What the misbehaving students write ({name}: each function of an answer cell).
WRONG_SHAPE = '''
def _demo_wrong_shape(function):
    def cut(value):
        return value[..., :-1] if getattr(value, "ndim", 0) else value
    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        return tuple(map(cut, result)) if isinstance(result, tuple) else cut(result)
    return wrapped
'''
RAISES = "def {name}(*args, **kwargs):\n    raise RuntimeError('{name} is not working yet')\n"
SWALLOW_INTERRUPT = '''
while True:
    try:
        while True:
            pass
    except KeyboardInterrupt:
        pass'''
WRITE_OUTSIDE = "with open('/tmp/autograder-escape.txt', 'w') as fh:\n    fh.write('escaped')"

# kind -> how it breaks a notebook holding the instructor's answers
MODIFIERS: dict[str, Callable[[NotebookNode], object]] = {
    "wrong_shapes": lambda nb: _per_function(  # answers return arrays with a wrong last axis
        nb, WRONG_SHAPE, "{name} = _demo_wrong_shape({name})"),
    "raises": lambda nb: _per_function(nb, "", RAISES),
    "infinite_loop": lambda nb: _extend(answer_cells(nb)[0], "while True:\n    pass"),
    "swallows_interrupt": lambda nb: _new_cell(nb, SWALLOW_INTERRUPT),
    "memory_hog": lambda nb: _new_cell(nb, "import numpy as np\nhog = np.ones(10**9)"),  # 8 GB
    "os_exit": lambda nb: _new_cell(nb, "import os\nos._exit(3)"),
    "sys_exit": lambda nb: _new_cell(nb, "import sys\nsys.exit('done')"),
    "huge_output": lambda nb: _new_cell(  # 10 MB
        nb, "for i in range(200):\n    print(i, 'spam' * 12_500)"),
    "writes_outside": lambda nb: _new_cell(nb, WRITE_OUTSIDE),
    "tampered_test": lambda nb: _first_test(nb).update(
        source="# the tests were removed by the student\npass"),
    "deleted_test": lambda nb: nb.cells.remove(_first_test(nb)),
    "stripped_metadata": lambda nb: _first_test(nb).metadata.pop("nbgrader"),
    "more_points": lambda nb: _first_test(nb).metadata.nbgrader.update(points=100),
    "reference_import": lambda nb: _extend(answer_cells(nb)[0], "import convref"),
}
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def make_notebook(kind: str, release: NotebookNode, source: NotebookNode) -> NotebookNode:
    """The notebook of one case: the release with the instructor's answers (markers
    removed) in every answer cell, or in the first half of the code answers for
    ``partial``, or in none for ``untouched``; then broken as :data:`MODIFIERS` says
    (other kinds, such as ``perfect``, are not broken)."""
    nb = copy.deepcopy(release)
    code = answer_cells(nb)
    todo = {"partial": code[: (len(code) + 1) // 2], "untouched": []}.get(
        kind, [c for c in nb.cells if C.is_solution(c)])
    answers = C.cells_by_id(source)
    for cell in todo:
        if (solved := answers.get(C.grade_id(cell))) is not None:
            cell.source = "\n".join(line for line in solved.source.splitlines()
                                    if line.strip() not in MARKERS)
    if kind in MODIFIERS:
        MODIFIERS[kind](nb)
    return nb


# one student of each kind, then the other ways a notebook arrives
CLASS: list[Case] = [
    Case(f"s{n:03}", kind)
    for n, kind in enumerate(["perfect", "partial", *MODIFIERS, "malformed"], start=1)
] + [Case("s018", "perfect", "renamed"), Case("s019", "perfect", "zipped"),
     Case("s020", "perfect", "folder"), Case("s021", "untouched"), Case("s022", "missing", "none"),
     Case("s023", "perfect", "ambiguous")]


def build_downloads(folder: Path, assignment: str, release: NotebookNode, source: NotebookNode,
                    cases: list[Case]) -> Path:
    """Write the downloads of ``cases`` into ``folder`` and their roster; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        write_case(folder, assignment, case, release, source)
    (folder / "index.html").write_text("<html>LMS export</html>\n")  # extra file
    roster = folder.parent / f"{folder.name}-roster.csv"
    roster.write_text("student_id,name\r\n" + "".join(
        f"{case.student},Student {case.student}\r\n" for case in cases))
    return roster


def write_case(folder: Path, assignment: str, case: Case, release: NotebookNode,
               source: NotebookNode) -> None:
    """Write one student's download entry."""
    if case.delivery == "none":
        return
    nb = make_notebook(case.kind, release, source)
    data = nbformat.writes(nb).encode("utf-8")
    if case.kind == "malformed":  # a perfect notebook's upload, cut off halfway
        data = data[: len(data) // 2]
    if case.delivery == "file":
        (folder / f"{case.student}.ipynb").write_bytes(data)
    elif case.delivery == "renamed":
        (folder / f"{case.student}_{assignment} (1).ipynb").write_bytes(data)
    elif case.delivery == "zipped":
        with zipfile.ZipFile(folder / f"{case.student}.zip", "w") as archive:
            archive.writestr(f"{case.student}/work/{assignment}.ipynb", data)
            archive.writestr(f"{case.student}/work/notes.txt", "my notes\n")
            archive.writestr("__MACOSX/._junk", "x")
    elif case.delivery == "folder":
        sub = folder / case.student / "submission"
        (sub / ".ipynb_checkpoints").mkdir(parents=True)
        (sub / f"{assignment}.ipynb").write_bytes(data)
        (sub / ".ipynb_checkpoints" / f"{assignment}-checkpoint.ipynb").write_bytes(data)
    elif case.delivery == "ambiguous":
        (folder / f"{case.student}-{assignment}-1.ipynb").write_bytes(data)
        nb.cells.append(new_code_cell("# second try", id="second-try"))
        nbformat.write(nb, folder / f"{case.student}-{assignment}-2.ipynb")
    else:
        raise ValueError(f"unknown delivery {case.delivery!r} for {case.student}")
