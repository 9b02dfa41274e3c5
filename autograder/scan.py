"""Static scan of student code for attempts to reach the reference or the hidden tests.

Every code cell the student wrote (answer cells and cells they added) is parsed after
IPython's own translation of magics and shell escapes, and checked for:

- the reference package ``convref`` (imported, named, or spelled in a string);
- the import machinery (``importlib``, ``__import__``, ``sys.modules``, ``sys.path``...);
- code built at run time (``exec``, ``eval``, ``compile``);
- introspection that reaches other cells' names (``globals()``, ``vars()``,
  ``inspect``, ``gc``, ``sys._getframe``, ``get_ipython``, ``__builtins__``);
- shell commands and subprocesses;
- paths to course files (gradebook, solutions, source, other submissions, notebooks).

A finding does not change the score; it marks the student ``flagged`` for review.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager
from nbformat import NotebookNode

REFERENCE_PACKAGES = ("convref",)
_IMPORT_MODULES = {
    "importlib": "import machinery",
    "imp": "import machinery",
    "runpy": "import machinery",
    "pkgutil": "import machinery",
    "zipimport": "import machinery",
    "inspect": "introspection of other cells",
    "gc": "introspection of other cells",
    "ctypes": "raw memory access",
    "subprocess": "subprocess",
    "pty": "subprocess",
    "socket": "network access",
    "urllib": "network access",
    "requests": "network access",
    "nbformat": "reading notebooks",
    "nbgrader": "reading the gradebook",
    "sqlite3": "reading the gradebook",
    "sqlalchemy": "reading the gradebook",
}
_CALLS = {
    "exec": "code built at run time",
    "eval": "code built at run time",
    "compile": "code built at run time",
    "__import__": "import machinery",
    "globals": "introspection of other cells",
    "vars": "introspection of other cells",
    "get_ipython": "IPython internals or shell commands",
    "breakpoint": "debugger",
}
_ATTRIBUTES = {
    ("sys", "modules"): "import machinery",
    ("sys", "meta_path"): "import machinery",
    ("sys", "path_hooks"): "import machinery",
    ("sys", "path"): "import machinery",
    ("sys", "_getframe"): "introspection of other cells",
    ("os", "system"): "subprocess",
    ("os", "popen"): "subprocess",
    ("os", "spawnv"): "subprocess",
    ("os", "execv"): "subprocess",
}
_NAMES = {"__builtins__": "builtins access", "__loader__": "import machinery"}
_COURSE_PATH = re.compile(
    r"gradebook|\.db\b|solutions?\b|source/|autograded|submitted|nbgrader|\.ipynb|\.\./",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    """One suspicious construct: where it is and why it matters."""

    cell: str
    line: int
    rule: str
    text: str

    def describe(self) -> str:
        return f"cell {self.cell}, line {self.line}: {self.rule} ({self.text})"


def _root(name: str | None) -> str:
    return (name or "").split(".")[0]


class _Visitor(ast.NodeVisitor):
    def __init__(self, cell: str, lines: list[str]):
        self.cell = cell
        self.lines = lines
        self.findings: list[Finding] = []

    def add(self, node: ast.AST, rule: str) -> None:
        line = getattr(node, "lineno", 1)
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        self.findings.append(Finding(self.cell, line, rule, text[:120]))

    def _module(self, node: ast.AST, name: str) -> None:
        root = _root(name)
        if root in REFERENCE_PACKAGES:
            self.add(node, "imports the reference solutions")
        elif root in _IMPORT_MODULES:
            self.add(node, _IMPORT_MODULES[root])

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(node, alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0:
            self._module(node, node.module or "")
            if node.module == "sys":
                for alias in node.names:
                    if ("sys", alias.name) in _ATTRIBUTES:
                        self.add(node, _ATTRIBUTES[("sys", alias.name)])
        else:
            self.add(node, "relative import")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in _CALLS:
            self.add(node, _CALLS[node.func.id])
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name):
            key = (node.value.id, node.attr)
            if key in _ATTRIBUTES:
                self.add(node, _ATTRIBUTES[key])
        if node.attr in REFERENCE_PACKAGES:
            self.add(node, "names the reference solutions")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in REFERENCE_PACKAGES:
            self.add(node, "names the reference solutions")
        elif node.id in _NAMES:
            self.add(node, _NAMES[node.id])
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            lowered = node.value.lower()
            if any(pkg in lowered for pkg in REFERENCE_PACKAGES):
                self.add(node, "names the reference solutions")
            elif _COURSE_PATH.search(node.value):
                self.add(node, "refers to course files")


_transformer = TransformerManager()


def scan_source(source: str, cell: str) -> list[Finding]:
    """Findings for one cell's source; code that does not parse is reported as such.

    Parameters
    ----------
    source : str
        The cell's source as the student wrote it (magics allowed).
    cell : str
        A label for messages (grade id or position).
    """
    python = _transformer.transform_cell(source)
    lines = source.splitlines()
    findings: list[Finding] = []
    if python != source + ("\n" if not source.endswith("\n") else ""):
        # IPython turned a magic or a shell escape into a call: report the original line.
        for number, line in enumerate(lines, start=1):
            stripped = line.lstrip()
            if stripped.startswith(("!", "%")):
                findings.append(
                    Finding(cell, number, "IPython magic or shell command", stripped[:120])
                )
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return findings  # it fails when run; nothing to review
    visitor = _Visitor(cell, python.splitlines())
    visitor.visit(tree)
    # get_ipython() calls produced by the translation above are already reported
    extra = [f for f in visitor.findings if not (findings and f.rule.startswith("IPython"))]
    return findings + extra


def scan_notebook(nb: NotebookNode, locked_ids: set[str]) -> list[Finding]:
    """Findings for every code cell the student could write (not the locked ones).

    Parameters
    ----------
    nb : NotebookNode
        The (repaired) submission.
    locked_ids : set of str
        Grade ids of the release's locked cells, which are the instructor's.
    """
    from autograder import cells as C

    findings: list[Finding] = []
    for index, cell in C.code_cells(nb):
        gid = C.grade_id(cell)
        if gid in locked_ids:
            continue
        findings += scan_source(cell.source, gid or f"#{index + 1}")
    return findings
