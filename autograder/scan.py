"""Static scan of the code cells a student wrote (after IPython's translation of magics and
shell escapes) for attempts to reach the reference or the hidden tests. A finding never
changes the score: it marks the student ``flagged`` for review (a report, not a defence)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager
from nbformat import NotebookNode

from autograder import cells as C

REFERENCE_PACKAGES = ("convref",)
_IMPORTS_REFERENCE = "imports the reference solutions"
_NAMES_REFERENCE = "names the reference solutions"
# rule -> what breaks it: a module imported, a builtin called ("name()"), an attribute
# read or imported ("sys.path")
_RULES = {thing: rule for rule, things in {
    "import machinery": ("importlib", "imp", "runpy", "pkgutil", "zipimport", "__import__()",
                         "sys.modules", "sys.meta_path", "sys.path_hooks", "sys.path"),
    "introspection of other cells": ("inspect", "gc", "globals()", "vars()", "sys._getframe"),
    "raw memory access": ("ctypes",),
    "subprocess": ("subprocess", "pty", "os.system", "os.popen", "os.spawnv", "os.execv"),
    "network access": ("socket", "urllib", "requests"),
    "reading notebooks": ("nbformat",),
    "reading the gradebook": ("nbgrader", "sqlite3", "sqlalchemy"),
    "code built at run time": ("exec()", "eval()", "compile()"),
    "IPython internals or shell commands": ("get_ipython()",),
    "debugger": ("breakpoint()",),
}.items() for thing in things}
_NAMES = {"__builtins__": "builtins access", "__loader__": "import machinery"}
_transformer = TransformerManager()  # IPython's translation of magics and shell escapes
_COURSE_PATH = re.compile(
    r"gradebook|\.db\b|solutions?\b|source/|autograded|submitted|nbgrader|\.ipynb|\.\./",
    re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """One suspicious construct: where it is and why it matters."""

    cell: str
    line: int
    rule: str
    text: str

    def describe(self) -> str:
        return f"cell {self.cell}, line {self.line}: {self.rule} ({self.text})"


def _module_rule(name: str | None) -> str | None:
    root = (name or "").split(".")[0]
    return _IMPORTS_REFERENCE if root in REFERENCE_PACKAGES else _RULES.get(root)


def _rules(node: ast.AST) -> list[str | None]:
    """The rules one syntax node breaks (None: none); its children are checked apart."""
    if isinstance(node, ast.Import):
        return [_module_rule(alias.name) for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return ["relative import"]
        names = [f"{node.module}.{alias.name}" for alias in node.names]
        return [_module_rule(node.module), *map(_RULES.get, names)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return [_RULES.get(f"{node.func.id}()")]
    if isinstance(node, ast.Attribute):
        owner = node.value.id if isinstance(node.value, ast.Name) else None
        return [_RULES.get(f"{owner}.{node.attr}"),
                _NAMES_REFERENCE if node.attr in REFERENCE_PACKAGES else None]
    if isinstance(node, ast.Name):
        return [_NAMES_REFERENCE if node.id in REFERENCE_PACKAGES else _NAMES.get(node.id)]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if any(package in node.value.lower() for package in REFERENCE_PACKAGES):
            return [_NAMES_REFERENCE]
        return ["refers to course files" if _COURSE_PATH.search(node.value) else None]
    return []


def scan_source(source: str, cell: str) -> list[Finding]:
    """Findings for one cell's source (magics allowed), labelled ``cell`` in messages;
    code that does not parse fails when run, so it has nothing to review."""
    python = _transformer.transform_cell(source)
    findings: list[Finding] = []
    if python != source + ("\n" if not source.endswith("\n") else ""):
        # IPython turned a magic or a shell escape into a call: report the original line.
        findings = [Finding(cell, number, "IPython magic or shell command", line.lstrip()[:120])
                    for number, line in enumerate(source.splitlines(), start=1)
                    if line.lstrip().startswith(("!", "%"))]
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return findings
    lines, magic = python.splitlines(), bool(findings)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 1)
        text = lines[line - 1].strip()[:120] if 0 < line <= len(lines) else ""
        # the get_ipython() calls of the translation above are already reported
        findings += [Finding(cell, line, rule, text) for rule in _rules(node)
                     if rule and not (magic and rule.startswith("IPython"))]
    return sorted(findings, key=lambda finding: finding.line)  # stable: parents first


def scan_notebook(nb: NotebookNode, release: NotebookNode) -> list[Finding]:
    """Findings for every code cell the student could write (not the release's locked
    cells, which are the instructor's)."""
    locked = {C.grade_id(cell) for cell in release.cells if C.is_locked(cell) and C.grade_id(cell)}
    return [finding for index, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and C.grade_id(cell) not in locked
            for finding in scan_source(cell.source, C.grade_id(cell) or f"#{index + 1}")]
