"""The generated half of each assignment page: parts, points and the download link.

Everything here is read from the release notebooks themselves (nbgrader's cell
metadata), so the page cannot disagree with what students download: the
functions to write come from the solution cells' stubs, the points from the
graded cells. The hand-written half (``book/assignments/<id>.md``) includes the
fragment written here.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from tools.bundles import write_if_changed
from tools.paths import ASSIGNMENT_FRAGMENTS, BOOK, RELEASE

_HEADING = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)


@dataclass
class GradedPart:
    notebook: str
    cell_id: str
    points: float
    kind: str  # "autograded test" or "written answer, graded by hand"


@dataclass
class NotebookSummary:
    name: str
    title: str
    functions: list[str] = field(default_factory=list)
    parts: list[GradedPart] = field(default_factory=list)


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _defined_names(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return re.findall(r"^\s*def\s+(\w+)\s*\(", code, flags=re.MULTILINE)
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]


def summarize_notebook(path: Path) -> NotebookSummary:
    """Title, functions to implement and graded parts of one release notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    summary = NotebookSummary(name=path.name, title=path.stem)
    for cell in nb.get("cells", []):
        source = _source(cell)
        if cell.get("cell_type") == "markdown" and summary.title == path.stem:
            match = _HEADING.search(source)
            if match:
                summary.title = match.group(1)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell.get("cell_type") == "code":
            summary.functions += [n for n in _defined_names(source) if n not in summary.functions]
        if meta.get("grade"):
            kind = "written answer, graded by hand" if meta.get("solution") else "autograded test"
            summary.parts.append(
                GradedPart(
                    path.name, str(meta.get("grade_id", "?")), float(meta.get("points", 0)), kind
                )
            )
    return summary


def _points(value: float) -> str:
    return f"{value:g}"


def fragment(
    assignment_id: str,
    release_root: Path = RELEASE,
    bundle: Path | None = None,
    book: Path = BOOK,
) -> str:
    """Markdown for the generated part of ``assignment_id``'s page.

    ``bundle`` is the zip to offer for download; it must lie inside ``book``
    (the link is written relative to the book's source folder).
    """
    folder = release_root / assignment_id
    notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if not notebooks or bundle is None:
        return (
            ":::{note}\nThis assignment has not been released yet: its notebooks and "
            "download appear here once the instructor releases it.\n:::\n"
        )
    summaries = [summarize_notebook(p) for p in notebooks]
    total = sum(part.points for s in summaries for part in s.parts)
    lines = ["## What you will write", ""]
    for s in summaries:
        names = ", ".join(f"`{n}`" for n in s.functions) or "(no code to write)"
        lines.append(f"- **{s.title}** (`{s.name}`): {names}")
    lines += [
        "",
        "## Points",
        "",
        "| notebook | graded part | kind | points |",
        "| --- | --- | --- | ---: |",
    ]
    for s in summaries:
        for part in s.parts:
            lines.append(
                f"| `{part.notebook}` | `{part.cell_id}` | {part.kind} | {_points(part.points)} |"
            )
    lines += [f"| **total** | | | **{_points(total)}** |", ""]
    rel = bundle.relative_to(book).as_posix()
    size_kb = bundle.stat().st_size / 1024
    lines += [
        "## Download",
        "",
        f"{{download}}`{bundle.name} </{rel}>` ({size_kb:.0f} KB): the notebook"
        f"{'s' if len(notebooks) > 1 else ''} and the student kit `convkit`. "
        "Unzip it and open the notebook in JupyterLab from the unzipped folder "
        "(see {ref}`assignments-setup` for installing it).",
        "",
    ]
    return "\n".join(lines)


def write_fragment(
    assignment_id: str,
    bundle: Path | None,
    release_root: Path = RELEASE,
    out_dir: Path = ASSIGNMENT_FRAGMENTS,
) -> Path:
    """Write ``out_dir/<assignment_id>.md`` (only if its text changed); return its path."""
    target = out_dir / f"{assignment_id}.md"
    write_if_changed(target, fragment(assignment_id, release_root, bundle).encode("utf-8"))
    return target
